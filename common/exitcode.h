/*
 * exitcode.h - the exit statuses of runseal and runseal-verify (one table,
 * also in README.md and the man pages).
 *
 * | code | runseal run                         | other commands / runseal-verify          |
 * |------|-------------------------------------|------------------------------------------|
 * | 0    | program exited 0                    | success / verified                       |
 * | 1    | (program's own status 1..123)       | evidence does not verify                 |
 * | 2    |                                     | verified, a compliance rule failed       |
 * | 3    |                                     | replay diverged                          |
 * | 64   |                                     | usage error                              |
 * | 65   |                                     | malformed input (bundle, record, policy) |
 * | 66   |                                     | input file missing                       |
 * | 69   |                                     | TPM unreachable or refused (TCTI, swtpm) |
 * | 70   |                                     | internal error                           |
 * | 74   |                                     | I/O error (disk full, unwritable home)   |
 * | 75   |                                     | ledger locked by another process past    |
 * |      |                                     | the busy timeout: try again              |
 * | 78   |                                     | configuration error (home not set up)    |
 * | 124  | program timed out                   |                                          |
 * | 125  | runseal failed; nothing appended    |                                          |
 * | 126  | program found but not executable    |                                          |
 * | 127  | program not found                   |                                          |
 * | 128+N| program killed by signal N; or      |                                          |
 * |      | runseal stopped by SIGINT/SIGTERM/  |                                          |
 * |      | SIGHUP N before the append (stderr  |                                          |
 * |      | says so; nothing appended)          |                                          |
 */
#ifndef RS_EXITCODE_H
#define RS_EXITCODE_H

enum rs_exit {
	RS_EXIT_OK = 0,
	RS_EXIT_VERIFY_FAILED = 1,
	RS_EXIT_RULE_FAILED = 2,
	RS_EXIT_DIVERGED = 3,
	RS_EXIT_USAGE = 64,
	RS_EXIT_DATAERR = 65,
	RS_EXIT_NOINPUT = 66,
	RS_EXIT_UNAVAILABLE = 69,
	RS_EXIT_SOFTWARE = 70,
	RS_EXIT_IOERR = 74,
	RS_EXIT_TEMPFAIL = 75,
	RS_EXIT_CONFIG = 78,
	RS_EXIT_TIMEOUT = 124,
	RS_EXIT_RUNSEAL_FAILED = 125,
	RS_EXIT_CANNOT_EXEC = 126,
	RS_EXIT_NOT_FOUND = 127,
	RS_EXIT_SIGNAL_BASE = 128,
};

/* The exit status for a command (not `run`) that failed with an RS_ERR_* code. */
int rs_exit_for_err(int err);

#endif
