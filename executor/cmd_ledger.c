/*
 * cmd_ledger.c - the ledger's commands: runseal checkpoint, prove, export,
 * blob get; and the ledger's part of init (checkpoint key, first
 * checkpoint), of identity export (the checkpoint verifier key) and of run
 * (keeping a run's bytes). Thin: the work is in ledger/.
 *
 * Nothing printed here is trusted by anyone: proofs, checkpoints and
 * bundles are checked by runseal-verify (or any RFC 9162 / C2SP tool)
 * against the auditor's own trust file. They are still checked here
 * before they are printed, so a damaged ledger is reported, not exported.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "attest/run.h"
#include "attest/verify.h"
#include "common/encode.h"
#include "common/err.h"
#include "common/exitcode.h"
#include "common/file.h"
#include "common/home.h"
#include "common/log.h"
#include "executor/cli.h"
#include "executor/exec.h"
#include "executor/export_intoto.h"
#include "ledger/blobs.h"
#include "ledger/bundle.h"
#include "ledger/checkpoint.h"
#include "ledger/ledger.h"
#include "ledger/merkle.h"
#include "proto/codec.h"

/* Largest identity file copied into a bundle. */
#define IDENTITY_MAX (256 * 1024)

int
cli_init_checkpoint_key(const char *home, int have_db, int *created, char **origin)
{
	struct checkpoint_signer *s = NULL;
	char *key = NULL, *vpath = NULL, *vkey = NULL, *line = NULL, name[64];
	int r = RS_ERR_INTERNAL;

	*origin = NULL;
	if ((key = rs_home_path(home, CHECKPOINT_HOME_KEY)) == NULL ||
	    (vpath = rs_home_path(home, CHECKPOINT_HOME_VKEY)) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	if (access(key, F_OK) != 0) {
		if (have_db) {
			r = rs_fail(RS_ERR_CONFIG, "%s has a ledger but no checkpoint key (%s): "
			    "refusing to create a new key for an existing ledger", home, key);
			goto out;
		}
		if ((r = checkpoint_key_create(key)) != 0)
			goto out;
		*created = 1;
	}
	if ((r = checkpoint_key_default_name(key, name, sizeof(name))) != 0)
		goto out;
	if (access(vpath, F_OK) != 0) {
		if ((r = checkpoint_signer_open(key, name, &s)) != 0 ||
		    (r = checkpoint_signer_vkey(s, &vkey)) != 0)
			goto out;
		if (asprintf(&line, "%s\n", vkey) < 0) {
			line = NULL;
			r = RS_ERR_ALLOC;
			goto out;
		}
		if ((r = rs_write_file_atomic(vpath, line, strlen(line), 0644, 0)) != 0)
			goto out;
	}
	if ((*origin = strdup(name)) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	r = 0;
out:
	checkpoint_signer_free(s);
	free(line);
	free(vkey);
	free(vpath);
	free(key);
	return r;
}

int
cli_init_first_checkpoint(const char *db)
{
	struct ledger *l = NULL;
	uint64_t size = 0;
	int r;

	if ((r = ledger_open(db, 1, &l)) == 0)
		r = ledger_checkpoint_now(l, &size);
	ledger_close(l);
	return r;
}

/* The verifier key of the home's checkpoint key, named origin (the ledger's). */
static int
vkey_for(const char *home, const char *origin, char **vkey)
{
	struct checkpoint_signer *s = NULL;
	char *key = NULL;
	int r = RS_ERR_INTERNAL;

	*vkey = NULL;
	if ((key = rs_home_path(home, CHECKPOINT_HOME_KEY)) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	if ((r = checkpoint_signer_open(key, origin, &s)) != 0 ||
	    (r = checkpoint_signer_vkey(s, vkey)) != 0)
		goto out;
	r = 0;
out:
	checkpoint_signer_free(s);
	free(key);
	return r;
}

int
cli_checkpoint_vkey(const char *home, char **vkey)
{
	struct ledger *l = NULL;
	char *db = NULL;
	int r = RS_ERR_INTERNAL;

	*vkey = NULL;
	if ((db = rs_home_path(home, RS_HOME_LEDGER)) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	/* The key is named after the ledger it signs for. */
	if ((r = ledger_open(db, 0, &l)) != 0 ||
	    (r = vkey_for(home, ledger_origin(l), vkey)) != 0)
		goto out;
	r = 0;
out:
	ledger_close(l);
	free(db);
	return r;
}

int
cli_trust_add_checkpoint_key(const char *home, char **text)
{
	char *vkey = NULL, *t = NULL;
	int r;

	if ((r = cli_checkpoint_vkey(home, &vkey)) != 0)
		return r;
	/* PEM readers skip the key line; checkpoint readers skip the PEM. */
	if (asprintf(&t, "%s" CHECKPOINT_TRUST_PREFIX "%s\n", *text, vkey) < 0) {
		free(vkey);
		return RS_ERR_ALLOC;
	}
	free(vkey);
	free(*text);
	*text = t;
	return 0;
}

/* The entry of a run's input called name, as given on the command line. */
static const char *
input_path(const struct exec_input *inputs, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(inputs[i].name, name) == 0)
			return inputs[i].path;
	return NULL;
}

int
cli_keep_run_blobs(const char *home, const struct attest_run *run,
    const struct exec_input *inputs, size_t n_inputs, const char *out_dir,
    const char *stdout_path, const char *stderr_path, size_t *kept, size_t *missing)
{
	struct blob_store *s = NULL;
	uint8_t d[RS_SHA256_LEN];
	uint64_t size;
	const char *path;
	char *out_path = NULL;
	size_t i;
	int added, r = RS_ERR_INTERNAL;

	*kept = 0;
	*missing = 0;
	if (!run->keep_blobs) {
		r = 0;
		goto out;
	}
	if ((r = blob_store_open(home, &s)) != 0)
		goto out;
	/* Inputs from the files the user named, checked against their recorded digest. */
	for (i = 0; i < run->n_inputs; i++) {
		if ((path = input_path(inputs, n_inputs, run->inputs[i].name)) == NULL) {
			(*missing)++;
			continue;
		}
		if ((r = blob_put_file(s, path, run->inputs[i].sha256, d, &size, &added)) != 0)
			goto out;
		(*kept)++;
	}
	/* Outputs from their copies under --out; without --out they are gone. */
	for (i = 0; i < run->n_outputs; i++) {
		if (out_dir == NULL) {
			(*missing)++;
			continue;
		}
		free(out_path);
		if ((out_path = rs_path_join(out_dir, run->outputs[i].name)) == NULL) {
			r = RS_ERR_ALLOC;
			goto out;
		}
		if ((r = blob_put_file(s, out_path, run->outputs[i].sha256, d, &size,
		    &added)) != 0)
			goto out;
		(*kept)++;
	}
	/* stdout and stderr from the copies the executor wrote (the bytes it hashed). */
	for (i = 0; i < 2; i++) {
		const char *p = i == 0 ? stdout_path : stderr_path;
		const struct attest_stream *st = i == 0 ? &run->out : &run->err;
		if (p == NULL) {
			(*missing)++;
			continue;
		}
		if ((r = blob_put_file(s, p, st->sha256, d, &size, &added)) != 0)
			goto out;
		(*kept)++;
	}
	r = 0;
out:
	free(out_path);
	blob_store_free(s);
	return r;
}

/* Strictly a non-negative decimal (no sign, no spaces). */
static int
parse_u64(const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end = NULL;

	*out = 0;
	if (s == NULL || *s < '0' || *s > '9')
		return RS_ERR_USAGE;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > INT64_MAX)
		return RS_ERR_USAGE;
	*out = v;
	return 0;
}

/* Open the home's ledger read-only; prints errors. */
static int
open_home_ledger(const char *home_flag, const struct cli_global *g, char **home,
    struct ledger **l)
{
	char *db = NULL;
	int r;

	*l = NULL;
	*home = NULL;
	if ((r = cli_home(home_flag, g, 1, home)) != 0)
		goto out;
	if ((db = rs_home_path(*home, RS_HOME_LEDGER)) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	if ((r = ledger_open(db, 0, l)) != 0)
		rs_error_code(r, "opening the ledger");
out:
	free(db);
	return r;
}

static json_t *
json_b64(const uint8_t *data, size_t len)
{
	char *s = NULL;
	json_t *j;

	if (rs_base64_encode(data, len, &s) != 0)
		return NULL;
	j = json_string(s);
	free(s);
	return j;
}

static int
print_b64_line(const char *key, const uint8_t *data, size_t len)
{
	char *s = NULL;
	int r;

	if ((r = rs_base64_encode(data, len, &s)) != 0)
		return r;
	printf("%s%s%s\n", key, key[0] != '\0' ? " " : "", s);
	free(s);
	return 0;
}

static const char checkpoint_usage[] =
"usage: runseal checkpoint [--home DIR] [--size N] [--json]\n"
"\n"
"Print the ledger's latest signed checkpoint (or the one for tree size N):\n"
"a C2SP tlog-checkpoint (origin, tree size, base64 RFC 9162 root hash)\n"
"signed as a C2SP signed-note with the ledger's Ed25519 key, exactly as\n"
"stored. Keep it: `runseal-verify ledger --checkpoint FILE` later proves\n"
"the ledger still contains what it committed to (no rollback, no fork).\n"
"Standard signed-note tooling verifies it with the verifier key from\n"
"`runseal identity export` (docs/checkpoint.md).\n";

int
cmd_checkpoint(int argc, char **argv, const struct cli_global *g)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 'H' },
		{ "size", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *home_flag = NULL, *size_arg = NULL;
	struct ledger *l = NULL;
	struct checkpoint *cp = NULL;
	uint8_t *note = NULL;
	size_t len = 0;
	uint64_t size = 0;
	char *home = NULL;
	int json = 0, c, r = RS_ERR_INTERNAL;

	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case 'H': home_flag = optarg; break;
		case 'n': size_arg = optarg; break;
		case 'j': json = 1; break;
		case 'h': fputs(checkpoint_usage, stdout); return RS_EXIT_OK;
		default: fputs(checkpoint_usage, stderr); return RS_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		rs_error("checkpoint: unexpected argument '%s'", argv[optind]);
		return RS_EXIT_USAGE;
	}
	if (size_arg != NULL && parse_u64(size_arg, &size) != 0) {
		rs_error("checkpoint: --size must be a non-negative integer, not '%s'", size_arg);
		return RS_EXIT_USAGE;
	}
	if ((r = open_home_ledger(home_flag, g, &home, &l)) != 0)
		goto out;
	if (size_arg != NULL)
		r = ledger_checkpoint_get(l, size, &note, &len);
	else
		r = ledger_checkpoint_latest(l, &size, &note, &len);
	if (r != 0 || (r = checkpoint_parse_unverified(note, len, &cp)) != 0) {
		rs_error_code(r, "checkpoint");
		goto out;
	}
	if (json) {
		r = cli_print_json(json_pack("{s:s, s:s, s:I, s:o, s:s%}",
		    "schema", "runseal-checkpoint/v1", "origin", cp->origin,
		    "tree_size", (json_int_t)cp->size, "root_hash", json_b64(cp->root, 32),
		    "note", (const char *)note, len));
	} else {
		if (fwrite(note, 1, len, stdout) != len || fflush(stdout) != 0)
			r = rs_fail(RS_ERR_IO, "writing to stdout failed");
	}
	if (r != 0)
		rs_error_code(r, "checkpoint");
out:
	checkpoint_free(cp);
	free(note);
	ledger_close(l);
	free(home);
	return rs_exit_for_err(r);
}

static const char prove_usage[] =
"usage: runseal prove [--home DIR] [--size N] [--json] INDEX\n"
"       runseal prove [--home DIR] [--json] --consistency OLD NEW\n"
"\n"
"Print an RFC 9162 proof computed from the ledger's stored tree:\n"
"  INDEX                 inclusion of entry INDEX in the tree of size N\n"
"                        (default: the latest checkpoint's size)\n"
"  --consistency OLD NEW that the tree of size OLD is a prefix of size NEW\n"
"Hashes are base64, in RFC 9162 order (from the leaf upwards). The leaf is\n"
"SHA-256(0x00 || entry bytes). The text form is one 'key value' per line,\n"
"each proof hash on a 'hash' line; --json prints one object (schema\n"
"runseal-proof/v1) including the stored checkpoint of each size, if any.\n";

/* Root of size from the stored tree, checked against its checkpoint when there is one. */
static int
checked_root(struct ledger *l, uint64_t size, uint8_t root[MERKLE_HASH_LEN], json_t **cp_json)
{
	struct checkpoint *cp = NULL;
	uint8_t *note = NULL;
	size_t len = 0;
	int r;

	*cp_json = json_null();
	if ((r = ledger_root(l, size, root)) != 0)
		goto out;
	if ((r = ledger_checkpoint_get(l, size, &note, &len)) == RS_ERR_NOT_FOUND) {
		r = 0;
		goto out;
	}
	if (r != 0 || (r = checkpoint_parse_unverified(note, len, &cp)) != 0)
		goto out;
	if (cp->size != size || memcmp(cp->root, root, MERKLE_HASH_LEN) != 0) {
		r = rs_fail(RS_ERR_FORMAT, "the stored tree of size %" PRIu64 " does not match "
		    "its checkpoint: the ledger is damaged (run runseal-verify)", size);
		goto out;
	}
	json_decref(*cp_json);
	*cp_json = json_stringn((const char *)note, len);
	r = 0;
out:
	checkpoint_free(cp);
	free(note);
	return r;
}

static json_t *
hashes_json(uint8_t proof[MERKLE_MAX_PROOF][MERKLE_HASH_LEN], size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a != NULL && i < n; i++)
		if (json_array_append_new(a, json_b64(proof[i], MERKLE_HASH_LEN)) != 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static int
prove_inclusion(struct ledger *l, uint64_t index, uint64_t size, int have_size, int json)
{
	uint8_t proof[MERKLE_MAX_PROOF][MERKLE_HASH_LEN], root[MERKLE_HASH_LEN];
	uint8_t leaf[MERKLE_HASH_LEN], *note = NULL;
	struct ledger_row *row = NULL;
	json_t *cp_json = NULL;
	size_t n = 0, i, len = 0;
	int reading = 0, r;

	if ((r = ledger_read_begin(l)) != 0)
		goto out;
	reading = 1;
	if (!have_size && (r = ledger_checkpoint_latest(l, &size, &note, &len)) != 0)
		goto out;
	if (index >= size) {
		r = rs_fail(RS_ERR_NOT_FOUND, "entry %" PRIu64 " is not in the tree of size %" PRIu64,
		    index, size);
		goto out;
	}
	if ((r = ledger_get(l, index, &row)) != 0 ||
	    (r = merkle_leaf_hash(row->entry, row->entry_len, leaf)) != 0 ||
	    (r = ledger_prove_inclusion(l, index, size, proof, &n)) != 0 ||
	    (r = checked_root(l, size, root, &cp_json)) != 0)
		goto out;
	if (merkle_verify_inclusion(index, size, leaf, &proof[0][0], n, root) != 0) {
		r = rs_fail(RS_ERR_FORMAT, "the stored tree does not prove entry %" PRIu64 ": the "
		    "ledger is damaged (run runseal-verify)", index);
		goto out;
	}
	if (json) {
		r = cli_print_json(json_pack("{s:s, s:s, s:I, s:I, s:o, s:o, s:o, s:O}",
		    "schema", "runseal-proof/v1", "type", "inclusion",
		    "index", (json_int_t)index, "tree_size", (json_int_t)size,
		    "leaf_hash", json_b64(leaf, 32), "root_hash", json_b64(root, 32),
		    "hashes", hashes_json(proof, n), "checkpoint", cp_json));
	} else {
		printf("type inclusion\nindex %" PRIu64 "\ntree_size %" PRIu64 "\n", index, size);
		if ((r = print_b64_line("leaf_hash", leaf, 32)) != 0 ||
		    (r = print_b64_line("root_hash", root, 32)) != 0)
			goto out;
		for (i = 0; i < n; i++)
			if ((r = print_b64_line("hash", proof[i], 32)) != 0)
				goto out;
		if (fflush(stdout) != 0)
			r = rs_fail(RS_ERR_IO, "writing to stdout failed");
	}
out:
	if (reading)
		ledger_read_end(l);
	json_decref(cp_json);
	ledger_row_free(row);
	free(note);
	return r;
}

static int
prove_consistency(struct ledger *l, uint64_t old, uint64_t new, int json)
{
	uint8_t proof[MERKLE_MAX_PROOF][MERKLE_HASH_LEN];
	uint8_t r1[MERKLE_HASH_LEN], r2[MERKLE_HASH_LEN];
	json_t *cp1 = NULL, *cp2 = NULL;
	size_t n = 0, i;
	int reading = 0, r;

	if ((r = ledger_read_begin(l)) != 0)
		goto out;
	reading = 1;
	if ((r = ledger_prove_consistency(l, old, new, proof, &n)) != 0 ||
	    (r = checked_root(l, old, r1, &cp1)) != 0 ||
	    (r = checked_root(l, new, r2, &cp2)) != 0)
		goto out;
	if (merkle_verify_consistency(old, new, &proof[0][0], n, r1, r2) != 0) {
		r = rs_fail(RS_ERR_FORMAT, "the stored tree does not prove size %" PRIu64 " a "
		    "prefix of %" PRIu64 ": the ledger is damaged (run runseal-verify)", old, new);
		goto out;
	}
	if (json) {
		r = cli_print_json(json_pack("{s:s, s:s, s:I, s:I, s:o, s:o, s:o, s:O, s:O}",
		    "schema", "runseal-proof/v1", "type", "consistency",
		    "old_size", (json_int_t)old, "new_size", (json_int_t)new,
		    "old_root", json_b64(r1, 32), "new_root", json_b64(r2, 32),
		    "hashes", hashes_json(proof, n), "old_checkpoint", cp1,
		    "new_checkpoint", cp2));
	} else {
		printf("type consistency\nold_size %" PRIu64 "\nnew_size %" PRIu64 "\n", old, new);
		if ((r = print_b64_line("old_root", r1, 32)) != 0 ||
		    (r = print_b64_line("new_root", r2, 32)) != 0)
			goto out;
		for (i = 0; i < n; i++)
			if ((r = print_b64_line("hash", proof[i], 32)) != 0)
				goto out;
		if (fflush(stdout) != 0)
			r = rs_fail(RS_ERR_IO, "writing to stdout failed");
	}
out:
	if (reading)
		ledger_read_end(l);
	json_decref(cp1);
	json_decref(cp2);
	return r;
}

int
cmd_prove(int argc, char **argv, const struct cli_global *g)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 'H' },
		{ "size", required_argument, NULL, 'n' },
		{ "consistency", no_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *home_flag = NULL, *size_arg = NULL;
	struct ledger *l = NULL;
	uint64_t a = 0, b = 0, size = 0;
	char *home = NULL;
	int json = 0, consistency = 0, c, r = RS_ERR_INTERNAL;

	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case 'H': home_flag = optarg; break;
		case 'n': size_arg = optarg; break;
		case 'c': consistency = 1; break;
		case 'j': json = 1; break;
		case 'h': fputs(prove_usage, stdout); return RS_EXIT_OK;
		default: fputs(prove_usage, stderr); return RS_EXIT_USAGE;
		}
	}
	if (consistency) {
		if (argc - optind != 2 || size_arg != NULL || parse_u64(argv[optind], &a) != 0 ||
		    parse_u64(argv[optind + 1], &b) != 0) {
			rs_error("prove: --consistency takes two tree sizes, OLD and NEW (see "
			    "runseal prove --help)");
			return RS_EXIT_USAGE;
		}
		if (a > b) {
			rs_error("prove: OLD (%" PRIu64 ") is larger than NEW (%" PRIu64 ")", a, b);
			return RS_EXIT_USAGE;
		}
	} else if (argc - optind != 1 || parse_u64(argv[optind], &a) != 0 ||
	    (size_arg != NULL && parse_u64(size_arg, &size) != 0)) {
		rs_error("prove: expected one entry INDEX and at most one --size N, both "
		    "non-negative integers (see runseal prove --help)");
		return RS_EXIT_USAGE;
	}
	if ((r = open_home_ledger(home_flag, g, &home, &l)) != 0)
		goto out;
	r = consistency ? prove_consistency(l, a, b, json) :
	    prove_inclusion(l, a, size, size_arg != NULL, json);
	if (r != 0)
		rs_error_code(r, "prove");
out:
	ledger_close(l);
	free(home);
	return rs_exit_for_err(r);
}

static const char export_usage[] =
"usage: runseal export [--home DIR] [--size N] [--format bundle|intoto]\n"
"                      [--sign-with signer|ledger] [-o FILE] [--json] INDEX\n"
"\n"
"Write entry INDEX as one bundle file (protobuf, docs/bundle.md): the entry\n"
"with its signed envelope verbatim, its index, the RFC 9162 inclusion proof,\n"
"the signed checkpoint it is proved against (the latest, or the one for tree\n"
"size N), the signer's public key and the checkpoint verifier key. Anyone\n"
"holding your trust file verifies it offline:\n"
"  runseal-verify bundle FILE --trust TRUST\n"
"Without -o the bundle goes to stdout (never to a terminal).\n"
"\n"
"--format intoto writes instead an in-toto Statement v1 (subjects: the output\n"
"files; predicate https://runseal.dev/attestation/run/v1, docs/intoto.md) in a\n"
"DSSE envelope, one JSON line. It is signed by the home's software ECDSA key\n"
"when that key signed the entry, else (TPM homes) by the ledger's Ed25519\n"
"checkpoint key; --sign-with chooses. keyid = hex SHA-256 of the signing\n"
"key's SubjectPublicKeyInfo; --json prints it with the public key.\n";

/* The home's software signer identity, if it signed this entry (else NULL). */
static char *
identity_for(const char *home, const struct ledger_row *row)
{
	struct attest_trust *t = NULL;
	struct attest_verdict v;
	proto_entry *e = NULL;
	uint8_t *pem = NULL;
	char *path = NULL, *out = NULL;
	size_t len = 0;

	if ((path = rs_home_path(home, RS_HOME_SIGNER_PUB)) == NULL ||
	    rs_read_file(path, IDENTITY_MAX, &pem, &len) != 0 ||
	    proto_entry_unpack(row->entry, row->entry_len, &e) != 0 ||
	    attest_trust_from_pem((const char *)pem, len, &t) != 0 ||
	    attest_envelope_verify(e->envelope.data, e->envelope.len, t, &v, NULL) != 0)
		goto out;
	out = (char *)pem;
	pem = NULL;
out:
	rs_err_clear();
	attest_trust_free(t);
	proto_entry_free(e);
	free(pem);
	free(path);
	return out;
}

int
cli_bundle_for(const char *home, struct ledger *l, const struct ledger_row *row,
    uint64_t size, uint8_t **bundle, size_t *len, int *has_identity)
{
	char *identity = NULL, *vkey = NULL;
	int r;

	*bundle = NULL;
	*len = 0;
	identity = identity_for(home, row);
	if (vkey_for(home, ledger_origin(l), &vkey) != 0) {
		/* The bundle verifies without it (auditors pin their own copy). */
		rs_warn("export: the checkpoint verifier key is not included: %s", rs_err_detail());
		vkey = NULL;
	}
	r = bundle_export(l, row->idx, size, identity, vkey, bundle, len);
	if (r == 0 && has_identity != NULL)
		*has_identity = identity != NULL;
	free(vkey);
	free(identity);
	return r;
}

int
cmd_export(int argc, char **argv, const struct cli_global *g)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 'H' },
		{ "size", required_argument, NULL, 'n' },
		{ "output", required_argument, NULL, 'o' },
		{ "format", required_argument, NULL, 'f' },
		{ "sign-with", required_argument, NULL, 'k' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *home_flag = NULL, *size_arg = NULL, *output = NULL, *format = "bundle";
	const char *sign_with = NULL;
	struct export_intoto_info info;
	struct ledger *l = NULL;
	struct ledger_row *row = NULL;
	uint8_t *bundle = NULL;
	char *home = NULL, *env = NULL;
	uint64_t index = 0, size = 0;
	size_t len = 0;
	int json = 0, have_identity = 0, intoto, c, r = RS_ERR_INTERNAL;

	memset(&info, 0, sizeof(info));

	while ((c = getopt_long(argc, argv, "o:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'H': home_flag = optarg; break;
		case 'n': size_arg = optarg; break;
		case 'o': output = optarg; break;
		case 'f': format = optarg; break;
		case 'k': sign_with = optarg; break;
		case 'j': json = 1; break;
		case 'h': fputs(export_usage, stdout); return RS_EXIT_OK;
		default: fputs(export_usage, stderr); return RS_EXIT_USAGE;
		}
	}
	if (argc - optind != 1 || parse_u64(argv[optind], &index) != 0 ||
	    (size_arg != NULL && (parse_u64(size_arg, &size) != 0 || size == 0))) {
		rs_error("export: expected one entry INDEX and at most one --size N (N > 0)");
		return RS_EXIT_USAGE;
	}
	if (strcmp(format, "bundle") != 0 && strcmp(format, "intoto") != 0) {
		rs_error("export: --format is bundle or intoto, not '%s'", format);
		return RS_EXIT_USAGE;
	}
	intoto = strcmp(format, "intoto") == 0;
	if (sign_with != NULL && !intoto) {
		rs_error("export: --sign-with applies to --format intoto only");
		return RS_EXIT_USAGE;
	}
	if (intoto && output == NULL && json) {
		rs_error("export: --json prints a report: give -o FILE for the envelope");
		return RS_EXIT_USAGE;
	}
	if (!intoto && output == NULL && (json || isatty(STDOUT_FILENO))) {
		rs_error("export: a bundle is binary: give -o FILE (or redirect stdout)");
		return RS_EXIT_USAGE;
	}
	if ((r = open_home_ledger(home_flag, g, &home, &l)) != 0)
		goto out;
	if ((r = ledger_get(l, index, &row)) != 0) {
		rs_error_code(r, "export");
		goto out;
	}
	if (intoto) {
		if ((r = export_intoto(home, l, row, size, sign_with, &env, &len, &info)) != 0) {
			rs_error_code(r, "export");
			goto out;
		}
		bundle = (uint8_t *)env;
		env = NULL;
	} else if ((r = cli_bundle_for(home, l, row, size, &bundle, &len, &have_identity)) != 0) {
		rs_error_code(r, "export");
		goto out;
	}
	if (output != NULL) {
		if ((r = rs_write_file_atomic(output, bundle, len, 0644, 0)) != 0) {
			rs_error_code(r, "writing the bundle");
			goto out;
		}
	} else if ((r = rs_write_all(STDOUT_FILENO, bundle, len)) != 0) {
		rs_error_code(r, "writing the bundle to stdout");
		goto out;
	}
	if (json && intoto)
		r = cli_print_json(json_pack("{s:s, s:s, s:I, s:I, s:s, s:s, s:s, s:s, s:s}",
		    "schema", "runseal-export/v1", "format", "intoto", "index", (json_int_t)index,
		    "bytes", (json_int_t)len, "written_to", output, "key", info.key,
		    "algorithm", info.alg, "keyid", info.keyid, "public_key", info.public_pem));
	else if (json)
		r = cli_print_json(json_pack("{s:s, s:I, s:I, s:s, s:b}", "schema",
		    "runseal-export/v1", "index", (json_int_t)index, "bytes", (json_int_t)len,
		    "written_to", output, "identity", have_identity));
	else if (output != NULL)
		fprintf(stderr, "runseal: entry %" PRIu64 " exported to %s (%zu bytes)\n", index,
		    output, len);
out:
	free(info.public_pem);
	free(env);
	free(bundle);
	ledger_row_free(row);
	ledger_close(l);
	free(home);
	return rs_exit_for_err(r);
}

static const char blob_usage[] =
"usage: runseal blob get [--home DIR] [-o FILE] DIGEST\n"
"\n"
"Write the kept blob whose SHA-256 is DIGEST (64 hex digits, optionally\n"
"prefixed sha256:) to stdout or to a new FILE. The bytes are verified\n"
"against DIGEST before they are written: a damaged blob is an error\n"
"(exit 1), never output. Blobs are kept for runs whose policy has\n"
"keep_blobs; they are never deleted.\n";

int
cmd_blob(int argc, char **argv, const struct cli_global *g)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 'H' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *home_flag = NULL, *output = NULL;
	struct blob_store *s = NULL;
	uint8_t d[RS_SHA256_LEN];
	uint64_t size = 0;
	char *home = NULL;
	int c, r = RS_ERR_INTERNAL;

	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'H': home_flag = optarg; break;
		case 'o': output = optarg; break;
		case 'h': fputs(blob_usage, stdout); return RS_EXIT_OK;
		default: fputs(blob_usage, stderr); return RS_EXIT_USAGE;
		}
	}
	if (argc - optind != 2 || strcmp(argv[optind], "get") != 0) {
		fputs(blob_usage, stderr);
		return RS_EXIT_USAGE;
	}
	if ((r = blob_parse_digest(argv[optind + 1], d)) != 0) {
		rs_error("blob get: %s", rs_err_detail());
		return RS_EXIT_USAGE;
	}
	if ((r = cli_home(home_flag, g, 1, &home)) != 0)
		goto out;
	if ((r = blob_store_open(home, &s)) != 0)
		goto fail;
	if (output != NULL)
		r = blob_get_file(s, d, output, &size);
	else
		r = blob_get_fd(s, d, STDOUT_FILENO, &size);
	if (r != 0)
		goto fail;
	r = 0;
	goto out;
fail:
	rs_error_code(r, "blob get");
out:
	blob_store_free(s);
	free(home);
	return rs_exit_for_err(r);
}
