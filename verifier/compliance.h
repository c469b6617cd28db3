/*
 * compliance.h - what an audit gathers from the verified records, in
 * memory that does not grow with the number of entries: the compliance
 * rules (verifier/rules.h) evaluated on each verified entry, counted per
 * rule with the first failures kept, and the run statistics the reports
 * show (runs per day, exit statuses, events).
 *
 * Bounds: per rule, the first COMPLIANCE_KEEP failing entries are kept
 * (all are counted); per-day counts for at most COMPLIANCE_MAX_DAYS
 * distinct UTC days (later days are counted in days_dropped); event kinds
 * for at most COMPLIANCE_MAX_EVENT_KINDS kinds.
 */
#ifndef RS_VERIFIER_COMPLIANCE_H
#define RS_VERIFIER_COMPLIANCE_H

#include <stddef.h>
#include <stdint.h>

#include "verifier/rules.h"

#define COMPLIANCE_KEEP 100
#define COMPLIANCE_MAX_DAYS 3700
#define COMPLIANCE_MAX_EVENT_KINDS 32

/* One failing entry of a rule. */
struct compliance_failure {
	uint64_t index;
	char actual[160];
};

/* One rule's results over every entry evaluated. */
struct compliance_rule {
	const char *name;               /* borrowed from the rules */
	char expected[160];             /* as the first evaluation put it */
	uint64_t passed, failed;
	uint64_t first_index;           /* the first entry evaluated */
	char first_actual[160];         /* the value recorded there */
	struct compliance_failure kept[COMPLIANCE_KEEP];   /* the first failures, by entry */
	size_t n_kept;
};

/* Runs started on one UTC day. */
struct compliance_day {
	int64_t day;                    /* days since 1970-01-01 */
	uint64_t runs;
	uint64_t failing;               /* of them: runs that failed a rule */
};

struct compliance_event_kind {
	char kind[32];
	uint64_t runs;                  /* runs that recorded at least one */
};

struct compliance {
	const struct rules *rules;      /* borrowed; NULL: statistics only */
	struct compliance_rule *rule;   /* rules_count(rules) of them */
	size_t n_rules;
	uint64_t entries;               /* entries evaluated */
	uint64_t entries_failing;       /* entries that failed at least one rule */
	/* Run statistics. */
	int64_t first_start_ns, last_start_ns;  /* earliest and latest start; valid if entries */
	uint64_t exit_zero, exit_nonzero, timed_out, signalled;
	struct compliance_day *days;    /* sorted by day */
	size_t n_days;
	uint64_t days_dropped;          /* runs on days past COMPLIANCE_MAX_DAYS */
	struct compliance_event_kind events[COMPLIANCE_MAX_EVENT_KINDS];
	size_t n_events;
	uint64_t events_other;          /* runs whose event kinds did not fit */
};

/* Rule kinds: no rules file holds more rules than this. */
#define COMPLIANCE_MAX_RULES 32
/* Distinct event kinds taken from one run. */
#define COMPLIANCE_RUN_EVENT_KINDS 16

/*
 * What one run contributes, computed from its record alone: the rules'
 * verdicts and the statistics. compliance_sample() is safe to call from
 * several threads at once on the same compliance (it reads only the
 * rules), so the records can be evaluated and freed where they were
 * parsed; compliance_add_sample() then counts samples in ledger order.
 */
struct compliance_sample {
	int64_t start_ns;
	int exit_class;                 /* 0 exited 0, 1 non-zero, 2 timed out, 3 signalled */
	char event_kinds[COMPLIANCE_RUN_EVENT_KINDS][32];   /* distinct kinds, in order */
	size_t n_event_kinds;
	int events_other;               /* kinds that did not fit */
	struct rule_result results[COMPLIANCE_MAX_RULES];   /* rules_count() of them */
};

/* rules may be NULL (statistics only). Caller frees with compliance_free(). */
int compliance_new(const struct rules *rules, struct compliance **out);
void compliance_free(struct compliance *c);

/* Evaluate one verified run into *out (thread-safe, see above). */
int compliance_sample(const struct compliance *c, const struct rules_subject *s,
    struct compliance_sample *out);

/* Count the sample of entry index (entries in ledger order). RS_ERR_ALLOC. */
int compliance_add_sample(struct compliance *c, uint64_t index,
    const struct compliance_sample *smp);

/* compliance_sample() then compliance_add_sample(). */
int compliance_add(struct compliance *c, uint64_t index, const struct rules_subject *s);

/* Number of rules with at least one failure. */
size_t compliance_rules_failed(const struct compliance *c);

/* The root of trust the rules see for an attest_root value (attest/verify.h). */
enum rules_trust compliance_trust_of_root(int attest_root);

/* "YYYY-MM-DD" of a day number into out (at least 11 bytes). */
void compliance_day_text(int64_t day, char *out, size_t len);

#endif
