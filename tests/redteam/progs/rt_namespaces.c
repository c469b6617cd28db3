/* New namespaces: unshare, clone with CLONE_NEW*, clone3, setns into init's. */
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include "rt.h"

int
main(void)
{
	static const struct {
		int flag;
		const char *name;
	} ns[] = {
		{ CLONE_NEWUSER, "user" }, { CLONE_NEWNS, "mount" }, { CLONE_NEWNET, "net" },
		{ CLONE_NEWPID, "pid" }, { CLONE_NEWIPC, "ipc" }, { CLONE_NEWUTS, "uts" },
		{ CLONE_NEWCGROUP, "cgroup" }, { 0x80 /* CLONE_NEWTIME */, "time" },
	};
	struct clone_args ca;
	char what[64];
	size_t i;
	long r;
	int fd;

	for (i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		snprintf(what, sizeof(what), "unshare %s namespace", ns[i].name);
		rt_fails(unshare(ns[i].flag), what);
		if (ns[i].flag == 0x80)
			continue;
		r = syscall(SYS_clone, (unsigned long)ns[i].flag | SIGCHLD, NULL, NULL, NULL, 0);
		if (r == 0)
			_exit(0);
		if (r > 0)
			waitpid((pid_t)r, NULL, 0);
		snprintf(what, sizeof(what), "clone into a new %s namespace", ns[i].name);
		rt_fails(r, what);
	}
	memset(&ca, 0, sizeof(ca));
	ca.flags = CLONE_NEWUSER;
	ca.exit_signal = SIGCHLD;
	r = syscall(SYS_clone3, &ca, sizeof(ca));
	if (r == 0)
		_exit(0);
	rt_fails(r, "clone3 with CLONE_NEWUSER");
	if ((fd = open("/proc/1/ns/mnt", O_RDONLY)) >= 0)
		rt_fails(setns(fd, 0), "setns into init's mount namespace");
	else
		printf("contained: open /proc/1/ns/mnt (%s)\n", strerror(errno));
	return rt_done();
}
