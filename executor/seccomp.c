/*
 * seccomp.c - the program's syscall filter (policy in seccomp.h).
 */
#include "executor/seccomp.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <seccomp.h>

#include "common/err.h"

#define BPF_MAX_BYTES (64 * 1024)   /* BPF_MAXINSNS (4096) * 8 is 32 KiB */

struct exec_seccomp {
	struct sock_filter *insns;
	unsigned short len;
};

static const char *const denied[] = {
	"keyctl", "add_key", "request_key",
	"bpf", "perf_event_open", "userfaultfd",
	"ptrace", "process_vm_readv", "process_vm_writev",
	"kexec_load", "kexec_file_load",
	"init_module", "finit_module", "delete_module",
	"mount", "umount2", "pivot_root", "unshare", "setns",
	"fsopen", "fsconfig", "fsmount", "fspick", "move_mount", "open_tree",
	"mount_setattr",
	"io_uring_setup", "io_uring_enter", "io_uring_register",
	"clock_settime", "clock_adjtime", "settimeofday", "adjtimex",
};

void
exec_seccomp_free(struct exec_seccomp *f)
{
	if (f == NULL)
		return;
	free(f->insns);
	free(f);
}

/* Export ctx as raw BPF through a memfd (libseccomp 2.5 has no in-memory export). */
static int
export_bpf(scmp_filter_ctx ctx, struct exec_seccomp *f)
{
	uint8_t *buf = NULL;
	size_t have = 0;
	ssize_t n;
	int fd = -1, rc, r = RS_ERR_INTERNAL;

	if ((fd = memfd_create("runseal-seccomp", MFD_CLOEXEC)) < 0) {
		r = rs_fail(RS_ERR_INTERNAL, "seccomp: memfd_create: %s", strerror(errno));
		goto out;
	}
	if ((rc = seccomp_export_bpf(ctx, fd)) != 0) {
		r = rs_fail(RS_ERR_INTERNAL, "seccomp: exporting the filter: %s", strerror(-rc));
		goto out;
	}
	if (lseek(fd, 0, SEEK_SET) != 0) {
		r = rs_fail(RS_ERR_INTERNAL, "seccomp: %s", strerror(errno));
		goto out;
	}
	if ((buf = malloc(BPF_MAX_BYTES)) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	while (have < BPF_MAX_BYTES) {
		n = read(fd, buf + have, BPF_MAX_BYTES - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = rs_fail(RS_ERR_INTERNAL, "seccomp: %s", strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		have += (size_t)n;
	}
	if (have == 0 || have % sizeof(struct sock_filter) != 0 || have >= BPF_MAX_BYTES) {
		r = rs_fail(RS_ERR_INTERNAL, "seccomp: exported filter has %zu bytes", have);
		goto out;
	}
	f->insns = (struct sock_filter *)buf;
	f->len = (unsigned short)(have / sizeof(struct sock_filter));
	buf = NULL;
	r = 0;
out:
	free(buf);
	if (fd >= 0)
		close(fd);
	return r;
}

int
exec_seccomp_build(struct exec_seccomp **out)
{
	struct exec_seccomp *f = NULL;
	scmp_filter_ctx ctx = NULL;
	size_t i;
	int nr, rc, r = RS_ERR_INTERNAL;

	*out = NULL;
	if ((f = calloc(1, sizeof(*f))) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	if ((ctx = seccomp_init(SCMP_ACT_ALLOW)) == NULL) {
		r = rs_fail(RS_ERR_INTERNAL, "seccomp: seccomp_init failed");
		goto out;
	}
	/* The child sets no_new_privs itself; a foreign ABI is an escape attempt. */
	if ((rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0)) != 0 ||
	    (rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS)) != 0) {
		r = rs_fail(RS_ERR_INTERNAL, "seccomp: setting attributes: %s", strerror(-rc));
		goto out;
	}
	for (i = 0; i < sizeof(denied) / sizeof(denied[0]); i++) {
		/* A syscall this architecture lacks needs no rule. */
		if ((nr = seccomp_syscall_resolve_name(denied[i])) == __NR_SCMP_ERROR)
			continue;
		if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0)) != 0) {
			r = rs_fail(RS_ERR_INTERNAL, "seccomp: rule for %s: %s", denied[i],
			    strerror(-rc));
			goto out;
		}
	}
	if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
	    SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_NEWUSER, CLONE_NEWUSER))) != 0 ||
	    (rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0)) != 0) {
		r = rs_fail(RS_ERR_INTERNAL, "seccomp: clone rules: %s", strerror(-rc));
		goto out;
	}
	if ((r = export_bpf(ctx, f)) != 0)
		goto out;
	*out = f;
	f = NULL;
	r = 0;
out:
	if (ctx != NULL)
		seccomp_release(ctx);
	exec_seccomp_free(f);
	return r;
}

int
exec_seccomp_load(const struct exec_seccomp *f)
{
	struct sock_fprog prog;

	prog.len = f->len;
	prog.filter = f->insns;
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) != 0)
		return errno;
	return 0;
}
