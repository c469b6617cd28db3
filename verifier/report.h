/*
 * report.h - an audit's results in one model, rendered three ways from
 * the same lines: for people (one line per check, failures first), for
 * pipelines (the JSON object of schema runseal-verify/v1, docs/verify-json.md)
 * and for the file an auditor keeps (a self-contained HTML page).
 *
 * A check is one thing verified over the whole subject ("signatures",
 * "rule exit_status"); its verdict is pass, fail, skip (not applicable or
 * not asked for) or not reached (the audit stopped at an earlier failure).
 */
#ifndef RS_VERIFIER_REPORT_H
#define RS_VERIFIER_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#include "verifier/compliance.h"

enum report_verdict {
	REPORT_PASS = 0,
	REPORT_FAIL,
	REPORT_SKIP,
	REPORT_NOT_REACHED,
};

/* "pass", "fail", "skip", "not_reached" (JSON); static. */
const char *report_verdict_name(enum report_verdict v);

#define REPORT_MAX_CHECKS 48

struct report_check {
	char id[48];                    /* "signatures", "rule:exit_status" */
	char label[48];                 /* "signatures", "rule exit_status" */
	enum report_verdict verdict;
	char text[768];                 /* what was checked and what was found, in words */
};

struct report {
	const char *command;            /* "ledger", "bundle" (static) */
	const char *subject;            /* the file audited (borrowed) */
	int evidence_ok;                /* 1: the evidence verified */
	int exit_status;                /* 0, 1 or 2 */
	char verdict[1024];             /* the one-paragraph verdict (may hold '\n') */
	struct report_check checks[REPORT_MAX_CHECKS];
	size_t n_checks;
	/* Compliance rules and run statistics, or NULL. */
	const struct compliance *compliance;
	const char *rules_path;         /* --policy FILE, or NULL */
	const char *rules_name;         /* the rules file's "name", or NULL */
	double elapsed_s;
};

/* Add a check line (text formatted); silently ignored past REPORT_MAX_CHECKS. */
void report_add(struct report *r, const char *id, const char *label, enum report_verdict v,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/*
 * Add one check line per rule of r->compliance (verdict fail if any entry
 * failed it), and set r->exit_status to 2 if the evidence verified and a
 * rule failed.
 */
void report_add_rules(struct report *r);

/*
 * People: every check, failures first, each failing rule followed by its
 * first failing entries, then the verdict.
 */
void report_print_human(const struct report *r, FILE *out);

/*
 * Pipelines: add "exit_status", "checks", "compliance" and "runs" to the
 * command's JSON object o. RS_ERR_ALLOC.
 */
int report_json_add(const struct report *r, json_t *o);

/*
 * The auditor's file: a self-contained HTML page (no network resources,
 * inline CSS and SVG, printable) with the summary, the checks, the
 * per-rule results, the runs per day and the failures. Written atomically
 * (a temporary file renamed over path). Returns 0 or a negative RS_ERR_*.
 */
int report_write_html(const struct report *r, const char *path);

#endif
