/*
 * merkle_ref.c - the naive reference Merkle tree (see merkle_ref.h).
 * Deliberately recursive and unoptimised: it must be obviously the RFC.
 */
#include "merkle_ref.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

static void
sha256_parts(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen,
    const uint8_t *c, size_t clen, uint8_t out[32])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned int n = 0;

	if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(md, a, alen) != 1 ||
	    (blen > 0 && EVP_DigestUpdate(md, b, blen) != 1) ||
	    (clen > 0 && EVP_DigestUpdate(md, c, clen) != 1) ||
	    EVP_DigestFinal_ex(md, out, &n) != 1 || n != 32)
		abort();
	EVP_MD_CTX_free(md);
}

void
ref_leaf_hash(const uint8_t *data, size_t len, uint8_t out[32])
{
	static const uint8_t zero = 0x00;

	sha256_parts(&zero, 1, data, len, NULL, 0, out);
}

void
ref_node_hash(const uint8_t l[32], const uint8_t r[32], uint8_t out[32])
{
	static const uint8_t one = 0x01;
	uint8_t t[32];

	sha256_parts(&one, 1, l, 32, r, 32, t);
	memcpy(out, t, 32);
}

/* The largest power of two smaller than n (n > 1): the RFC's k. */
static uint64_t
ref_k(uint64_t n)
{
	uint64_t k = 1;

	while (k * 2 < n)
		k *= 2;
	return k;
}

void
ref_mth(const uint8_t (*leaves)[32], uint64_t a, uint64_t b, uint8_t out[32])
{
	uint8_t l[32], r[32];
	uint64_t k;

	if (b == a) {
		sha256_parts((const uint8_t *)"", 0, NULL, 0, NULL, 0, out);
		return;
	}
	if (b - a == 1) {
		memcpy(out, leaves[a], 32);
		return;
	}
	k = ref_k(b - a);
	ref_mth(leaves, a, a + k, l);
	ref_mth(leaves, a + k, b, r);
	ref_node_hash(l, r, out);
}

/* PATH(m, D[a:b]) appended at proof[*n]. */
static void
path(const uint8_t (*leaves)[32], uint64_t m, uint64_t a, uint64_t b,
    uint8_t proof[REF_MAX_PROOF][32], size_t *n)
{
	uint64_t k;

	if (b - a <= 1)
		return;
	k = ref_k(b - a);
	if (m < k) {
		path(leaves, m, a, a + k, proof, n);
		ref_mth(leaves, a + k, b, proof[(*n)++]);
	} else {
		path(leaves, m - k, a + k, b, proof, n);
		ref_mth(leaves, a, a + k, proof[(*n)++]);
	}
}

size_t
ref_path(const uint8_t (*leaves)[32], uint64_t m, uint64_t n,
    uint8_t proof[REF_MAX_PROOF][32])
{
	size_t cnt = 0;

	path(leaves, m, 0, n, proof, &cnt);
	return cnt;
}

/* SUBPROOF(m, D[a:b], whole) appended at proof[*n]. */
static void
subproof(const uint8_t (*leaves)[32], uint64_t m, uint64_t a, uint64_t b, int whole,
    uint8_t proof[REF_MAX_PROOF][32], size_t *n)
{
	uint64_t k;

	if (m == b - a) {
		if (!whole)
			ref_mth(leaves, a, b, proof[(*n)++]);
		return;
	}
	k = ref_k(b - a);
	if (m <= k) {
		subproof(leaves, m, a, a + k, whole, proof, n);
		ref_mth(leaves, a + k, b, proof[(*n)++]);
	} else {
		subproof(leaves, m - k, a + k, b, 0, proof, n);
		ref_mth(leaves, a, a + k, proof[(*n)++]);
	}
}

size_t
ref_consistency(const uint8_t (*leaves)[32], uint64_t m, uint64_t n,
    uint8_t proof[REF_MAX_PROOF][32])
{
	size_t cnt = 0;

	if (m == 0 || m == n)
		return 0;
	subproof(leaves, m, 0, n, 1, proof, &cnt);
	return cnt;
}
