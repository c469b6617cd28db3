/*
 * cmd_bundle.c - runseal-verify bundle FILE --trust FILE [--json] [-q]:
 * argument parsing and output over verify_bundle() (verifier/verify.h).
 *
 * Output contract as for the ledger command: stdout holds the verdict (one
 * human line, or one JSON object of schema runseal-verify/v1 with command
 * "bundle"), stderr diagnostics; exit 0 verified, 1 not verified, 64 usage
 * (including a trust file without a checkpoint key), 65 a file too large
 * or not a trust file, 66 a file missing, 74 I/O.
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
#include "verifier/verify.h"

#define HELP_CMD "runseal-verify bundle"

static const char BUNDLE_USAGE[] =
    "usage: runseal-verify bundle FILE --trust FILE [--json] [-q]\n"
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
    "  --json        print one JSON object (schema runseal-verify/v1)\n"
    "  -q, --quiet   print no verdict; the exit status is the verdict\n"
    "\n"
    "Exit status: 0 verified, 1 verification failed, 64 usage error, 65 malformed\n"
    "input, 66 file missing, 74 I/O error.\n";

enum { OPT_TRUST = 256, OPT_JSON, OPT_QUIET, OPT_HELP };

static const char *
signer_text(int kind)
{
	return kind == ATTEST_SIGNER_TPM ? "tpm" : kind == ATTEST_SIGNER_SOFTWARE ?
	    "software" : "unknown";
}

/* jansson takes UTF-8 only; evidence text may be anything. */
static json_t *
json_text(const char *s)
{
	json_t *j;
	char *copy;
	size_t i;

	if ((j = json_string(s)) != NULL)
		return j;
	if ((copy = strdup(s)) == NULL)
		return NULL;
	for (i = 0; copy[i] != '\0'; i++)
		if ((unsigned char)copy[i] >= 0x80 || (unsigned char)copy[i] < 0x20)
			copy[i] = '?';
	j = json_string(copy);
	free(copy);
	return j;
}

static int
print_json(const char *path, const struct verify_bundle_report *rep)
{
	char digest[2 * RS_SHA256_LEN + 1], *root = NULL, *text = NULL;
	json_t *o = NULL;
	int r = RS_ERR_ALLOC;

	if (rep->ok) {
		rs_hex_encode(rep->record_digest, RS_SHA256_LEN, digest);
		if (rs_base64_encode(rep->root, MERKLE_HASH_LEN, &root) != 0)
			goto out;
		o = json_pack("{s:s, s:s, s:o, s:b, s:I, s:I, s:o, s:s, s:s, s:s, s:s, s:I, s:n}",
		    "schema", "runseal-verify/v1", "command", "bundle", "bundle", json_text(path),
		    "verified", 1, "index", (json_int_t)rep->index,
		    "tree_size", (json_int_t)rep->tree_size, "origin", json_text(rep->origin),
		    "root_hash", root, "record_digest", digest,
		    "signer", signer_text(rep->signer_kind),
		    "root_of_trust", rep->root_of_trust != NULL ? rep->root_of_trust : "",
		    "proof_hashes", (json_int_t)rep->proof_hashes, "failure");
	} else {
		o = json_pack("{s:s, s:s, s:o, s:b, s:{s:o}}", "schema", "runseal-verify/v1",
		    "command", "bundle", "bundle", json_text(path), "verified", 0,
		    "failure", "reason", json_text(rep->reason));
	}
	if (o == NULL || (text = json_dumps(o, JSON_COMPACT)) == NULL)
		goto out;
	printf("%s\n", text);
	r = 0;
out:
	free(text);
	free(root);
	json_decref(o);
	return r;
}

static void
print_human(const struct verify_bundle_report *rep)
{
	char digest[2 * RS_SHA256_LEN + 1];

	if (!rep->ok) {
		printf("FAILED: %s\n", rep->reason);
		return;
	}
	rs_hex_encode(rep->record_digest, RS_SHA256_LEN, digest);
	printf("verified: entry %" PRIu64 " of %s, included in its signed checkpoint of size %"
	    PRIu64 " (%zu-hash proof), record sha256:%s, signer: %s\n", rep->index, rep->origin,
	    rep->tree_size, rep->proof_hashes, digest,
	    rep->root_of_trust != NULL ? rep->root_of_trust : signer_text(rep->signer_kind));
}

int
cmd_bundle(int argc, char **argv)
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
	struct verify_bundle_report rep;
	uint8_t *buf = NULL;
	size_t len = 0;
	int json = 0, quiet = 0, c, r, status = RS_EXIT_SOFTWARE;

	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, ":hq", opts, NULL)) != -1) {
		switch (c) {
		case OPT_TRUST:
			if (trust_path != NULL) {
				rs_error("--trust given twice (see '" HELP_CMD " --help')");
				status = RS_EXIT_USAGE;
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
		case 'h':
		case OPT_HELP:
			fputs(BUNDLE_USAGE, stdout);
			status = RS_EXIT_OK;
			goto out;
		case ':':
			rs_error("option '%s' needs a value (see '" HELP_CMD " --help')",
			    argv[optind - 1]);
			status = RS_EXIT_USAGE;
			goto out;
		default:
			rs_error("unknown option '%s' (see '" HELP_CMD " --help')", argv[optind - 1]);
			status = RS_EXIT_USAGE;
			goto out;
		}
	}
	if (optind < argc)
		path = argv[optind++];
	if (path == NULL || path[0] == '\0' || optind < argc) {
		rs_error("expected exactly one bundle FILE (see '" HELP_CMD " --help')");
		status = RS_EXIT_USAGE;
		goto out;
	}
	if (trust_path == NULL) {
		rs_error("--trust FILE is required: pin the keys you trust (see '" HELP_CMD
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
		    "...\" line from runseal identity export (see '" HELP_CMD " --help')");
		status = RS_EXIT_USAGE;
		goto out;
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
	if (json) {
		if ((r = print_json(path, &rep)) != 0) {
			rs_error_code(r, "building the JSON report");
			status = rs_exit_for_err(r);
			goto out;
		}
	} else if (!quiet) {
		print_human(&rep);
	}
	status = rep.ok ? RS_EXIT_OK : RS_EXIT_VERIFY_FAILED;
out:
	if (fflush(stdout) != 0 || ferror(stdout)) {
		rs_error("writing the verdict to stdout failed");
		status = RS_EXIT_IOERR;
	}
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
		    "schema", "runseal-verify/v1", "command", "proof", "proof", json_text(path),
		    "verified", 1, "type", rep.consistency ? "consistency" : "inclusion",
		    "origin", rep.origin, "index", (json_int_t)rep.index,
		    "old_size", (json_int_t)rep.old_size, "tree_size", (json_int_t)rep.size,
		    "hashes", (json_int_t)rep.hashes, "failure") :
		    json_pack("{s:s, s:s, s:o, s:b, s:{s:o}}", "schema", "runseal-verify/v1",
		    "command", "proof", "proof", json_text(path), "verified", 0, "failure",
		    "reason", json_text(rep.reason));
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
