#include "verifier/compliance.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "attest/verify.h"
#include "common/err.h"

#define NS_PER_DAY (86400LL * 1000000000LL)

int
compliance_new(const struct rules *rules, struct compliance **out)
{
	struct compliance *c = NULL;
	size_t i;
	int r = RS_ERR_ALLOC;

	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		goto out;
	c->rules = rules;
	if (rules != NULL && rules_count(rules) > 0) {
		c->n_rules = rules_count(rules);
		if ((c->rule = calloc(c->n_rules, sizeof(*c->rule))) == NULL)
			goto out;
		for (i = 0; i < c->n_rules; i++)
			c->rule[i].name = rules_name_at(rules, i);
	}
	*out = c;
	c = NULL;
	r = 0;
out:
	compliance_free(c);
	return r;
}

void
compliance_free(struct compliance *c)
{
	if (c == NULL)
		return;
	free(c->rule);
	free(c->days);
	free(c);
}

enum rules_trust
compliance_trust_of_root(int attest_root)
{
	switch (attest_root) {
	case ATTEST_ROOT_TPM_EK_CERT:
		return RULES_TRUST_TPM_ENROLLED;
	case ATTEST_ROOT_TPM_NO_EK_CERT:
		return RULES_TRUST_TPM;
	default:
		return RULES_TRUST_SOFTWARE;
	}
}

void
compliance_day_text(int64_t day, char *out, size_t len)
{
	time_t t = (time_t)(day * 86400);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(out, len, "%Y-%m-%d", &tm) == 0)
		snprintf(out, len, "?");
}

/* Floor division: a run before 1970 lands on the day it started. */
static int64_t
day_of(int64_t ns)
{
	return ns >= 0 ? ns / NS_PER_DAY : -((-ns + NS_PER_DAY - 1) / NS_PER_DAY);
}

/* Count a run on its day; days stay sorted (runs come mostly in order). */
static int
count_day(struct compliance *c, int64_t start_ns, int failing)
{
	struct compliance_day *d;
	int64_t day = day_of(start_ns);
	size_t lo = 0, hi = c->n_days, mid;

	if (c->n_days > 0 && c->days[c->n_days - 1].day == day) {
		d = &c->days[c->n_days - 1];
		goto found;
	}
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (c->days[mid].day < day)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < c->n_days && c->days[lo].day == day) {
		d = &c->days[lo];
		goto found;
	}
	if (c->n_days >= COMPLIANCE_MAX_DAYS) {
		c->days_dropped++;
		return 0;
	}
	if ((c->n_days & (c->n_days - 1)) == 0 || c->n_days < 16) {
		/* Grow by doubling (capacity is the next power of two, at least 16). */
		size_t cap = 16;
		struct compliance_day *nd;
		while (cap <= c->n_days)
			cap *= 2;
		if ((nd = realloc(c->days, cap * sizeof(*nd))) == NULL)
			return RS_ERR_ALLOC;
		c->days = nd;
	}
	memmove(&c->days[lo + 1], &c->days[lo], (c->n_days - lo) * sizeof(*c->days));
	c->n_days++;
	d = &c->days[lo];
	memset(d, 0, sizeof(*d));
	d->day = day;
found:
	d->runs++;
	if (failing)
		d->failing++;
	return 0;
}

static void
count_events(struct compliance *c, const proto_record *rec)
{
	size_t i, j;
	int other = 0;

	for (i = 0; i < rec->n_events; i++) {
		const char *kind = rec->events[i]->kind;
		int seen = 0;
		/* Once per run and kind: an earlier event of this run had it. */
		for (j = 0; j < i; j++)
			if (strcmp(rec->events[j]->kind, kind) == 0)
				seen = 1;
		if (seen)
			continue;
		for (j = 0; j < c->n_events; j++)
			if (strcmp(c->events[j].kind, kind) == 0)
				break;
		if (j == c->n_events) {
			if (c->n_events == COMPLIANCE_MAX_EVENT_KINDS || strlen(kind) >=
			    sizeof(c->events[0].kind)) {
				other = 1;
				continue;
			}
			snprintf(c->events[j].kind, sizeof(c->events[j].kind), "%s", kind);
			c->n_events++;
		}
		c->events[j].runs++;
	}
	if (other)
		c->events_other++;
}

int
compliance_add(struct compliance *c, uint64_t index, const struct rules_subject *s)
{
	struct rule_result res[64];
	const proto_record *rec = s->record;
	size_t i;
	int failing = 0, r;

	if (rec == NULL)
		return rs_fail(RS_ERR_INTERNAL, "compliance_add without a record");
	if (c->n_rules > sizeof(res) / sizeof(res[0]))
		return rs_fail(RS_ERR_INTERNAL, "more rules than rule kinds");
	if (c->n_rules > 0 && (r = rules_eval(c->rules, s, res)) != 0)
		return r;
	for (i = 0; i < c->n_rules; i++) {
		struct compliance_rule *cr = &c->rule[i];
		if (cr->passed + cr->failed == 0) {
			snprintf(cr->expected, sizeof(cr->expected), "%s", res[i].expected);
			snprintf(cr->first_actual, sizeof(cr->first_actual), "%s", res[i].actual);
			cr->first_index = index;
		}
		if (res[i].pass) {
			cr->passed++;
			continue;
		}
		failing = 1;
		cr->failed++;
		if (cr->n_kept < COMPLIANCE_KEEP) {
			cr->kept[cr->n_kept].index = index;
			snprintf(cr->kept[cr->n_kept].actual, sizeof(cr->kept[0].actual), "%s",
			    res[i].actual);
			cr->n_kept++;
		}
	}
	if (failing)
		c->entries_failing++;
	if (c->entries == 0 || rec->start_unix_ns < c->first_start_ns)
		c->first_start_ns = rec->start_unix_ns;
	if (c->entries == 0 || rec->start_unix_ns > c->last_start_ns)
		c->last_start_ns = rec->start_unix_ns;
	c->entries++;
	if (rec->exit != NULL && rec->exit->timed_out)
		c->timed_out++;
	else if (rec->exit != NULL && rec->exit->signal != 0)
		c->signalled++;
	else if (rules_exit_status(rec) == 0)
		c->exit_zero++;
	else
		c->exit_nonzero++;
	count_events(c, rec);
	return count_day(c, rec->start_unix_ns, failing);
}

size_t
compliance_rules_failed(const struct compliance *c)
{
	size_t i, n = 0;

	for (i = 0; i < c->n_rules; i++)
		if (c->rule[i].failed > 0)
			n++;
	return n;
}
