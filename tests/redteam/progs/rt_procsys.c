/* Kernel knobs: /proc/sys, sysrq, /sys, kcore, kallsyms, oom protection. */
#include <fcntl.h>
#include "rt.h"

static void
try_write(const char *path, const char *text)
{
	char what[160];
	int fd = open(path, O_WRONLY);

	snprintf(what, sizeof(what), "write %s", path);
	if (fd < 0) {
		rt_fails(-1, what);
		return;
	}
	rt_fails(write(fd, text, strlen(text)), what);
	close(fd);
}

int
main(void)
{
	char buf[64];
	ssize_t n;
	int fd;

	try_write("/proc/sys/kernel/hostname", "pwned");
	try_write("/proc/sys/kernel/core_pattern", "|/tmp/x");
	try_write("/proc/sys/vm/drop_caches", "3");
	try_write("/proc/sysrq-trigger", "b");
	try_write("/sys/kernel/mm/transparent_hugepage/enabled", "never");
	try_write("/proc/self/oom_score_adj", "-1000");
	try_write("/proc/self/attr/current", "unconfined");
	rt_fails(open("/sys/fs/cgroup/cgroup.procs", O_WRONLY), "open the host's cgroups");
	if ((fd = open("/proc/kcore", O_RDONLY)) >= 0) {
		n = read(fd, buf, sizeof(buf));
		if (n > 0)
			rt_escape("read %zd bytes of /proc/kcore", n);
		else
			printf("contained: /proc/kcore is empty\n");
		close(fd);
	} else {
		rt_fails(-1, "open /proc/kcore");
	}
	return rt_done();
}
