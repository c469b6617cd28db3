/*
 * Other system call ABIs from a 64-bit process: x32 (__X32_SYSCALL_BIT) and
 * i386 (int 0x80). Each must be refused, not executed: the probe creates a
 * file through the foreign ABI and checks it does not exist.
 */
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include "rt.h"

#define X32_BIT 0x40000000L

static long
int80(long nr, long a, long b, long c)
{
	long ret;

	__asm__ volatile("int $0x80" : "=a"(ret) : "a"(nr), "b"(a), "c"(b), "d"(c) : "memory");
	return ret;
}

int
main(void)
{
	static char path32[] = "/tmp/made-by-i386";
	struct stat st;
	long r;

	r = syscall(X32_BIT | SYS_getpid);
	rt_fails(r, "x32 getpid");
	r = syscall(X32_BIT | SYS_openat, AT_FDCWD, "/tmp/made-by-x32", O_CREAT | O_WRONLY, 0600);
	rt_fails(r, "x32 openat(O_CREAT)");
	if (stat("/tmp/made-by-x32", &st) == 0)
		rt_escape("an x32 call created a file");
	/* i386: 5 is open, 20 getpid. A negative return is -errno. */
	r = int80(20, 0, 0, 0);
	errno = r < 0 ? (int)-r : 0;
	rt_fails(r < 0 ? -1 : r, "i386 getpid (int 0x80)");
	r = int80(5, (long)(unsigned long)(uintptr_t)path32, O_CREAT | O_WRONLY, 0600);
	errno = r < 0 ? (int)-r : 0;
	rt_fails(r < 0 ? -1 : r, "i386 open(O_CREAT) (int 0x80)");
	if (stat(path32, &st) == 0)
		rt_escape("an i386 call created a file");
	return rt_done();
}
