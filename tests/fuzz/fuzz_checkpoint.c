/*
 * fuzz_checkpoint: C2SP signed notes and checkpoints (ledger/checkpoint.h):
 * checkpoint_open, checkpoint_note_open, checkpoint_parse_unverified.
 * The input is the note.
 *
 * Oracles (Ed25519 signatures are deterministic, so the target can re-sign
 * what it is shown with the corpus key):
 *  - a checkpoint accepted under the corpus key is in canonical form: its
 *    body is exactly "<origin>\n<size>\n<base64 root>\n" as checkpoint_sign
 *    writes it, and the note carries the signature line checkpoint_sign
 *    makes for it;
 *  - what checkpoint_parse_unverified reads from an accepted note is what
 *    checkpoint_open read;
 *  - nothing is accepted under a key made fresh in this process.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "common/err.h"
#include "common/log.h"
#include "ledger/checkpoint.h"
#include "tests/fuzz/fuzz_common.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct checkpoint_signer *signer;
static struct checkpoint_trust *trust, *fresh_trust;

static struct checkpoint_signer *
signer_from_pem(const char *pem, size_t len, const char *name)
{
	struct checkpoint_signer *s = NULL;
	char path[64];
	int fd = fuzz_memfile(pem, len, path);

	FUZZ_CHECK(fd >= 0);
	FUZZ_CHECK(checkpoint_signer_open(path, name, &s) == 0);
	close(fd);
	return s;
}

static struct checkpoint_trust *
trust_of(const struct checkpoint_signer *s)
{
	struct checkpoint_trust *t = NULL;
	char *vkey = NULL;

	FUZZ_CHECK(checkpoint_signer_vkey(s, &vkey) == 0);
	FUZZ_CHECK(checkpoint_trust_new(&t) == 0);
	FUZZ_CHECK(checkpoint_trust_add_vkey(t, vkey, strlen(vkey)) == 0);
	free(vkey);
	return t;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct checkpoint_signer *fresh;
	EVP_PKEY *k;
	BIO *b;
	char *pem;
	long len;

	(void)argc;
	(void)argv;
	rs_log_set_level(RS_LOG_QUIET);
	signer = signer_from_pem(FUZZ_CP_KEY_PEM, strlen(FUZZ_CP_KEY_PEM), FUZZ_ORIGIN);
	trust = trust_of(signer);
	/* A fresh key of the same name: its signature lines look the same. */
	FUZZ_CHECK((k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519")) != NULL);
	FUZZ_CHECK((b = BIO_new(BIO_s_mem())) != NULL);
	FUZZ_CHECK(PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL) == 1);
	FUZZ_CHECK((len = BIO_get_mem_data(b, &pem)) > 0);
	fresh = signer_from_pem(pem, (size_t)len, FUZZ_ORIGIN);
	fresh_trust = trust_of(fresh);
	checkpoint_signer_free(fresh);
	BIO_free(b);
	EVP_PKEY_free(k);
	return 0;
}

/* 1 if line (with its newline) is one of the note's lines after text_len. */
static int
has_line(const uint8_t *note, size_t len, size_t from, const char *line, size_t llen)
{
	size_t p = from;

	while (p < len) {
		const uint8_t *nl = memchr(note + p, '\n', len - p);
		size_t end = nl != NULL ? (size_t)(nl - note) + 1 : len;
		if (end - p == llen && memcmp(note + p, line, llen) == 0)
			return 1;
		p = end;
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct checkpoint *c = NULL, *u = NULL;
	const char *by = NULL;
	char *mine = NULL;
	size_t text_len = 0, mlen = 0, body;
	int r;

	(void)checkpoint_note_open(data, size, NULL, &text_len, &by);
	(void)checkpoint_note_open(data, size, trust, &text_len, &by);
	FUZZ_CHECK(checkpoint_open(data, size, fresh_trust, &c) != 0 && c == NULL);
	FUZZ_CHECK(checkpoint_note_open(data, size, fresh_trust, &text_len, &by) != 0);
	r = checkpoint_parse_unverified(data, size, &u);
	if (checkpoint_open(data, size, trust, &c) == 0) {
		FUZZ_CHECK(r == 0 && u != NULL);
		FUZZ_CHECK(strcmp(c->origin, u->origin) == 0 && c->size == u->size &&
		    memcmp(c->root, u->root, MERKLE_HASH_LEN) == 0);
		FUZZ_CHECK(checkpoint_sign(signer, c->size, c->root, &mine, &mlen) == 0);
		/* mine = body "\n" sigline: the note starts with body "\n". */
		body = (size_t)(strstr(mine, "\n\n") - mine) + 2;
		FUZZ_CHECK(size >= body && memcmp(data, mine, body) == 0);
		FUZZ_CHECK(has_line(data, size, body, mine + body, mlen - body));
		free(mine);
	}
	checkpoint_free(c);
	checkpoint_free(u);
	rs_err_clear();
	return 0;
}
