/*
 * seccomp.c - load the program's syscall filter, and the supervisor that
 * answers and records what it refused (policy in seccomp.h). The filter
 * itself is compiled from seccomp_rules.c at build time (seccomp_gen) and
 * embedded as seccomp_bpf.h: compiling ~250 libseccomp rules costs more
 * than a millisecond, on every run.
 */
#include "executor/seccomp.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <seccomp.h>

#include "common/err.h"
#include "seccomp_bpf.h"        /* generated: exec_seccomp_bpf[] */

#define X32_BIT 0x40000000u

/*
 * Refused with EPERM, and named in the README: the kernel interfaces a
 * sandboxed program has no business with. Everything else outside the
 * allowlist gets ENOSYS.
 */
static const char *const refused_eperm[] = {
	"keyctl", "add_key", "request_key",
	"bpf", "perf_event_open", "userfaultfd",
	"ptrace", "process_vm_readv", "process_vm_writev", "process_madvise",
	"process_mrelease", "pidfd_getfd", "kcmp",
	"kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module",
	"mount", "umount", "umount2", "pivot_root", "chroot", "unshare", "setns",
	"fsopen", "fsconfig", "fsmount", "fspick", "move_mount", "open_tree",
	"mount_setattr", "open_tree_attr", "statmount", "listmount",
	"io_uring_setup", "io_uring_enter", "io_uring_register",
	"clock_settime", "clock_adjtime", "settimeofday", "adjtimex", "stime",
	"open_by_handle_at", "name_to_handle_at", "fanotify_init", "fanotify_mark",
	"swapon", "swapoff", "reboot", "sethostname", "setdomainname", "iopl", "ioperm",
	"syslog", "acct", "quotactl", "quotactl_fd", "lookup_dcookie", "uselib",
	"modify_ldt", "vhangup", "migrate_pages", "move_pages", "memfd_secret", "lsm_get_self_attr",
	"lsm_set_self_attr", "lsm_list_modules",
	/* allowed only with some arguments (rules below) */
	"clone", "ioctl", "mknod", "mknodat", "personality", "socketpair",
};

static const struct {
	int family;
	const char *name;
} families[] = {
	{ AF_UNIX, "AF_UNIX" }, { AF_INET, "AF_INET" }, { AF_INET6, "AF_INET6" },
	{ AF_NETLINK, "AF_NETLINK" }, { AF_PACKET, "AF_PACKET" }, { AF_KEY, "AF_KEY" },
	{ AF_ALG, "AF_ALG" }, { AF_VSOCK, "AF_VSOCK" }, { AF_BLUETOOTH, "AF_BLUETOOTH" },
	{ AF_CAN, "AF_CAN" }, { AF_TIPC, "AF_TIPC" }, { AF_RDS, "AF_RDS" },
	{ AF_XDP, "AF_XDP" }, { AF_KCM, "AF_KCM" }, { AF_QIPCRTR, "AF_QIPCRTR" },
	{ AF_SMC, "AF_SMC" }, { AF_PPPOX, "AF_PPPOX" }, { AF_LLC, "AF_LLC" },
};

int
exec_seccomp_build(struct exec_seccomp **out)
{
	struct exec_seccomp *f = NULL;
	size_t n = sizeof(exec_seccomp_bpf) / sizeof(exec_seccomp_bpf[0]);

	*out = NULL;
	if ((f = calloc(1, sizeof(*f))) == NULL ||
	    (f->insns = malloc(sizeof(exec_seccomp_bpf))) == NULL) {
		exec_seccomp_free(f);
		return RS_ERR_ALLOC;
	}
	memcpy(f->insns, exec_seccomp_bpf, sizeof(exec_seccomp_bpf));
	f->len = (unsigned short)n;
	*out = f;
	return 0;
}

int
exec_seccomp_equal(const struct exec_seccomp *a, const struct exec_seccomp *b)
{
	return a->len == b->len &&
	    memcmp(a->insns, b->insns, a->len * sizeof(struct sock_filter)) == 0;
}

int
exec_seccomp_load(const struct exec_seccomp *f, int *listener)
{
	struct sock_fprog prog;
	long fd;

	prog.len = f->len;
	prog.filter = f->insns;
	fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER,
	    &prog);
	if (fd < 0)
		return errno;
	*listener = (int)fd;
	return 0;
}

/* ---- supervisor (parent) ---- */

static int
refused_with_eperm(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(refused_eperm) / sizeof(refused_eperm[0]); i++)
		if (strcmp(refused_eperm[i], name) == 0)
			return 1;
	return 0;
}

static const char *
family_name(uint64_t family)
{
	size_t i;

	for (i = 0; i < sizeof(families) / sizeof(families[0]); i++)
		if ((uint64_t)families[i].family == family)
			return families[i].name;
	return NULL;
}

/* Describe the refused call into what; returns the errno to answer. */
static int
describe(const struct seccomp_data *d, char *what, size_t len)
{
	uint32_t arch = d->arch, nr = (uint32_t)d->nr;
	const char *abi = NULL, *fam;
	char *name = NULL;
	int err = ENOSYS;

	if (arch == AUDIT_ARCH_X86_64 && (nr & X32_BIT) != 0) {
		abi = "x32";
		name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_X32, (int)nr);
	} else if (arch == AUDIT_ARCH_I386) {
		abi = "i386";
		name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_X86, (int)nr);
	} else if (arch != seccomp_arch_native()) {
		snprintf(what, len, "arch 0x%x syscall %u", arch, nr);
		return ENOSYS;
	} else {
		name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, (int)nr);
	}
	if (abi != NULL) {
		/* Another ABI: never run, whatever the call. */
		snprintf(what, len, "%s %s", abi, name != NULL ? name : "syscall");
		if (name == NULL)
			snprintf(what, len, "%s syscall %u", abi, nr & ~X32_BIT);
		free(name);
		return ENOSYS;
	}
	if (name == NULL) {
		snprintf(what, len, "syscall %u", nr);
		return ENOSYS;
	}
	if (strcmp(name, "socket") == 0 || strcmp(name, "socketpair") == 0) {
		fam = family_name(d->args[0] & 0xffffffffu);
		if (fam != NULL)
			snprintf(what, len, "%s %s", name, fam);
		else
			snprintf(what, len, "%s family %llu", name,
			    (unsigned long long)(d->args[0] & 0xffffffffu));
		err = EAFNOSUPPORT;
	} else if (strcmp(name, "ioctl") == 0) {
		uint32_t cmd = (uint32_t)d->args[1];
		snprintf(what, len, "ioctl %s", cmd == TIOCSTI ? "TIOCSTI" :
		    cmd == TIOCLINUX ? "TIOCLINUX" : "request");
		err = EPERM;
	} else if (strcmp(name, "clone") == 0) {
		snprintf(what, len, "clone with namespace flags 0x%llx",
		    (unsigned long long)d->args[0]);
		err = EPERM;
	} else if (strcmp(name, "mknod") == 0 || strcmp(name, "mknodat") == 0) {
		uint64_t mode = strcmp(name, "mknod") == 0 ? d->args[1] : d->args[2];
		snprintf(what, len, "%s %s", name, (mode & S_IFMT) == S_IFCHR ?
		    "character device" : (mode & S_IFMT) == S_IFBLK ? "block device" :
		    "node type");
		err = EPERM;
	} else {
		snprintf(what, len, "%s", name);
		if (refused_with_eperm(name))
			err = EPERM;
	}
	free(name);
	return err;
}

static void
log_refusal(struct exec_seccomp_log *log, const char *what)
{
	size_t i;

	log->total++;
	for (i = 0; i < log->n_kinds; i++) {
		if (strcmp(log->kinds[i].what, what) == 0) {
			log->kinds[i].count++;
			return;
		}
	}
	if (log->n_kinds == EXEC_SECCOMP_KINDS_MAX) {
		log->other++;
		return;
	}
	snprintf(log->kinds[log->n_kinds].what, sizeof(log->kinds[0].what), "%s", what);
	log->kinds[log->n_kinds].count = 1;
	log->n_kinds++;
}

int
exec_seccomp_answer(int listener, struct exec_seccomp_log *log)
{
	struct seccomp_notif req;
	struct seccomp_notif_resp resp;
	struct pollfd pf = { .fd = listener, .events = POLLIN };
	char what[64];
	int err;

	/* RECV blocks without a pending notification: look first. */
	if (poll(&pf, 1, 0) <= 0)
		return 0;
	if ((pf.revents & POLLIN) == 0)
		return (pf.revents & (POLLHUP | POLLERR | POLLNVAL)) != 0 ? 1 : 0;
	memset(&req, 0, sizeof(req));
	if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) != 0) {
		if (errno == ENOENT || errno == EINTR)
			return 2;   /* the caller was interrupted or killed meanwhile */
		return rs_fail(RS_ERR_SANDBOX, "seccomp supervisor: receiving: %s",
		    strerror(errno));
	}
	err = describe(&req.data, what, sizeof(what));
	log_refusal(log, what);
	memset(&resp, 0, sizeof(resp));
	resp.id = req.id;
	resp.error = -err;
	if (ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp) != 0 && errno != ENOENT)
		return rs_fail(RS_ERR_SANDBOX, "seccomp supervisor: answering: %s",
		    strerror(errno));
	return 2;
}
