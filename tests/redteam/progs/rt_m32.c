/*
 * Built with -m32 -static: a whole i386 program. Every call it makes is of
 * the i386 ABI, so it must not get as far as writing its marker.
 */
#include <fcntl.h>
#include <unistd.h>

int
main(void)
{
	int fd = open("/work/out/i386-was-here", O_CREAT | O_WRONLY, 0644);

	if (write(1, "ESCAPED: i386 binary ran\n", 25) < 0 || fd < 0)
		return 99;
	return 99;
}
