/*
 * checkpoint.c - C2SP tlog-checkpoint bodies signed as C2SP signed-notes
 * with Ed25519 (OpenSSL EVP). Formats in checkpoint.h.
 *
 * Every note read here is untrusted: it is scanned within its length, line
 * by line, without ever being treated as a C string, and its signatures
 * are checked over the note's own body bytes (nothing is re-serialized).
 */
#include "ledger/checkpoint.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "common/encode.h"
#include "common/err.h"
#include "common/file.h"
#include "common/hash.h"

#define ED25519_PUB_LEN 32
#define ED25519_SIG_LEN 64
/* The signed-note algorithm byte for Ed25519. */
#define NOTE_ALG_ED25519 0x01
#define KEY_FILE_MAX 16384
#define TRUST_TEXT_MAX (1024 * 1024)
/* U+2014 EM DASH and a space: the start of every signature line. */
static const char SIG_PREFIX[] = "\xe2\x80\x94 ";
#define SIG_PREFIX_LEN 4

struct checkpoint_signer {
	EVP_PKEY *key;
	char *name;
	uint8_t pub[ED25519_PUB_LEN];
	uint32_t key_id;
};

struct trusted {
	EVP_PKEY *key;
	char *name;
	uint32_t key_id;
};

struct checkpoint_trust {
	struct trusted *keys;
	size_t n;
};

void
checkpoint_free(struct checkpoint *c)
{
	if (c == NULL)
		return;
	free(c->origin);
	free(c);
}

int
checkpoint_name_ok(const char *name)
{
	size_t i, n;

	if (name == NULL || (n = strlen(name)) == 0 || n > CHECKPOINT_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)name[i] < 0x21 || (unsigned char)name[i] > 0x7e ||
		    name[i] == '+')
			return 0;
	return 1;
}

/* key ID = first 4 bytes, big endian, of SHA-256(name || 0x0A || 0x01 || pub). */
static int
key_id(const char *name, size_t name_len, const uint8_t pub[ED25519_PUB_LEN], uint32_t *out)
{
	static const uint8_t sep[2] = { 0x0a, NOTE_ALG_ED25519 };
	struct rs_sha256 *h = NULL;
	uint8_t d[RS_SHA256_LEN];
	int r;

	*out = 0;
	if ((r = rs_sha256_new(&h)) != 0)
		goto out;
	if ((r = rs_sha256_update(h, name, name_len)) != 0 ||
	    (r = rs_sha256_update(h, sep, sizeof(sep))) != 0 ||
	    (r = rs_sha256_update(h, pub, ED25519_PUB_LEN)) != 0 ||
	    (r = rs_sha256_final(h, d)) != 0)
		goto out;
	*out = (uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 | (uint32_t)d[2] << 8 | d[3];
	r = 0;
out:
	rs_sha256_free(h);
	return r;
}

int
checkpoint_key_create(const char *path)
{
	EVP_PKEY *key = NULL;
	BIO *bio = NULL;
	char *pem = NULL;
	long n;
	int r = RS_ERR_INTERNAL;

	if ((key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519")) == NULL) {
		r = rs_fail(RS_ERR_CRYPTO, "generating an Ed25519 key failed");
		goto out;
	}
	if ((bio = BIO_new(BIO_s_secmem())) == NULL ||
	    PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL) != 1 ||
	    (n = BIO_get_mem_data(bio, &pem)) <= 0) {
		r = rs_fail(RS_ERR_CRYPTO, "encoding the Ed25519 private key failed");
		goto out;
	}
	if ((r = rs_write_file_atomic(path, pem, (size_t)n, 0600, 1)) != 0)
		goto out;
	r = 0;
out:
	ERR_clear_error();
	BIO_free(bio);          /* secure-heap BIO: wiped on free */
	EVP_PKEY_free(key);
	return r;
}

/* Load an Ed25519 private key file; the PEM text is wiped after use. */
static int
load_key(const char *path, EVP_PKEY **out, uint8_t pub[ED25519_PUB_LEN])
{
	EVP_PKEY *key = NULL;
	uint8_t *pem = NULL;
	size_t len = 0, plen = ED25519_PUB_LEN;
	BIO *bio = NULL;
	int r = RS_ERR_INTERNAL;

	*out = NULL;
	if ((r = rs_read_file(path, KEY_FILE_MAX, &pem, &len)) != 0)
		goto out;
	if ((bio = BIO_new_mem_buf(pem, (int)len)) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	if ((key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL)) == NULL) {
		r = rs_fail(RS_ERR_FORMAT, "%s: not a PEM private key", path);
		goto out;
	}
	if (!EVP_PKEY_is_a(key, "ED25519")) {
		r = rs_fail(RS_ERR_FORMAT, "%s: not an Ed25519 key", path);
		goto out;
	}
	if (EVP_PKEY_get_raw_public_key(key, pub, &plen) != 1 || plen != ED25519_PUB_LEN) {
		r = rs_fail(RS_ERR_CRYPTO, "%s: cannot read the public key", path);
		goto out;
	}
	*out = key;
	key = NULL;
	r = 0;
out:
	ERR_clear_error();
	EVP_PKEY_free(key);
	BIO_free(bio);
	if (pem != NULL) {
		OPENSSL_cleanse(pem, len);
		free(pem);
	}
	return r;
}

static int
default_name(const uint8_t pub[ED25519_PUB_LEN], char *name, size_t size)
{
	uint8_t d[RS_SHA256_LEN];
	char hex[17];
	int r;

	if (size < sizeof("runseal/") + 16)
		return rs_fail(RS_ERR_INTERNAL, "name buffer too small");
	if ((r = rs_sha256(pub, ED25519_PUB_LEN, d)) != 0)
		return r;
	rs_hex_encode(d, 8, hex);
	snprintf(name, size, "runseal/%s", hex);
	return 0;
}

int
checkpoint_key_default_name(const char *path, char *name, size_t size)
{
	EVP_PKEY *key = NULL;
	uint8_t pub[ED25519_PUB_LEN];
	int r;

	if (size > 0)
		name[0] = '\0';
	if ((r = load_key(path, &key, pub)) != 0)
		goto out;
	r = default_name(pub, name, size);
out:
	EVP_PKEY_free(key);
	return r;
}

int
checkpoint_signer_default_name(const struct checkpoint_signer *s, char *name, size_t size)
{
	return default_name(s->pub, name, size);
}

int
checkpoint_signer_open(const char *path, const char *name, struct checkpoint_signer **out)
{
	struct checkpoint_signer *s = NULL;
	int r = RS_ERR_INTERNAL;

	*out = NULL;
	if (!checkpoint_name_ok(name)) {
		r = rs_fail(RS_ERR_USAGE, "\"%s\" cannot name a checkpoint key: 1 to %d "
		    "printable ASCII characters, no space and no '+'", name != NULL ? name : "",
		    CHECKPOINT_NAME_MAX);
		goto out;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL || (s->name = strdup(name)) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	if ((r = load_key(path, &s->key, s->pub)) != 0 ||
	    (r = key_id(s->name, strlen(s->name), s->pub, &s->key_id)) != 0)
		goto out;
	*out = s;
	s = NULL;
	r = 0;
out:
	checkpoint_signer_free(s);
	return r;
}

void
checkpoint_signer_free(struct checkpoint_signer *s)
{
	if (s == NULL)
		return;
	EVP_PKEY_free(s->key);  /* OpenSSL clears the private key when it frees it */
	free(s->name);
	free(s);
}

const char *
checkpoint_signer_name(const struct checkpoint_signer *s)
{
	return s->name;
}

int
checkpoint_signer_vkey(const struct checkpoint_signer *s, char **out)
{
	uint8_t raw[1 + ED25519_PUB_LEN];
	char *b64 = NULL, *v = NULL;
	int r = RS_ERR_INTERNAL;

	*out = NULL;
	raw[0] = NOTE_ALG_ED25519;
	memcpy(raw + 1, s->pub, ED25519_PUB_LEN);
	if ((r = rs_base64_encode(raw, sizeof(raw), &b64)) != 0)
		goto out;
	if (asprintf(&v, "%s+%08" PRIx32 "+%s", s->name, s->key_id, b64) < 0) {
		v = NULL;
		r = RS_ERR_ALLOC;
		goto out;
	}
	*out = v;
	v = NULL;
	r = 0;
out:
	free(b64);
	free(v);
	return r;
}

/*
 * Valid UTF-8 (no overlong forms, surrogates or code points past U+10FFFF)
 * with no control character except '\n': the signed-note rule.
 */
static int
note_chars_ok(const uint8_t *p, size_t len)
{
	size_t i = 0, k, n;
	uint32_t cp;

	while (i < len) {
		uint8_t c = p[i];

		if (c < 0x80) {
			if ((c < 0x20 && c != '\n') || c == 0x7f)
				return 0;
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else {
			return 0;
		}
		if (len - i <= n)
			return 0;
		for (k = 1; k <= n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (p[i + k] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp < 0xa0))
			return 0;
		i += n + 1;
	}
	return 1;
}

int
checkpoint_note_sign(const struct checkpoint_signer *s, const char *text, size_t len,
    char **note, size_t *nlen)
{
	EVP_MD_CTX *md = NULL;
	uint8_t sig[4 + ED25519_SIG_LEN];
	char *sig64 = NULL, *out = NULL;
	size_t siglen = ED25519_SIG_LEN;
	int n, r = RS_ERR_INTERNAL;

	*note = NULL;
	*nlen = 0;
	if (len == 0 || len > CHECKPOINT_MAX_NOTE || text[len - 1] != '\n' ||
	    !note_chars_ok((const uint8_t *)text, len) || memmem(text, len, "\n\n", 2) != NULL) {
		r = rs_fail(RS_ERR_USAGE, "note text must be non-empty lines ending in a newline");
		goto out;
	}
	sig[0] = (uint8_t)(s->key_id >> 24);
	sig[1] = (uint8_t)(s->key_id >> 16);
	sig[2] = (uint8_t)(s->key_id >> 8);
	sig[3] = (uint8_t)s->key_id;
	if ((md = EVP_MD_CTX_new()) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	if (EVP_DigestSignInit(md, NULL, NULL, NULL, s->key) != 1 ||
	    EVP_DigestSign(md, sig + 4, &siglen, (const uint8_t *)text, len) != 1 ||
	    siglen != ED25519_SIG_LEN) {
		r = rs_fail(RS_ERR_CRYPTO, "signing the note failed");
		goto out;
	}
	if ((r = rs_base64_encode(sig, sizeof(sig), &sig64)) != 0)
		goto out;
	if ((n = asprintf(&out, "%.*s\n%s%s %s\n", (int)len, text, SIG_PREFIX, s->name,
	    sig64)) < 0) {
		out = NULL;
		r = RS_ERR_ALLOC;
		goto out;
	}
	if ((size_t)n > CHECKPOINT_MAX_NOTE) {
		r = rs_fail(RS_ERR_TOO_LARGE, "signed note of %d bytes", n);
		goto out;
	}
	*note = out;
	*nlen = (size_t)n;
	out = NULL;
	r = 0;
out:
	ERR_clear_error();
	EVP_MD_CTX_free(md);
	free(sig64);
	free(out);
	return r;
}

int
checkpoint_sign(const struct checkpoint_signer *s, uint64_t size,
    const uint8_t root[MERKLE_HASH_LEN], char **note, size_t *len)
{
	char *root64 = NULL, *body = NULL;
	int blen, r = RS_ERR_INTERNAL;

	*note = NULL;
	*len = 0;
	if (size > MERKLE_MAX_SIZE) {
		r = rs_fail(RS_ERR_USAGE, "checkpoint size %" PRIu64 " is too large", size);
		goto out;
	}
	if ((r = rs_base64_encode(root, MERKLE_HASH_LEN, &root64)) != 0)
		goto out;
	if ((blen = asprintf(&body, "%s\n%" PRIu64 "\n%s\n", s->name, size, root64)) < 0) {
		body = NULL;
		r = RS_ERR_ALLOC;
		goto out;
	}
	r = checkpoint_note_sign(s, body, (size_t)blen, note, len);
out:
	free(root64);
	free(body);
	return r;
}

int
checkpoint_trust_new(struct checkpoint_trust **out)
{
	*out = calloc(1, sizeof(**out));
	return *out == NULL ? RS_ERR_ALLOC : 0;
}

void
checkpoint_trust_free(struct checkpoint_trust *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++) {
		EVP_PKEY_free(t->keys[i].key);
		free(t->keys[i].name);
	}
	free(t->keys);
	free(t);
}

size_t
checkpoint_trust_count(const struct checkpoint_trust *t)
{
	return t == NULL ? 0 : t->n;
}

/* Lower-case or upper-case hex digit value, or -1. */
static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
checkpoint_trust_add_vkey(struct checkpoint_trust *t, const char *vkey, size_t len)
{
	const char *p1, *p2, *end = vkey + len;
	struct trusted *nk;
	EVP_PKEY *key = NULL;
	uint8_t *raw = NULL;
	size_t rawlen = 0, i;
	uint32_t id = 0, want;
	char *name = NULL;
	int v, r = RS_ERR_INTERNAL;

	if (len == 0 || len > 1024) {
		r = rs_fail(RS_ERR_FORMAT, "checkpoint key of %zu bytes is not a verifier key", len);
		goto out;
	}
	/* name + hexid + base64; the name has no '+', base64 may. */
	if ((p1 = memchr(vkey, '+', len)) == NULL ||
	    (p2 = memchr(p1 + 1, '+', (size_t)(end - p1 - 1))) == NULL) {
		r = rs_fail(RS_ERR_FORMAT, "checkpoint key is not \"name+keyid+key\"");
		goto out;
	}
	if ((name = strndup(vkey, (size_t)(p1 - vkey))) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	if (strlen(name) != (size_t)(p1 - vkey) || !checkpoint_name_ok(name)) {
		r = rs_fail(RS_ERR_FORMAT, "checkpoint key name is not 1 to %d printable "
		    "characters without spaces", CHECKPOINT_NAME_MAX);
		goto out;
	}
	if (p2 - p1 - 1 != 8) {
		r = rs_fail(RS_ERR_FORMAT, "checkpoint key %s: key ID is not 8 hex digits", name);
		goto out;
	}
	for (i = 0; i < 8; i++) {
		if ((v = hexval(p1[1 + i])) < 0) {
			r = rs_fail(RS_ERR_FORMAT, "checkpoint key %s: key ID is not 8 hex digits",
			    name);
			goto out;
		}
		id = id << 4 | (uint32_t)v;
	}
	if ((r = rs_base64_decode(p2 + 1, (size_t)(end - p2 - 1), &raw, &rawlen)) != 0) {
		r = rs_fail(RS_ERR_FORMAT, "checkpoint key %s: key is not base64", name);
		goto out;
	}
	if (rawlen != 1 + ED25519_PUB_LEN || raw[0] != NOTE_ALG_ED25519) {
		r = rs_fail(RS_ERR_FORMAT, "checkpoint key %s: not an Ed25519 verifier key "
		    "(algorithm byte 0x01 and 32 bytes)", name);
		goto out;
	}
	if ((r = key_id(name, strlen(name), raw + 1, &want)) != 0)
		goto out;
	if (id != want) {
		r = rs_fail(RS_ERR_FORMAT, "checkpoint key %s: key ID %08" PRIx32 " does not "
		    "match the key (%08" PRIx32 ")", name, id, want);
		goto out;
	}
	if (t->n >= CHECKPOINT_MAX_TRUSTED) {
		r = rs_fail(RS_ERR_TOO_LARGE, "more than %d checkpoint keys",
		    CHECKPOINT_MAX_TRUSTED);
		goto out;
	}
	if ((key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, raw + 1,
	    ED25519_PUB_LEN)) == NULL) {
		r = rs_fail(RS_ERR_FORMAT, "checkpoint key %s: not a valid Ed25519 key", name);
		goto out;
	}
	if ((nk = realloc(t->keys, (t->n + 1) * sizeof(*nk))) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	t->keys = nk;
	nk[t->n].key = key;
	nk[t->n].name = name;
	nk[t->n].key_id = id;
	t->n++;
	key = NULL;
	name = NULL;
	r = 0;
out:
	ERR_clear_error();
	EVP_PKEY_free(key);
	free(name);
	free(raw);
	return r;
}

int
checkpoint_trust_from_text(const char *text, size_t len, struct checkpoint_trust **out)
{
	static const size_t plen = sizeof(CHECKPOINT_TRUST_PREFIX) - 1;
	struct checkpoint_trust *t = NULL;
	const char *line = text, *end = text + len, *nl;
	size_t llen, lineno = 0;
	int r = RS_ERR_INTERNAL;

	*out = NULL;
	if (len > TRUST_TEXT_MAX) {
		r = rs_fail(RS_ERR_TOO_LARGE, "trust file larger than %d bytes", TRUST_TEXT_MAX);
		goto out;
	}
	if ((r = checkpoint_trust_new(&t)) != 0)
		goto out;
	while (line < end) {
		lineno++;
		nl = memchr(line, '\n', (size_t)(end - line));
		llen = (size_t)((nl != NULL ? nl : end) - line);
		if (llen > 0 && line[llen - 1] == '\r')
			llen--;
		if (llen >= plen && memcmp(line, CHECKPOINT_TRUST_PREFIX, plen) == 0 &&
		    (r = checkpoint_trust_add_vkey(t, line + plen, llen - plen)) != 0) {
			r = rs_fail(r, "line %zu: %s", lineno, rs_err_detail());
			goto out;
		}
		line = nl != NULL ? nl + 1 : end;
	}
	*out = t;
	t = NULL;
	r = 0;
out:
	checkpoint_trust_free(t);
	return r;
}

/*
 * Parse the body (text, tlen bytes, ending in '\n'): origin, size, root, and
 * nothing else.
 */
static int
parse_body(const uint8_t *text, size_t tlen, struct checkpoint **out)
{
	const char *s = (const char *)text, *end = s + tlen, *l2, *l3, *l4;
	struct checkpoint *c = NULL;
	uint8_t *root = NULL;
	size_t rootlen = 0, i;
	uint64_t size = 0;
	int r = RS_ERR_INTERNAL;

	*out = NULL;
	if ((l2 = memchr(s, '\n', tlen)) == NULL || (l2++, l2 >= end) ||
	    (l3 = memchr(l2, '\n', (size_t)(end - l2))) == NULL || (l3++, l3 >= end) ||
	    (l4 = memchr(l3, '\n', (size_t)(end - l3))) == NULL) {
		r = rs_fail(RS_ERR_FORMAT, "checkpoint body is not three lines (origin, tree "
		    "size, root hash)");
		goto out;
	}
	l4++;
	if (l4 != end) {
		r = rs_fail(RS_ERR_FORMAT, "checkpoint has extension lines after the root "
		    "hash (runseal writes none)");
		goto out;
	}
	if (l2 - 1 == s || (size_t)(l2 - 1 - s) > CHECKPOINT_NAME_MAX) {
		r = rs_fail(RS_ERR_FORMAT, "checkpoint origin line is empty or longer than %d "
		    "bytes", CHECKPOINT_NAME_MAX);
		goto out;
	}
	/* Decimal, no sign, no leading zero, at most MERKLE_MAX_SIZE. */
	if (l3 - 1 == l2 || l3 - 1 - l2 > 19 || (l2[0] == '0' && l3 - 1 - l2 > 1)) {
		r = rs_fail(RS_ERR_FORMAT, "checkpoint tree size is not a decimal number "
		    "without leading zeros");
		goto out;
	}
	for (i = 0; l2 + i < l3 - 1; i++) {
		unsigned d = (unsigned)(l2[i] - '0');

		if (l2[i] < '0' || l2[i] > '9' || size > (MERKLE_MAX_SIZE - d) / 10) {
			r = rs_fail(RS_ERR_FORMAT, "checkpoint tree size is not a decimal number "
			    "up to %" PRIu64, MERKLE_MAX_SIZE);
			goto out;
		}
		size = size * 10 + d;
	}
	if (rs_base64_decode(l3, (size_t)(l4 - 1 - l3), &root, &rootlen) != 0 ||
	    rootlen != MERKLE_HASH_LEN) {
		r = rs_fail(RS_ERR_FORMAT, "checkpoint root hash is not the base64 of 32 bytes");
		goto out;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->origin = strndup(s, (size_t)(l2 - 1 - s))) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	c->size = size;
	memcpy(c->root, root, MERKLE_HASH_LEN);
	*out = c;
	c = NULL;
	r = 0;
out:
	free(root);
	checkpoint_free(c);
	return r;
}

static const struct trusted *
find_trusted(const struct checkpoint_trust *t, const char *name, size_t nlen, uint32_t id)
{
	size_t i;

	for (i = 0; t != NULL && i < t->n; i++)
		if (t->keys[i].key_id == id && strlen(t->keys[i].name) == nlen &&
		    memcmp(t->keys[i].name, name, nlen) == 0)
			return &t->keys[i];
	return NULL;
}

static int
ed25519_verify(EVP_PKEY *key, const uint8_t *msg, size_t len, const uint8_t *sig)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok = 0;

	if (md != NULL && EVP_DigestVerifyInit(md, NULL, NULL, NULL, key) == 1 &&
	    EVP_DigestVerify(md, sig, ED25519_SIG_LEN, msg, len) == 1)
		ok = 1;
	EVP_MD_CTX_free(md);
	ERR_clear_error();
	return ok;
}

int
checkpoint_note_open(const uint8_t *note, size_t len, const struct checkpoint_trust *trust,
    size_t *text_len, const char **verified_by)
{
	const uint8_t *sigs, *end = note + len, *line, *nl, *sp;
	const struct trusted *k;
	uint8_t *sig = NULL;
	size_t split, tlen, siglen = 0, nsig = 0, used = 0;
	char signers[256];
	uint32_t id;
	int r = RS_ERR_INTERNAL;

	*text_len = 0;
	*verified_by = NULL;
	signers[0] = '\0';
	if (len > CHECKPOINT_MAX_NOTE) {
		r = rs_fail(RS_ERR_TOO_LARGE, "checkpoint of %zu bytes, more than the limit of %d",
		    len, CHECKPOINT_MAX_NOTE);
		goto out;
	}
	if (len == 0 || note == NULL) {
		r = rs_fail(RS_ERR_FORMAT, "checkpoint is empty");
		goto out;
	}
	if (!note_chars_ok(note, len)) {
		r = rs_fail(RS_ERR_FORMAT, "checkpoint is not a signed note: invalid UTF-8 or "
		    "a control character");
		goto out;
	}
	/* The text ends at the last empty line; signature lines follow it. */
	for (split = len - 1; split > 0; split--)
		if (note[split - 1] == '\n' && note[split] == '\n')
			break;
	if (split == 0) {
		r = rs_fail(RS_ERR_FORMAT, "checkpoint is not a signed note: no empty line "
		    "before the signatures");
		goto out;
	}
	tlen = split;   /* text = note[0, split), ending with its '\n' */
	sigs = note + split + 1;
	if (sigs >= end || end[-1] != '\n') {
		r = rs_fail(RS_ERR_FORMAT, "checkpoint is not a signed note: no signature line "
		    "after the empty line");
		goto out;
	}
	for (line = sigs; line < end; line = nl + 1) {
		nl = memchr(line, '\n', (size_t)(end - line));   /* found: end[-1] is '\n' */
		if (++nsig > CHECKPOINT_MAX_SIGS) {
			r = rs_fail(RS_ERR_FORMAT, "checkpoint has more than %d signatures",
			    CHECKPOINT_MAX_SIGS);
			goto out;
		}
		if (nl - line < SIG_PREFIX_LEN || memcmp(line, SIG_PREFIX, SIG_PREFIX_LEN) != 0) {
			r = rs_fail(RS_ERR_FORMAT, "checkpoint signature line %zu does not start "
			    "with an em dash and a space", nsig);
			goto out;
		}
		line += SIG_PREFIX_LEN;
		if ((sp = memchr(line, ' ', (size_t)(nl - line))) == NULL || sp == line ||
		    memchr(line, '+', (size_t)(sp - line)) != NULL) {
			r = rs_fail(RS_ERR_FORMAT, "checkpoint signature line %zu is not \"— name "
			    "signature\"", nsig);
			goto out;
		}
		free(sig);
		sig = NULL;
		if (rs_base64_decode((const char *)sp + 1, (size_t)(nl - sp - 1), &sig,
		    &siglen) != 0 || siglen < 5) {
			r = rs_fail(RS_ERR_FORMAT, "checkpoint signature line %zu: signature is "
			    "not base64 of a key ID and a signature", nsig);
			goto out;
		}
		if (used + (size_t)(sp - line) + 3 < sizeof(signers))
			used += (size_t)snprintf(signers + used, sizeof(signers) - used, "%s%.*s",
			    used > 0 ? ", " : "", (int)(sp - line), (const char *)line);
		if (trust == NULL)
			continue;
		id = (uint32_t)sig[0] << 24 | (uint32_t)sig[1] << 16 | (uint32_t)sig[2] << 8 | sig[3];
		if ((k = find_trusted(trust, (const char *)line, (size_t)(sp - line), id)) == NULL)
			continue;       /* someone else's signature (a witness, say): skipped */
		if (siglen != 4 + ED25519_SIG_LEN || !ed25519_verify(k->key, note, tlen, sig + 4)) {
			r = rs_fail(RS_ERR_VERIFY, "checkpoint signature by trusted key %s does not "
			    "verify: the checkpoint or its signature was altered", k->name);
			goto out;
		}
		if (*verified_by == NULL)
			*verified_by = k->name;
	}
	if (trust != NULL && *verified_by == NULL) {
		r = rs_fail(RS_ERR_VERIFY, "checkpoint is not signed by a checkpoint key in the "
		    "trust file (signed by: %s)", signers);
		goto out;
	}
	*text_len = tlen;
	r = 0;
out:
	free(sig);
	if (r != 0)
		*verified_by = NULL;
	return r;
}

int
checkpoint_open(const uint8_t *note, size_t len, const struct checkpoint_trust *trust,
    struct checkpoint **out)
{
	struct checkpoint *c = NULL;
	const char *by = NULL;
	size_t tlen = 0;
	int r = RS_ERR_INTERNAL;

	*out = NULL;
	if (trust == NULL) {
		r = rs_fail(RS_ERR_USAGE, "no checkpoint trust to verify against");
		goto out;
	}
	/* The body is checked first: a malformed checkpoint is reported as such. */
	if ((r = checkpoint_note_open(note, len, NULL, &tlen, &by)) != 0 ||
	    (r = parse_body(note, tlen, &c)) != 0 ||
	    (r = checkpoint_note_open(note, len, trust, &tlen, &by)) != 0) {
		if (r == RS_ERR_VERIFY && c != NULL)
			r = rs_fail(r, "checkpoint of %s for size %" PRIu64 ": %s", c->origin,
			    c->size, rs_err_detail());
		goto out;
	}
	/* runseal names each ledger's key after its origin: a checkpoint speaks for one log. */
	if (strcmp(by, c->origin) != 0) {
		r = rs_fail(RS_ERR_VERIFY, "checkpoint claims origin %s but is signed by the key "
		    "of %s", c->origin, by);
		goto out;
	}
	*out = c;
	c = NULL;
	r = 0;
out:
	checkpoint_free(c);
	return r;
}

int
checkpoint_parse_unverified(const uint8_t *note, size_t len, struct checkpoint **out)
{
	const char *by;
	size_t tlen = 0;
	int r;

	*out = NULL;
	if ((r = checkpoint_note_open(note, len, NULL, &tlen, &by)) != 0)
		return r;
	return parse_body(note, tlen, out);
}
