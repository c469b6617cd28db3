/*
 * cmd_ledger.c - runseal-verify ledger: argument parsing and output over
 * verify_ledger() (verifier/verify.h).
 *
 * Output contract:
 *   stdout  the verdict: human lines, or with --json exactly one JSON
 *           object (schema "runseal-verify/v1"); nothing with -q
 *   stderr  diagnostics, "runseal-verify: error: ..."
 *   status  common/exitcode.h: 0 verified, 1 not verified, 64 usage,
 *           65 malformed input, 66 input missing, 74 I/O, 78 no home
 */
#include "verifier/cmd_ledger.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "attest/verify.h"
#include "common/encode.h"
#include "common/err.h"
#include "common/exitcode.h"
#include "common/file.h"
#include "common/home.h"
#include "common/log.h"
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
};

static const char LEDGER_USAGE[] =
    "usage: " PROG " ledger [--home DIR | PATH] --trust FILE [--checkpoint FILE]\n"
    "                      [--accept-pcr-gap N]... [--json] [-q]\n"
    "\n"
    "Verify a runseal ledger without trusting the file: entries 0, 1, 2, ... are\n"
    "all present and in order, each entry parses, its previous-hash link and its\n"
    "stored chain hash are recomputed from its bytes, and its signature verifies\n"
    "against a key in the trust file. The RFC 9162 Merkle tree is recomputed\n"
    "from the entries and compared with every stored node, and every stored\n"
    "checkpoint must commit to the recomputed root; the latest must cover every\n"
    "entry. Stops at the first failure and says which entry or checkpoint and why.\n"
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
    "Exit status: 0 verified, 1 verification failed, 64 usage error,\n"
    "65 malformed input (not a ledger, a trust file with no key), 66 ledger or\n"
    "trust file missing, 74 I/O error, 78 no runseal home.\n";

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

/* Print the report as the one JSON object. RS_ERR_ALLOC or 0. */
static int
print_ledger_json(const char *path, const struct verify_report *rep)
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
	    json_object_set_new(signers, "roots_of_trust", roots_json(rep)) != 0)
		goto out;
	if (!rep->ok) {
		if ((failure = json_object()) == NULL ||
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
	    json_object_set_new(o, "tree", tree_json(rep)) != 0)
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

/* The second line of a verified ledger's verdict: its tree and checkpoints. */
static void
print_tree_human(const struct verify_report *rep)
{
	char *root = NULL;

	if (rs_base64_encode(rep->root, MERKLE_HASH_LEN, &root) != 0)
		return;
	printf("tree: size %" PRIu64 ", root %s, %" PRIu64 " checkpoint%s ", rep->entries, root,
	    rep->checkpoints, rep->checkpoints == 1 ? "" : "s");
	if (rep->checkpoint_signatures)
		printf("(signatures verified)");
	else
		printf("(signatures NOT checked: no " CHECKPOINT_TRUST_PREFIX "line in the "
		    "trust file)");
	printf("\n");
	if (rep->old_checked)
		printf("your checkpoint (size %" PRIu64 "): still contained; %zu-hash "
		    "consistency proof to size %" PRIu64 " verified\n", rep->old_size,
		    rep->consistency_hashes, rep->entries);
	free(root);
}

static void
print_ledger_human(const struct verify_report *rep)
{
	char hex[2 * RS_SHA256_LEN + 1];
	size_t i;

	if (!rep->ok) {
		printf("FAILED: %s\n", rep->reason);
		return;
	}
	if (rep->entries == 0) {
		printf("verified: 0 entries (empty ledger)\n");
		print_tree_human(rep);
		return;
	}
	rs_hex_encode(rep->head_chain_hash, RS_SHA256_LEN, hex);
	printf("verified: %" PRIu64 " %s, chain head %s, signatures: ", rep->entries,
	    rep->entries == 1 ? "entry" : "entries", hex);
	if (rep->tpm_signed > 0) {
		printf("%" PRIu64 " TPM-quoted (", rep->tpm_signed);
		if (rep->tpm_ek_certified > 0)
			printf("%" PRIu64 ": %s%s", rep->tpm_ek_certified,
			    attest_root_text(ATTEST_ROOT_TPM_EK_CERT),
			    rep->tpm_no_ek_cert > 0 ? "; " : "");
		if (rep->tpm_no_ek_cert > 0)
			printf("%" PRIu64 ": %s", rep->tpm_no_ek_cert,
			    attest_root_text(ATTEST_ROOT_TPM_NO_EK_CERT));
		printf("; PCR replay consistent across %" PRIu64 " TPM epoch%s",
		    rep->tpm_epochs, rep->tpm_epochs == 1 ? "" : "s");
		if (rep->tpm_pcr_gaps > 0)
			printf(", with %" PRIu64 " replay gap%s YOU accepted (--accept-pcr-gap)",
			    rep->tpm_pcr_gaps, rep->tpm_pcr_gaps == 1 ? "" : "s");
		printf(")%s", rep->software_signed > 0 ? ", " : "");
	}
	if (rep->software_signed > 0)
		printf("%" PRIu64 " software-key (no hardware root of trust)",
		    rep->software_signed);
	printf("\n");
	for (i = 0; i < rep->n_root_runs; i++) {
		if (rep->root_runs[i].first == rep->root_runs[i].last)
			printf("  entry %" PRIu64 ": ", rep->root_runs[i].first);
		else
			printf("  entries %" PRIu64 "-%" PRIu64 ": ", rep->root_runs[i].first,
			    rep->root_runs[i].last);
		printf("%s\n", attest_root_text(rep->root_runs[i].root));
	}
	if (rep->root_runs_truncated)
		printf("  (and more changes of root of trust than are listed)\n");
	print_tree_human(rep);
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
		{ "accept-pcr-gap", required_argument, NULL, OPT_ACCEPT_PCR_GAP },
		{ "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 },
	};
	const char *help_cmd = PROG " ledger";
	const char *home_flag = NULL, *trust_path = NULL, *path_arg = NULL;
	const char *old_path = NULL;
	struct attest_trust *trust = NULL;
	struct checkpoint_trust *cp_trust = NULL;
	struct verify_ledger_opts vopts;
	struct verify_report rep;
	uint64_t gaps[64];
	size_t n_gaps = 0;
	uint8_t *old = NULL;
	size_t old_len = 0;
	char *home = NULL, *path = NULL;
	int json = 0, quiet = 0, c, r, status = RS_EXIT_SOFTWARE;

	opterr = 0;
	optind = 0;         /* full re-initialisation (GNU): argv is a new vector */
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
		case OPT_ACCEPT_PCR_GAP: {
			char *end = NULL;
			unsigned long long v;

			errno = 0;
			v = strtoull(optarg, &end, 10);
			if (errno != 0 || end == optarg || *end != '\0' || optarg[0] == '-') {
				status = vcli_usage_error(help_cmd, "--accept-pcr-gap takes an entry index, "
				    "not '%s'", optarg);
				goto out;
			}
			if (n_gaps == sizeof(gaps) / sizeof(gaps[0])) {
				status = vcli_usage_error(help_cmd, "more than %zu --accept-pcr-gap",
				    sizeof(gaps) / sizeof(gaps[0]));
				goto out;
			}
			gaps[n_gaps++] = v;
			break;
		}
		case OPT_CHECKPOINT:
			if (old_path != NULL) {
				status = vcli_usage_error(help_cmd, "--checkpoint given twice");
				goto out;
			}
			old_path = optarg;
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
		status = vcli_usage_error(help_cmd, "give the ledger as PATH or --home DIR, not both");
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
	memset(&vopts, 0, sizeof(vopts));
	vopts.cp_trust = cp_trust;
	if (old_path != NULL) {
		if (checkpoint_trust_count(cp_trust) == 0) {
			status = vcli_usage_error(help_cmd, "--checkpoint needs the ledger's checkpoint "
			    "key: a \"" CHECKPOINT_TRUST_PREFIX "...\" line in the trust file");
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
	}
	rs_err_clear();
	if ((r = verify_ledger_gaps(path, trust, &vopts, gaps, n_gaps, &rep)) != 0) {
		rs_error_code(r, "cannot verify the ledger");
		/* An old checkpoint that is itself bad is a verdict, not an input error. */
		status = r == RS_ERR_VERIFY ? RS_EXIT_VERIFY_FAILED : rs_exit_for_err(r);
		goto out;
	}

	if (json) {
		if ((r = print_ledger_json(path, &rep)) != 0) {
			rs_error_code(r, "building the JSON report");
			status = rs_exit_for_err(r);
			goto out;
		}
	} else if (!quiet) {
		print_ledger_human(&rep);
	}
	status = rep.ok ? RS_EXIT_OK : RS_EXIT_VERIFY_FAILED;
out:
	/* A verdict that did not reach stdout must not pass for one. */
	if (fflush(stdout) != 0 || ferror(stdout)) {
		rs_error("writing the verdict to stdout failed");
		status = RS_EXIT_IOERR;
	}
	attest_trust_free(trust);
	checkpoint_trust_free(cp_trust);
	free(old);
	free(path);
	free(home);
	return status;
}
