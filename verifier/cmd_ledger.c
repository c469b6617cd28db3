/*
 * cmd_ledger.c - runseal-verify ledger: argument parsing and output over
 * verify_ledger() (verifier/verify.h).
 *
 * Output contract:
 *   stdout  the verdict: human lines, or with --json exactly one JSON
 *           object (schema "runseal-verify/v1"); nothing with -q
 *   stderr  diagnostics, "runseal-verify: error: ..."
 *   status  common/exitcode.h: 0 verified, 1 not verified, 2 verified but
 *           a compliance rule failed, 64 usage, 65 malformed input (or
 *           rules), 66 input missing, 74 I/O, 78 no home
 *   the terminal  a progress line on stderr while a long audit runs
 *           (stderr a terminal, no --json, no -q; erased at the end)
 */
#include "verifier/cmd_ledger.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "attest/verify.h"
#include "common/encode.h"
#include "common/err.h"
#include "common/exitcode.h"
#include "common/file.h"
#include "common/home.h"
#include "common/log.h"
#include "verifier/compliance.h"
#include "verifier/report.h"
#include "verifier/rules.h"
#include "verifier/vcli.h"
#include "verifier/verify.h"

#define PROG VCLI_PROG
#define JSON_SCHEMA VCLI_JSON_SCHEMA

enum {
	OPT_HELP = VCLI_OPT_BASE,
	OPT_HOME,
	OPT_TRUST,
	OPT_JSON,
	OPT_QUIET,
	OPT_CHECKPOINT,
	OPT_ACCEPT_PCR_GAP,
	OPT_SINCE,
	OPT_POLICY,
	OPT_REPORT,
	OPT_THREADS,
};

static const char LEDGER_USAGE[] =
    "usage: " PROG " ledger [--home DIR | PATH] --trust FILE\n"
    "                      [--checkpoint FILE | --since FILE] [--policy RULES.json]\n"
    "                      [--report FILE.html] [--accept-pcr-gap N]... [--threads N]\n"
    "                      [--json] [-q]\n"
    "\n"
    "Verify a runseal ledger without trusting the file: entries 0, 1, 2, ... are\n"
    "all present and in order, each entry parses, its previous-hash link and its\n"
    "stored chain hash are recomputed from its bytes, and its signature verifies\n"
    "against a key in the trust file. The RFC 9162 Merkle tree is recomputed\n"
    "from the entries and compared with every stored node, and every stored\n"
    "checkpoint must commit to the recomputed root; the latest must cover every\n"
    "entry. Stops at the first failure and says which entry or checkpoint and why.\n"
    "Signatures are verified on every core; memory does not grow with the ledger.\n"
    "\n"
    "  PATH          the ledger file\n"
    "  --home DIR    verify DIR/" RS_HOME_LEDGER "; with neither PATH nor --home, the\n"
    "                runseal home: $RUNSEAL_HOME, else $XDG_DATA_HOME/runseal,\n"
    "                else ~/.local/share/runseal\n"
    "  --trust FILE  PEM public key(s) (\"PUBLIC KEY\" blocks) of the signers you\n"
    "                trust. Always required: the verifier never takes a key from\n"
    "                the machine that wrote the ledger, so pin your own copy of\n"
    "                the signer's " RS_HOME_SIGNER_PUB ", obtained over a channel you trust.\n"
    "                TPM attestation keys are \"RUNSEAL TPM AK\" blocks that\n"
    "                `" PROG " enroll` adds after credential activation; TPM\n"
    "                entries are also checked across entries: clock and\n"
    "                resetCount/restartCount per AK, and the application PCR\n"
    "                replayed over every record of each TPM epoch.\n"
    "                A line \"runseal-checkpoint-key: NAME+ID+KEY\" in it (written by\n"
    "                runseal identity export) pins the ledger's checkpoint key;\n"
    "                without one, checkpoint signatures are not checked (and the\n"
    "                output says so).\n"
    "  --checkpoint FILE\n"
    "                a checkpoint you saw earlier (runseal checkpoint > FILE): it\n"
    "                must be signed by the pinned checkpoint key and the ledger\n"
    "                must still hold the tree it commits to, as a prefix (same\n"
    "                root at its size, proved consistent with the latest\n"
    "                checkpoint): detects a rollback or a rewritten history\n"
    "  --since FILE  verify only the entries added since the audit that kept\n"
    "                checkpoint FILE: the ledger's stored tree of FILE's entries\n"
    "                must have FILE's signed root and be consistent with the\n"
    "                latest checkpoint (RFC 9162 proof); the old entries are not\n"
    "                re-read. TPM PCR replay restarts at each key's last quote of\n"
    "                the old tree (if it is its last entry) or its first new one\n"
    "  --policy RULES.json\n"
    "                compliance rules (runseal-rules(5)) checked on every run once\n"
    "                the evidence verifies; each rule is reported with the\n"
    "                recorded value beside the expected one (exit status 2 if a\n"
    "                rule fails)\n"
    "  --report FILE.html\n"
    "                also write a self-contained HTML audit report (summary,\n"
    "                checks, rules, runs per day, failures), printable\n"
    "  --threads N   verify signatures on N threads (default: every CPU)\n"
    "  --accept-pcr-gap N\n"
    "                TPM entries: accept that the application PCR was extended\n"
    "                without a ledger entry before entry N (runseal stopped or a\n"
    "                disk error between the extend and the commit, which runseal\n"
    "                reported): the PCR replay restarts from entry N's quote. The\n"
    "                verifier cannot tell this from a dropped record; only you can,\n"
    "                from the machine's logs, and the report says you did\n"
    "  --json        print one JSON object (schema " JSON_SCHEMA ") on stdout\n"
    "  -q, --quiet   print no verdict; the exit status is the verdict\n"
    "  -h, --help    print this help\n"
    "\n"
    "Software-key signatures prove the entries are as the key's holder signed\n"
    "them; they involve no hardware root of trust, and the output says so.\n"
    "Entries cut off the end together with their checkpoints and tree nodes\n"
    "leave a shorter ledger that still verifies on its own: keep a checkpoint\n"
    "and pass it with --checkpoint to detect that.\n"
    "\n"
    "Exit status: 0 verified (and every rule passed), 1 verification failed,\n"
    "2 verified but a compliance rule failed, 64 usage error, 65 malformed input\n"
    "(not a ledger, a trust file with no key, a bad rules file), 66 ledger, trust\n"
    "or rules file missing, 74 I/O error, 78 no runseal home.\n";

/*
 * The Merkle tree and checkpoint part of a ledger report: only meaningful
 * once everything verified (null otherwise).
 */
static json_t *
tree_json(const struct verify_report *rep)
{
	char *root = NULL;
	json_t *o;

	if (!rep->ok)
		return json_null();
	if (rs_base64_encode(rep->root, MERKLE_HASH_LEN, &root) != 0)
		return NULL;
	o = json_pack("{s:I, s:s, s:I, s:I, s:b, s:o, s:o}",
	    "size", (json_int_t)rep->entries, "root_hash", root,
	    "nodes", (json_int_t)rep->nodes, "checkpoints", (json_int_t)rep->checkpoints,
	    "checkpoint_signatures_checked", rep->checkpoint_signatures,
	    "latest_checkpoint_size", rep->has_latest ?
	    json_integer((json_int_t)rep->latest_size) : json_null(),
	    "your_checkpoint", rep->old_checked ?
	    json_pack("{s:I, s:I, s:b}", "size", (json_int_t)rep->old_size,
	    "consistency_proof_hashes", (json_int_t)rep->consistency_hashes,
	    "consistent", 1) : json_null());
	free(root);
	return o;
}

/* Which root of trust each entry has, as runs of entries; NULL on allocation failure. */
static json_t *
roots_json(const struct verify_report *rep)
{
	json_t *a, *run;
	size_t i;

	if ((a = json_array()) == NULL)
		return NULL;
	for (i = 0; i < rep->n_root_runs; i++) {
		run = json_pack("{s:I, s:I, s:s}", "first", (json_int_t)rep->root_runs[i].first,
		    "last", (json_int_t)rep->root_runs[i].last, "root_of_trust",
		    attest_root_text(rep->root_runs[i].root));
		if (run == NULL || json_array_append_new(a, run) != 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

/* The ledger report as the one JSON object (docs/verify-json.md). */
static int
print_ledger_json(const char *path, const struct verify_report *rep,
    const struct report *report, int since)
{
	char hex[2 * RS_SHA256_LEN + 1];
	json_t *o = NULL, *signers = NULL, *failure = NULL;
	char *text = NULL;
	int r = RS_ERR_ALLOC;

	rs_hex_encode(rep->head_chain_hash, RS_SHA256_LEN, hex);
	if ((o = json_object()) == NULL || (signers = json_object()) == NULL)
		goto out;
	if (json_object_set_new(signers, "software",
	    json_integer((json_int_t)rep->software_signed)) != 0 ||
	    json_object_set_new(signers, "tpm",
	    json_integer((json_int_t)rep->tpm_signed)) != 0 ||
	    json_object_set_new(signers, "tpm_ek_certified",
	    json_integer((json_int_t)rep->tpm_ek_certified)) != 0 ||
	    json_object_set_new(signers, "tpm_ek_without_certificate",
	    json_integer((json_int_t)rep->tpm_no_ek_cert)) != 0 ||
	    json_object_set_new(signers, "tpm_epochs",
	    json_integer((json_int_t)rep->tpm_epochs)) != 0 ||
	    json_object_set_new(signers, "tpm_pcr_gaps_accepted",
	    json_integer((json_int_t)rep->tpm_pcr_gaps)) != 0 ||
	    json_object_set_new(signers, "tpm_replays_seeded",
	    json_integer((json_int_t)rep->tpm_seeded)) != 0 ||
	    json_object_set_new(signers, "roots_of_trust", roots_json(rep)) != 0)
		goto out;
	if (!rep->ok) {
		if ((failure = json_object()) == NULL ||
		    json_object_set_new(failure, "check",
		    json_string(verify_check_name(rep->failed_check))) != 0 ||
		    json_object_set_new(failure, "index",
		    rep->has_failed_index ? json_integer((json_int_t)rep->failed_index) :
		    json_null()) != 0 ||
		    json_object_set_new(failure, "reason", vcli_json_text(rep->reason)) != 0)
			goto out;
	}
	if (json_object_set_new(o, "schema", json_string(JSON_SCHEMA)) != 0 ||
	    json_object_set_new(o, "command", json_string("ledger")) != 0 ||
	    json_object_set_new(o, "ledger", vcli_json_text(path)) != 0 ||
	    json_object_set_new(o, "verified", json_boolean(rep->ok)) != 0 ||
	    json_object_set_new(o, "entries", json_integer((json_int_t)rep->entries)) != 0 ||
	    json_object_set_new(o, "ledger_size", json_integer((json_int_t)rep->ledger_size)) != 0 ||
	    json_object_set_new(o, "since", since ? json_pack("{s:I, s:I}", "size",
	    (json_int_t)rep->first_checked, "entries_checked",
	    (json_int_t)(rep->entries - rep->first_checked)) : json_null()) != 0 ||
	    json_object_set_new(o, "tree", tree_json(rep)) != 0 ||
	    json_object_set_new(o, "threads", json_integer((json_int_t)rep->threads)) != 0)
		goto out;
	if (json_object_set_new(o, "signers", signers) != 0) {
		signers = NULL;     /* set_new consumed it even on failure */
		goto out;
	}
	signers = NULL;
	/* A head is only meaningful once everything up to it verified. */
	if (json_object_set_new(o, "head_chain_hash",
	    rep->ok ? json_string(hex) : json_null()) != 0)
		goto out;
	if (json_object_set_new(o, "failure", failure != NULL ? failure : json_null()) != 0) {
		failure = NULL;
		goto out;
	}
	failure = NULL;
	if ((r = report_json_add(report, o)) != 0)
		goto out;
	r = RS_ERR_ALLOC;
	if ((text = json_dumps(o, JSON_COMPACT)) == NULL)
		goto out;
	printf("%s\n", text);
	r = 0;
out:
	free(text);
	json_decref(failure);
	json_decref(signers);
	json_decref(o);
	return r;
}

/* The verdict paragraph: "verified: ..." and the roots of trust, or "FAILED: ...". */
static void
verdict_text(const struct verify_report *rep, FILE *f)
{
	char hex[2 * RS_SHA256_LEN + 1];
	size_t i;

	if (!rep->ok) {
		fprintf(f, "FAILED: %s", rep->reason);
		return;
	}
	if (rep->entries == 0) {
		fprintf(f, "verified: 0 entries (empty ledger)");
		return;
	}
	rs_hex_encode(rep->head_chain_hash, RS_SHA256_LEN, hex);
	fprintf(f, "verified: %" PRIu64 " %s, chain head %s, signatures: ", rep->entries,
	    rep->entries == 1 ? "entry" : "entries", hex);
	if (rep->first_checked > 0)
		fprintf(f, "(of the %" PRIu64 " new since your checkpoint) ",
		    rep->entries - rep->first_checked);
	if (rep->tpm_signed > 0) {
		fprintf(f, "%" PRIu64 " TPM-quoted (", rep->tpm_signed);
		if (rep->tpm_ek_certified > 0)
			fprintf(f, "%" PRIu64 ": %s%s", rep->tpm_ek_certified,
			    attest_root_text(ATTEST_ROOT_TPM_EK_CERT),
			    rep->tpm_no_ek_cert > 0 ? "; " : "");
		if (rep->tpm_no_ek_cert > 0)
			fprintf(f, "%" PRIu64 ": %s", rep->tpm_no_ek_cert,
			    attest_root_text(ATTEST_ROOT_TPM_NO_EK_CERT));
		fprintf(f, "; PCR replay consistent across %" PRIu64 " TPM epoch%s",
		    rep->tpm_epochs, rep->tpm_epochs == 1 ? "" : "s");
		if (rep->tpm_pcr_gaps > 0)
			fprintf(f, ", with %" PRIu64 " replay gap%s YOU accepted (--accept-pcr-gap)",
			    rep->tpm_pcr_gaps, rep->tpm_pcr_gaps == 1 ? "" : "s");
		fprintf(f, ")%s", rep->software_signed > 0 ? ", " : "");
	}
	if (rep->software_signed > 0)
		fprintf(f, "%" PRIu64 " software-key (no hardware root of trust)",
		    rep->software_signed);
	for (i = 0; i < rep->n_root_runs; i++) {
		if (rep->root_runs[i].first == rep->root_runs[i].last)
			fprintf(f, "\n  entry %" PRIu64 ": ", rep->root_runs[i].first);
		else
			fprintf(f, "\n  entries %" PRIu64 "-%" PRIu64 ": ", rep->root_runs[i].first,
			    rep->root_runs[i].last);
		fprintf(f, "%s", attest_root_text(rep->root_runs[i].root));
	}
	if (rep->root_runs_truncated)
		fprintf(f, "\n  (and more changes of root of trust than are listed)");
}

/*
 * The verdict of a check that applies to every entry: pass once every
 * entry passed it; on a failure elsewhere, not reached past the entries
 * that passed everything.
 */
static enum report_verdict
per_entry(const struct verify_report *rep, enum verify_check c, char *note, size_t len)
{
	note[0] = '\0';
	if (!rep->ok && rep->failed_check == c)
		return REPORT_FAIL;
	if (rep->ok || rep->entries == rep->ledger_size)
		return REPORT_PASS;
	if (rep->entries == rep->first_checked)
		snprintf(note, len, "not reached: the audit stopped at the first failure");
	else
		snprintf(note, len, "entries %" PRIu64 "-%" PRIu64 " passed; the audit stopped "
		    "at the first failure", rep->first_checked, rep->entries - 1);
	return REPORT_NOT_REACHED;
}

/* One line per check of the ledger walk (verify_ledger's checks, in order). */
static void
ledger_checks(const struct verify_report *rep, int since, struct report *rp)
{
	char hex[2 * RS_SHA256_LEN + 1], range[192], note[160], *root = NULL;
	enum report_verdict v;
	uint64_t n = rep->entries;

	rs_hex_encode(rep->head_chain_hash, RS_SHA256_LEN, hex);
	if (since)
		snprintf(range, sizeof(range), "the %" PRIu64 " entries added since your "
		    "checkpoint (%" PRIu64 "-%" PRIu64 "; entries before %" PRIu64 " not re-read)",
		    n - rep->first_checked, rep->first_checked, n > 0 ? n - 1 : 0,
		    rep->first_checked);
	else if (n == 1)
		snprintf(range, sizeof(range), "the one entry (0)");
	else
		snprintf(range, sizeof(range), "all %" PRIu64 " entries (0-%" PRIu64 ")", n,
		    n > 0 ? n - 1 : 0);
	if (rs_base64_encode(rep->root, MERKLE_HASH_LEN, &root) != 0)
		root = NULL;

	v = per_entry(rep, VERIFY_CHECK_ENTRIES, note, sizeof(note));
	if (v == REPORT_FAIL)
		report_add(rp, "entries", "entries", v, "%s", rep->reason);
	else if (v == REPORT_NOT_REACHED)
		report_add(rp, "entries", "entries", v, "%s", note);
	else if (n == rep->first_checked)
		report_add(rp, "entries", "entries", v, "%s", since ? "no entries added since "
		    "your checkpoint" : "the ledger is empty");
	else
		report_add(rp, "entries", "entries", v, "%s present and in order; each parses "
		    "and carries its own index", range);

	v = per_entry(rep, VERIFY_CHECK_CHAIN, note, sizeof(note));
	if (v == REPORT_FAIL)
		report_add(rp, "chain", "hash chain", v, "%s", rep->reason);
	else if (v == REPORT_NOT_REACHED)
		report_add(rp, "chain", "hash chain", v, "%s", note);
	else
		report_add(rp, "chain", "hash chain", v, "every previous-hash link and stored chain "
		    "hash recomputed from the entry bytes; head %s", hex);

	v = per_entry(rep, VERIFY_CHECK_SIGNATURES, note, sizeof(note));
	if (v == REPORT_FAIL)
		report_add(rp, "signatures", "signatures", v, "%s", rep->reason);
	else if (v == REPORT_NOT_REACHED)
		report_add(rp, "signatures", "signatures", v, "%s", note);
	else
		report_add(rp, "signatures", "signatures", v, "%" PRIu64 " verified against your "
		    "trust file (%u thread%s): %" PRIu64 " TPM-quoted, %" PRIu64 " software-key%s",
		    rep->signatures_checked, rep->threads, rep->threads == 1 ? "" : "s",
		    rep->tpm_signed, rep->software_signed, rep->software_signed > 0 ?
		    " (no hardware root of trust)" : "");

	v = per_entry(rep, VERIFY_CHECK_TPM, note, sizeof(note));
	if (v == REPORT_FAIL)
		report_add(rp, "tpm", "TPM PCR replay", v, "%s", rep->reason);
	else if (v == REPORT_NOT_REACHED)
		report_add(rp, "tpm", "TPM PCR replay", v, "%s", note);
	else if (rep->tpm_signed == 0)
		report_add(rp, "tpm", "TPM PCR replay", REPORT_SKIP, "no TPM-quoted entries");
	else
		report_add(rp, "tpm", "TPM PCR replay", v, "resetCount/restartCount, clock and the "
		    "application PCR replayed over %" PRIu64 " TPM-quoted entries in %" PRIu64
		    " epoch%s%s%s%s", rep->tpm_signed, rep->tpm_epochs,
		    rep->tpm_epochs == 1 ? "" : "s", rep->tpm_pcr_gaps > 0 ?
		    "; replay gaps YOU accepted (--accept-pcr-gap): " : "",
		    rep->tpm_pcr_gaps > 0 ? "yes" : "", rep->tpm_seeded > 0 ?
		    "; replay restarted at each key's first quote after your checkpoint" : "");

	v = per_entry(rep, VERIFY_CHECK_MERKLE, note, sizeof(note));
	if (v == REPORT_FAIL)
		report_add(rp, "merkle", "Merkle tree", v, "%s", rep->reason);
	else if (v == REPORT_NOT_REACHED)
		report_add(rp, "merkle", "Merkle tree", v, "%s", note);
	else
		report_add(rp, "merkle", "Merkle tree", v, "%" PRIu64 " stored nodes recomputed "
		    "from the entries (RFC 9162); root %s at size %" PRIu64, rep->nodes,
		    root != NULL ? root : "?", n);

	v = per_entry(rep, VERIFY_CHECK_CHECKPOINTS, note, sizeof(note));
	if (v == REPORT_FAIL)
		report_add(rp, "checkpoints", "checkpoints", v, "%s", rep->reason);
	else if (v == REPORT_NOT_REACHED)
		report_add(rp, "checkpoints", "checkpoints", v, "%s", note);
	else
		report_add(rp, "checkpoints", "checkpoints", v, "%" PRIu64 " stored checkpoint%s "
		    "commit to the recomputed tree, %s; the latest covers all %" PRIu64 " entries; "
		    "nothing is stored beyond them", rep->checkpoints,
		    rep->checkpoints == 1 ? "" : "s", rep->checkpoint_signatures ?
		    "signatures verified with the pinned checkpoint key" :
		    "signatures NOT checked (no " CHECKPOINT_TRUST_PREFIX "line in the trust file)",
		    n);

	if (!rep->ok && rep->failed_check == VERIFY_CHECK_OLD)
		report_add(rp, "your_checkpoint", "your checkpoint", REPORT_FAIL, "%s",
		    rep->reason);
	else if (!rep->old_checked && !rep->ok)
		report_add(rp, "your_checkpoint", "your checkpoint", REPORT_NOT_REACHED,
		    "not reached: the audit stopped at the first failure");
	else if (!rep->old_checked)
		report_add(rp, "your_checkpoint", "your checkpoint", REPORT_SKIP, "none given: "
		    "--checkpoint FILE (or --since FILE) detects a rollback or a rewritten history");
	else if (!rep->ok)
		report_add(rp, "your_checkpoint", "your checkpoint", REPORT_NOT_REACHED, "size %"
		    PRIu64 ": its root matched; the consistency proof was not reached",
		    rep->old_size);
	else if (since)
		report_add(rp, "your_checkpoint", "your checkpoint", REPORT_PASS, "size %" PRIu64
		    ": the ledger's stored tree of its first %" PRIu64 " entries has its signed "
		    "root, entry %" PRIu64 " is that tree's last leaf, and a %zu-hash consistency "
		    "proof to size %" PRIu64 " verified", rep->old_size, rep->old_size,
		    rep->old_size > 0 ? rep->old_size - 1 : 0, rep->consistency_hashes, n);
	else
		report_add(rp, "your_checkpoint", "your checkpoint", REPORT_PASS, "size %" PRIu64
		    ": still a prefix of this ledger (same root at its size); %zu-hash consistency "
		    "proof to size %" PRIu64 " verified", rep->old_size, rep->consistency_hashes, n);
	free(root);
}

/* Progress on the terminal: after a second, at most ten updates a second. */
struct progress {
	struct timespec start, last;
	int shown;
};

static double
since_s(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static void
progress_cb(void *arg, uint64_t done, uint64_t total)
{
	struct progress *p = arg;
	struct timespec now;
	double el;

	clock_gettime(CLOCK_MONOTONIC, &now);
	el = since_s(&p->start, &now);
	if (el < 1.0 || (p->shown && since_s(&p->last, &now) < 0.1 && done < total))
		return;
	p->last = now;
	p->shown = 1;
	fprintf(stderr, "\r" PROG ": verified %" PRIu64 " of %" PRIu64 " entries (%.0f%%, %.0f "
	    "entries/s)\033[K", done, total, total > 0 ? 100.0 * (double)done /
	    (double)total : 100.0, el > 0 ? (double)done / el : 0.0);
	fflush(stderr);
}

static int
parse_index(const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end = NULL;

	*out = 0;
	if (s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*out = v;
	return 0;
}

/* The exit status for a rules file that cannot be used: it is input. */
static int
rules_exit(int r)
{
	return r == RS_ERR_CONFIG ? RS_EXIT_DATAERR : rs_exit_for_err(r);
}

int
cmd_ledger(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, OPT_HOME },
		{ "trust", required_argument, NULL, OPT_TRUST },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "quiet", no_argument, NULL, OPT_QUIET },
		{ "checkpoint", required_argument, NULL, OPT_CHECKPOINT },
		{ "since", required_argument, NULL, OPT_SINCE },
		{ "accept-pcr-gap", required_argument, NULL, OPT_ACCEPT_PCR_GAP },
		{ "policy", required_argument, NULL, OPT_POLICY },
		{ "report", required_argument, NULL, OPT_REPORT },
		{ "threads", required_argument, NULL, OPT_THREADS },
		{ "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 },
	};
	const char *help_cmd = PROG " ledger";
	const char *home_flag = NULL, *trust_path = NULL, *path_arg = NULL;
	const char *old_path = NULL, *rules_path = NULL, *report_path = NULL;
	struct attest_trust *trust = NULL;
	struct checkpoint_trust *cp_trust = NULL;
	struct rules *rules = NULL;
	struct compliance *comp = NULL;
	struct verify_ledger_opts vopts;
	struct verify_report rep;
	struct report *rp = NULL;
	struct progress prog;
	struct timespec t0, t1;
	uint64_t gaps[64], v;
	size_t n_gaps = 0, vlen = 0;
	uint8_t *old = NULL;
	size_t old_len = 0;
	char *home = NULL, *path = NULL, *vtext = NULL;
	FILE *vf;
	int json = 0, quiet = 0, since = 0, c, r, status = RS_EXIT_SOFTWARE;
	unsigned threads = 0;

	opterr = 0;
	optind = 0;         /* full re-initialisation (GNU): argv is a new vector */
	memset(&vopts, 0, sizeof(vopts));
	memset(&prog, 0, sizeof(prog));
	while ((c = getopt_long(argc, argv, ":hq", opts, NULL)) != -1) {
		switch (c) {
		case OPT_HOME:
			if (home_flag != NULL) {
				status = vcli_usage_error(help_cmd, "--home given twice");
				goto out;
			}
			home_flag = optarg;
			break;
		case OPT_TRUST:
			if (trust_path != NULL) {
				status = vcli_usage_error(help_cmd, "--trust given twice");
				goto out;
			}
			trust_path = optarg;
			break;
		case OPT_JSON:
			json = 1;
			break;
		case 'q':
		case OPT_QUIET:
			quiet = 1;
			break;
		case OPT_ACCEPT_PCR_GAP:
			if (parse_index(optarg, &v) != 0) {
				status = vcli_usage_error(help_cmd, "--accept-pcr-gap takes an entry "
				    "index, not '%s'", optarg);
				goto out;
			}
			if (n_gaps == sizeof(gaps) / sizeof(gaps[0])) {
				status = vcli_usage_error(help_cmd, "more than %zu --accept-pcr-gap",
				    sizeof(gaps) / sizeof(gaps[0]));
				goto out;
			}
			gaps[n_gaps++] = v;
			break;
		case OPT_CHECKPOINT:
		case OPT_SINCE:
			if (old_path != NULL) {
				status = vcli_usage_error(help_cmd, "give one of --checkpoint FILE and "
				    "--since FILE, once");
				goto out;
			}
			old_path = optarg;
			since = c == OPT_SINCE;
			break;
		case OPT_POLICY:
			if (rules_path != NULL) {
				status = vcli_usage_error(help_cmd, "--policy given twice");
				goto out;
			}
			rules_path = optarg;
			break;
		case OPT_REPORT:
			if (report_path != NULL || optarg[0] == '\0') {
				status = vcli_usage_error(help_cmd, "give --report FILE.html once");
				goto out;
			}
			report_path = optarg;
			break;
		case OPT_THREADS:
			if (parse_index(optarg, &v) != 0 || v < 1 || v > 1024) {
				status = vcli_usage_error(help_cmd, "--threads takes a number from 1 "
				    "to 1024, not '%s'", optarg);
				goto out;
			}
			threads = (unsigned)v;
			break;
		case 'h':
		case OPT_HELP:
			fputs(LEDGER_USAGE, stdout);
			status = RS_EXIT_OK;
			goto out;
		default:
			status = vcli_option_error(c, optopt, argv[optind - 1], help_cmd);
			goto out;
		}
	}
	if (optind < argc)
		path_arg = argv[optind++];
	if (optind < argc) {
		status = vcli_usage_error(help_cmd, "unexpected argument '%s'", argv[optind]);
		goto out;
	}
	if (path_arg != NULL && home_flag != NULL) {
		status = vcli_usage_error(help_cmd, "give the ledger as PATH or --home DIR, not "
		    "both");
		goto out;
	}
	if (path_arg != NULL && path_arg[0] == '\0') {
		status = vcli_usage_error(help_cmd, "the ledger PATH is empty");
		goto out;
	}
	if (trust_path == NULL) {
		status = vcli_usage_error(help_cmd,
		    "--trust FILE is required: pin the signer public key you trust");
		goto out;
	}

	if (path_arg != NULL) {
		if ((path = strdup(path_arg)) == NULL) {
			r = RS_ERR_ALLOC;
			rs_error_code(r, "out of memory");
			status = rs_exit_for_err(r);
			goto out;
		}
	} else {
		if ((r = rs_home_resolve(home_flag, &home)) != 0) {
			rs_error_code(r, "cannot find the ledger");
			status = rs_exit_for_err(r);
			goto out;
		}
		if ((path = rs_home_path(home, RS_HOME_LEDGER)) == NULL) {
			r = RS_ERR_ALLOC;
			rs_error_code(r, "out of memory");
			status = rs_exit_for_err(r);
			goto out;
		}
	}

	rs_err_clear();
	if ((r = verify_trust_load(trust_path, &trust, &cp_trust)) != 0) {
		rs_error_code(r, "cannot load the trust file");
		status = rs_exit_for_err(r);
		goto out;
	}
	if (rules_path != NULL) {
		rs_err_clear();
		if ((r = rules_load(rules_path, &rules)) != 0) {
			rs_error_code(r, "cannot use the rules file");
			status = rules_exit(r);
			goto out;
		}
	}
	if ((r = compliance_new(rules, &comp)) != 0 || (rp = calloc(1, sizeof(*rp))) == NULL) {
		r = RS_ERR_ALLOC;
		rs_error_code(r, "out of memory");
		status = rs_exit_for_err(r);
		goto out;
	}
	vopts.cp_trust = cp_trust;
	vopts.compliance = comp;
	vopts.threads = threads;
	if (old_path != NULL) {
		if (checkpoint_trust_count(cp_trust) == 0) {
			status = vcli_usage_error(help_cmd, "--%s needs the ledger's checkpoint "
			    "key: a \"" CHECKPOINT_TRUST_PREFIX "...\" line in the trust file",
			    since ? "since" : "checkpoint");
			goto out;
		}
		rs_err_clear();
		if ((r = rs_read_file(old_path, CHECKPOINT_MAX_NOTE, &old, &old_len)) != 0) {
			rs_error_code(r, "cannot read your checkpoint");
			status = rs_exit_for_err(r);
			goto out;
		}
		vopts.old_checkpoint = old;
		vopts.old_len = old_len;
		vopts.old_name = old_path;
		vopts.since = since;
	}
	if (!json && !quiet && isatty(STDERR_FILENO)) {
		clock_gettime(CLOCK_MONOTONIC, &prog.start);
		vopts.progress = progress_cb;
		vopts.progress_arg = &prog;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rs_err_clear();
	r = verify_ledger_gaps(path, trust, &vopts, gaps, n_gaps, &rep);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (prog.shown) {
		fprintf(stderr, "\r\033[K");      /* the progress line goes; the verdict stays */
		fflush(stderr);
	}
	if (r != 0) {
		rs_error_code(r, "cannot verify the ledger");
		/* An old checkpoint that is itself bad is a verdict, not an input error. */
		status = r == RS_ERR_VERIFY ? RS_EXIT_VERIFY_FAILED : rs_exit_for_err(r);
		goto out;
	}

	rp->command = "ledger";
	rp->subject = path;
	rp->evidence_ok = rep.ok;
	rp->exit_status = rep.ok ? RS_EXIT_OK : RS_EXIT_VERIFY_FAILED;
	rp->compliance = comp;
	rp->rules_path = rules_path;
	rp->rules_name = rules != NULL ? rules_file_name(rules) : NULL;
	rp->elapsed_s = since_s(&t0, &t1);
	ledger_checks(&rep, since, rp);
	report_add_rules(rp);
	if ((vf = open_memstream(&vtext, &vlen)) == NULL) {
		r = RS_ERR_ALLOC;
		rs_error_code(r, "building the report");
		status = rs_exit_for_err(r);
		goto out;
	}
	verdict_text(&rep, vf);
	fclose(vf);
	snprintf(rp->verdict, sizeof(rp->verdict), "%s", vtext != NULL ? vtext : "");
	status = vcli_emit(rp, json, json ? print_ledger_json(path, &rep, rp, since) : 0, quiet,
	    report_path);
out:
	status = vcli_finish(status);
	attest_trust_free(trust);
	checkpoint_trust_free(cp_trust);
	compliance_free(comp);
	rules_free(rules);
	free(rp);
	free(vtext);
	free(old);
	free(path);
	free(home);
	return status;
}
