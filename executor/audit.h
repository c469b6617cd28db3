/*
 * audit.h - one structured audit event per appended run.
 *
 * The event is one JSON line (schema "runseal-audit/v1"):
 *   {"schema","time","entry","record_digest","argv0","exit_status",
 *    "timed_out","signal","events":[kinds...],"signer","duration_ms",
 *    "traceparent"}
 * appended with a single write(2) to the file named by --audit-log or
 * $RUNSEAL_AUDIT_LOG (O_APPEND: concurrent runs never interleave a line),
 * and, when runseal runs under systemd ($INVOCATION_ID or $JOURNAL_STREAM
 * set and /run/systemd/journal/socket present), sent to the journal with
 * the native protocol, fields RUNSEAL_ENTRY, RUNSEAL_RECORD_DIGEST, ...
 *
 * The event is a notification, not evidence: the ledger entry is already
 * committed when it is written, and a failure to write it is reported as a
 * warning by the caller but never undoes or fails the run.
 */
#ifndef RS_AUDIT_H
#define RS_AUDIT_H

#include <stdint.h>

#include "attest/run.h"
#include "common/hash.h"

struct audit_event {
	uint64_t entry;
	uint8_t record_digest[RS_SHA256_LEN];
	const char *signer;             /* "software" / "tpm" */
	int exit_status;
	const struct attest_run *run;   /* borrowed */
};

/* The event as one JSON line (no newline), new string the caller frees. */
int audit_format(const struct audit_event *ev, char **line);

/*
 * Emit the event: to path (if not NULL) and to the journal (if under
 * systemd). Returns the first error; both destinations are attempted.
 */
int audit_emit(const struct audit_event *ev, const char *path);

/* --audit-log if given, else $RUNSEAL_AUDIT_LOG, else NULL (borrowed). */
const char *audit_log_path(const char *flag);

#endif
