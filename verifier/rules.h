/*
 * rules.h - compliance rules: a JSON rules file whose rules each evaluate
 * to pass or fail against one verified record, with the recorded value
 * beside the expected one. Pure code: no I/O besides loading the file.
 *
 * File format (docs/rules.md, runseal-rules(5)):
 *
 *   { "name": "...",                      optional, for reports
 *     "rules": { RULE: VALUE, ... } }     at least one rule
 *
 * | rule               | value                         | passes when                                   |
 * |--------------------|-------------------------------|-----------------------------------------------|
 * | root_of_trust      | "software"/"tpm"/"tpm-enrolled" | the entry's root of trust is at least that  |
 * | network            | "none"/"loopback" or a list   | the enforced network mode is one of them      |
 * | max_<limit>        | integer ≥ 0                   | <limit> was enforced and its value ≤ VALUE    |
 * |                    |                               | (<limit>: wall_time_ms, cpu_time_s,           |
 * |                    |                               | memory_bytes, processes, open_files,          |
 * |                    |                               | file_size_bytes, output_bytes, stdout_bytes,  |
 * |                    |                               | stderr_bytes, tmp_bytes)                      |
 * | limits_enforced    | true                          | every limit enforced by a named mechanism,    |
 * |                    |                               | none best-effort                              |
 * | executor_sha256    | list of 64-hex digests        | the executor digest is in the list            |
 * | rootfs_sha256      | list of 64-hex digests        | the rootfs was measured and is in the list    |
 * | pcr_values         | {"N": 64-hex, ...}            | TPM-quoted with those sha256 PCR values       |
 * | commands           | list of argv lists            | argv equals one of them exactly               |
 * | argv0              | list of strings               | argv[0] is one of them                        |
 * | exit_status        | integer or list of integers   | the run's exit status (124 timeout, 128+N     |
 * |                    |                               | signal) is one of them                        |
 * | forbidden_events   | list of event kinds (a known  | no event of those kinds was recorded          |
 * |                    | kind: rules.c event_kinds)    |                                               |
 * | required_inputs    | list of 64-hex digests        | an input with each digest is present          |
 * | time_window        | {"not_before": T, "not_after": T} (RFC 3339 UTC, either optional) | start ≥ not_before and end ≤ not_after |
 * | ledger_origin      | string                        | the ledger's origin equals it                 |
 *
 * Unknown rule names and malformed values are RS_ERR_CONFIG naming the rule.
 */
#ifndef RS_VERIFIER_RULES_H
#define RS_VERIFIER_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "proto/codec.h"

/* Roots of trust, ordered: a higher level satisfies a lower requirement. */
enum rules_trust {
	RULES_TRUST_SOFTWARE = 1,
	RULES_TRUST_TPM = 2,            /* TPM quote, AK pinned, no EK chain */
	RULES_TRUST_TPM_ENROLLED = 3,   /* AK enrolled through EK certificate + activation */
};

const char *rules_trust_name(enum rules_trust t);

struct rules;

/* Parse a rules file (at most 1 MiB). Caller frees with rules_free(). */
int rules_load(const char *path, struct rules **out);
/* Same from memory; len bytes, need not be NUL-terminated. */
int rules_parse(const char *json, size_t len, struct rules **out);
void rules_free(struct rules *r);

/* Number of rules and the name of rule i (borrowed), in file order. */
size_t rules_count(const struct rules *r);
const char *rules_name_at(const struct rules *r, size_t i);
/* The rules file's "name", or "" (borrowed). */
const char *rules_file_name(const struct rules *r);

/* What one verified entry offers the rules. All pointers borrowed. */
struct rules_subject {
	const proto_record *record;
	const proto_envelope *envelope;
	enum rules_trust trust;
	const char *origin;             /* ledger origin; NULL if unknown */
};

struct rule_result {
	const char *rule;               /* borrowed from the rules */
	int pass;
	char expected[160];
	char actual[160];
};

/*
 * Evaluate every rule against one subject. results must hold
 * rules_count(r) elements; they are filled in file order.
 */
int rules_eval(const struct rules *r, const struct rules_subject *s,
    struct rule_result *results);

/* The run's exit status as runseal run reported it (124, 128+N, or the code). */
int rules_exit_status(const proto_record *rec);

#endif
