/*
 * caps.c - drop every capability (contract in caps.h).
 */
#include "executor/caps.h"

#include <errno.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Capability numbers are below 64 (two 32-bit words in capset version 3). */
#define CAP_SCAN_MAX 64

int
exec_caps_drop_all(void)
{
	struct __user_cap_header_struct hdr;
	struct __user_cap_data_struct data[2];
	int cap, i;

	if (prctl(PR_SET_SECUREBITS, SECBIT_NOROOT | SECBIT_NOROOT_LOCKED |
	    SECBIT_NO_SETUID_FIXUP | SECBIT_NO_SETUID_FIXUP_LOCKED |
	    SECBIT_KEEP_CAPS_LOCKED | SECBIT_NO_CAP_AMBIENT_RAISE |
	    SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED, 0, 0, 0) != 0)
		return errno;
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0)
		return errno;
	for (cap = 0; cap < CAP_SCAN_MAX; cap++) {
		if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) < 0) {
			if (errno == EINVAL)
				break;      /* past the last capability this kernel knows */
			return errno;
		}
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0)
			return errno;
	}
	memset(&hdr, 0, sizeof(hdr));
	memset(data, 0, sizeof(data));
	hdr.version = _LINUX_CAPABILITY_VERSION_3;
	hdr.pid = 0;
	if (syscall(SYS_capset, &hdr, data) != 0)
		return errno;

	/* Read back: what is recorded as dropped must be dropped. */
	memset(data, 0xff, sizeof(data));
	hdr.version = _LINUX_CAPABILITY_VERSION_3;
	hdr.pid = 0;
	if (syscall(SYS_capget, &hdr, data) != 0)
		return errno;
	for (i = 0; i < 2; i++) {
		if (data[i].effective != 0 || data[i].permitted != 0 || data[i].inheritable != 0)
			return EPERM;
	}
	for (cap = 0; cap < CAP_SCAN_MAX; cap++) {
		int v = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
		if (v < 0)
			break;
		if (v != 0)
			return EPERM;
	}
	return 0;
}
