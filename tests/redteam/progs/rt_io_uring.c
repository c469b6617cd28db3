/* io_uring (a syscall multiplexer outside seccomp's view) must be refused. */
#include <sys/syscall.h>
#include "rt.h"

int
main(void)
{
	char params[120];

	memset(params, 0, sizeof(params));
	rt_fails(syscall(SYS_io_uring_setup, 8, params), "io_uring_setup");
	rt_fails(syscall(SYS_io_uring_enter, 0, 1, 0, 0, NULL, 0), "io_uring_enter");
	rt_fails(syscall(SYS_io_uring_register, 0, 0, NULL, 0), "io_uring_register");
	return rt_done();
}
