/* Floods stdout (argv[1] = "out") or stderr with argv[2] MiB, then exits 0. */
#include "rt.h"

int
main(int argc, char **argv)
{
	static char buf[1 << 20];
	int fd = argc > 1 && strcmp(argv[1], "err") == 0 ? 2 : 1;
	long n = argc > 2 ? atol(argv[2]) : 64, i;

	memset(buf, 'F', sizeof(buf));
	for (i = 0; i < n; i++)
		if (write(fd, buf, sizeof(buf)) < 0)
			return 1;
	return 0;
}
