/*
 * cmd_replay.c - runseal-verify replay BUNDLE: argument parsing and output
 * over replay_run() (verifier/replay.h).
 *
 * Output contract: stdout holds the verdict (one line per comparison, or
 * one JSON object of schema runseal-verify/v1 with command "replay"),
 * stderr diagnostics. Exit status: 0 identical (or diverged where the
 * recorded policy marks the run nondeterministic), 1 the bundle does not
 * verify or an input blob is not the recorded bytes, 3 diverged, 64 usage,
 * 65 malformed input, 66 a file or an input blob missing, 70 runseal could
 * not run the replay, 74 I/O, 78 refused: the executor or rootfs here is
 * not the recorded one (without --allow-env-drift), or runseal not found.
 */
#include "verifier/cmd_replay.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/encode.h"
#include "common/err.h"
#include "common/exitcode.h"
#include "common/file.h"
#include "common/home.h"
#include "common/log.h"
#include "ledger/checkpoint.h"
#include "proto/codec.h"
#include "verifier/replay.h"
#include "verifier/vcli.h"
#include "verifier/verify.h"

#define HELP_CMD VCLI_PROG " replay"

extern char **environ;

static const char REPLAY_USAGE[] =
    "usage: " VCLI_PROG " replay BUNDLE --trust FILE [--blobs DIR | --home DIR]\n"
    "                             [--allow-env-drift] [--workdir DIR] [--json] [-q]\n"
    "\n"
    "Run a bundle's recorded command again and compare what comes out. The\n"
    "bundle is verified first (as `" VCLI_PROG " bundle`); its inputs are\n"
    "fetched from the blob store by their recorded digests (each checked); the\n"
    "run is executed by the `runseal` executable under the recorded policy, in\n"
    "a throwaway home of its own; then exit status, stdout, stderr and every\n"
    "output are compared with the record: identical, diverged (both digests\n"
    "and sizes, and for text whose recorded bytes were kept, the first\n"
    "differing line), missing or extra.\n"
    "\n"
    "  --trust FILE       your trust file (it must pin the checkpoint key)\n"
    "  --blobs DIR        the blob store holding the run's bytes (a runseal\n"
    "                     home's blobs/ directory: DIR/sha256/ab/cdef...)\n"
    "  --home DIR         the store of the runseal home DIR (DIR/blobs); with\n"
    "                     neither, the runseal home ($RUNSEAL_HOME, ...)\n"
    "  --allow-env-drift  replay even when the runseal executable or the rootfs\n"
    "                     here is not the recorded one (the report says which)\n"
    "  --workdir DIR      work in DIR and keep it (the throwaway home, inputs,\n"
    "                     outputs, stdout, stderr) instead of a temporary one\n"
    "  --json             print one JSON object (schema " VCLI_JSON_SCHEMA ")\n"
    "  -q, --quiet        print nothing; the exit status is the verdict\n"
    "\n"
    "The runseal executable: $RUNSEAL_BIN, else `runseal` beside this program,\n"
    "else ../executor/runseal from it (a build tree), else on PATH. Inputs are\n"
    "in the store only for runs whose policy has \"keep_blobs\": true.\n"
    "\n"
    "Exit status: 0 identical (or diverged where the policy marks the run\n"
    "nondeterministic), 1 the bundle does not verify or an input blob is not\n"
    "the recorded bytes, 3 diverged, 64 usage error, 65 malformed input,\n"
    "66 a file or input blob missing, 70 runseal could not run the replay,\n"
    "74 I/O error, 78 refused (executor or rootfs differs) or no runseal.\n";

enum {
	OPT_TRUST = VCLI_OPT_BASE, OPT_JSON, OPT_QUIET, OPT_HELP, OPT_BLOBS, OPT_HOME,
	OPT_DRIFT, OPT_WORKDIR,
};

/* "output NAME" and the like: room for the longest name. */
#define LABEL_MAX (sizeof(((struct replay_artefact *)0)->name) + 16)

/*
 * An artefact's label for a line of text. An output's name is whatever the
 * recorded program chose: its control bytes and DEL become '?' (as in the
 * differing lines, replay.c), so that it cannot drive the terminal.
 */
static const char *
art_label(const struct replay_artefact *a, char *buf, size_t len)
{
	size_t i;

	if (strcmp(a->kind, "output") == 0) {
		snprintf(buf, len, "output %s", a->name);
		for (i = 0; buf[i] != '\0'; i++)
			if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f)
				buf[i] = '?';
	} else if (strcmp(a->kind, "exit_status") == 0) {
		snprintf(buf, len, "exit status");
	} else {
		snprintf(buf, len, "%s", a->kind);
	}
	return buf;
}

static void
digest_text(const uint8_t d[RS_SHA256_LEN], uint64_t size, char *out, size_t len)
{
	char hex[2 * RS_SHA256_LEN + 1];

	rs_hex_encode(d, RS_SHA256_LEN, hex);
	snprintf(out, len, "%" PRIu64 " bytes sha256:%s", size, hex);
}

static void
print_art(const struct replay_artefact *a, FILE *f)
{
	char label[LABEL_MAX], rec[128], rep[128];

	art_label(a, label, sizeof(label));
	digest_text(a->rec_sha256, a->rec_size, rec, sizeof(rec));
	digest_text(a->rep_sha256, a->rep_size, rep, sizeof(rep));
	if (strcmp(a->kind, "exit_status") == 0) {
		if (a->verdict == REPLAY_IDENTICAL)
			fprintf(f, "%-10s %-24s %d\n", "identical", label, a->rec_status);
		else
			fprintf(f, "%-10s %-24s recorded %d, replay %d\n", "DIVERGED", label,
			    a->rec_status, a->rep_status);
		return;
	}
	switch (a->verdict) {
	case REPLAY_IDENTICAL:
		fprintf(f, "%-10s %-24s %s\n", "identical", label, rec);
		return;
	case REPLAY_MISSING:
		fprintf(f, "%-10s %-24s recorded %s; the replay did not produce it\n", "MISSING",
		    label, rec);
		return;
	case REPLAY_EXTRA:
		fprintf(f, "%-10s %-24s the replay produced %s; the record has no such output\n",
		    "EXTRA", label, rep);
		return;
	case REPLAY_DIVERGED:
		break;
	}
	fprintf(f, "%-10s %-24s recorded %s\n%-10s %-24s replay   %s\n", "DIVERGED", label, rec,
	    "", "", rep);
	switch (a->diff) {
	case REPLAY_DIFF_LINE:
		fprintf(f, "%-10s %-24s first differing line %" PRIu64 ":\n%-10s %-24s   recorded: "
		    "%s\n%-10s %-24s   replay:   %s\n", "", "", a->diff_line, "", "", a->diff_rec, "",
		    "", a->diff_rep);
		break;
	case REPLAY_DIFF_BINARY:
		fprintf(f, "%-10s %-24s not text; first differing byte at offset %" PRIu64 "\n", "",
		    "", a->diff_offset);
		break;
	case REPLAY_DIFF_NOT_KEPT:
		fprintf(f, "%-10s %-24s the recorded bytes are not in the blob store (policy "
		    "keep_blobs): no line comparison\n", "", "");
		break;
	case REPLAY_DIFF_NONE:
		break;
	}
}

static void
print_measure(const char *name, const struct replay_measure *m, int refusing, FILE *f)
{
	if (m->same)
		fprintf(f, "%-10s %-24s same here: %s\n", "ok", name, m->recorded);
	else
		fprintf(f, "%-10s %-24s recorded %s; here %s%s\n", refusing ? "DIFFERS" : "differs",
		    name, m->recorded, m->here, refusing ? "" : " (not refused)");
}

/* The verdict line and the exit status. */
static int
outcome(const struct replay_result *res, char *text, size_t len)
{
	size_t i, used = 0;
	char label[LABEL_MAX];

	if (!res->bundle.ok) {
		snprintf(text, len, "FAILED: %s", res->bundle.reason);
		return RS_EXIT_VERIFY_FAILED;
	}
	if (res->refused) {
		snprintf(text, len, "refused: %s", res->refused_reason);
		return RS_EXIT_CONFIG;
	}
	if (res->n_diverged == 0) {
		snprintf(text, len, "identical: the replay of entry %" PRIu64 " reproduced the exit "
		    "status, stdout, stderr and %zu output%s", res->bundle.index, res->n_arts - 3,
		    res->n_arts - 3 == 1 ? "" : "s");
		return RS_EXIT_OK;
	}
	used = (size_t)snprintf(text, len, "diverged: ");
	for (i = 0; i < res->n_arts && used < len; i++) {
		if (res->arts[i].verdict == REPLAY_IDENTICAL)
			continue;
		used += (size_t)snprintf(text + used, len - used, "%s%s%s%s%s",
		    used > strlen("diverged: ") ? ", " : "", art_label(&res->arts[i], label,
		    sizeof(label)), res->arts[i].verdict == REPLAY_DIVERGED ? "" : " (",
		    res->arts[i].verdict == REPLAY_DIVERGED ? "" :
		    replay_verdict_name(res->arts[i].verdict),
		    res->arts[i].verdict == REPLAY_DIVERGED ? "" : ")");
	}
	if (used < len && res->nondeterministic) {
		snprintf(text + used, len - used, "; the recorded policy marks the run "
		    "nondeterministic, so this is reported, not failed");
		return RS_EXIT_OK;
	}
	return RS_EXIT_DIVERGED;
}

static void
print_human(const struct replay_result *res, const char *blobs, const char *verdict, FILE *f)
{
	char digest[2 * RS_SHA256_LEN + 1];
	size_t i;

	if (!res->bundle.ok) {
		fprintf(f, "%-10s %-24s %s\n", "FAIL", "bundle", res->bundle.reason);
		fprintf(f, "%s\n", verdict);
		return;
	}
	rs_hex_encode(res->bundle.record_digest, RS_SHA256_LEN, digest);
	fprintf(f, "%-10s %-24s entry %" PRIu64 " of %s, record sha256:%s, signer: %s\n", "ok",
	    "bundle", res->bundle.index, res->bundle.origin, digest,
	    res->bundle.root_of_trust != NULL ? res->bundle.root_of_trust : "?");
	fprintf(f, "%-10s %-24s %zu fetched from %s by digest, each checked\n", "ok", "inputs",
	    res->n_inputs, blobs);
	print_measure("executor", &res->executor, res->refused, f);
	print_measure("rootfs", &res->rootfs, res->refused, f);
	if (!res->kernel.same)
		fprintf(f, "%-10s %-24s recorded %s; here %s (not refused)\n", "info", "kernel",
		    res->kernel.recorded, res->kernel.here);
	if (!res->machine.same)
		fprintf(f, "%-10s %-24s recorded %s; here %s (not refused)\n", "info", "machine",
		    res->machine.recorded, res->machine.here);
	/* Divergences first. */
	for (i = 0; i < res->n_arts; i++)
		if (res->arts[i].verdict != REPLAY_IDENTICAL)
			print_art(&res->arts[i], f);
	for (i = 0; i < res->n_arts; i++)
		if (res->arts[i].verdict == REPLAY_IDENTICAL)
			print_art(&res->arts[i], f);
	if (res->workdir[0] != '\0')
		fprintf(f, "%-10s %-24s %s (the throwaway home, inputs, outputs, streams)\n", "info",
		    "workdir", res->workdir);
	fprintf(f, "%s\n", verdict);
}

static json_t *
measure_json(const struct replay_measure *m)
{
	return json_pack("{s:b, s:o, s:o}", "same", m->same, "recorded",
	    vcli_json_text(m->recorded), "here", vcli_json_text(m->here));
}

static json_t *
side_json(int has, const uint8_t d[RS_SHA256_LEN], uint64_t size)
{
	char hex[2 * RS_SHA256_LEN + 1];

	if (!has)
		return json_null();
	rs_hex_encode(d, RS_SHA256_LEN, hex);
	return json_pack("{s:s, s:I}", "sha256", hex, "size", (json_int_t)size);
}

static json_t *
art_json(const struct replay_artefact *a)
{
	json_t *diff;

	if (strcmp(a->kind, "exit_status") == 0)
		return json_pack("{s:s, s:n, s:s, s:i, s:i, s:n}", "artefact", "exit_status",
		    "name", "verdict", replay_verdict_name(a->verdict), "recorded", a->rec_status,
		    "replay", a->rep_status, "first_difference");
	switch (a->diff) {
	case REPLAY_DIFF_LINE:
		diff = json_pack("{s:s, s:I, s:I, s:o, s:o}", "kind", "line", "line",
		    (json_int_t)a->diff_line, "offset", (json_int_t)a->diff_offset, "recorded",
		    vcli_json_text(a->diff_rec), "replay", vcli_json_text(a->diff_rep));
		break;
	case REPLAY_DIFF_BINARY:
		diff = json_pack("{s:s, s:I}", "kind", "binary", "offset",
		    (json_int_t)a->diff_offset);
		break;
	case REPLAY_DIFF_NOT_KEPT:
		diff = json_pack("{s:s}", "kind", "recorded_bytes_not_kept");
		break;
	default:
		diff = json_null();
	}
	return json_pack("{s:s, s:o, s:s, s:o, s:o, s:o}", "artefact", a->kind, "name",
	    a->name[0] != '\0' ? vcli_json_text(a->name) : json_null(), "verdict",
	    replay_verdict_name(a->verdict), "recorded", side_json(a->has_recorded,
	    a->rec_sha256, a->rec_size), "replay", side_json(a->has_replay, a->rep_sha256,
	    a->rep_size), "first_difference", diff);
}

static int
print_json(const char *path, const struct replay_result *res, const char *verdict_text,
    int status, const char *blobs)
{
	json_t *o = NULL, *arts = NULL, *a;
	char digest[2 * RS_SHA256_LEN + 1], *text = NULL;
	const char *verdict;
	size_t i;
	int r = RS_ERR_ALLOC;

	rs_hex_encode(res->bundle.record_digest, RS_SHA256_LEN, digest);
	verdict = !res->bundle.ok ? "not_verified" : res->refused ? "refused" :
	    res->n_diverged == 0 ? "identical" : "diverged";
	if ((arts = json_array()) == NULL)
		goto out;
	for (i = 0; i < res->n_arts; i++)
		if ((a = art_json(&res->arts[i])) == NULL || json_array_append_new(arts, a) != 0)
			goto out;
	o = json_pack("{s:s, s:s, s:o, s:b, s:o, s:s, s:o, s:o, s:o, s:b, s:i}",
	    "schema", VCLI_JSON_SCHEMA, "command", "replay", "bundle", vcli_json_text(path),
	    "verified", res->bundle.ok,
	    "failure", res->bundle.ok ? json_null() : json_pack("{s:s, s:o}", "check",
	    res->bundle.failed_check != NULL ? res->bundle.failed_check : "bundle", "reason",
	    vcli_json_text(res->bundle.reason)),
	    "verdict", verdict, "summary", vcli_json_text(verdict_text),
	    "index", res->bundle.ok ? json_integer((json_int_t)res->bundle.index) : json_null(),
	    "record_digest", res->bundle.ok ? json_string(digest) : json_null(),
	    "nondeterministic", res->nondeterministic, "exit_status", status);
	if (o == NULL)
		goto out;
	if (res->bundle.ok) {
		if (json_object_set_new(o, "environment", json_pack("{s:o, s:o, s:o, s:o}",
		    "executor", measure_json(&res->executor), "rootfs", measure_json(&res->rootfs),
		    "kernel", measure_json(&res->kernel), "machine",
		    measure_json(&res->machine))) != 0 ||
		    json_object_set_new(o, "refused_reason", res->refused ?
		    vcli_json_text(res->refused_reason) : json_null()) != 0 ||
		    json_object_set_new(o, "inputs", json_pack("{s:I, s:o}", "count",
		    (json_int_t)res->n_inputs, "blob_store", vcli_json_text(blobs))) != 0)
			goto out;
	}
	if (json_object_set_new(o, "artefacts", arts) != 0) {
		arts = NULL;
		goto out;
	}
	arts = NULL;
	if (json_object_set_new(o, "workdir", res->workdir[0] != '\0' ?
	    vcli_json_text(res->workdir) : json_null()) != 0 ||
	    (text = json_dumps(o, JSON_COMPACT)) == NULL)
		goto out;
	printf("%s\n", text);
	r = 0;
out:
	free(text);
	json_decref(arts);
	json_decref(o);
	return r;
}

int
cmd_replay(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "trust", required_argument, NULL, OPT_TRUST },
		{ "blobs", required_argument, NULL, OPT_BLOBS },
		{ "home", required_argument, NULL, OPT_HOME },
		{ "allow-env-drift", no_argument, NULL, OPT_DRIFT },
		{ "workdir", required_argument, NULL, OPT_WORKDIR },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "quiet", no_argument, NULL, OPT_QUIET },
		{ "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 },
	};
	const char *trust_path = NULL, *path = NULL, *blobs_flag = NULL, *home_flag = NULL;
	struct attest_trust *trust = NULL;
	struct checkpoint_trust *cp_trust = NULL;
	struct replay_opts ro;
	struct replay_result res;
	char *home = NULL, *blobs = NULL, *runseal = NULL, verdict[2048];
	uint8_t *buf = NULL;
	size_t len = 0;
	int json = 0, quiet = 0, c, r, status = RS_EXIT_SOFTWARE;

	memset(&ro, 0, sizeof(ro));
	memset(&res, 0, sizeof(res));
	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, ":hq", opts, NULL)) != -1) {
		switch (c) {
		case OPT_TRUST:
			trust_path = optarg;
			break;
		case OPT_BLOBS:
			blobs_flag = optarg;
			break;
		case OPT_HOME:
			home_flag = optarg;
			break;
		case OPT_DRIFT:
			ro.allow_env_drift = 1;
			break;
		case OPT_WORKDIR:
			ro.workdir = optarg;
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
			fputs(REPLAY_USAGE, stdout);
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
		status = vcli_usage_error(HELP_CMD, "expected exactly one BUNDLE");
		goto out;
	}
	if (trust_path == NULL) {
		status = vcli_usage_error(HELP_CMD, "--trust FILE is required: the bundle is "
		    "verified before it is replayed");
		goto out;
	}
	if (blobs_flag != NULL && home_flag != NULL) {
		status = vcli_usage_error(HELP_CMD, "give --blobs DIR or --home DIR, not both");
		goto out;
	}
	if (blobs_flag != NULL) {
		blobs = strdup(blobs_flag);
	} else {
		if ((r = rs_home_resolve(home_flag, &home)) != 0) {
			rs_error_code(r, "cannot find the blob store");
			status = rs_exit_for_err(r);
			goto out;
		}
		blobs = rs_home_path(home, "blobs");
	}
	if (blobs == NULL) {
		rs_error_code(RS_ERR_ALLOC, "out of memory");
		goto out;
	}
	/* A store named by hand that is not there is a mistake, not "nothing kept". */
	if (blobs_flag != NULL && (r = rs_require_dir("--blobs", blobs)) != 0) {
		rs_error("%s", rs_err_detail());
		status = rs_exit_for_err(r);
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
	rs_err_clear();
	if ((r = rs_read_file(path, PROTO_MAX_BUNDLE, &buf, &len)) != 0) {
		rs_error_code(r, "cannot read the bundle");
		status = rs_exit_for_err(r);
		goto out;
	}
	if ((runseal = replay_find_runseal()) == NULL) {
		rs_error("cannot find the runseal executable: set RUNSEAL_BIN or put runseal on "
		    "PATH");
		status = RS_EXIT_CONFIG;
		goto out;
	}
	ro.bundle = buf;
	ro.bundle_len = len;
	ro.trust = trust;
	ro.cp_trust = cp_trust;
	ro.blobs_dir = blobs;
	ro.runseal = runseal;
	ro.env = environ;
	rs_err_clear();
	if ((r = replay_run(&ro, &res)) != 0) {
		if (r == RS_ERR_VERIFY && res.bundle.ok) {
			/* An input blob that is not the recorded bytes: a verdict. */
			snprintf(res.refused_reason, sizeof(res.refused_reason), "%s", rs_err_detail());
			res.refused = 1;
			snprintf(verdict, sizeof(verdict), "FAILED: %s", rs_err_detail());
			status = RS_EXIT_VERIFY_FAILED;
			if (json) {
				if (print_json(path, &res, verdict, status, blobs) != 0)
					status = RS_EXIT_SOFTWARE;
			} else if (!quiet) {
				printf("%s\n", verdict);
			}
			goto out;
		}
		rs_error_code(r, "cannot replay");
		status = rs_exit_for_err(r);
		goto out;
	}
	status = outcome(&res, verdict, sizeof(verdict));
	if (json) {
		if ((r = print_json(path, &res, verdict, status, blobs)) != 0) {
			rs_error_code(r, "building the JSON report");
			status = rs_exit_for_err(r);
		}
	} else if (!quiet) {
		print_human(&res, blobs, verdict, stdout);
	}
out:
	status = vcli_finish(status);
	replay_result_clear(&res);
	attest_trust_free(trust);
	checkpoint_trust_free(cp_trust);
	free(buf);
	free(runseal);
	free(blobs);
	free(home);
	return status;
}
