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

/* The distinct event kinds of one run, in order. */
static void
sample_events(const proto_record *rec, struct compliance_sample *smp)
{
	size_t i, j;
	int seen;

	for (i = 0; i < rec->n_events; i++) {
		const char *kind = rec->events[i]->kind;
		for (seen = 0, j = 0; j < smp->n_event_kinds && !seen; j++)
			seen = strcmp(smp->event_kinds[j], kind) == 0;
		if (seen)
			continue;
		if (smp->n_event_kinds == COMPLIANCE_RUN_EVENT_KINDS ||
		    strlen(kind) >= sizeof(smp->event_kinds[0])) {
			smp->events_other = 1;
			continue;
		}
		snprintf(smp->event_kinds[smp->n_event_kinds++], sizeof(smp->event_kinds[0]), "%s",
		    kind);
	}
}

int
compliance_sample(const struct compliance *c, const struct rules_subject *s,
    struct compliance_sample *out)
{
	const proto_record *rec = s->record;
	int r;

	memset(out, 0, sizeof(*out));
	if (rec == NULL)
		return rs_fail(RS_ERR_INTERNAL, "compliance_sample without a record");
	if (c->n_rules > COMPLIANCE_MAX_RULES)
		return rs_fail(RS_ERR_INTERNAL, "more rules than rule kinds");
	if (c->n_rules > 0 && (r = rules_eval(c->rules, s, out->results)) != 0)
		return r;
	out->start_ns = rec->start_unix_ns;
	if (rec->exit != NULL && rec->exit->timed_out)
		out->exit_class = 2;
	else if (rec->exit != NULL && rec->exit->signal != 0)
		out->exit_class = 3;
	else
		out->exit_class = rules_exit_status(rec) == 0 ? 0 : 1;
	sample_events(rec, out);
	return 0;
}

int
compliance_add_sample(struct compliance *c, uint64_t index,
    const struct compliance_sample *smp)
{
	size_t i, j;
	int failing = 0, other = smp->events_other;

	for (i = 0; i < c->n_rules; i++) {
		struct compliance_rule *cr = &c->rule[i];
		const struct rule_result *res = &smp->results[i];
		if (cr->passed + cr->failed == 0) {
			snprintf(cr->expected, sizeof(cr->expected), "%s", res->expected);
			snprintf(cr->first_actual, sizeof(cr->first_actual), "%s", res->actual);
			cr->first_index = index;
		}
		if (res->pass) {
			cr->passed++;
			continue;
		}
		failing = 1;
		cr->failed++;
		if (cr->n_kept < COMPLIANCE_KEEP) {
			cr->kept[cr->n_kept].index = index;
			snprintf(cr->kept[cr->n_kept].actual, sizeof(cr->kept[0].actual), "%s",
			    res->actual);
			cr->n_kept++;
		}
	}
	if (failing)
		c->entries_failing++;
	if (c->entries == 0 || smp->start_ns < c->first_start_ns)
		c->first_start_ns = smp->start_ns;
	if (c->entries == 0 || smp->start_ns > c->last_start_ns)
		c->last_start_ns = smp->start_ns;
	c->entries++;
	switch (smp->exit_class) {
	case 0: c->exit_zero++; break;
	case 1: c->exit_nonzero++; break;
	case 2: c->timed_out++; break;
	default: c->signalled++; break;
	}
	for (i = 0; i < smp->n_event_kinds; i++) {
		for (j = 0; j < c->n_events; j++)
			if (strcmp(c->events[j].kind, smp->event_kinds[i]) == 0)
				break;
		if (j == c->n_events) {
			if (c->n_events == COMPLIANCE_MAX_EVENT_KINDS) {
				other = 1;
				continue;
			}
			memcpy(c->events[j].kind, smp->event_kinds[i], sizeof(c->events[j].kind));
			c->n_events++;
		}
		c->events[j].runs++;
	}
	if (other)
		c->events_other++;     /* runs with kinds not listed */
	return count_day(c, smp->start_ns, failing);
}

int
compliance_add(struct compliance *c, uint64_t index, const struct rules_subject *s)
{
	struct compliance_sample *smp;
	int r;

	if ((smp = malloc(sizeof(*smp))) == NULL)
		return RS_ERR_ALLOC;
	if ((r = compliance_sample(c, s, smp)) == 0)
		r = compliance_add_sample(c, index, smp);
	free(smp);
	return r;
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
