/*
 * vcli.h - what runseal-verify's commands share on the command line:
 * usage errors, getopt errors, JSON text from untrusted bytes, and the
 * last flush of the verdict.
 */
#ifndef RS_VERIFIER_VCLI_H
#define RS_VERIFIER_VCLI_H

#include <jansson.h>

struct report;

#define VCLI_PROG "runseal-verify"
#define VCLI_JSON_SCHEMA "runseal-verify/v1"

/*
 * Long options carry values from VCLI_OPT_BASE up, so that after an error
 * optopt tells a long option (0 or >= 256: getopt has moved past it, and
 * it is argv[optind - 1]) from a short one (optopt is the character).
 */
#define VCLI_OPT_BASE 256

/* Say what was wrong, point at help_cmd's --help; returns exit status 64. */
int vcli_usage_error(const char *help_cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* getopt's '?' or ':' (c) as a usage error naming the argument it refused. */
int vcli_option_error(int c, int optopt_c, const char *arg, const char *help_cmd);

/*
 * A JSON string for text that may hold bytes from the evidence or a path:
 * jansson accepts only UTF-8, so other bytes become '?'. New reference, or
 * NULL on allocation failure.
 */
json_t *vcli_json_text(const char *s);

/*
 * Emit a finished report: with json, json_r is the JSON printer's result
 * (a failure is reported and its exit status returned, nothing else is
 * written); without, the human report unless quiet. Then the HTML report
 * when html_path is set. Returns rp->exit_status, or the exit status of
 * the first failure.
 */
int vcli_emit(const struct report *rp, int json, int json_r, int quiet, const char *html_path);

/*
 * Flush stdout: a verdict that did not reach stdout must not pass for one.
 * Returns status, or 74 (I/O error) if the flush failed.
 */
int vcli_finish(int status);

#endif
