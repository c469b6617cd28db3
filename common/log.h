/*
 * log.h - diagnostics on stderr, prefixed with the program name. stdout is
 * reserved for results (and, with --json, exactly one JSON document).
 */
#ifndef RS_LOG_H
#define RS_LOG_H

enum rs_log_level { RS_LOG_QUIET = 0, RS_LOG_ERROR = 1, RS_LOG_INFO = 2, RS_LOG_DEBUG = 3 };

/* Set the program name printed before each message (borrowed; must outlive use). */
void rs_log_init(const char *prog);
void rs_log_set_level(enum rs_log_level level);
enum rs_log_level rs_log_get_level(void);

void rs_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void rs_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void rs_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void rs_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Print "prog: error: <what>: <rs_strerror(err)>[: detail]" for a failed call. */
void rs_error_code(int err, const char *what);

#endif
