/*
 * measure.c - measure the executor and the host (contract in measure.h).
 */
#include "executor/measure.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "common/err.h"
#include "common/hash.h"

/* The executable is at most this big; a larger one is not ours. */
#define EXE_MAX ((uint64_t)1 << 30)

int
exec_measure_host(struct attest_run *run)
{
	struct utsname u;
	char host[HOST_NAME_MAX + 1];
	uint64_t size = 0;
	int fd = -1, r = RS_ERR_INTERNAL;

	if ((fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC)) < 0) {
		r = rs_fail(rs_err_from_errno(errno), "measuring /proc/self/exe: %s",
		    strerror(errno));
		goto out;
	}
	if ((r = rs_sha256_fd(fd, EXE_MAX, run->executor_sha256, &size)) != 0) {
		r = rs_fail(r, "measuring /proc/self/exe: %s", rs_err_detail());
		goto out;
	}
	if (uname(&u) != 0) {
		r = rs_fail(RS_ERR_INTERNAL, "uname: %s", strerror(errno));
		goto out;
	}
	if (gethostname(host, sizeof(host)) != 0) {
		r = rs_fail(RS_ERR_INTERNAL, "gethostname: %s", strerror(errno));
		goto out;
	}
	host[sizeof(host) - 1] = '\0';
	free(run->kernel_release);
	free(run->machine);
	free(run->hostname);
	free(run->rootfs);
	run->kernel_release = strdup(u.release);
	run->machine = strdup(u.machine);
	run->hostname = strdup(host);
	run->rootfs = strdup("host");
	if (run->kernel_release == NULL || run->machine == NULL || run->hostname == NULL ||
	    run->rootfs == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	run->rootfs_measured = 0;
	memset(run->rootfs_sha256, 0, sizeof(run->rootfs_sha256));
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	return r;
}
