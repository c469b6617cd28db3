/*
 * Terminal injection: TIOCSTI pushes input into a terminal, TIOCLINUX
 * pokes the console. Refused whatever the descriptor, also with garbage in
 * the upper 32 bits of the request (the kernel uses the lower 32).
 */
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include "rt.h"

int
main(void)
{
	char c = 'x';
	int fd;

	for (fd = 0; fd < 3; fd++) {
		rt_fails(syscall(SYS_ioctl, fd, TIOCSTI, &c), "ioctl TIOCSTI");
		rt_fails(syscall(SYS_ioctl, fd, 0xdead00000000ul | TIOCSTI, &c),
		    "ioctl TIOCSTI with high bits set");
		rt_fails(syscall(SYS_ioctl, fd, TIOCLINUX, &c), "ioctl TIOCLINUX");
	}
	rt_fails(open("/dev/tty", 0), "open /dev/tty");
	rt_fails(open("/dev/console", 0), "open /dev/console");
	return rt_done();
}
