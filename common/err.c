#include "common/err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static _Thread_local char detail[1024];

const char *
rs_strerror(int err)
{
	switch (err) {
	case RS_OK: return "success";
	case RS_ERR_INTERNAL: return "internal error";
	case RS_ERR_ALLOC: return "out of memory";
	case RS_ERR_USAGE: return "invalid argument";
	case RS_ERR_IO: return "input/output error";
	case RS_ERR_FORMAT: return "malformed input";
	case RS_ERR_NOT_FOUND: return "not found";
	case RS_ERR_TOO_LARGE: return "input too large";
	case RS_ERR_CRYPTO: return "cryptographic operation failed";
	case RS_ERR_DB: return "database error";
	case RS_ERR_VERIFY: return "verification failed";
	case RS_ERR_EXISTS: return "already exists";
	case RS_ERR_SANDBOX: return "sandbox setup failed";
	case RS_ERR_NO_SPACE: return "no space left on device";
	case RS_ERR_PERMISSION: return "permission denied";
	case RS_ERR_UNSUPPORTED: return "not supported on this host";
	case RS_ERR_CONFIG: return "configuration error";
	case RS_ERR_BUSY: return "resource busy";
	case RS_ERR_TPM: return "TPM error";
	case RS_ERR_INTERRUPTED: return "interrupted";
	}
	return "unknown error";
}

int
rs_fail(int err, const char *fmt, ...)
{
	char buf[sizeof(detail)];
	va_list ap;

	/* Format aside first: an argument may be rs_err_detail() itself. */
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	memcpy(detail, buf, sizeof(detail));
	return err;
}

const char *
rs_err_detail(void)
{
	return detail;
}

void
rs_err_clear(void)
{
	detail[0] = '\0';
}

int
rs_err_from_errno(int errnum)
{
	switch (errnum) {
	case ENOSPC:
	case EDQUOT:
		return RS_ERR_NO_SPACE;
	case ENOENT:
	case ENOTDIR:
		return RS_ERR_NOT_FOUND;
	case EACCES:
	case EPERM:
	case EROFS:
		return RS_ERR_PERMISSION;
	case EEXIST:
		return RS_ERR_EXISTS;
	case ENOMEM:
		return RS_ERR_ALLOC;
	case EFBIG:
		return RS_ERR_TOO_LARGE;
	case EINTR:
		return RS_ERR_INTERRUPTED;
	default:
		return RS_ERR_IO;
	}
}

#include "common/exitcode.h"

int
rs_exit_for_err(int err)
{
	switch (err) {
	case RS_OK: return RS_EXIT_OK;
	case RS_ERR_USAGE: return RS_EXIT_USAGE;
	case RS_ERR_FORMAT:
	case RS_ERR_TOO_LARGE: return RS_EXIT_DATAERR;
	case RS_ERR_NOT_FOUND: return RS_EXIT_NOINPUT;
	case RS_ERR_IO:
	case RS_ERR_NO_SPACE:
	case RS_ERR_PERMISSION:
	case RS_ERR_DB: return RS_EXIT_IOERR;
	case RS_ERR_BUSY: return RS_EXIT_TEMPFAIL;
	case RS_ERR_TPM: return RS_EXIT_UNAVAILABLE;
	case RS_ERR_CONFIG:
	case RS_ERR_EXISTS: return RS_EXIT_CONFIG;
	case RS_ERR_VERIFY: return RS_EXIT_VERIFY_FAILED;
	default: return RS_EXIT_SOFTWARE;
	}
}
