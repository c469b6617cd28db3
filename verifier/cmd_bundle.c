/*
 * cmd_bundle.c - runseal-verify bundle FILE --trust FILE [--policy RULES]
 * [--report FILE.html] [--json] [-q]: argument parsing and output over
 * verify_bundle() (verifier/verify.h) and the compliance rules.
 *
 * Output contract as for the ledger command: stdout holds the verdict (one
 * line per check and the verdict, or one JSON object of schema
 * runseal-verify/v1 with command "bundle"), stderr diagnostics; exit 0
 * verified, 1 not verified, 2 verified but a rule failed, 64 usage
 * (including a trust file without a checkpoint key), 65 a file too large,
 * not a trust file or a bad rules file, 66 a file missing, 74 I/O.
 */
#include "verifier/cmd_bundle.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "attest/signer.h"
#include "common/encode.h"
#include "common/err.h"
#include "common/exitcode.h"
#include "common/file.h"
#include "common/log.h"
#include "ledger/checkpoint.h"
#include "proto/codec.h"
#include "verifier/compliance.h"
#include "verifier/report.h"
#include "verifier/rules.h"
#include "verifier/vcli.h"
#include "verifier/verify.h"

#define HELP_CMD "runseal-verify bundle"

static const char BUNDLE_USAGE[] =
    "usage: runseal-verify bundle FILE --trust FILE [--policy RULES.json]\n"
    "                             [--report FILE.html] [--json] [-q]\n"
    "\n"
    "Verify one bundle written by `runseal export`, offline, with nothing but\n"
    "the bundle and your trust file:\n"
    "  - the bundled checkpoint is a C2SP signed note signed by the ledger's\n"
    "    checkpoint key pinned in your trust file (runseal-checkpoint-key line);\n"
    "  - the entry is included at its index in that checkpoint's tree\n"
    "    (RFC 9162 inclusion proof from SHA-256(0x00 || entry));\n"
    "  - the entry's chain hash follows from its bytes;\n"
    "  - the record's signature verifies against a signer key in your trust file.\n"
    "\n"
    "  --trust FILE  your trust file (runseal identity export, obtained over a\n"
    "                channel you trust); it must pin the checkpoint key\n"
    "  --policy RULES.json\n"
    "                compliance rules (runseal-rules(5)) checked on the run once the\n"
    "                bundle verifies, each with the recorded and the expected value\n"
    "  --report FILE.html\n"
    "                also write a self-contained HTML audit report\n"
    "  --json        print one JSON object (schema runseal-verify/v1)\n"
    "  -q, --quiet   print no verdict; the exit status is the verdict\n"
    "\n"
    "Exit status: 0 verified (and every rule passed), 1 verification failed,\n"
    "2 verified but a compliance rule failed, 64 usage error, 65 malformed input\n"
    "(or rules file), 66 file missing, 74 I/O error.\n";

enum { OPT_TRUST = 256, OPT_JSON, OPT_QUIET, OPT_HELP, OPT_POLICY, OPT_REPORT };

/* The bundle's checks, in the order verify_bundle() runs them. */
static const char *const BUNDLE_CHECKS[] = {
	"bundle", "checkpoint", "inclusion", "chain", "signature", "identity",
};

static const char *
signer_text(int kind)
{
	return kind == ATTEST_SIGNER_TPM ? "tpm" : kind == ATTEST_SIGNER_SOFTWARE ?
	    "software" : "unknown";
}

static int
print_json(const char *path, const struct verify_bundle_report *rep, const struct report *rp)
{
	char digest[2 * RS_SHA256_LEN + 1], *root = NULL, *text = NULL;
	json_t *o = NULL;
	int r = RS_ERR_ALLOC;

	if (rep->ok) {
		rs_hex_encode(rep->record_digest, RS_SHA256_LEN, digest);
		if (rs_base64_encode(rep->root, MERKLE_HASH_LEN, &root) != 0)
			goto out;
		o = json_pack("{s:s, s:s, s:o, s:b, s:I, s:I, s:o, s:s, s:s, s:s, s:s, s:I, s:n}",
		    "schema", "runseal-verify/v1", "command", "bundle", "bundle", vcli_json_text(path),
		    "verified", 1, "index", (json_int_t)rep->index,
		    "tree_size", (json_int_t)rep->tree_size, "origin", vcli_json_text(rep->origin),
		    "root_hash", root, "record_digest", digest,
		    "signer", signer_text(rep->signer_kind),
		    "root_of_trust", rep->root_of_trust != NULL ? rep->root_of_trust : "",
		    "proof_hashes", (json_int_t)rep->proof_hashes, "failure");
	} else {
		o = json_pack("{s:s, s:s, s:o, s:b, s:{s:s, s:o}}", "schema", "runseal-verify/v1",
		    "command", "bundle", "bundle", vcli_json_text(path), "verified", 0,
		    "failure", "check", rep->failed_check != NULL ? rep->failed_check : "bundle",
		    "reason", vcli_json_text(rep->reason));
	}
	if (o == NULL || report_json_add(rp, o) != 0 ||
	    (text = json_dumps(o, JSON_COMPACT)) == NULL)
		goto out;
	printf("%s\n", text);
	r = 0;
out:
	free(text);
	free(root);
	json_decref(o);
	return r;
}

/* The verdict line: "verified: entry N of ORIGIN ..." or "FAILED: reason". */
static void
verdict_text(const struct verify_bundle_report *rep, char *out, size_t len)
{
	char digest[2 * RS_SHA256_LEN + 1];

	if (!rep->ok) {
		snprintf(out, len, "FAILED: %s", rep->reason);
		return;
	}
	rs_hex_encode(rep->record_digest, RS_SHA256_LEN, digest);
	snprintf(out, len, "verified: entry %" PRIu64 " of %s, included in its signed checkpoint "
	    "of size %" PRIu64 " (%zu-hash proof), record sha256:%s, signer: %s", rep->index,
	    rep->origin, rep->tree_size, rep->proof_hashes, digest,
	    rep->root_of_trust != NULL ? rep->root_of_trust : signer_text(rep->signer_kind));
}

/* One line per check: those before the failing one passed, those after were not reached. */
static void
bundle_checks(const struct verify_bundle_report *rep, struct report *rp)
{
	static const char *const what[] = {
		"parses within bounds: version 1, an entry, an inclusion proof and a checkpoint, "
		    "no unknown or trailing bytes",
		"a C2SP signed note, signed by the checkpoint key pinned in your trust file",
		"the entry is at its index in the checkpoint's tree (RFC 9162 inclusion proof)",
		"the bundled chain hash follows from the entry bytes",
		"the record's signature or quote verifies against your trust file",
		"identity material, if any, is exactly the key that signed",
	};
	size_t i, failed = sizeof(BUNDLE_CHECKS) / sizeof(BUNDLE_CHECKS[0]);

	if (!rep->ok) {
		for (failed = 0; failed + 1 < sizeof(BUNDLE_CHECKS) / sizeof(BUNDLE_CHECKS[0]);
		    failed++)
			if (rep->failed_check != NULL &&
			    strcmp(rep->failed_check, BUNDLE_CHECKS[failed]) == 0)
				break;
	}
	for (i = 0; i < sizeof(BUNDLE_CHECKS) / sizeof(BUNDLE_CHECKS[0]); i++) {
		if (i < failed && i == 1)
			report_add(rp, BUNDLE_CHECKS[i], BUNDLE_CHECKS[i], REPORT_PASS, "%s (%s, size %"
			    PRIu64 ")", what[i], rep->ok ? rep->origin : "?", rep->tree_size);
		else if (i < failed && i == 2 && rep->ok)
			report_add(rp, BUNDLE_CHECKS[i], BUNDLE_CHECKS[i], REPORT_PASS, "entry %" PRIu64
			    " proved in the tree of size %" PRIu64 " by a %zu-hash RFC 9162 inclusion "
			    "proof", rep->index, rep->tree_size, rep->proof_hashes);
		else if (i < failed && i == 4 && rep->ok)
			report_add(rp, BUNDLE_CHECKS[i], BUNDLE_CHECKS[i], REPORT_PASS, "%s: %s", what[i],
			    rep->root_of_trust != NULL ? rep->root_of_trust :
			    signer_text(rep->signer_kind));
		else if (i < failed)
			report_add(rp, BUNDLE_CHECKS[i], BUNDLE_CHECKS[i], REPORT_PASS, "%s", what[i]);
		else if (i == failed)
			report_add(rp, BUNDLE_CHECKS[i], BUNDLE_CHECKS[i], REPORT_FAIL, "%s",
			    rep->reason);
		else
			report_add(rp, BUNDLE_CHECKS[i], BUNDLE_CHECKS[i], REPORT_NOT_REACHED,
			    "not reached: the audit stopped at the first failure");
	}
}

/*
 * The bundle's run for the rules: its record and envelope, parsed again
 * from the verified bytes, fed to the compliance rules.
 */
static int
bundle_rules(const uint8_t *buf, size_t len, const struct attest_trust *trust,
    const struct verify_bundle_report *rep, struct compliance *comp)
{
	proto_bundle *b = NULL;
	proto_entry *e = NULL;
	proto_envelope *env = NULL;
	proto_record *rec = NULL;
	struct attest_verdict v;
	struct rules_subject s;
	int r;

	if ((r = proto_bundle_unpack(buf, len, &b)) != 0 ||
	    (r = proto_entry_unpack(b->entry.data, b->entry.len, &e)) != 0 ||
	    (r = attest_envelope_verify(e->envelope.data, e->envelope.len, trust, &v,
	    &rec)) != 0 ||
	    (r = proto_envelope_unpack(e->envelope.data, e->envelope.len, &env)) != 0)
		goto out;
	memset(&s, 0, sizeof(s));
	s.record = rec;
	s.envelope = env;
	s.trust = compliance_trust_of_root(v.root);
	s.origin = rep->origin;
	r = compliance_add(comp, rep->index, &s);
out:
	proto_record_free(rec);
	proto_envelope_free(env);
	proto_entry_free(e);
	proto_bundle_free(b);
	return r;
}

int
cmd_bundle(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "trust", required_argument, NULL, OPT_TRUST },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "quiet", no_argument, NULL, OPT_QUIET },
		{ "policy", required_argument, NULL, OPT_POLICY },
		{ "report", required_argument, NULL, OPT_REPORT },
		{ "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 },
	};
	const char *trust_path = NULL, *path = NULL, *rules_path = NULL, *report_path = NULL;
	struct attest_trust *trust = NULL;
	struct checkpoint_trust *cp_trust = NULL;
	struct verify_bundle_report rep;
	struct rules *rules = NULL;
	struct compliance *comp = NULL;
	struct report *rp = NULL;
	uint8_t *buf = NULL;
	size_t len = 0;
	int json = 0, quiet = 0, c, r, status = RS_EXIT_SOFTWARE;

	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, ":hq", opts, NULL)) != -1) {
		switch (c) {
		case OPT_TRUST:
			if (trust_path != NULL) {
				status = vcli_usage_error(HELP_CMD, "--trust given twice");
				goto out;
			}
			trust_path = optarg;
			break;
		case OPT_POLICY:
			if (rules_path != NULL) {
				status = vcli_usage_error(HELP_CMD, "--policy given twice");
				goto out;
			}
			rules_path = optarg;
			break;
		case OPT_REPORT:
			if (report_path != NULL || optarg[0] == '\0') {
				status = vcli_usage_error(HELP_CMD, "give --report FILE.html once");
				goto out;
			}
			report_path = optarg;
			break;
		case OPT_JSON:
			json = 1;
			break;
		case 'q':
		case OPT_QUIET:
			quiet = 1;
			break;
		case 'h':
		case OPT_HELP:
			fputs(BUNDLE_USAGE, stdout);
			status = RS_EXIT_OK;
			goto out;
		default:
			status = vcli_option_error(c, optopt, argv[optind - 1], HELP_CMD);
			goto out;
		}
	}
	if (optind < argc)
		path = argv[optind++];
	if (path == NULL || path[0] == '\0' || optind < argc) {
		status = vcli_usage_error(HELP_CMD, "expected exactly one bundle FILE");
		goto out;
	}
	if (trust_path == NULL) {
		status = vcli_usage_error(HELP_CMD, "--trust FILE is required: pin the keys you "
		    "trust");
		goto out;
	}
	rs_err_clear();
	if ((r = verify_trust_load(trust_path, &trust, &cp_trust)) != 0) {
		rs_error_code(r, "cannot load the trust file");
		status = rs_exit_for_err(r);
		goto out;
	}
	if (checkpoint_trust_count(cp_trust) == 0) {
		status = vcli_usage_error(HELP_CMD, "the trust file pins no checkpoint key: add the "
		    "\"" CHECKPOINT_TRUST_PREFIX "...\" line from runseal identity export");
		goto out;
	}
	if (rules_path != NULL) {
		rs_err_clear();
		if ((r = rules_load(rules_path, &rules)) != 0) {
			rs_error_code(r, "cannot use the rules file");
			status = r == RS_ERR_CONFIG ? RS_EXIT_DATAERR : rs_exit_for_err(r);
			goto out;
		}
	}
	rs_err_clear();
	if ((r = rs_read_file(path, PROTO_MAX_BUNDLE, &buf, &len)) != 0) {
		rs_error_code(r, "cannot read the bundle");
		status = rs_exit_for_err(r);
		goto out;
	}
	rs_err_clear();
	if ((r = verify_bundle(buf, len, trust, cp_trust, &rep)) != 0) {
		rs_error_code(r, "cannot verify the bundle");
		status = rs_exit_for_err(r);
		goto out;
	}
	if ((r = compliance_new(rules, &comp)) != 0 || (rp = calloc(1, sizeof(*rp))) == NULL) {
		rs_error_code(RS_ERR_ALLOC, "out of memory");
		status = RS_EXIT_SOFTWARE;
		goto out;
	}
	if (rep.ok && (r = bundle_rules(buf, len, trust, &rep, comp)) != 0) {
		rs_error_code(r, "evaluating the rules");
		status = rs_exit_for_err(r);
		goto out;
	}
	rp->command = "bundle";
	rp->subject = path;
	rp->evidence_ok = rep.ok;
	rp->exit_status = rep.ok ? RS_EXIT_OK : RS_EXIT_VERIFY_FAILED;
	rp->compliance = comp;
	rp->rules_path = rules_path;
	rp->rules_name = rules != NULL ? rules_file_name(rules) : NULL;
	bundle_checks(&rep, rp);
	report_add_rules(rp);
	verdict_text(&rep, rp->verdict, sizeof(rp->verdict));
	status = vcli_emit(rp, json, json ? print_json(path, &rep, rp) : 0, quiet, report_path);
out:
	status = vcli_finish(status);
	free(rp);
	compliance_free(comp);
	rules_free(rules);
	free(buf);
	attest_trust_free(trust);
	checkpoint_trust_free(cp_trust);
	return status;
}

static const char PROOF_USAGE[] =
    "usage: runseal-verify proof FILE --trust FILE [--json] [-q]\n"
    "\n"
    "Verify a proof printed by `runseal prove --json` against the signed\n"
    "checkpoint(s) it carries, with the checkpoint key pinned in your trust file:\n"
    "  inclusion    the leaf hash is at its index in the checkpoint's tree\n"
    "  consistency  the old checkpoint's tree is a prefix of the new one's\n"
    "Both follow RFC 9162 (2.1.3.2 and 2.1.4.2).\n"
    "\n"
    "Exit status: 0 verified, 1 verification failed, 64 usage error, 65 malformed\n"
    "input, 66 file missing, 74 I/O error.\n";

#define PROOF_HELP_CMD "runseal-verify proof"

int
cmd_proof(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "trust", required_argument, NULL, OPT_TRUST },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "quiet", no_argument, NULL, OPT_QUIET },
		{ "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 },
	};
	const char *trust_path = NULL, *path = NULL;
	struct attest_trust *trust = NULL;
	struct checkpoint_trust *cp_trust = NULL;
	struct verify_proof_report rep;
	uint8_t *buf = NULL;
	size_t len = 0;
	json_t *o = NULL;
	char *text = NULL;
	int json = 0, quiet = 0, c, r, status = RS_EXIT_SOFTWARE;

	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, ":hq", opts, NULL)) != -1) {
		switch (c) {
		case OPT_TRUST:
			trust_path = optarg;
			break;
		case OPT_JSON:
			json = 1;
			break;
		case 'q':
		case OPT_QUIET:
			quiet = 1;
			break;
		case 'h':
		case OPT_HELP:
			fputs(PROOF_USAGE, stdout);
			status = RS_EXIT_OK;
			goto out;
		default:
			rs_error("bad option '%s' (see '" PROOF_HELP_CMD " --help')", argv[optind - 1]);
			status = RS_EXIT_USAGE;
			goto out;
		}
	}
	if (optind < argc)
		path = argv[optind++];
	if (path == NULL || path[0] == '\0' || optind < argc || trust_path == NULL) {
		rs_error("expected one proof FILE and --trust FILE (see '" PROOF_HELP_CMD
		    " --help')");
		status = RS_EXIT_USAGE;
		goto out;
	}
	rs_err_clear();
	if ((r = verify_trust_load(trust_path, &trust, &cp_trust)) != 0) {
		rs_error_code(r, "cannot load the trust file");
		status = rs_exit_for_err(r);
		goto out;
	}
	if (checkpoint_trust_count(cp_trust) == 0) {
		rs_error("the trust file pins no checkpoint key: add the \"" CHECKPOINT_TRUST_PREFIX
		    "...\" line from runseal identity export");
		status = RS_EXIT_USAGE;
		goto out;
	}
	rs_err_clear();
	if ((r = rs_read_file(path, 64 * 1024, &buf, &len)) != 0 ||
	    (r = verify_proof_json((const char *)buf, len, cp_trust, &rep)) != 0) {
		rs_error_code(r, "cannot verify the proof");
		status = rs_exit_for_err(r);
		goto out;
	}
	if (json) {
		o = rep.ok ? json_pack("{s:s, s:s, s:o, s:b, s:s, s:s, s:I, s:I, s:I, s:I, s:n}",
		    "schema", "runseal-verify/v1", "command", "proof", "proof", vcli_json_text(path),
		    "verified", 1, "type", rep.consistency ? "consistency" : "inclusion",
		    "origin", rep.origin, "index", (json_int_t)rep.index,
		    "old_size", (json_int_t)rep.old_size, "tree_size", (json_int_t)rep.size,
		    "hashes", (json_int_t)rep.hashes, "failure") :
		    json_pack("{s:s, s:s, s:o, s:b, s:{s:o}}", "schema", "runseal-verify/v1",
		    "command", "proof", "proof", vcli_json_text(path), "verified", 0, "failure",
		    "reason", vcli_json_text(rep.reason));
		if (o == NULL || (text = json_dumps(o, JSON_COMPACT)) == NULL) {
			rs_error_code(RS_ERR_ALLOC, "building the JSON report");
			status = RS_EXIT_SOFTWARE;
			goto out;
		}
		printf("%s\n", text);
	} else if (!quiet) {
		if (!rep.ok)
			printf("FAILED: %s\n", rep.reason);
		else if (rep.consistency)
			printf("verified: the tree of size %" PRIu64 " of %s is a prefix of its tree of "
			    "size %" PRIu64 " (%zu-hash consistency proof, both checkpoints signed)\n",
			    rep.old_size, rep.origin, rep.size, rep.hashes);
		else
			printf("verified: the leaf is at index %" PRIu64 " in the signed tree of size %"
			    PRIu64 " of %s (%zu-hash inclusion proof)\n", rep.index, rep.size,
			    rep.origin, rep.hashes);
	}
	status = rep.ok ? RS_EXIT_OK : RS_EXIT_VERIFY_FAILED;
out:
	if (fflush(stdout) != 0 || ferror(stdout)) {
		rs_error("writing the verdict to stdout failed");
		status = RS_EXIT_IOERR;
	}
	free(text);
	json_decref(o);
	free(buf);
	attest_trust_free(trust);
	checkpoint_trust_free(cp_trust);
	return status;
}
