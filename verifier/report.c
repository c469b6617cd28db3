/*
 * report.c - the audit report model, rendered for people and as JSON
 * (report.h). The HTML rendering is report_html.c.
 */
#include "verifier/report.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/err.h"
#include "common/exitcode.h"
#include "verifier/vcli.h"

/* Failing entries listed under a failing rule in the human report. */
#define HUMAN_RULE_EXAMPLES 10

const char *
report_verdict_name(enum report_verdict v)
{
	switch (v) {
	case REPORT_PASS: return "pass";
	case REPORT_FAIL: return "fail";
	case REPORT_SKIP: return "skip";
	case REPORT_NOT_REACHED: return "not_reached";
	}
	return "unknown";
}

void
report_add(struct report *r, const char *id, const char *label, enum report_verdict v,
    const char *fmt, ...)
{
	struct report_check *c;
	va_list ap;

	if (r->n_checks >= REPORT_MAX_CHECKS)
		return;
	c = &r->checks[r->n_checks++];
	snprintf(c->id, sizeof(c->id), "%s", id);
	snprintf(c->label, sizeof(c->label), "%s", label);
	c->verdict = v;
	va_start(ap, fmt);
	vsnprintf(c->text, sizeof(c->text), fmt, ap);
	va_end(ap);
}

void
report_add_rules(struct report *r)
{
	const struct compliance *c = r->compliance;
	char id[48], label[48];
	size_t i;

	if (c == NULL || c->n_rules == 0)
		return;
	for (i = 0; i < c->n_rules; i++) {
		const struct compliance_rule *cr = &c->rule[i];
		snprintf(id, sizeof(id), "rule:%s", cr->name);
		snprintf(label, sizeof(label), "rule %s", cr->name);
		if (!r->evidence_ok)
			report_add(r, id, label, REPORT_NOT_REACHED, "not evaluated: rules are "
			    "checked only on evidence that verifies (evaluated on %" PRIu64 " entries "
			    "before the failure)", cr->passed + cr->failed);
		else if (cr->passed + cr->failed == 0)
			report_add(r, id, label, REPORT_SKIP, "no runs to evaluate");
		else if (cr->failed == 0)
			report_add(r, id, label, REPORT_PASS, "%s pass%s: expected %s; entry %" PRIu64
			    " recorded %s", cr->passed == 1 ? "the run" : "all runs",
			    cr->passed == 1 ? "es" : "", cr->expected, cr->first_index,
			    cr->first_actual);
		else
			report_add(r, id, label, REPORT_FAIL, "%" PRIu64 " of %" PRIu64 " run%s fail: "
			    "expected %s; entry %" PRIu64 " recorded %s", cr->failed,
			    cr->passed + cr->failed, cr->passed + cr->failed == 1 ? "" : "s",
			    cr->expected, cr->kept[0].index,
			    cr->kept[0].actual);
	}
	if (r->evidence_ok && compliance_rules_failed(c) > 0)
		r->exit_status = RS_EXIT_RULE_FAILED;
}

static const char *
human_verdict(enum report_verdict v)
{
	switch (v) {
	case REPORT_PASS: return "ok";
	case REPORT_FAIL: return "FAIL";
	case REPORT_SKIP: return "--";
	case REPORT_NOT_REACHED: return "..";
	}
	return "?";
}

/* The compliance rule a check line stands for, or NULL. */
static const struct compliance_rule *
rule_of(const struct report *r, const struct report_check *chk)
{
	size_t i;

	if (r->compliance == NULL || strncmp(chk->id, "rule:", 5) != 0)
		return NULL;
	for (i = 0; i < r->compliance->n_rules; i++)
		if (strcmp(r->compliance->rule[i].name, chk->id + 5) == 0)
			return &r->compliance->rule[i];
	return NULL;
}

static void
print_check(const struct report *r, const struct report_check *chk, FILE *out)
{
	const struct compliance_rule *cr;
	size_t i;

	fprintf(out, "%-4s  %-24s %s\n", human_verdict(chk->verdict), chk->label, chk->text);
	if (chk->verdict != REPORT_FAIL || (cr = rule_of(r, chk)) == NULL)
		return;
	for (i = 0; i < cr->n_kept && i < HUMAN_RULE_EXAMPLES; i++)
		fprintf(out, "      %-24s entry %" PRIu64 ": recorded %s\n", "", cr->kept[i].index,
		    cr->kept[i].actual);
	if (cr->failed > i)
		fprintf(out, "      %-24s ... and %" PRIu64 " more (--json lists the first %d, "
		    "--report FILE.html too)\n", "", cr->failed - i, COMPLIANCE_KEEP);
}

static void
time_text(int64_t ns, char *out, size_t len)
{
	time_t t = (time_t)(ns / 1000000000);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, len, "?");
}

/* The run statistics as one informational line. */
static void
print_runs(const struct compliance *c, FILE *out)
{
	char a[32], b[32];
	size_t i;

	if (c == NULL || c->entries == 0)
		return;
	time_text(c->first_start_ns, a, sizeof(a));
	time_text(c->last_start_ns, b, sizeof(b));
	fprintf(out, "%-4s  %-24s %" PRIu64 " run%s started %s to %s: %" PRIu64 " exited 0, %"
	    PRIu64 " non-zero, %" PRIu64 " timed out, %" PRIu64 " killed by a signal", "info",
	    "runs", c->entries, c->entries == 1 ? "" : "s", a, b, c->exit_zero, c->exit_nonzero,
	    c->timed_out, c->signalled);
	for (i = 0; i < c->n_events; i++)
		fprintf(out, "%s%s in %" PRIu64 " run%s", i == 0 ? "; events: " : ", ",
		    c->events[i].kind, c->events[i].runs, c->events[i].runs == 1 ? "" : "s");
	fprintf(out, "\n");
}

void
report_print_human(const struct report *r, FILE *out)
{
	size_t i;

	/* Failures first, then everything else in check order. */
	for (i = 0; i < r->n_checks; i++)
		if (r->checks[i].verdict == REPORT_FAIL)
			print_check(r, &r->checks[i], out);
	for (i = 0; i < r->n_checks; i++)
		if (r->checks[i].verdict != REPORT_FAIL)
			print_check(r, &r->checks[i], out);
	if (r->evidence_ok)
		print_runs(r->compliance, out);
	fprintf(out, "%s\n", r->verdict);
	if (r->compliance != NULL && r->compliance->n_rules > 0 && r->evidence_ok) {
		size_t failed = compliance_rules_failed(r->compliance);
		if (failed == 0)
			fprintf(out, "compliance: every rule of %s passed on all %" PRIu64 " run%s\n",
			    r->rules_path, r->compliance->entries,
			    r->compliance->entries == 1 ? "" : "s");
		else
			fprintf(out, "compliance: %zu of %zu rules of %s FAILED (%" PRIu64 " of %"
			    PRIu64 " runs break a rule): the evidence is genuine, the runs broke "
			    "the rules (exit status 2)\n", failed, r->compliance->n_rules,
			    r->rules_path, r->compliance->entries_failing, r->compliance->entries);
	}
}

static json_t *
time_json(int64_t ns)
{
	char s[32];

	time_text(ns, s, sizeof(s));
	return json_string(s);
}

/* json_object_set_new that reports failure (NULL value or allocation). */
static int
set(json_t *o, const char *k, json_t *v)
{
	return v == NULL || json_object_set_new(o, k, v) != 0 ? RS_ERR_ALLOC : 0;
}

static json_t *
checks_json(const struct report *r)
{
	json_t *a = json_array(), *c;
	size_t i;

	if (a == NULL)
		return NULL;
	for (i = 0; i < r->n_checks; i++) {
		c = json_pack("{s:s, s:s, s:o}", "check", r->checks[i].id, "verdict",
		    report_verdict_name(r->checks[i].verdict), "detail",
		    vcli_json_text(r->checks[i].text));
		if (c == NULL || json_array_append_new(a, c) != 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static json_t *
rule_json(const struct compliance_rule *cr)
{
	json_t *o = NULL, *fails = NULL, *f;
	size_t i;

	if ((fails = json_array()) == NULL)
		return NULL;
	for (i = 0; i < cr->n_kept; i++) {
		f = json_pack("{s:I, s:o}", "index", (json_int_t)cr->kept[i].index, "actual",
		    vcli_json_text(cr->kept[i].actual));
		if (f == NULL || json_array_append_new(fails, f) != 0) {
			json_decref(fails);
			return NULL;
		}
	}
	o = json_pack("{s:s, s:s, s:o, s:I, s:I, s:o, s:b}", "rule", cr->name,
	    "verdict", cr->failed > 0 ? "fail" : cr->passed > 0 ? "pass" : "skip",
	    "expected", vcli_json_text(cr->expected), "passed", (json_int_t)cr->passed,
	    "failed", (json_int_t)cr->failed, "failures", fails,
	    "failures_truncated", cr->failed > cr->n_kept);
	return o;
}

static json_t *
compliance_json(const struct report *r)
{
	const struct compliance *c = r->compliance;
	json_t *o, *rules;
	size_t i;

	if (c == NULL || c->n_rules == 0)
		return json_null();
	if ((rules = json_array()) == NULL)
		return NULL;
	for (i = 0; i < c->n_rules; i++) {
		json_t *j = rule_json(&c->rule[i]);
		if (j == NULL || json_array_append_new(rules, j) != 0) {
			json_decref(rules);
			return NULL;
		}
	}
	o = json_pack("{s:o, s:o, s:b, s:b, s:I, s:I, s:I, s:o}",
	    "rules_file", vcli_json_text(r->rules_path != NULL ? r->rules_path : ""),
	    "name", vcli_json_text(r->rules_name != NULL ? r->rules_name : ""),
	    "evaluated", r->evidence_ok,
	    "passed", r->evidence_ok && compliance_rules_failed(c) == 0,
	    "rules_failed", (json_int_t)compliance_rules_failed(c),
	    "runs_evaluated", (json_int_t)c->entries,
	    "runs_failing", (json_int_t)c->entries_failing,
	    "rules", rules);
	return o;
}

static json_t *
runs_json(const struct compliance *c)
{
	json_t *o = NULL, *days = NULL, *events = NULL, *d;
	char day[16];
	size_t i;

	if (c == NULL || c->entries == 0)
		return json_null();
	if ((days = json_array()) == NULL || (events = json_object()) == NULL)
		goto fail;
	for (i = 0; i < c->n_days; i++) {
		compliance_day_text(c->days[i].day, day, sizeof(day));
		d = json_pack("{s:s, s:I, s:I}", "day", day, "runs", (json_int_t)c->days[i].runs,
		    "failing_rules", (json_int_t)c->days[i].failing);
		if (d == NULL || json_array_append_new(days, d) != 0)
			goto fail;
	}
	for (i = 0; i < c->n_events; i++)
		if (set(events, c->events[i].kind, json_integer((json_int_t)c->events[i].runs)) != 0)
			goto fail;
	o = json_pack("{s:I, s:o, s:o, s:{s:I, s:I, s:I, s:I}, s:o, s:I, s:o, s:I}",
	    "count", (json_int_t)c->entries,
	    "first_start", time_json(c->first_start_ns),
	    "last_start", time_json(c->last_start_ns),
	    "exit", "zero", (json_int_t)c->exit_zero, "nonzero", (json_int_t)c->exit_nonzero,
	    "timed_out", (json_int_t)c->timed_out, "signalled", (json_int_t)c->signalled,
	    "events", events, "events_other", (json_int_t)c->events_other,
	    "per_day", days, "days_dropped", (json_int_t)c->days_dropped);
	return o;
fail:
	json_decref(days);
	json_decref(events);
	return NULL;
}

int
report_json_add(const struct report *r, json_t *o)
{
	if (set(o, "exit_status", json_integer(r->exit_status)) != 0 ||
	    set(o, "checks", checks_json(r)) != 0 ||
	    set(o, "compliance", compliance_json(r)) != 0 ||
	    set(o, "runs", r->evidence_ok ? runs_json(r->compliance) : json_null()) != 0 ||
	    set(o, "elapsed_seconds", json_real(r->elapsed_s)) != 0)
		return RS_ERR_ALLOC;
	return 0;
}
