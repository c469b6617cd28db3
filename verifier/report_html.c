/*
 * report_html.c - the audit report as one self-contained HTML page
 * (report.h): inline CSS and SVG, no script, no network resource, every
 * piece of text from the evidence escaped; readable in a browser and
 * printable (a print stylesheet keeps tables whole and colours legible).
 */
#include "verifier/report.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/err.h"
#include "common/file.h"

#define CHART_W 900
#define CHART_H 160

/* Text from the evidence or a path, escaped for HTML; bytes outside UTF-8-safe ASCII as '?'. */
static void
esc(FILE *f, const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		switch (c) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		case '\n': fputs("<br>", f); break;
		default:
			/* UTF-8 as produced by the report's own text ("…") passes; control bytes do not. */
			fputc(c < 0x20 || c == 0x7f ? '?' : (int)c, f);
		}
	}
}

static const char *
verdict_class(enum report_verdict v)
{
	switch (v) {
	case REPORT_PASS: return "pass";
	case REPORT_FAIL: return "fail";
	case REPORT_SKIP: return "skip";
	case REPORT_NOT_REACHED: return "skip";
	}
	return "skip";
}

static const char *
verdict_word(enum report_verdict v)
{
	switch (v) {
	case REPORT_PASS: return "pass";
	case REPORT_FAIL: return "FAIL";
	case REPORT_SKIP: return "n/a";
	case REPORT_NOT_REACHED: return "not reached";
	}
	return "?";
}

static const char CSS[] =
    "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;color:#1b1f24;"
    "max-width:1100px;margin:2em auto;padding:0 1em}"
    "h1{font-size:1.5em;margin-bottom:.2em}h2{font-size:1.15em;margin-top:1.8em;"
    "border-bottom:1px solid #d0d7de;padding-bottom:.2em}"
    ".banner{padding:.8em 1em;border-radius:6px;font-weight:600;margin:1em 0}"
    ".banner.pass{background:#dafbe1;border:1px solid #1a7f37}"
    ".banner.fail{background:#ffebe9;border:1px solid #cf222e}"
    ".banner.rules{background:#fff8c5;border:1px solid #9a6700}"
    "table{border-collapse:collapse;width:100%;margin:.5em 0}"
    "th,td{border:1px solid #d0d7de;padding:.3em .5em;text-align:left;vertical-align:top}"
    "th{background:#f6f8fa}td.num{text-align:right;font-variant-numeric:tabular-nums}"
    "tr{page-break-inside:avoid}"
    ".v{font-weight:700;white-space:nowrap}.v.pass{color:#1a7f37}.v.fail{color:#cf222e}"
    ".v.skip{color:#656d76}code,.mono{font-family:ui-monospace,monospace;font-size:.92em;"
    "word-break:break-all}"
    ".meta td:first-child{width:14em;color:#656d76}"
    "svg text{font:11px sans-serif;fill:#444}"
    "@media print{body{margin:0;max-width:none;font-size:11px}"
    ".banner,th{-webkit-print-color-adjust:exact;print-color-adjust:exact}"
    "h2{page-break-after:avoid}}";

static void
time_text(int64_t ns, char *out, size_t len)
{
	time_t t = (time_t)(ns / 1000000000);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(out, len, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(out, len, "?");
}

static void
html_checks(const struct report *r, FILE *f)
{
	size_t i;
	int pass;

	fputs("<h2>Checks</h2>\n<table><tr><th>verdict</th><th>check</th><th>what was checked, "
	    "and what was found</th></tr>\n", f);
	/* Failures first. */
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < r->n_checks; i++) {
			const struct report_check *c = &r->checks[i];
			if ((c->verdict == REPORT_FAIL) != (pass == 0))
				continue;
			fprintf(f, "<tr><td class=\"v %s\">%s</td><td>", verdict_class(c->verdict),
			    verdict_word(c->verdict));
			esc(f, c->label);
			fputs("</td><td>", f);
			esc(f, c->text);
			fputs("</td></tr>\n", f);
		}
	}
	fputs("</table>\n", f);
}

static void
html_rules(const struct report *r, FILE *f)
{
	const struct compliance *c = r->compliance;
	size_t i, k;

	if (c == NULL || c->n_rules == 0)
		return;
	fputs("<h2>Compliance rules</h2>\n<p>Rules file <code>", f);
	esc(f, r->rules_path != NULL ? r->rules_path : "");
	fputs("</code>", f);
	if (r->rules_name != NULL && r->rules_name[0] != '\0') {
		fputs(" (", f);
		esc(f, r->rules_name);
		fputs(")", f);
	}
	if (!r->evidence_ok)
		fputs(". <b>Not evaluated</b>: rules are checked only on evidence that "
		    "verifies.</p>\n", f);
	else
		fprintf(f, ": %zu of %zu rules failed; %" PRIu64 " of %" PRIu64 " runs break at "
		    "least one rule.</p>\n", compliance_rules_failed(c), c->n_rules,
		    c->entries_failing, c->entries);
	fputs("<table><tr><th>verdict</th><th>rule</th><th>expected</th><th class=num>runs "
	    "passing</th><th class=num>runs failing</th><th>first failure</th></tr>\n", f);
	for (i = 0; i < c->n_rules; i++) {
		const struct compliance_rule *cr = &c->rule[i];
		enum report_verdict v = !r->evidence_ok ? REPORT_NOT_REACHED : cr->failed > 0 ?
		    REPORT_FAIL : REPORT_PASS;
		fprintf(f, "<tr><td class=\"v %s\">%s</td><td><code>", verdict_class(v),
		    verdict_word(v));
		esc(f, cr->name);
		fputs("</code></td><td>", f);
		esc(f, cr->expected);
		fprintf(f, "</td><td class=num>%" PRIu64 "</td><td class=num>%" PRIu64 "</td><td>",
		    cr->passed, cr->failed);
		if (cr->n_kept > 0) {
			fprintf(f, "entry %" PRIu64 ": ", cr->kept[0].index);
			esc(f, cr->kept[0].actual);
		}
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n", f);
	/* Every kept failure, rule by rule. */
	for (i = 0; i < c->n_rules; i++) {
		const struct compliance_rule *cr = &c->rule[i];
		if (cr->n_kept == 0)
			continue;
		fputs("<h3>Failures of <code>", f);
		esc(f, cr->name);
		fputs("</code></h3>\n<p>Expected: ", f);
		esc(f, cr->expected);
		if (cr->failed > cr->n_kept)
			fprintf(f, ". The first %zu of %" PRIu64 " failing runs:", cr->n_kept,
			    cr->failed);
		fputs("</p>\n<table><tr><th class=num>entry</th><th>recorded</th></tr>\n", f);
		for (k = 0; k < cr->n_kept; k++) {
			fprintf(f, "<tr><td class=num>%" PRIu64 "</td><td>", cr->kept[k].index);
			esc(f, cr->kept[k].actual);
			fputs("</td></tr>\n", f);
		}
		fputs("</table>\n", f);
	}
}

/* Runs per day: a bar chart (failing runs in red on top of passing ones) and a table. */
static void
html_days(const struct report *r, FILE *f)
{
	const struct compliance *c = r->compliance;
	uint64_t max = 1;
	double bw, x, h, hf;
	char day[16], last[16];
	size_t i;

	if (c == NULL || c->n_days == 0 || !r->evidence_ok)
		return;
	for (i = 0; i < c->n_days; i++)
		if (c->days[i].runs > max)
			max = c->days[i].runs;
	fprintf(f, "<h2>Runs per day</h2>\n<p>%" PRIu64 " runs on %zu day%s (UTC), by start "
	    "time%s.</p>\n", c->entries, c->n_days, c->n_days == 1 ? "" : "s",
	    c->n_rules > 0 ? "; red: runs that broke a rule" : "");
	fprintf(f, "<svg width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" "
	    "aria-label=\"runs per day\">\n", CHART_W + 60, CHART_H + 30, CHART_W + 60,
	    CHART_H + 30);
	fprintf(f, "<line x1=\"50\" y1=\"0\" x2=\"50\" y2=\"%d\" stroke=\"#888\"/>"
	    "<line x1=\"50\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#888\"/>\n", CHART_H,
	    CHART_H, CHART_W + 50, CHART_H);
	fprintf(f, "<text x=\"45\" y=\"10\" text-anchor=\"end\">%" PRIu64 "</text>"
	    "<text x=\"45\" y=\"%d\" text-anchor=\"end\">0</text>\n", max, CHART_H);
	bw = (double)CHART_W / (double)c->n_days;
	for (i = 0; i < c->n_days; i++) {
		x = 50.0 + bw * (double)i;
		h = (double)CHART_H * (double)c->days[i].runs / (double)max;
		hf = (double)CHART_H * (double)c->days[i].failing / (double)max;
		compliance_day_text(c->days[i].day, day, sizeof(day));
		fprintf(f, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" "
		    "fill=\"#2f81f7\"><title>%s: %" PRIu64 " runs, %" PRIu64 " breaking a rule"
		    "</title></rect>", x, (double)CHART_H - h, bw > 2 ? bw - 1 : bw, h - hf, day,
		    c->days[i].runs, c->days[i].failing);
		if (hf > 0)
			fprintf(f, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" "
			    "fill=\"#cf222e\"/>", x, (double)CHART_H - hf, bw > 2 ? bw - 1 : bw, hf);
		fputc('\n', f);
	}
	compliance_day_text(c->days[0].day, day, sizeof(day));
	compliance_day_text(c->days[c->n_days - 1].day, last, sizeof(last));
	fprintf(f, "<text x=\"50\" y=\"%d\">%s</text><text x=\"%d\" y=\"%d\" "
	    "text-anchor=\"end\">%s</text>\n</svg>\n", CHART_H + 20, day, CHART_W + 50,
	    CHART_H + 20, last);
	if (c->days_dropped > 0)
		fprintf(f, "<p>%" PRIu64 " runs on further days are not shown (more than %d "
		    "days).</p>\n", c->days_dropped, COMPLIANCE_MAX_DAYS);
	fputs("<table><tr><th>day (UTC)</th><th class=num>runs</th><th class=num>runs breaking "
	    "a rule</th></tr>\n", f);
	for (i = 0; i < c->n_days; i++) {
		compliance_day_text(c->days[i].day, day, sizeof(day));
		fprintf(f, "<tr><td>%s</td><td class=num>%" PRIu64 "</td><td class=num>%" PRIu64
		    "</td></tr>\n", day, c->days[i].runs, c->days[i].failing);
	}
	fputs("</table>\n", f);
}

static void
html_runs(const struct report *r, FILE *f)
{
	const struct compliance *c = r->compliance;
	char a[40], b[40];
	size_t i;

	if (c == NULL || c->entries == 0 || !r->evidence_ok)
		return;
	time_text(c->first_start_ns, a, sizeof(a));
	time_text(c->last_start_ns, b, sizeof(b));
	fprintf(f, "<h2>Runs</h2>\n<table class=meta>"
	    "<tr><td>runs</td><td>%" PRIu64 ", started %s to %s</td></tr>"
	    "<tr><td>exited 0</td><td>%" PRIu64 "</td></tr>"
	    "<tr><td>exited non-zero</td><td>%" PRIu64 "</td></tr>"
	    "<tr><td>timed out</td><td>%" PRIu64 "</td></tr>"
	    "<tr><td>killed by a signal</td><td>%" PRIu64 "</td></tr>\n", c->entries, a, b,
	    c->exit_zero, c->exit_nonzero, c->timed_out, c->signalled);
	for (i = 0; i < c->n_events; i++) {
		fputs("<tr><td>runs with event <code>", f);
		esc(f, c->events[i].kind);
		fprintf(f, "</code></td><td>%" PRIu64 "</td></tr>\n", c->events[i].runs);
	}
	fputs("</table>\n", f);
}

static void
html_page(const struct report *r, FILE *f)
{
	char now[40];
	const char *cls, *headline;

	time_text((int64_t)time(NULL) * 1000000000LL, now, sizeof(now));
	if (!r->evidence_ok) {
		cls = "fail";
		headline = "The evidence does NOT verify";
	} else if (r->exit_status == 2) {
		cls = "rules";
		headline = "The evidence verifies, but runs broke compliance rules";
	} else {
		cls = "pass";
		headline = r->compliance != NULL && r->compliance->n_rules > 0 ?
		    "The evidence verifies and every run followed the rules" :
		    "The evidence verifies";
	}
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>"
	    "runseal audit: ", f);
	esc(f, r->command);
	fputs(" ", f);
	esc(f, r->subject);
	fprintf(f, "</title>\n<style>%s</style></head><body>\n", CSS);
	fputs("<h1>runseal audit report</h1>\n", f);
	fprintf(f, "<div class=\"banner %s\">%s (exit status %d)</div>\n", cls, headline,
	    r->exit_status);
	fputs("<table class=meta><tr><td>audited</td><td><code>", f);
	esc(f, r->command);
	fputs(" ", f);
	esc(f, r->subject);
	fprintf(f, "</code></td></tr><tr><td>report written</td><td>%s by runseal-verify %s"
	    "</td></tr><tr><td>time taken</td><td>%.2f s</td></tr></table>\n", now,
	    RUNSEAL_VERSION, r->elapsed_s);
	fputs("<h2>Summary</h2>\n<p>", f);
	esc(f, r->verdict);
	fputs("</p>\n", f);
	html_checks(r, f);
	html_rules(r, f);
	html_runs(r, f);
	html_days(r, f);
	fputs("<h2>How to read this report</h2>\n<p>Each check is recomputed by runseal-verify "
	    "from the evidence alone, trusting only the keys in the auditor's trust file. A "
	    "failed check means the evidence was altered, forged or is incomplete (exit status "
	    "1). A failed rule means the evidence is genuine but the run did not follow the "
	    "rules (exit status 2). Software-key signatures involve no hardware root of "
	    "trust.</p>\n</body></html>\n", f);
}

int
report_write_html(const struct report *r, const char *path)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int rc;

	if ((f = open_memstream(&buf, &len)) == NULL)
		return RS_ERR_ALLOC;
	html_page(r, f);
	if (fclose(f) != 0) {
		free(buf);
		return RS_ERR_ALLOC;
	}
	rc = rs_write_file_atomic(path, buf, len, 0644, 0);
	/* An output that cannot be written is an I/O error, not a missing input. */
	if (rc != 0)
		rc = rs_fail(rc == RS_ERR_NOT_FOUND ? RS_ERR_IO : rc, "writing the report %s: %s",
		    path, rs_err_detail());
	free(buf);
	return rc;
}
