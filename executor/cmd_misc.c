/*
 * runseal init, log, show, identity: home set-up and read-only views.
 * log and show display what the ledger file holds without verifying it;
 * runseal-verify is the tool that checks evidence.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "attest/recjson.h"
#include "attest/signer.h"
#include "common/encode.h"
#include "common/err.h"
#include "common/exitcode.h"
#include "common/file.h"
#include "common/home.h"
#include "common/log.h"
#include "executor/cli.h"
#include "executor/signer_open.h"
#include "ledger/ledger.h"
#include "proto/codec.h"

int
cli_print_json(json_t *v)
{
	int r = 0;

	if (v == NULL)
		return RS_ERR_ALLOC;
	if (json_dumpf(v, stdout, JSON_COMPACT) != 0 || fputc('\n', stdout) == EOF ||
	    fflush(stdout) != 0)
		r = rs_fail(RS_ERR_IO, "writing JSON to stdout failed");
	json_decref(v);
	return r;
}

int
cli_home(const char *flag, const struct cli_global *g, int must_exist, char **home)
{
	char *h = NULL, *db = NULL;
	int r;

	*home = NULL;
	if ((r = rs_home_resolve(flag != NULL ? flag : g->home, &h)) != 0) {
		rs_error_code(r, "home");
		goto out;
	}
	if (must_exist) {
		if ((db = rs_home_path(h, RS_HOME_LEDGER)) == NULL) {
			r = RS_ERR_ALLOC;
			goto out;
		}
		if (access(db, F_OK) != 0) {
			r = rs_fail(RS_ERR_CONFIG, "no runseal home at %s (run `runseal init%s%s` first)",
			    h, flag || g->home ? " --home " : "", flag ? flag : g->home ? g->home : "");
			rs_error("%s", rs_err_detail());
			goto out;
		}
	}
	*home = h;
	h = NULL;
	r = 0;
out:
	free(db);
	free(h);
	return r;
}

static const char init_usage[] =
"usage: runseal init [--home DIR] [--signer software|tpm] [--json]\n"
"                    [--tcti TCTI] [--app-pcr N] [--pcrs SEL] [--ak-handle HANDLE]\n"
"\n"
"Create the runseal home: an empty ledger and its signer. Running it again\n"
"on an initialised home changes nothing; a home keeps its signer.\n"
"\n"
"  --signer software  an ECDSA P-256 key in a file (mode 0600); no hardware\n"
"                     root of trust (the default for a new home)\n"
"  --signer tpm       a TPM 2.0 attestation key: every run is extended into\n"
"                     the application PCR and quoted by the TPM\n"
"  --tcti TCTI        how to reach the TPM (tpm2-tss TCTI string); default:\n"
"                     $RUNSEAL_TCTI, else $TPM2TOOLS_TCTI, else " TPM_TCTI_DEFAULT "\n"
"  --app-pcr N        PCR the record digests are extended into (default 23)\n"
"  --pcrs SEL         PCRs every quote covers besides it (default " TPMQ_DEFAULT_PCRS ")\n"
"  --ak-handle HANDLE persistent handle for the AK (default: the first free\n"
"                     one from 0x81008100)\n"
"\n"
"Export what a verifier needs with `runseal identity export`: the public key\n"
"to pin (software), or the TPM identity to enroll with runseal-verify enroll.\n";

int
cmd_init(int argc, char **argv, const struct cli_global *g)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 'H' },
		{ "signer", required_argument, NULL, 's' },
		{ "tcti", required_argument, NULL, 'T' },
		{ "app-pcr", required_argument, NULL, 'A' },
		{ "pcrs", required_argument, NULL, 'P' },
		{ "ak-handle", required_argument, NULL, 'K' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *home_flag = NULL;
	char *home = NULL, *db = NULL, *keys = NULL, *origin = NULL;
	struct signer_init_opts so;
	enum attest_signer_kind kind, have_kind;
	int json = 0, c, r = RS_ERR_INTERNAL, created = 0, signer_created = 0, have_key, have_db;

	memset(&so, 0, sizeof(so));
	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case 'H': home_flag = optarg; break;
		case 's': so.kind = optarg; break;
		case 'T': so.tcti = optarg; break;
		case 'A': so.app_pcr = optarg; break;
		case 'P': so.pcrs = optarg; break;
		case 'K': so.ak_handle = optarg; break;
		case 'j': json = 1; break;
		case 'h': fputs(init_usage, stdout); return RS_EXIT_OK;
		default: fputs(init_usage, stderr); return RS_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		rs_error("init: unexpected argument '%s'", argv[optind]);
		return RS_EXIT_USAGE;
	}
	if (so.kind != NULL && strcmp(so.kind, "software") != 0 && strcmp(so.kind, "tpm") != 0) {
		rs_error("init: unknown signer '%s' (software or tpm)", so.kind);
		return RS_EXIT_USAGE;
	}
	if ((r = cli_home(home_flag, g, 0, &home)) != 0)
		goto out;
	if ((db = rs_home_path(home, RS_HOME_LEDGER)) == NULL ||
	    (keys = rs_home_path(home, "keys")) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	have_key = signer_home_kind(home, &have_kind) == 0;
	have_db = access(db, F_OK) == 0;
	if (have_db && !have_key) {
		r = rs_fail(RS_ERR_CONFIG, "%s has a ledger but no signing key (%s or %s): refusing "
		    "to create a new key for an existing ledger", home, RS_HOME_SIGNER_KEY,
		    RS_HOME_TPM_CONFIG);
		rs_error("%s", rs_err_detail());
		goto out;
	}
	if ((r = rs_mkdir_p(home, 0700)) != 0 || (r = rs_mkdir_p(keys, 0700)) != 0) {
		rs_error_code(r, "creating the home");
		goto out;
	}
	if ((r = signer_init_home(home, &so, &kind, &signer_created)) != 0) {
		rs_error_code(r, "creating the signer");
		goto out;
	}
	created |= signer_created;
	if ((r = cli_init_checkpoint_key(home, have_db, &created, &origin)) != 0) {
		rs_error_code(r, "creating the checkpoint key");
		goto out;
	}
	/* The ledger comes last: a home with a ledger always has its keys. */
	if (!have_db) {
		if ((r = ledger_create(db, origin)) != 0) {
			rs_error_code(r, "creating the ledger");
			goto out;
		}
		created = 1;
	}
	if ((r = cli_init_first_checkpoint(db)) != 0) {
		rs_error_code(r, "signing the first checkpoint");
		goto out;
	}
	if (json) {
		r = cli_print_json(json_pack("{s:s, s:s, s:b, s:s, s:s}",
		    "schema", "runseal-init/v1", "home", home, "created", created,
		    "signer", attest_signer_kind_name(kind), "ledger", db));
	} else {
		printf("%s runseal home at %s (signer: %s)\n",
		    created ? "initialised" : "already initialised:", home,
		    attest_signer_kind_name(kind));
		r = 0;
	}
out:
	free(origin);
	free(keys);
	free(db);
	free(home);
	return rs_exit_for_err(r);
}

/* Open the home's ledger read-only; prints errors. */
static int
open_ledger(const char *home_flag, const struct cli_global *g, struct ledger **l)
{
	char *home = NULL, *db = NULL;
	int r;

	*l = NULL;
	if ((r = cli_home(home_flag, g, 1, &home)) != 0)
		goto out;
	if ((db = rs_home_path(home, RS_HOME_LEDGER)) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	if ((r = ledger_open(db, 0, l)) != 0)
		rs_error_code(r, "opening the ledger");
out:
	free(db);
	free(home);
	return r;
}

/* Decode a stored row into its entry, envelope and record (display only). */
struct decoded {
	proto_entry *entry;
	proto_envelope *env;
	proto_record *rec;
	uint8_t digest[RS_SHA256_LEN];
};

static void
decoded_free(struct decoded *d)
{
	proto_record_free(d->rec);
	proto_envelope_free(d->env);
	proto_entry_free(d->entry);
	memset(d, 0, sizeof(*d));
}

static int
decode_row(const struct ledger_row *row, struct decoded *d)
{
	int r;

	memset(d, 0, sizeof(*d));
	if ((r = proto_entry_unpack(row->entry, row->entry_len, &d->entry)) != 0 ||
	    (r = proto_envelope_unpack(d->entry->envelope.data, d->entry->envelope.len,
	    &d->env)) != 0 ||
	    (r = proto_record_unpack(d->env->record.data, d->env->record.len, &d->rec)) != 0 ||
	    (r = rs_sha256_ctx(RS_CTX_RECORD, d->env->record.data, d->env->record.len,
	    NULL, 0, d->digest)) != 0) {
		r = rs_fail(r, "entry %" PRIu64 ": %s", row->idx, rs_err_detail());
		decoded_free(d);
		return r;
	}
	return 0;
}

static const char *
signer_name(int kind)
{
	switch (kind) {
	case RUNSEAL__V1__SIGNER_KIND__SIGNER_SOFTWARE: return "software";
	case RUNSEAL__V1__SIGNER_KIND__SIGNER_TPM: return "tpm";
	default: return "unknown";
	}
}

static void
format_time(int64_t ns, char *buf, size_t len)
{
	time_t t = (time_t)(ns / 1000000000);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "?");
}

static const char log_usage[] =
"usage: runseal log [--home DIR] [--json]\n"
"\n"
"List the ledger's entries: index, start time (UTC), signer, exit, command.\n"
"This reads the ledger without verifying it; use runseal-verify for that.\n";

int
cmd_log(int argc, char **argv, const struct cli_global *g)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 'H' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *home_flag = NULL;
	struct ledger *l = NULL;
	struct ledger_iter *it = NULL;
	struct ledger_row *row = NULL;
	struct decoded d;
	json_t *arr = NULL;
	int json = 0, c, r = RS_ERR_INTERNAL;
	char when[32], hex[2 * RS_SHA256_LEN + 1];

	memset(&d, 0, sizeof(d));
	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case 'H': home_flag = optarg; break;
		case 'j': json = 1; break;
		case 'h': fputs(log_usage, stdout); return RS_EXIT_OK;
		default: fputs(log_usage, stderr); return RS_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		rs_error("log: unexpected argument '%s'", argv[optind]);
		return RS_EXIT_USAGE;
	}
	if ((r = open_ledger(home_flag, g, &l)) != 0)
		goto out;
	if (json && (arr = json_array()) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	if ((r = ledger_iter_new(l, 0, &it)) != 0)
		goto fail;
	for (;;) {
		if ((r = ledger_iter_next(it, &row)) != 0)
			goto fail;
		if (row == NULL)
			break;
		if ((r = decode_row(row, &d)) != 0)
			goto fail;
		format_time(d.rec->start_unix_ns, when, sizeof(when));
		rs_hex_encode(d.digest, RS_SHA256_LEN, hex);
		if (json) {
			json_t *av = json_array();
			size_t i;
			for (i = 0; av != NULL && i < d.rec->n_argv; i++)
				json_array_append_new(av, json_string(d.rec->argv[i]));
			json_array_append_new(arr, json_pack("{s:I, s:s, s:s, s:s, s:i, s:i, s:b, s:o}",
			    "index", (json_int_t)row->idx, "start", when, "record_digest", hex,
			    "signer", signer_name(d.env->signer),
			    "exit_code", d.rec->exit ? (int)d.rec->exit->exit_code : 0,
			    "signal", d.rec->exit ? (int)d.rec->exit->signal : 0,
			    "timed_out", d.rec->exit ? d.rec->exit->timed_out : 0,
			    "argv", av));
		} else {
			size_t i;
			printf("%6" PRIu64 "  %s  %-8s  ", row->idx, when, signer_name(d.env->signer));
			if (d.rec->exit && d.rec->exit->timed_out)
				printf("timeout ");
			else if (d.rec->exit && d.rec->exit->signal)
				printf("sig %-4d", (int)d.rec->exit->signal);
			else
				printf("exit %-3d", d.rec->exit ? (int)d.rec->exit->exit_code : 0);
			for (i = 0; i < d.rec->n_argv && i < 8; i++)
				printf(" %s", d.rec->argv[i]);
			printf("%s  %.16s…\n", d.rec->n_argv > 8 ? " …" : "", hex);
		}
		decoded_free(&d);
		ledger_row_free(row);
		row = NULL;
	}
	if (json) {
		r = cli_print_json(json_pack("{s:s, s:o}", "schema", "runseal-log/v1",
		    "entries", arr));
		arr = NULL;
		if (r != 0)
			goto fail;
	}
	r = 0;
	goto out;
fail:
	rs_error_code(r, "log");
out:
	decoded_free(&d);
	ledger_row_free(row);
	ledger_iter_free(it);
	ledger_close(l);
	json_decref(arr);
	return rs_exit_for_err(r);
}

static const char show_usage[] =
"usage: runseal show [--home DIR] [--json] INDEX\n"
"\n"
"Print the record of ledger entry INDEX (without verifying it).\n";

int
cmd_show(int argc, char **argv, const struct cli_global *g)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 'H' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *home_flag = NULL;
	struct ledger *l = NULL;
	struct ledger_row *row = NULL;
	struct decoded d;
	json_t *rec = NULL;
	unsigned long long index;
	char *end = NULL, hex[2 * RS_SHA256_LEN + 1];
	int json = 0, c, r = RS_ERR_INTERNAL;

	memset(&d, 0, sizeof(d));
	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case 'H': home_flag = optarg; break;
		case 'j': json = 1; break;
		case 'h': fputs(show_usage, stdout); return RS_EXIT_OK;
		default: fputs(show_usage, stderr); return RS_EXIT_USAGE;
		}
	}
	if (optind + 1 != argc) {
		rs_error("show: expected exactly one INDEX");
		return RS_EXIT_USAGE;
	}
	errno = 0;
	index = strtoull(argv[optind], &end, 10);
	if (errno != 0 || end == argv[optind] || *end != '\0' || argv[optind][0] == '-') {
		rs_error("show: INDEX must be a non-negative integer, not '%s'", argv[optind]);
		return RS_EXIT_USAGE;
	}
	if ((r = open_ledger(home_flag, g, &l)) != 0)
		goto out;
	if ((r = ledger_get(l, index, &row)) != 0) {
		if (r == RS_ERR_NOT_FOUND)
			r = rs_fail(RS_ERR_NOT_FOUND, "no entry %llu in the ledger", index);
		goto fail;
	}
	if ((r = decode_row(row, &d)) != 0)
		goto fail;
	if ((rec = attest_record_json(d.rec)) == NULL) {
		r = RS_ERR_ALLOC;
		goto fail;
	}
	rs_hex_encode(d.digest, RS_SHA256_LEN, hex);
	if (json) {
		r = cli_print_json(json_pack("{s:s, s:I, s:s, s:s, s:o}",
		    "schema", "runseal-show/v1", "index", (json_int_t)row->idx,
		    "record_digest", hex, "signer", signer_name(d.env->signer), "record", rec));
		rec = NULL;
		if (r != 0)
			goto fail;
	} else {
		printf("entry %" PRIu64 "\nrecord sha256:%s\nsigner: %s (not verified here; "
		    "use runseal-verify)\n", row->idx, hex, signer_name(d.env->signer));
		if (json_dumpf(rec, stdout, JSON_INDENT(2)) != 0) {
			r = rs_fail(RS_ERR_IO, "writing to stdout failed");
			goto fail;
		}
		putchar('\n');
	}
	r = 0;
	goto out;
fail:
	rs_error_code(r, "show");
out:
	json_decref(rec);
	decoded_free(&d);
	ledger_row_free(row);
	ledger_close(l);
	return rs_exit_for_err(r);
}

static const char identity_usage[] =
"usage: runseal identity export [--home DIR] [-o FILE] [--json]\n"
"       runseal identity activate CHALLENGE [--home DIR] [-o FILE] [--json]\n"
"\n"
"export    write what a verifier needs to FILE, or to stdout: the signer's\n"
"          PEM public key (software signer: auditors pin it as --trust), or\n"
"          the TPM identity (AK and EK public areas, EK certificate) that a\n"
"          verifier enrolls with `runseal-verify enroll`\n"
"activate  answer a verifier's enrollment challenge with the TPM\n"
"          (TPM2_ActivateCredential); write the response for\n"
"          `runseal-verify enroll --response`\n";

int
cmd_identity(int argc, char **argv, const struct cli_global *g)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 'H' },
		{ "output", required_argument, NULL, 'o' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *home_flag = NULL, *output = NULL;
	enum attest_signer_kind kind = ATTEST_SIGNER_SOFTWARE;
	char *home = NULL, *pem = NULL;
	int json = 0, c, r = RS_ERR_INTERNAL;

	if (argc >= 2 && strcmp(argv[1], "activate") == 0)
		return cmd_identity_activate(argc - 1, argv + 1, g, identity_usage);
	while ((c = getopt_long(argc, argv, "o:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'H': home_flag = optarg; break;
		case 'o': output = optarg; break;
		case 'j': json = 1; break;
		case 'h': fputs(identity_usage, stdout); return RS_EXIT_OK;
		default: fputs(identity_usage, stderr); return RS_EXIT_USAGE;
		}
	}
	if (optind + 1 != argc || strcmp(argv[optind], "export") != 0) {
		fputs(identity_usage, stderr);
		return RS_EXIT_USAGE;
	}
	if ((r = cli_home(home_flag, g, 1, &home)) != 0)
		goto out;
	if ((r = signer_identity_text(home, &pem, &kind)) != 0) {
		rs_error_code(r, "loading the signer's identity");
		goto out;
	}
	/* The ledger's checkpoint verifier key, as a trust-file line (docs/checkpoint.md). */
	if ((r = cli_trust_add_checkpoint_key(home, &pem)) != 0) {
		rs_error_code(r, "loading the checkpoint key");
		goto out;
	}
	if (output != NULL) {
		if ((r = rs_write_file_atomic(output, pem, strlen(pem), 0644, 0)) != 0) {
			rs_error_code(r, "writing the identity");
			goto out;
		}
	}
	if (json)
		r = cli_print_json(json_pack("{s:s, s:s, s:s, s:s?}", "schema",
		    "runseal-identity/v1", "signer", attest_signer_kind_name(kind),
		    kind == ATTEST_SIGNER_TPM ? "identity_pem" : "trust_pem", pem,
		    "written_to", output));
	else if (output == NULL)
		fputs(pem, stdout);
	else if (kind == ATTEST_SIGNER_TPM)
		fprintf(stderr, "runseal: TPM identity written to %s: enroll it with "
		    "runseal-verify enroll\n", output);
	else
		fprintf(stderr, "runseal: trust anchor written to %s\n", output);
out:
	free(pem);
	free(home);
	return rs_exit_for_err(r);
}
