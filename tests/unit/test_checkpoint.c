/*
 * Unit tests for ledger/checkpoint.c: C2SP signed-note and tlog-checkpoint.
 *
 * Interoperability is checked against the vectors of Go's reference
 * implementation (golang.org/x/mod/sumdb/note, note_test.go): its verifier
 * key parses, its signed note verifies here, and a signer loaded from its
 * private seed produces its note byte for byte. Then strictness: every
 * malformed note Go refuses is refused, every mangled verifier key is
 * refused, every single-byte change of a checkpoint is refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "common/encode.h"
#include "common/err.h"
#include "common/file.h"
#include "ledger/checkpoint.h"

static char dir[64], key_a[128], key_b[128], key_go[128];

/* golang.org/x/mod/sumdb/note note_test.go */
static const char GO_VKEY[] = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
static const char GO_SKEY_B64[] = "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
static const char GO_TEXT[] = "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n";
static const char GO_SIG[] = "\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8p"
    "AcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
static const char GO_ENOCH_SIG[] = "\xe2\x80\x94 EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+M"
    "NtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

static int
group_setup(void **state)
{
	uint8_t *raw = NULL;
	size_t rawlen = 0;
	EVP_PKEY *k = NULL;
	BIO *bio = NULL;
	char *pem = NULL;
	long n;
	int r = -1;

	(void)state;
	strcpy(dir, "/tmp/rs-checkpoint-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(key_a, sizeof(key_a), "%s/a.key", dir);
	snprintf(key_b, sizeof(key_b), "%s/b.key", dir);
	snprintf(key_go, sizeof(key_go), "%s/go.key", dir);
	if (checkpoint_key_create(key_a) != 0 || checkpoint_key_create(key_b) != 0)
		return -1;
	/* Go's signer key: 0x01 || 32-byte Ed25519 seed, as a PKCS#8 PEM file. */
	if (rs_base64_decode(GO_SKEY_B64, strlen(GO_SKEY_B64), &raw, &rawlen) != 0 ||
	    rawlen != 33 || raw[0] != 0x01 ||
	    (k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, raw + 1, 32)) == NULL ||
	    (bio = BIO_new(BIO_s_mem())) == NULL ||
	    PEM_write_bio_PrivateKey(bio, k, NULL, NULL, 0, NULL, NULL) != 1 ||
	    (n = BIO_get_mem_data(bio, &pem)) <= 0 ||
	    rs_write_file_atomic(key_go, pem, (size_t)n, 0600, 1) != 0)
		goto out;
	r = 0;
out:
	BIO_free(bio);
	EVP_PKEY_free(k);
	free(raw);
	return r;
}

static int
group_teardown(void **state)
{
	(void)state;
	return rs_rm_rf(dir);
}

static struct checkpoint_trust *
trust_of(const char *vkey)
{
	struct checkpoint_trust *t = NULL;

	assert_int_equal(checkpoint_trust_new(&t), 0);
	assert_int_equal(checkpoint_trust_add_vkey(t, vkey, strlen(vkey)), 0);
	return t;
}

static struct checkpoint_trust *
trust_of_key(const char *path, const char *name)
{
	struct checkpoint_signer *s = NULL;
	struct checkpoint_trust *t;
	char *vkey = NULL;

	assert_int_equal(checkpoint_signer_open(path, name, &s), 0);
	assert_int_equal(checkpoint_signer_vkey(s, &vkey), 0);
	t = trust_of(vkey);
	free(vkey);
	checkpoint_signer_free(s);
	return t;
}

static void
test_go_vectors(void **state)
{
	struct checkpoint_trust *t = trust_of(GO_VKEY);
	struct checkpoint_signer *s = NULL;
	const char *by = NULL;
	char note[1024], *mine = NULL, *vkey = NULL;
	size_t tlen = 0, mlen = 0;

	(void)state;
	/* Go's signed note verifies here, and its text is what was signed. */
	snprintf(note, sizeof(note), "%s\n%s", GO_TEXT, GO_SIG);
	assert_int_equal(checkpoint_note_open((const uint8_t *)note, strlen(note), t, &tlen,
	    &by), 0);
	assert_int_equal(tlen, strlen(GO_TEXT));
	assert_string_equal(by, "PeterNeumann");
	/* A cosignature from a key we do not know is skipped, as in Go's Open. */
	snprintf(note, sizeof(note), "%s\n%s%s", GO_TEXT, GO_SIG, GO_ENOCH_SIG);
	assert_int_equal(checkpoint_note_open((const uint8_t *)note, strlen(note), t, &tlen,
	    &by), 0);
	/* Only an unknown key signed: not verified. */
	snprintf(note, sizeof(note), "%s\n%s", GO_TEXT, GO_ENOCH_SIG);
	assert_int_equal(checkpoint_note_open((const uint8_t *)note, strlen(note), t, &tlen,
	    &by), RS_ERR_VERIFY);
	assert_non_null(strstr(rs_err_detail(), "EnochRoot"));
	/* Our signer, loaded from Go's seed, writes Go's note byte for byte. */
	assert_int_equal(checkpoint_signer_open(key_go, "PeterNeumann", &s), 0);
	assert_int_equal(checkpoint_signer_vkey(s, &vkey), 0);
	assert_string_equal(vkey, GO_VKEY);
	assert_int_equal(checkpoint_note_sign(s, GO_TEXT, strlen(GO_TEXT), &mine, &mlen), 0);
	snprintf(note, sizeof(note), "%s\n%s", GO_TEXT, GO_SIG);
	assert_int_equal(mlen, strlen(note));
	assert_string_equal(mine, note);
	free(mine);
	free(vkey);
	checkpoint_signer_free(s);
	checkpoint_trust_free(t);
}

static void
test_go_malformed_notes(void **state)
{
	struct checkpoint_trust *t = trust_of(GO_VKEY);
	char bad[7][512], *sig_nonl;
	const char *by;
	size_t tlen, i;
	int rc;

	(void)state;
	sig_nonl = strndup(GO_SIG, strlen(GO_SIG) - 1);
	assert_non_null(sig_nonl);
	/* Go's badMsgs: each is "malformed note" there, RS_ERR_FORMAT here. */
	snprintf(bad[0], sizeof(bad[0]), "%s", GO_TEXT);
	snprintf(bad[1], sizeof(bad[1]), "%s\n", GO_TEXT);
	snprintf(bad[2], sizeof(bad[2]), "%s\n%s", GO_TEXT, sig_nonl);
	snprintf(bad[3], sizeof(bad[3]), "\x01%s\n%s", GO_TEXT, GO_SIG);
	snprintf(bad[4], sizeof(bad[4]), "\xff%s\n%s", GO_TEXT, GO_SIG);
	snprintf(bad[5], sizeof(bad[5]), "%s\n\xe2\x80\x94 Bad Name x08go/ZJkuBS9UG/SffcvIAQxV"
	    "BtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=", GO_TEXT);
	snprintf(bad[6], sizeof(bad[6]), "%s\n%sUnexpected line.\n", GO_TEXT, GO_SIG);
	for (i = 0; i < 7; i++) {
		rc = checkpoint_note_open((const uint8_t *)bad[i], strlen(bad[i]), t, &tlen, &by);
		if (rc != RS_ERR_FORMAT)
			fail_msg("malformed note %zu: got %d, want RS_ERR_FORMAT", i, rc);
	}
	/* A signature by the trusted key that does not verify is an error, not skipped. */
	snprintf(bad[0], sizeof(bad[0]), "%s\n%.*sABCD%s", GO_TEXT, 60, GO_SIG, GO_SIG + 60);
	assert_int_equal(checkpoint_note_open((const uint8_t *)bad[0], strlen(bad[0]), t, &tlen,
	    &by), RS_ERR_VERIFY);
	assert_non_null(strstr(rs_err_detail(), "does not verify"));
	free(sig_nonl);
	checkpoint_trust_free(t);
}

static void
test_go_mangled_vkeys(void **state)
{
	struct checkpoint_trust *t = NULL;
	char b[sizeof(GO_VKEY)];
	size_t i, j, n = strlen(GO_VKEY);

	(void)state;
	assert_int_equal(checkpoint_trust_new(&t), 0);
	/* Every proper substring, as Go's TestNewVerifier. */
	for (i = 0; i <= n; i++)
		for (j = i + 1; j <= n; j++)
			if (i != 0 || j != n)
				assert_int_not_equal(checkpoint_trust_add_vkey(t, GO_VKEY + i, j - i), 0);
	/* Every byte incremented. */
	memcpy(b, GO_VKEY, sizeof(b));
	for (i = 0; i < n; i++) {
		b[i]++;
		if (checkpoint_trust_add_vkey(t, b, n) == 0)
			fail_msg("mangled key accepted: %s", b);
		b[i]--;
	}
	/* Wrong key length and unknown algorithm, each with a matching key hash. */
	assert_int_equal(checkpoint_trust_add_vkey(t, "PeterNeumann+cc469956+ARpc2QcUPDhMQegwx"
	    "bzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==", 71), RS_ERR_FORMAT);
	assert_int_equal(checkpoint_trust_add_vkey(t, "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwx"
	    "bzhKqiBfsVkmqq/LDE4izWy10TW", 66), RS_ERR_FORMAT);
	assert_int_equal(checkpoint_trust_count(t), 0);
	checkpoint_trust_free(t);
}

static void
test_checkpoint_round_trip(void **state)
{
	struct checkpoint_signer *s = NULL;
	struct checkpoint_trust *t = trust_of_key(key_a, "example.org/log");
	struct checkpoint *c = NULL;
	uint8_t root[32];
	char *note = NULL, *root64 = NULL, want[512], name[64];
	size_t len = 0, tlen = 0;
	const char *by;

	(void)state;
	memset(root, 0xc3, sizeof(root));
	assert_int_equal(checkpoint_signer_open(key_a, "example.org/log", &s), 0);
	assert_string_equal(checkpoint_signer_name(s), "example.org/log");
	assert_int_equal(checkpoint_sign(s, 1234567, root, &note, &len), 0);
	assert_int_equal(strlen(note), len);
	/* tlog-checkpoint body, blank line, one em-dash signature line. */
	assert_int_equal(rs_base64_encode(root, 32, &root64), 0);
	snprintf(want, sizeof(want), "example.org/log\n1234567\n%s\n\n\xe2\x80\x94 example.org/log ",
	    root64);
	assert_int_equal(strncmp(note, want, strlen(want)), 0);
	assert_int_equal(note[len - 1], '\n');
	assert_int_equal(len, strlen(want) + 92 + 1);   /* base64 of 4 + 64 bytes */
	assert_int_equal(checkpoint_note_open((const uint8_t *)note, len, t, &tlen, &by), 0);
	assert_int_equal(tlen, strlen(want) - strlen("\n\xe2\x80\x94 example.org/log "));
	assert_int_equal(checkpoint_open((const uint8_t *)note, len, t, &c), 0);
	assert_string_equal(c->origin, "example.org/log");
	assert_int_equal(c->size, 1234567);
	assert_memory_equal(c->root, root, 32);
	checkpoint_free(c);
	assert_int_equal(checkpoint_parse_unverified((const uint8_t *)note, len, &c), 0);
	assert_int_equal(c->size, 1234567);
	checkpoint_free(c);
	/* The default ledger name is derived from the key and is a valid name. */
	assert_int_equal(checkpoint_key_default_name(key_a, name, sizeof(name)), 0);
	assert_int_equal(strncmp(name, "runseal/", 8), 0);
	assert_int_equal(strlen(name), 8 + 16);
	assert_true(checkpoint_name_ok(name));
	free(note);
	free(root64);
	checkpoint_signer_free(s);
	checkpoint_trust_free(t);
}

static void
test_every_byte_changed_is_refused(void **state)
{
	struct checkpoint_signer *s = NULL;
	struct checkpoint_trust *t = trust_of_key(key_a, "runseal/test");
	struct checkpoint *c = NULL;
	uint8_t root[32], *b;
	char *note = NULL;
	size_t len = 0, i;
	int rc;

	(void)state;
	memset(root, 0x42, sizeof(root));
	assert_int_equal(checkpoint_signer_open(key_a, "runseal/test", &s), 0);
	assert_int_equal(checkpoint_sign(s, 77, root, &note, &len), 0);
	b = malloc(len);
	assert_non_null(b);
	for (i = 0; i < len; i++) {
		memcpy(b, note, len);
		b[i] ^= 0x01;
		rc = checkpoint_open(b, len, t, &c);
		if (rc == 0)
			fail_msg("checkpoint with byte %zu changed verified", i);
		assert_null(c);
		assert_true(rc == RS_ERR_FORMAT || rc == RS_ERR_VERIFY);
	}
	/* Truncated at every length. */
	for (i = 0; i < len; i++)
		assert_int_not_equal(checkpoint_open((const uint8_t *)note, i, t, &c), 0);
	free(b);
	free(note);
	checkpoint_signer_free(s);
	checkpoint_trust_free(t);
}

static void
test_wrong_key_and_origin(void **state)
{
	struct checkpoint_signer *sa = NULL, *sb = NULL;
	struct checkpoint_trust *ta = trust_of_key(key_a, "log-a");
	struct checkpoint_trust *tb_as_a = trust_of_key(key_b, "log-a");
	struct checkpoint *c = NULL;
	uint8_t root[32];
	char *note = NULL, body[256], *root64 = NULL;
	size_t len = 0;

	(void)state;
	memset(root, 1, sizeof(root));
	assert_int_equal(checkpoint_signer_open(key_a, "log-a", &sa), 0);
	assert_int_equal(checkpoint_signer_open(key_b, "log-a", &sb), 0);
	/* Signed by another key under the same name: the key ID differs. */
	assert_int_equal(checkpoint_sign(sb, 5, root, &note, &len), 0);
	assert_int_equal(checkpoint_open((const uint8_t *)note, len, ta, &c), RS_ERR_VERIFY);
	assert_non_null(strstr(rs_err_detail(), "not signed by a checkpoint key in the trust file"));
	assert_int_equal(checkpoint_open((const uint8_t *)note, len, tb_as_a, &c), 0);
	checkpoint_free(c);
	free(note);
	/* A body claiming another origin, signed by log-a's key. */
	assert_int_equal(rs_base64_encode(root, 32, &root64), 0);
	snprintf(body, sizeof(body), "log-b\n5\n%s\n", root64);
	assert_int_equal(checkpoint_note_sign(sa, body, strlen(body), &note, &len), 0);
	assert_int_equal(checkpoint_open((const uint8_t *)note, len, ta, &c), RS_ERR_VERIFY);
	assert_non_null(strstr(rs_err_detail(), "claims origin log-b"));
	free(note);
	/* The signature of one checkpoint moved onto another (size changed): refused. */
	assert_int_equal(checkpoint_sign(sa, 5, root, &note, &len), 0);
	note[strlen("log-a\n")] = '6';
	assert_int_equal(checkpoint_open((const uint8_t *)note, len, ta, &c), RS_ERR_VERIFY);
	assert_non_null(strstr(rs_err_detail(), "does not verify"));
	free(note);
	free(root64);
	/* Names that cannot be key names. */
	checkpoint_signer_free(sa);
	assert_int_equal(checkpoint_signer_open(key_a, "two words", &sa), RS_ERR_USAGE);
	assert_null(sa);
	assert_int_equal(checkpoint_signer_open(key_a, "a+b", &sa), RS_ERR_USAGE);
	assert_int_equal(checkpoint_signer_open(key_a, "", &sa), RS_ERR_USAGE);
	checkpoint_signer_free(sb);
	checkpoint_trust_free(ta);
	checkpoint_trust_free(tb_as_a);
}

/* Sign body with key a as "o" and expect checkpoint_open to refuse it as malformed. */
static void
body_refused(struct checkpoint_signer *s, const struct checkpoint_trust *t, const char *body,
    const char *want)
{
	struct checkpoint *c = NULL;
	char *note = NULL;
	size_t len = 0;

	assert_int_equal(checkpoint_note_sign(s, body, strlen(body), &note, &len), 0);
	assert_int_equal(checkpoint_open((const uint8_t *)note, len, t, &c), RS_ERR_FORMAT);
	if (strstr(rs_err_detail(), want) == NULL)
		fail_msg("body %s: detail \"%s\" lacks \"%s\"", body, rs_err_detail(), want);
	free(note);
}

static void
test_body_strictness(void **state)
{
	static const char R[] = "QkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkI=";   /* 32 x 'B' */
	struct checkpoint_signer *s = NULL;
	struct checkpoint_trust *t = trust_of_key(key_a, "o");
	struct checkpoint *c = NULL;
	char body[512], *note = NULL;
	size_t len;

	(void)state;
	assert_int_equal(checkpoint_signer_open(key_a, "o", &s), 0);
	snprintf(body, sizeof(body), "o\n007\n%s\n", R);
	body_refused(s, t, body, "leading zeros");
	snprintf(body, sizeof(body), "o\n-1\n%s\n", R);
	body_refused(s, t, body, "decimal");
	snprintf(body, sizeof(body), "o\n+1\n%s\n", R);
	body_refused(s, t, body, "decimal");
	snprintf(body, sizeof(body), "o\n9223372036854775808\n%s\n", R);
	body_refused(s, t, body, "decimal");
	snprintf(body, sizeof(body), "o\n12\nQkJC\n");
	body_refused(s, t, body, "base64 of 32 bytes");
	snprintf(body, sizeof(body), "o\n12\n%s\nextension line\n", R);
	body_refused(s, t, body, "extension lines");
	snprintf(body, sizeof(body), "o\n12\n");
	body_refused(s, t, body, "three lines");
	/* The largest size is accepted. */
	snprintf(body, sizeof(body), "o\n9223372036854775807\n%s\n", R);
	assert_int_equal(checkpoint_note_sign(s, body, strlen(body), &note, &len), 0);
	assert_int_equal(checkpoint_open((const uint8_t *)note, len, t, &c), 0);
	assert_int_equal(c->size, INT64_MAX);
	checkpoint_free(c);
	free(note);
	/* The signer refuses text that is not a note's. */
	assert_int_equal(checkpoint_note_sign(s, "no newline", 10, &note, &len), RS_ERR_USAGE);
	assert_int_equal(checkpoint_note_sign(s, "a\n\nb\n", 5, &note, &len), RS_ERR_USAGE);
	checkpoint_signer_free(s);
	checkpoint_trust_free(t);
}

static void
test_note_bounds(void **state)
{
	struct checkpoint_signer *s = NULL;
	struct checkpoint_trust *t = trust_of_key(key_a, "o");
	struct checkpoint *c = NULL;
	uint8_t root[32] = { 0 }, *big;
	char *note = NULL, *many;
	size_t len = 0, i, used;

	(void)state;
	assert_int_equal(checkpoint_signer_open(key_a, "o", &s), 0);
	assert_int_equal(checkpoint_sign(s, 1, root, &note, &len), 0);
	/* Past the size bound: refused before parsing. */
	big = calloc(1, CHECKPOINT_MAX_NOTE + 1);
	assert_non_null(big);
	memcpy(big, note, len);
	assert_int_equal(checkpoint_open(big, CHECKPOINT_MAX_NOTE + 1, t, &c), RS_ERR_TOO_LARGE);
	free(big);
	/* More signature lines than allowed. */
	many = malloc(CHECKPOINT_MAX_NOTE);
	assert_non_null(many);
	memcpy(many, note, len);
	used = len;
	for (i = 0; i < CHECKPOINT_MAX_SIGS; i++) {
		memcpy(many + used, GO_ENOCH_SIG, strlen(GO_ENOCH_SIG));
		used += strlen(GO_ENOCH_SIG);
	}
	assert_true(used < CHECKPOINT_MAX_NOTE);
	assert_int_equal(checkpoint_open((uint8_t *)many, used, t, &c), RS_ERR_FORMAT);
	assert_non_null(strstr(rs_err_detail(), "more than"));
	free(many);
	free(note);
	checkpoint_signer_free(s);
	checkpoint_trust_free(t);
}

static void
test_trust_text(void **state)
{
	struct checkpoint_signer *s = NULL;
	struct checkpoint_trust *t = NULL;
	char *vkey = NULL, text[2048];

	(void)state;
	assert_int_equal(checkpoint_signer_open(key_a, "runseal/abc", &s), 0);
	assert_int_equal(checkpoint_signer_vkey(s, &vkey), 0);
	/* Key lines among PEM blocks and comments; CRLF tolerated. */
	snprintf(text, sizeof(text),
	    "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"
	    "# a comment\n" CHECKPOINT_TRUST_PREFIX "%s\r\n"
	    CHECKPOINT_TRUST_PREFIX "%s", vkey, GO_VKEY);
	assert_int_equal(checkpoint_trust_from_text(text, strlen(text), &t), 0);
	assert_int_equal(checkpoint_trust_count(t), 2);
	checkpoint_trust_free(t);
	/* No key line: an empty set, not an error (the caller decides). */
	assert_int_equal(checkpoint_trust_from_text("just text\n", 10, &t), 0);
	assert_int_equal(checkpoint_trust_count(t), 0);
	checkpoint_trust_free(t);
	/* A broken key line names its line. */
	snprintf(text, sizeof(text), "x\ny\n" CHECKPOINT_TRUST_PREFIX "%.20s\n", vkey);
	assert_int_equal(checkpoint_trust_from_text(text, strlen(text), &t), RS_ERR_FORMAT);
	assert_null(t);
	assert_non_null(strstr(rs_err_detail(), "line 3"));
	free(vkey);
	checkpoint_signer_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_go_vectors),
		cmocka_unit_test(test_go_malformed_notes),
		cmocka_unit_test(test_go_mangled_vkeys),
		cmocka_unit_test(test_checkpoint_round_trip),
		cmocka_unit_test(test_every_byte_changed_is_refused),
		cmocka_unit_test(test_wrong_key_and_origin),
		cmocka_unit_test(test_body_strictness),
		cmocka_unit_test(test_note_bounds),
		cmocka_unit_test(test_trust_text),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
