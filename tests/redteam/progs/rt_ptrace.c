/*
 * Reaching another process of the sandbox: ptrace of init, process_vm_readv
 * of init's memory, pidfd_getfd of init's descriptors, kcmp, /proc/1/mem.
 */
#include <fcntl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include "rt.h"

int
main(void)
{
	char buf[64];
	struct iovec l = { buf, sizeof(buf) }, rem = { (void *)0x400000, sizeof(buf) };
	long pidfd;

	rt_fails(ptrace(PTRACE_ATTACH, 1, NULL, NULL), "ptrace attach to init");
	rt_fails(ptrace(PTRACE_TRACEME, 0, NULL, NULL), "ptrace traceme");
	rt_fails(syscall(SYS_process_vm_readv, 1, &l, 1, &rem, 1, 0), "process_vm_readv of init");
	rt_fails(syscall(SYS_process_vm_writev, 1, &l, 1, &rem, 1, 0), "process_vm_writev of init");
	rt_fails(syscall(SYS_kcmp, 1, getpid(), 0 /* KCMP_FILE */, 0, 0), "kcmp");
	pidfd = syscall(SYS_pidfd_open, 1, 0);
	if (pidfd >= 0)
		rt_fails(syscall(SYS_pidfd_getfd, pidfd, 3, 0), "pidfd_getfd of init's fd 3");
	rt_fails(open("/proc/1/mem", O_RDONLY), "open /proc/1/mem");
	rt_fails(open("/proc/1/environ", O_RDONLY), "open /proc/1/environ");
	return rt_done();
}
