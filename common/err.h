/*
 * err.h - runseal's one error convention.
 *
 * A function that can fail returns int: 0 on success or a negative RS_ERR_*
 * code. Where the caller needs to know *what* failed (a file name, an entry
 * index, a key name), the failing function also records a one-line detail
 * with rs_fail(); the detail is per thread and describes the most recent
 * failure only. Out-parameters are cleared on entry and set only on success.
 */
#ifndef RS_ERR_H
#define RS_ERR_H

#include <stddef.h>

enum rs_err {
	RS_OK = 0,
	RS_ERR_INTERNAL = -1,      /* a bug: an impossible state */
	RS_ERR_ALLOC = -2,         /* out of memory */
	RS_ERR_USAGE = -3,         /* bad argument from the caller or user */
	RS_ERR_IO = -4,            /* read/write/fsync failed */
	RS_ERR_FORMAT = -5,        /* malformed input bytes */
	RS_ERR_NOT_FOUND = -6,     /* file, entry or key missing */
	RS_ERR_TOO_LARGE = -7,     /* input over its size bound */
	RS_ERR_CRYPTO = -8,        /* a crypto library call failed */
	RS_ERR_DB = -9,            /* SQLite error */
	RS_ERR_VERIFY = -10,       /* evidence does not verify */
	RS_ERR_EXISTS = -11,       /* would overwrite something */
	RS_ERR_SANDBOX = -12,      /* the sandbox could not be set up */
	RS_ERR_NO_SPACE = -13,     /* disk or quota full */
	RS_ERR_PERMISSION = -14,   /* permission denied */
	RS_ERR_UNSUPPORTED = -15,  /* the host cannot do what was asked */
	RS_ERR_CONFIG = -16,       /* bad policy, home or configuration */
	RS_ERR_BUSY = -17,         /* resource locked past its timeout */
	RS_ERR_TPM = -18,          /* the TPM refused or could not be reached */
	RS_ERR_INTERRUPTED = -19,  /* stopped by a signal */
};

/* Static English text for an RS_ERR_* code; never NULL. */
const char *rs_strerror(int err);

/*
 * Record a detail for the current failure and return err, so that a failure
 * site reads `r = rs_fail(RS_ERR_IO, "write %s: %s", path, strerror(errno));`.
 */
int rs_fail(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The detail of the most recent rs_fail() on this thread, or "" (borrowed). */
const char *rs_err_detail(void);

/* Forget the current detail. */
void rs_err_clear(void);

/* errno value to the closest RS_ERR_* code (ENOSPC → RS_ERR_NO_SPACE, ...). */
int rs_err_from_errno(int errnum);

#endif
