/*
 * gen_corpus: writes the fuzz targets' seed corpus (tests/fuzz/corpus/) with
 * the project's own code: records, envelopes, entries and bundles from a
 * real ledger signed with the corpus keys (fuzz_common.h), checkpoints,
 * inclusion and consistency proofs in `runseal prove --json` form, a quote
 * from the fake TPM, trust texts, the example policy and rules files
 * re-serialised, MCP sessions, and output paths the collector recorded
 * from a real tree plus trees to build (fuzz_outpath.h).
 *
 *   gen_corpus CORPUS_DIR SOURCE_DIR [TARGET]
 *
 * With TARGET, only that target's seeds are written. Deterministic except
 * for the ECDSA signatures; rerun only when a format changes (scripts/fuzz
 * --regen [TARGET]).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/ec.h>
#include <openssl/x509.h>

#include "attest/intoto.h"
#include "attest/record.h"
#include "attest/run.h"
#include "attest/tpmtext.h"
#include "common/encode.h"
#include "common/err.h"
#include "common/file.h"
#include "common/relpath.h"
#include "executor/collect.h"
#include "executor/exec.h"
#include "ledger/bundle.h"
#include "ledger/ledger.h"
#include "proto/codec.h"
#include "tests/fuzz/fuzz_outpath.h"
#include "tests/fuzz/fuzz_signer.h"
#include "tests/fuzz/fuzz_tpm.h"

static const char *corpus;
static const char *only;        /* write this target's seeds only (NULL: all) */

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "gen_corpus: %s:%d: %s (%s)\n", \
	__FILE__, __LINE__, #c, rs_err_detail()); exit(1); } } while (0)

static void
put(const char *target, const char *name, const void *a, size_t alen, const void *b,
    size_t blen)
{
	char path[4096];
	FILE *f;

	if (only != NULL && strcmp(only, target) != 0)
		return;
	snprintf(path, sizeof(path), "%s/%s", corpus, target);
	CHECK(mkdir(path, 0755) == 0 || errno == EEXIST);
	snprintf(path, sizeof(path), "%s/%s/%s", corpus, target, name);
	CHECK((f = fopen(path, "wb")) != NULL);
	CHECK(alen == 0 || fwrite(a, 1, alen, f) == alen);
	CHECK(blen == 0 || fwrite(b, 1, blen, f) == blen);
	CHECK(fclose(f) == 0);
}

static void
put1(const char *target, const char *name, uint8_t tag, const void *b, size_t blen)
{
	put(target, name, &tag, 1, b, blen);
}

static int
seal(void *arg, uint64_t index, uint8_t **env, size_t *len)
{
	static char a0[] = "/bin/echo", a1[] = "hello";
	static char *const argv[] = { a0, a1 };
	struct attest_run *run = attest_run_new();
	uint8_t *rec = NULL;
	size_t rec_len = 0;
	int r;

	CHECK(run != NULL);
	CHECK(attest_run_set_argv(run, argv, 2) == 0);
	CHECK((run->cwd = strdup("/work")) != NULL && (run->policy_name = strdup("default")) != NULL);
	run->start_unix_ns = 1700000000000000000 + (int64_t)index;
	run->end_unix_ns = run->start_unix_ns + 1000000;
	CHECK(attest_record_pack(run, &rec, &rec_len) == 0);
	if (index == 0)
		put1("fuzz_proto", "record", 0, rec, rec_len);
	r = attest_seal(arg, rec, rec_len, env, len, NULL);
	if (r == 0 && index == 0) {
		put1("fuzz_proto", "envelope", 1, *env, *len);
		put("fuzz_envelope", "software", *env, *len, NULL, 0);
	}
	free(rec);
	attest_run_free(run);
	return r;
}

static json_t *
b64(const uint8_t *p, size_t n)
{
	char *s = NULL;
	json_t *j;

	CHECK(rs_base64_encode(p, n, &s) == 0);
	j = json_string(s);
	free(s);
	return j;
}

static json_t *
hashes(uint8_t proof[MERKLE_MAX_PROOF][MERKLE_HASH_LEN], size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, b64(proof[i], MERKLE_HASH_LEN));
	return a;
}

static json_t *
note(struct ledger *l, uint64_t size)
{
	uint8_t *cp = NULL;
	size_t len = 0;
	json_t *j;

	CHECK(ledger_checkpoint_get(l, size, &cp, &len) == 0);
	j = json_stringn((const char *)cp, len);
	free(cp);
	return j;
}

static void
put_json(const char *target, const char *name, uint8_t tag, json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT);

	CHECK(s != NULL);
	if (tag == 0xff)
		put(target, name, s, strlen(s), NULL, 0);
	else
		put1(target, name, tag, s, strlen(s));
	free(s);
	json_decref(j);
}

static void
ledger_seeds(const char *dir)
{
	struct attest_signer *s = fuzz_sw_signer();
	struct ledger *l = NULL;
	struct ledger_appended a;
	struct ledger_row *row = NULL;
	uint8_t proof[MERKLE_MAX_PROOF][MERKLE_HASH_LEN], leaf[MERKLE_HASH_LEN];
	uint8_t r1[MERKLE_HASH_LEN], r2[MERKLE_HASH_LEN], *cp = NULL, *bundle = NULL;
	char db[4096], key[4096], *pem = NULL, *vkey = NULL;
	struct checkpoint_signer *cs = fuzz_cp_signer();
	size_t n, len;
	int i;

	snprintf(db, sizeof(db), "%s/ledger.db", dir);
	snprintf(key, sizeof(key), "%s/cp.key", dir);
	CHECK(rs_write_file_atomic(key, FUZZ_CP_KEY_PEM, strlen(FUZZ_CP_KEY_PEM), 0600, 1) == 0);
	CHECK(ledger_create(db, FUZZ_ORIGIN) == 0);
	CHECK(ledger_open(db, 1, &l) == 0);
	CHECK(ledger_set_checkpoint_key(l, key) == 0);
	for (i = 0; i < 5; i++)
		CHECK(ledger_append(l, seal, s, &a) == 0);

	CHECK(ledger_get(l, 2, &row) == 0);
	put1("fuzz_proto", "entry", 2, row->entry, row->entry_len);
	CHECK(merkle_leaf_hash(row->entry, row->entry_len, leaf) == 0);
	ledger_row_free(row);

	CHECK(ledger_checkpoint_get(l, 5, &cp, &len) == 0);
	put("fuzz_checkpoint", "size5", cp, len, NULL, 0);
	free(cp);
	CHECK(ledger_checkpoint_get(l, 1, &cp, &len) == 0);
	put("fuzz_checkpoint", "size1", cp, len, NULL, 0);
	free(cp);

	CHECK(attest_signer_export_trust(s, &pem) == 0);
	CHECK(checkpoint_signer_vkey(cs, &vkey) == 0);
	CHECK(bundle_export(l, 2, 5, pem, vkey, &bundle, &len) == 0);
	put1("fuzz_proto", "bundle", 3, bundle, len);
	put1("fuzz_bundle", "bundle", 0, bundle, len);
	free(bundle);
	CHECK(bundle_export(l, 0, 1, NULL, NULL, &bundle, &len) == 0);
	put1("fuzz_bundle", "bundle-first", 0, bundle, len);
	free(bundle);

	/* runseal prove --json, as cmd_ledger.c prints it. */
	CHECK(ledger_prove_inclusion(l, 2, 5, proof, &n) == 0);
	CHECK(ledger_root(l, 5, r2) == 0);
	put_json("fuzz_bundle", "proof-inclusion", 1, json_pack("{s:s, s:s, s:I, s:I, s:o, s:o, s:o, s:o}",
	    "schema", "runseal-proof/v1", "type", "inclusion", "index", (json_int_t)2,
	    "tree_size", (json_int_t)5, "leaf_hash", b64(leaf, 32), "root_hash", b64(r2, 32),
	    "hashes", hashes(proof, n), "checkpoint", note(l, 5)));
	CHECK(ledger_prove_consistency(l, 3, 5, proof, &n) == 0);
	CHECK(ledger_root(l, 3, r1) == 0);
	put_json("fuzz_bundle", "proof-consistency", 1, json_pack("{s:s, s:s, s:I, s:I, s:o, s:o, s:o, s:o, s:o}",
	    "schema", "runseal-proof/v1", "type", "consistency", "old_size", (json_int_t)3,
	    "new_size", (json_int_t)5, "old_root", b64(r1, 32), "new_root", b64(r2, 32),
	    "hashes", hashes(proof, n), "old_checkpoint", note(l, 3), "new_checkpoint", note(l, 5)));

	/* Trust texts: the signer's PEM with the checkpoint key line. */
	put("fuzz_trust", "trust", pem, strlen(pem), NULL, 0);
	{
		char line[512];
		int k = snprintf(line, sizeof(line), "%s%s\n", CHECKPOINT_TRUST_PREFIX, vkey);
		put("fuzz_trust", "trust-cp", pem, strlen(pem), line, (size_t)k);
	}
	free(pem);
	free(vkey);
	checkpoint_signer_free(cs);
	ledger_close(l);
	attest_signer_free(s);
	unlink(db);
	unlink(key);
}

/* A quote of the fake TPM (fuzz_tpm.h), laid out as fuzz_tpmquote reads it. */
static void
quote_seed(void)
{
	EVP_PKEY *ak = fuzz_key_from_pem(FUZZ_AK_KEY_PEM);
	TPMT_PUBLIC pub;
	struct tpmq_public tp;
	struct tpmq_pcrsel sel;
	struct tpmq_pcr pcrs[TPMQ_PCR_COUNT];
	uint8_t values[TPMQ_PCR_COUNT][32], qname[TPMQ_NAME_LEN], pubbuf[TPMQ_PUBLIC_MAX];
	uint8_t buf[4096], der[128], *chal = NULL;
	const unsigned char *dp = der;
	size_t n = 0, off = 0, publen = 0, derlen = sizeof(der), len;
	TPMS_ATTEST a;
	TPMT_SIGNATURE sg;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	ECDSA_SIG *es;
	const BIGNUM *r, *s;
	unsigned i;
	char *text = NULL;

	CHECK(ak != NULL && md != NULL);
	CHECK(fuzz_ak_public(ak, &pub) == 0);
	CHECK(Tss2_MU_TPMT_PUBLIC_Marshal(&pub, pubbuf, sizeof(pubbuf), &publen) == 0);
	CHECK(tpmq_public_parse(pubbuf, publen, &tp) == 0);
	CHECK(fuzz_ak_qname(tp.name, qname) == 0);
	CHECK(tpmq_pcrsel_parse(FUZZ_PCRS, &sel) == 0);
	for (i = 0; i < TPMQ_PCR_COUNT; i++) {
		if (!(sel.mask & (1u << i)))
			continue;
		fuzz_pcr_value(i, values[n]);
		pcrs[n].index = i;
		pcrs[n].value = values[n];
		pcrs[n].len = 32;
		n++;
	}
	memset(&a, 0, sizeof(a));
	a.magic = TPM2_GENERATED_VALUE;
	a.type = TPM2_ST_ATTEST_QUOTE;
	a.qualifiedSigner.size = TPMQ_NAME_LEN;
	memcpy(a.qualifiedSigner.name, qname, TPMQ_NAME_LEN);
	a.extraData.size = 32;
	memset(a.extraData.buffer, FUZZ_QUOTE_DIGEST_BYTE, 32);
	a.clockInfo.clock = 123456;
	a.clockInfo.resetCount = 7;
	a.clockInfo.restartCount = 1;
	a.clockInfo.safe = TPM2_YES;
	a.firmwareVersion = 0x2019102300000000ull;
	tpmq_pcrsel_to_tpml(&sel, &a.attested.quote.pcrSelect);
	a.attested.quote.pcrDigest.size = 32;
	CHECK(tpmq_pcr_digest(pcrs, n, a.attested.quote.pcrDigest.buffer) == 0);
	off = 2;
	CHECK(Tss2_MU_TPMS_ATTEST_Marshal(&a, buf, sizeof(buf), &off) == 0);
	buf[0] = (uint8_t)((off - 2) >> 8);
	buf[1] = (uint8_t)(off - 2);
	CHECK(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, ak) == 1);
	CHECK(EVP_DigestSign(md, der, &derlen, buf + 2, off - 2) == 1);
	CHECK((es = d2i_ECDSA_SIG(NULL, &dp, (long)derlen)) != NULL);
	ECDSA_SIG_get0(es, &r, &s);
	memset(&sg, 0, sizeof(sg));
	sg.sigAlg = TPM2_ALG_ECDSA;
	sg.signature.ecdsa.hash = TPM2_ALG_SHA256;
	sg.signature.ecdsa.signatureR.size = 32;
	sg.signature.ecdsa.signatureS.size = 32;
	CHECK(BN_bn2binpad(r, sg.signature.ecdsa.signatureR.buffer, 32) == 32);
	CHECK(BN_bn2binpad(s, sg.signature.ecdsa.signatureS.buffer, 32) == 32);
	len = off;
	off += 2;
	CHECK(Tss2_MU_TPMT_SIGNATURE_Marshal(&sg, buf, sizeof(buf), &off) == 0);
	buf[len] = (uint8_t)((off - len - 2) >> 8);
	buf[len + 1] = (uint8_t)(off - len - 2);
	for (i = 0; i < n; i++, off += 32)
		memcpy(buf + off, values[i], 32);
	put("fuzz_tpmquote", "quote", buf, off, NULL, 0);
	put("fuzz_tpmquote", "quote-akpublic", buf, off, pubbuf, publen);

	/* The TPM text formats the trust target reads. */
	CHECK(tpmtext_challenge_format(tp.name, (const uint8_t *)"0123456789abcdef", 16, &text) == 0);
	put("fuzz_trust", "challenge", text, strlen(text), NULL, 0);
	free(text);
	CHECK(tpmtext_response_format(tp.name, (const uint8_t *)"0123456789abcdef", 16, &text) == 0);
	put("fuzz_trust", "response", text, strlen(text), NULL, 0);
	free(text);
	(void)chal;
	ECDSA_SIG_free(es);
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(ak);
}

static void
file_seed(const char *src, const char *rel, const char *target, const char *name)
{
	char path[4096];
	uint8_t *buf = NULL;
	size_t len = 0;

	snprintf(path, sizeof(path), "%s/%s", src, rel);
	CHECK(rs_read_file(path, 1u << 20, &buf, &len) == 0);
	put(target, name, buf, len, NULL, 0);
	free(buf);
}

static void
policy_seeds(const char *src)
{
	struct exec_policy *p = NULL;
	const char *j;

	CHECK(exec_policy_load(NULL, &p) == 0);
	j = exec_policy_json(p);
	put("fuzz_policy", "default", j, strlen(j), NULL, 0);
	exec_policy_free(p);
	file_seed(src, "docs/examples/policy.json", "fuzz_policy", "example");
	file_seed(src, "docs/examples/rules.json", "fuzz_rules", "example");
}

static void
mcp_seeds(void)
{
	static const char init[] =
	    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":"
	    "\"2025-06-18\",\"capabilities\":{},\"clientInfo\":{\"name\":\"c\",\"version\":\"1\"}}}\n"
	    "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n";
	static const char calls[] =
	    "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}\n"
	    "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":{\"name\":\"ok\","
	    "\"arguments\":{\"x\":\"y\"}}}\n"
	    "{\"jsonrpc\":\"2.0\",\"id\":\"4\",\"method\":\"tools/call\",\"params\":{\"name\":\"usage\","
	    "\"arguments\":{}}}\n"
	    "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\",\"params\":{\"name\":\"fail\"}}\n"
	    "{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"ping\"}\n";

	put("fuzz_mcp", "session", init, strlen(init), calls, strlen(calls));
	put("fuzz_mcp", "init", init, strlen(init), NULL, 0);
}

/* fuzz_merkle: | n | i | m | mode | x (8) | y (8) | proof ... | (fuzz_merkle.c). */
static void
merkle_seeds(void)
{
	static const uint8_t honest[20] = { 6, 3, 4, 0x01, 0,0,0,0,0,0,0,3, 0,0,0,0,0,0,0,7 };
	static const uint8_t flip[22] = { 12, 5, 9, 0x23, 0,0,0,0,0,0,0,5, 0,0,0,0,0,0,0,13, 0, 9 };
	static const uint8_t wrong[20] = { 31, 17, 16, 0x11, 0,0,0,0,0,0,0,18, 0,0,0,0,0,0,0,32 };

	put("fuzz_merkle", "honest", honest, sizeof(honest), NULL, 0);
	put("fuzz_merkle", "bitflip", flip, sizeof(flip), NULL, 0);
	put("fuzz_merkle", "wrong-index", wrong, sizeof(wrong), NULL, 0);
}

/* DSSE envelopes of the corpus keys (Ed25519: fuzz_intoto's; ECDSA: another). */
static void
intoto_seeds(void)
{
	static const char stmt[] = "{\"_type\":\"https://in-toto.io/Statement/v1\","
	    "\"subject\":[{\"name\":\"out\",\"digest\":{\"sha256\":\"00\"}}]}";
	const char *pems[2] = { FUZZ_CP_KEY_PEM, FUZZ_SW_KEY_PEM };
	const char *names[2] = { "ed25519", "ecdsa" };
	struct intoto_key *k = NULL;
	char *env = NULL;
	size_t len = 0;
	int i;

	for (i = 0; i < 2; i++) {
		CHECK(intoto_key_from_pem((const uint8_t *)pems[i], strlen(pems[i]), &k) == 0);
		CHECK(intoto_dsse_sign(k, "application/vnd.in-toto+json", (const uint8_t *)stmt,
		    strlen(stmt), &env, &len) == 0);
		put("fuzz_intoto", names[i], env, len, NULL, 0);
		free(env);
		intoto_key_free(k);
	}
}

/* fuzz_outpath, pure mode: | 0 | u16 split | path |, split at the path's middle '/'. */
static void
put_path(const char *name, const char *path, size_t len)
{
	uint8_t head[3] = { FUZZ_MODE_PURE, 0, 0 };
	size_t i, slashes = 0, k = 0, split = len / 2;

	for (i = 0; i < len; i++)
		slashes += path[i] == '/';
	for (i = 0; i < len; i++) {
		if (path[i] == '/' && k++ == slashes / 2) {
			split = i;
			break;
		}
	}
	head[1] = (uint8_t)(split >> 8);
	head[2] = (uint8_t)split;
	put("fuzz_outpath", name, head, sizeof(head), path, len);
}

/* A tree-mode input being assembled (fuzz_outpath.h). */
struct ops {
	uint8_t b[4096];
	size_t n;
};

static void
op(struct ops *o, unsigned kind, unsigned k, const char *name)
{
	size_t len = strlen(name);

	CHECK(kind < 8 && k < 32 && len < 256 && o->n + 2 + len <= sizeof(o->b));
	o->b[o->n++] = (uint8_t)(kind | k << 3);
	o->b[o->n++] = (uint8_t)len;
	memcpy(o->b + o->n, name, len);
	o->n += len;
}

static void
put_tree(const char *name, const struct ops *o)
{
	uint8_t mode = FUZZ_MODE_TREE;

	put("fuzz_outpath", name, &mode, 1, o->b, o->n);
}

static void
put_file_at(int dir_fd, const char *name)
{
	int fd = openat(dir_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

	CHECK(fd >= 0);
	CHECK(rs_write_all(fd, name, strlen(name)) == 0);
	CHECK(close(fd) == 0);
}

/*
 * fuzz_outpath seeds. Pure mode: the names exec_collect_outputs() records
 * from a small real tree, paths at the bounds built with rs_relpath_push(),
 * and paths every rule refuses. Tree mode: odd names, links, a FIFO; a
 * chain just past the depth bound; paths of 1024 and 1025 bytes.
 */
static void
outpath_seeds(const char *dir)
{
	static const char *const odd[] = { "k=v", "esc\x1b[2J", "...", ".hidden", "\xff\xfe" };
	static const char *const refused[][2] = {
		{ "refused-dotdot", "../etc/passwd" }, { "refused-absolute", "/etc/passwd" },
		{ "refused-empty", "a//b" }, { "refused-dot", "a/./b" }, { "refused-trailing", "a/" },
	};
	struct attest_run *run = attest_run_new();
	struct rs_relpath p;
	struct ops o;
	char src[4096], seed[64], n255[256];
	int src_fd, d, sub;
	size_t i;

	CHECK(run != NULL);
	snprintf(src, sizeof(src), "%s/outpath", dir);
	CHECK(mkdir(src, 0755) == 0);
	CHECK((src_fd = open(src, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0);
	for (i = 0; i < sizeof(odd) / sizeof(odd[0]); i++)
		put_file_at(src_fd, odd[i]);
	CHECK(mkdirat(src_fd, "sub", 0755) == 0);
	CHECK((d = openat(src_fd, "sub", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0);
	CHECK(mkdirat(d, "deeper", 0755) == 0);
	CHECK((sub = openat(d, "deeper", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0);
	put_file_at(d, "data.csv");
	put_file_at(sub, "result.json");
	CHECK(symlinkat("/etc/passwd", sub, "link") == 0);
	CHECK(close(sub) == 0 && close(d) == 0);
	CHECK(exec_collect_outputs(src_fd, NULL, 1 << 20, run) == 0);
	for (i = 0; i < run->n_outputs; i++) {
		snprintf(seed, sizeof(seed), "collected-%zu", i);
		put_path(seed, run->outputs[i].name, strlen(run->outputs[i].name));
	}
	CHECK(close(src_fd) == 0);
	CHECK(rs_rm_rf(src) == 0);
	attest_run_free(run);

	rs_relpath_init(&p);
	for (i = 0; i <= RS_RELPATH_MAX_DEPTH; i++)
		CHECK(rs_relpath_push(&p, "d", 1) == RS_RELPATH_OK);
	put_path("deepest", p.s, p.len);
	rs_relpath_init(&p);
	memset(n255, 'n', 255);
	for (i = 0; i < 4; i++)
		CHECK(rs_relpath_push(&p, n255, i < 3 ? 255 : 254) == RS_RELPATH_OK);
	CHECK(rs_relpath_push(&p, "e", 1) == RS_RELPATH_OK && p.len == RS_RELPATH_MAX);
	put_path("longest", p.s, p.len);
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		put_path(refused[i][0], refused[i][1], strlen(refused[i][1]));

	/* Trees. */
	memset(&o, 0, sizeof(o));
	for (i = 0; i < sizeof(odd) / sizeof(odd[0]); i++)
		op(&o, FUZZ_OP_FILE, 0, odd[i]);
	op(&o, FUZZ_OP_HARDLINK, 0, "hard");
	op(&o, FUZZ_OP_SYMLINK, 0, "up");
	op(&o, FUZZ_OP_SYMLINK, 1, "passwd");
	op(&o, FUZZ_OP_SYMLINK, 2, "loop");
	op(&o, FUZZ_OP_SYMLINK, 3, "magic");
	op(&o, FUZZ_OP_FIFO, 0, "fifo");
	op(&o, FUZZ_OP_DIR, 0, "sub");
	op(&o, FUZZ_OP_FILE, 0, "data.csv");
	op(&o, FUZZ_OP_UP, 0, "");
	op(&o, FUZZ_OP_FILE, 0, "z");
	put_tree("tree-odd", &o);

	/* 64 directories and a file (collected), one more and a file (not). */
	memset(&o, 0, sizeof(o));
	op(&o, FUZZ_OP_CHAIN, 16, "d");
	op(&o, FUZZ_OP_FILE, 0, "f");
	op(&o, FUZZ_OP_DIR, 0, "x");
	op(&o, FUZZ_OP_FILE, 0, "g");
	put_tree("tree-deep", &o);

	/* 4 directories of 252 bytes (1011), then files of 12 and 13 bytes: 1024, 1025. */
	memset(&o, 0, sizeof(o));
	for (i = 0; i < 4; i++)
		op(&o, FUZZ_OP_LONG, 31, "L");
	op(&o, FUZZ_OP_FILE, 0, "abcdefghijkl");
	op(&o, FUZZ_OP_FILE, 0, "abcdefghijklm");
	put_tree("tree-long", &o);
}

int
main(int argc, char **argv)
{
	char dir[] = "/tmp/gen_corpus.XXXXXX";

	if (argc != 3 && argc != 4) {
		fprintf(stderr, "usage: gen_corpus CORPUS_DIR SOURCE_DIR [TARGET]\n");
		return 64;
	}
	corpus = argv[1];
	only = argc == 4 ? argv[3] : NULL;
	tpmq_tss2_quiet();
	CHECK(mkdtemp(dir) != NULL);
	ledger_seeds(dir);
	outpath_seeds(dir);
	CHECK(rmdir(dir) == 0 || errno == ENOTEMPTY);
	quote_seed();
	policy_seeds(argv[2]);
	mcp_seeds();
	merkle_seeds();
	intoto_seeds();
	return 0;
}
