/* Static probe for a --rootfs of the test's making: proves it ran inside it. */
#include <fcntl.h>
#include "rt.h"

int
main(void)
{
	int fd = open("/work/out/ran", O_CREAT | O_WRONLY, 0644);

	if (fd < 0 || write(fd, "ran\n", 4) != 4)
		return 1;
	close(fd);
	rt_fails(open("/usr/bin/sh", O_RDONLY), "open the host's /usr/bin/sh");
	return rt_done();
}
