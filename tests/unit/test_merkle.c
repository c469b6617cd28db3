/*
 * Unit tests for ledger/merkle.c: RFC 6962/9162 test vectors, then a
 * differential test against the naive reference in tests/lib/merkle_ref.c
 * for every tree size up to MAX_N, every (index, size) inclusion pair and
 * every (size1, size2) consistency pair, then corrupted proofs (the probes
 * of transparency-dev/merkle's verify_test.go) which must all be refused.
 *
 * RUNSEAL_MERKLE_N overrides MAX_N when run by hand.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/encode.h"
#include "common/err.h"
#include "ledger/merkle.h"
#include "tests/lib/merkle_ref.h"

#define MAX_N 300
/* Sizes up to this get every corruption probe for every pair. */
#define PROBE_N 96

/* An in-memory store of perfect nodes, as the ledger keeps them in SQLite. */
struct store {
	uint64_t size;
	uint8_t (*level[64])[32];      /* level[l][i]: perfect node (l, i) */
	uint64_t cap;
	unsigned long fetches;
};

static void
store_init(struct store *s, uint64_t cap)
{
	unsigned l;

	memset(s, 0, sizeof(*s));
	s->cap = cap;
	for (l = 0; l < 64 && (cap >> l) > 0; l++) {
		s->level[l] = calloc((size_t)(cap >> l), 32);
		assert_non_null(s->level[l]);
	}
}

static void
store_free(struct store *s)
{
	unsigned l;

	for (l = 0; l < 64; l++)
		free(s->level[l]);
}

static int
store_put(void *arg, unsigned level, uint64_t index, const uint8_t hash[32])
{
	struct store *s = arg;

	if (level >= 64 || s->level[level] == NULL || index >= (s->cap >> level))
		return RS_ERR_INTERNAL;
	memcpy(s->level[level][index], hash, 32);
	return 0;
}

static int
store_get(void *arg, unsigned level, uint64_t index, uint8_t out[32])
{
	struct store *s = arg;

	s->fetches++;
	/* Only complete subtrees may be asked for. */
	if (level >= 64 || s->level[level] == NULL ||
	    ((index + 1) << level) > s->size)
		return rs_fail(RS_ERR_INTERNAL, "fetch of incomplete node (%u, %llu) at size %llu",
		    level, (unsigned long long)index, (unsigned long long)s->size);
	memcpy(out, s->level[level][index], 32);
	return 0;
}

static void
hex32(const char *hex, uint8_t out[32])
{
	assert_int_equal(rs_hex_decode(hex, out, 32), 0);
}

/* The 8 leaves of the RFC 6962 test vectors (transparency-dev/merkle). */
static const char *const vec_leaf_hex[8] = {
	"", "00", "10", "2021", "3031", "40414243", "5051525354555657",
	"606162636465666768696a6b6c6d6e6f",
};
static const char *const vec_root_hex[8] = {
	"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
	"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
	"aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
	"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
	"4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
	"76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
	"ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
	"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

/* Leaf hashes of the vector leaves; the store filled to size 8. */
static void
vector_tree(struct store *s, uint8_t leaves[8][32], struct merkle_range *cr)
{
	uint8_t data[16];
	size_t len, i;

	store_init(s, 8);
	merkle_range_init(cr);
	for (i = 0; i < 8; i++) {
		len = strlen(vec_leaf_hex[i]) / 2;
		if (len > 0)
			assert_int_equal(rs_hex_decode(vec_leaf_hex[i], data, len), 0);
		assert_int_equal(merkle_leaf_hash(data, len, leaves[i]), 0);
		assert_int_equal(merkle_range_append(cr, leaves[i], store_put, s), 0);
		s->size = i + 1;
	}
}

static void
test_hash_primitives(void **state)
{
	uint8_t got[32], want[32], l[32], r[32];

	(void)state;
	/* Empty tree: SHA-256 of nothing. */
	hex32("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", want);
	assert_int_equal(merkle_empty_root(got), 0);
	assert_memory_equal(got, want, 32);
	/* The empty leaf: SHA-256(0x00), the root of the 1-leaf vector tree. */
	assert_int_equal(merkle_leaf_hash(NULL, 0, got), 0);
	hex32(vec_root_hex[0], want);
	assert_memory_equal(got, want, 32);
	/* Node hashing agrees with the reference, also with out aliasing an input. */
	memset(l, 0x11, 32);
	memset(r, 0x22, 32);
	ref_node_hash(l, r, want);
	assert_int_equal(merkle_node_hash(l, r, got), 0);
	assert_memory_equal(got, want, 32);
	assert_int_equal(merkle_node_hash(l, r, l), 0);
	assert_memory_equal(l, want, 32);
	/* A leaf and a node over the same bytes differ (domain separation). */
	memset(l, 0x11, 32);
	{
		uint8_t both[64], as_leaf[32];

		memcpy(both, l, 32);
		memcpy(both + 32, r, 32);
		assert_int_equal(merkle_leaf_hash(both, 64, as_leaf), 0);
		assert_int_equal(merkle_node_hash(l, r, got), 0);
		assert_memory_not_equal(as_leaf, got, 32);
	}
}

static void
test_vector_roots(void **state)
{
	struct store s;
	struct merkle_range cr, loaded;
	uint8_t leaves[8][32], got[32], want[32];
	uint64_t n;

	(void)state;
	vector_tree(&s, leaves, &cr);
	hex32(vec_root_hex[7], want);
	assert_int_equal(merkle_range_root(&cr, got), 0);
	assert_memory_equal(got, want, 32);
	/* Every prefix, through a range loaded from the stored perfect nodes. */
	for (n = 1; n <= 8; n++) {
		s.size = n;
		assert_int_equal(merkle_range_load(n, store_get, &s, &loaded), 0);
		assert_int_equal(loaded.size, n);
		assert_int_equal(merkle_range_root(&loaded, got), 0);
		hex32(vec_root_hex[n - 1], want);
		assert_memory_equal(got, want, 32);
	}
	store_free(&s);
}

struct incl_vec {
	uint64_t index, size;
	size_t n;
	const char *hex[3];
};

static void
test_vector_inclusion(void **state)
{
	/* transparency-dev/merkle proof/verify_test.go, with 0-based indexes. */
	static const struct incl_vec v[] = {
		{ 0, 1, 0, { NULL } },
		{ 0, 8, 3, {
		    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
		    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
		    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4" } },
		{ 5, 8, 3, {
		    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
		    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
		    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7" } },
		{ 2, 3, 1, {
		    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125" } },
		{ 1, 5, 3, {
		    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
		    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
		    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b" } },
	};
	struct store s;
	struct merkle_range cr;
	uint8_t leaves[8][32], proof[MERKLE_MAX_PROOF][32], want[3][32], root[32];
	size_t i, j, n;

	(void)state;
	vector_tree(&s, leaves, &cr);
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		s.size = v[i].size;
		for (j = 0; j < v[i].n; j++)
			hex32(v[i].hex[j], want[j]);
		hex32(vec_root_hex[v[i].size - 1], root);
		assert_int_equal(merkle_prove_inclusion(v[i].index, v[i].size, store_get, &s,
		    proof, &n), 0);
		assert_int_equal(n, v[i].n);
		if (n > 0)
			assert_memory_equal(proof, want, n * 32);
		assert_int_equal(merkle_verify_inclusion(v[i].index, v[i].size,
		    leaves[v[i].index], &want[0][0], n, root), 0);
	}
	store_free(&s);
}

struct cons_vec {
	uint64_t size1, size2;
	size_t n;
	const char *hex[3];
};

static void
test_vector_consistency(void **state)
{
	static const struct cons_vec v[] = {
		{ 1, 1, 0, { NULL } },
		{ 1, 8, 3, {
		    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
		    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
		    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4" } },
		{ 6, 8, 3, {
		    "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
		    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
		    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7" } },
		{ 2, 5, 2, {
		    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
		    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b" } },
		{ 6, 7, 3, {
		    "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
		    "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
		    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7" } },
	};
	struct store s;
	struct merkle_range cr;
	uint8_t leaves[8][32], proof[MERKLE_MAX_PROOF][32], want[3][32], r1[32], r2[32];
	size_t i, j, n;

	(void)state;
	vector_tree(&s, leaves, &cr);
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		s.size = v[i].size2;
		for (j = 0; j < v[i].n; j++)
			hex32(v[i].hex[j], want[j]);
		hex32(vec_root_hex[v[i].size1 - 1], r1);
		hex32(vec_root_hex[v[i].size2 - 1], r2);
		assert_int_equal(merkle_prove_consistency(v[i].size1, v[i].size2, store_get, &s,
		    proof, &n), 0);
		assert_int_equal(n, v[i].n);
		if (n > 0)
			assert_memory_equal(proof, want, n * 32);
		assert_int_equal(merkle_verify_consistency(v[i].size1, v[i].size2, &want[0][0],
		    n, r1, r2), 0);
	}
	store_free(&s);
}

/* Must be refused with RS_ERR_VERIFY. */
#define REFUSED(call) do { \
	int rc_ = (call); \
	if (rc_ != RS_ERR_VERIFY) \
		fail_msg("accepted or wrong error (%d) at %s:%d: %s", rc_, __FILE__, \
		    __LINE__, #call); \
} while (0)

/*
 * transparency-dev's corruptInclusionProof probes: wrong index, wrong size,
 * wrong leaf or root, hashes added at either end, one removed, one
 * inserted, and every bit-3 flip of each hash.
 */
static void
probe_inclusion(uint64_t m, uint64_t n, const uint8_t leaf[32],
    uint8_t proof[MERKLE_MAX_PROOF][32], size_t len, const uint8_t root[32])
{
	uint8_t bad[MERKLE_MAX_PROOF + 2][32], other[32], empty[32];
	size_t i;

	memset(other, 0xab, 32);
	assert_int_equal(merkle_empty_root(empty), 0);
	if (m > 0)
		REFUSED(merkle_verify_inclusion(m - 1, n, leaf, &proof[0][0], len, root));
	REFUSED(merkle_verify_inclusion(m + 1, n, leaf, &proof[0][0], len, root));
	REFUSED(merkle_verify_inclusion(m ^ 2, n, leaf, &proof[0][0], len, root));
	REFUSED(merkle_verify_inclusion(m, n * 2, leaf, &proof[0][0], len, root));
	REFUSED(merkle_verify_inclusion(m, n / 2, leaf, &proof[0][0], len, root));
	REFUSED(merkle_verify_inclusion(m, n, other, &proof[0][0], len, root));
	REFUSED(merkle_verify_inclusion(m, n, leaf, &proof[0][0], len, empty));
	REFUSED(merkle_verify_inclusion(m, n, leaf, &proof[0][0], len, other));
	/* Added at the end, and at the front. */
	memcpy(bad, proof, len * 32);
	memcpy(bad[len], root, 32);
	REFUSED(merkle_verify_inclusion(m, n, leaf, &bad[0][0], len + 1, root));
	memcpy(bad[0], root, 32);
	memcpy(bad[1], proof, len * 32);
	REFUSED(merkle_verify_inclusion(m, n, leaf, &bad[0][0], len + 1, root));
	for (i = 0; i < len; i++) {
		memcpy(bad, proof, len * 32);
		bad[i][0] ^= 8;
		REFUSED(merkle_verify_inclusion(m, n, leaf, &bad[0][0], len, root));
	}
	if (len > 0)
		REFUSED(merkle_verify_inclusion(m, n, leaf, &proof[0][0], len - 1, root));
	if (len > 1) {
		memcpy(bad[0], proof[0], 32);
		memcpy(bad[1], other, 32);
		memcpy(bad[2], proof[1], (len - 1) * 32);
		REFUSED(merkle_verify_inclusion(m, n, leaf, &bad[0][0], len + 1, root));
	}
}

/* transparency-dev's corruptConsistencyProof probes. */
static void
probe_consistency(uint64_t m, uint64_t n, uint8_t proof[MERKLE_MAX_PROOF][32],
    size_t len, const uint8_t r1[32], const uint8_t r2[32])
{
	uint8_t bad[MERKLE_MAX_PROOF + 2][32], other[32];
	size_t i;

	memset(other, 0xab, 32);
	REFUSED(merkle_verify_consistency(m - 1, n, &proof[0][0], len, r1, r2));
	REFUSED(merkle_verify_consistency(m + 1, n, &proof[0][0], len, r1, r2));
	REFUSED(merkle_verify_consistency(m ^ 2, n, &proof[0][0], len, r1, r2));
	REFUSED(merkle_verify_consistency(m, n * 2, &proof[0][0], len, r1, r2));
	REFUSED(merkle_verify_consistency(m, n / 2, &proof[0][0], len, r1, r2));
	REFUSED(merkle_verify_consistency(m, n, &proof[0][0], len, other, r2));
	REFUSED(merkle_verify_consistency(m, n, &proof[0][0], len, r1, other));
	REFUSED(merkle_verify_consistency(m, n, &proof[0][0], len, r2, r1));
	REFUSED(merkle_verify_consistency(m, n, NULL, 0, r1, r2));
	memcpy(bad, proof, len * 32);
	memcpy(bad[len], r1, 32);
	REFUSED(merkle_verify_consistency(m, n, &bad[0][0], len + 1, r1, r2));
	memcpy(bad[len], r2, 32);
	REFUSED(merkle_verify_consistency(m, n, &bad[0][0], len + 1, r1, r2));
	memcpy(bad[1], proof, len * 32);
	memcpy(bad[0], r1, 32);
	REFUSED(merkle_verify_consistency(m, n, &bad[0][0], len + 1, r1, r2));
	memcpy(bad[0], r2, 32);
	REFUSED(merkle_verify_consistency(m, n, &bad[0][0], len + 1, r1, r2));
	memcpy(bad[0], proof[0], 32);
	REFUSED(merkle_verify_consistency(m, n, &bad[0][0], len + 1, r1, r2));
	REFUSED(merkle_verify_consistency(m, n, &proof[0][0], len - 1, r1, r2));
	for (i = 0; i < len; i++) {
		memcpy(bad, proof, len * 32);
		bad[i][0] ^= 16;
		REFUSED(merkle_verify_consistency(m, n, &bad[0][0], len, r1, r2));
	}
	if (len > 1) {
		memcpy(bad[0], proof[0], 32);
		memcpy(bad[1], other, 32);
		memcpy(bad[2], proof[1], (len - 1) * 32);
		REFUSED(merkle_verify_consistency(m, n, &bad[0][0], len + 1, r1, r2));
	}
}


/*
 * The second-preimage attack RFC 9162's prefixes exist for: the children of
 * an interior node presented as one leaf's data. With 6 leaves, the real
 * root is also MTH over the 3 level-1 nodes; a verifier that hashed leaf
 * data without the 0x00 prefix would accept "leaf 0 of a 3-leaf tree" =
 * L0 || L1 with the path [N(1,1), N(1,2)].
 */
static void
test_interior_node_as_leaf(void **state)
{
	struct store s;
	struct merkle_range cr;
	uint8_t leaves[8][32], root6[32], data[64], leaf[32], path[2][32], n10[32];
	size_t i;

	(void)state;
	store_init(&s, 8);
	merkle_range_init(&cr);
	for (i = 0; i < 6; i++) {
		memset(data, (int)i, 8);
		assert_int_equal(merkle_leaf_hash(data, 8, leaves[i]), 0);
		assert_int_equal(merkle_range_append(&cr, leaves[i], store_put, &s), 0);
	}
	assert_int_equal(merkle_range_root(&cr, root6), 0);
	memcpy(path[0], s.level[1][1], 32);
	memcpy(path[1], s.level[1][2], 32);
	memcpy(n10, s.level[1][0], 32);
	/* Handed the node's hash as a "leaf hash", the pure check cannot know: */
	assert_int_equal(merkle_verify_inclusion(0, 3, n10, &path[0][0], 2, root6), 0);
	/* which is why leaf hashes are always computed from the data, with 0x00: */
	memcpy(data, leaves[0], 32);
	memcpy(data + 32, leaves[1], 32);
	assert_int_equal(merkle_leaf_hash(data, 64, leaf), 0);
	assert_memory_not_equal(leaf, n10, 32);
	REFUSED(merkle_verify_inclusion(0, 3, leaf, &path[0][0], 2, root6));
	store_free(&s);
}

static uint64_t
max_n(void)
{
	const char *e = getenv("RUNSEAL_MERKLE_N");
	long v;

	if (e == NULL || (v = strtol(e, NULL, 10)) < 1)
		return MAX_N;
	return (uint64_t)v;
}

static void
test_differential(void **state)
{
	struct store s;
	struct merkle_range cr;
	uint64_t N = max_n(), n, m;
	uint8_t (*leaves)[32], (*roots)[32];
	uint8_t got[MERKLE_MAX_PROOF][32], want[REF_MAX_PROOF][32], root[32];
	unsigned long before;
	size_t gn, wn, plen;
	uint8_t data[8];

	(void)state;
	leaves = calloc((size_t)N + 1, 32);
	roots = calloc((size_t)N + 1, 32);
	assert_non_null(leaves);
	assert_non_null(roots);
	store_init(&s, N);
	merkle_range_init(&cr);
	assert_int_equal(merkle_range_root(&cr, roots[0]), 0);
	ref_mth(leaves, 0, 0, root);
	assert_memory_equal(roots[0], root, 32);
	for (n = 1; n <= N; n++) {
		/* Leaf n-1: its index as bytes, so all leaves differ. */
		for (m = 0; m < 8; m++)
			data[m] = (uint8_t)((n - 1) >> (8 * m));
		ref_leaf_hash(data, sizeof(data), leaves[n - 1]);
		assert_int_equal(merkle_leaf_hash(data, sizeof(data), root), 0);
		assert_memory_equal(root, leaves[n - 1], 32);
		assert_int_equal(merkle_range_append(&cr, leaves[n - 1], store_put, &s), 0);
		s.size = n;
		assert_int_equal(merkle_range_root(&cr, roots[n]), 0);
		ref_mth(leaves, 0, n, root);
		if (memcmp(root, roots[n], 32) != 0)
			fail_msg("root of size %llu differs from the reference", (unsigned long long)n);

		for (m = 0; m < n; m++) {
			before = s.fetches;
			assert_int_equal(merkle_prove_inclusion(m, n, store_get, &s, got, &gn), 0);
			/* O(log n): the compact range plus at most one node per level. */
			assert_true(s.fetches - before <= 2 * 64);
			wn = ref_path(leaves, m, n, want);
			if (gn != wn || (gn > 0 && memcmp(got, want, gn * 32) != 0))
				fail_msg("inclusion proof (%llu, %llu) differs from the reference",
				    (unsigned long long)m, (unsigned long long)n);
			assert_int_equal(merkle_inclusion_proof_len(m, n, &plen), 0);
			assert_int_equal(plen, gn);
			assert_int_equal(merkle_verify_inclusion(m, n, leaves[m], &got[0][0], gn,
			    roots[n]), 0);
			if (n <= PROBE_N || m % 37 == 0)
				probe_inclusion(m, n, leaves[m], got, gn, roots[n]);
		}
		for (m = 0; m <= n; m++) {
			assert_int_equal(merkle_prove_consistency(m, n, store_get, &s, got, &gn), 0);
			wn = ref_consistency(leaves, m, n, want);
			if (gn != wn || (gn > 0 && memcmp(got, want, gn * 32) != 0))
				fail_msg("consistency proof (%llu, %llu) differs from the reference",
				    (unsigned long long)m, (unsigned long long)n);
			assert_int_equal(merkle_consistency_proof_len(m, n, &plen), 0);
			assert_int_equal(plen, gn);
			assert_int_equal(merkle_verify_consistency(m, n, &got[0][0], gn, roots[m],
			    roots[n]), 0);
			if (gn > 0 && (n <= PROBE_N || m % 37 == 0))
				probe_consistency(m, n, got, gn, roots[m], roots[n]);
		}
	}
	store_free(&s);
	free(leaves);
	free(roots);
}

/* The stored nodes are exactly the perfect subtrees: 2n - popcount(n) of them. */
static int
count_node(void *arg, unsigned level, uint64_t index, const uint8_t hash[32])
{
	uint64_t *c = arg;

	(void)level;
	(void)index;
	(void)hash;
	(*c)++;
	return 0;
}

static int
refuse_node(void *arg, unsigned level, uint64_t index, const uint8_t hash[32])
{
	(void)arg;
	(void)hash;
	return level == 2 ? rs_fail(RS_ERR_IO, "node (%u, %llu) not stored", level,
	    (unsigned long long)index) : 0;
}

static void
test_range_append(void **state)
{
	struct merkle_range cr, before;
	uint8_t leaf[32];
	uint64_t count = 0, n;

	(void)state;
	memset(leaf, 0x5a, 32);
	merkle_range_init(&cr);
	for (n = 1; n <= 1000; n++) {
		assert_int_equal(merkle_range_append(&cr, leaf, count_node, &count), 0);
		assert_int_equal(cr.size, n);
		assert_int_equal(cr.n, (unsigned)__builtin_popcountll(n));
		assert_int_equal(count, 2 * n - (uint64_t)__builtin_popcountll(n));
	}
	/*
	 * A failed callback leaves the range as it was: at size 1003 the next
	 * leaf completes (1, 501) and (2, 250), and the level-2 write fails.
	 */
	while (cr.size % 4 != 3)
		assert_int_equal(merkle_range_append(&cr, leaf, NULL, NULL), 0);
	before = cr;
	assert_int_equal(merkle_range_append(&cr, leaf, refuse_node, NULL), RS_ERR_IO);
	assert_memory_equal(&cr, &before, sizeof(cr));
	/* The largest size is refused, not wrapped. */
	cr.size = MERKLE_MAX_SIZE;
	cr.n = (unsigned)__builtin_popcountll(MERKLE_MAX_SIZE);
	assert_int_equal(merkle_range_append(&cr, leaf, NULL, NULL), RS_ERR_TOO_LARGE);
}

static void
test_preconditions(void **state)
{
	uint8_t h[32], proof[MERKLE_MAX_PROOF][32];
	uint8_t (*big)[32];
	size_t n = 99;

	(void)state;
	memset(h, 7, 32);
	/* Inclusion: index within size, size within bounds, exact length. */
	assert_int_equal(merkle_inclusion_proof_len(0, 0, &n), RS_ERR_VERIFY);
	assert_int_equal(n, 0);
	assert_non_null(strstr(rs_err_detail(), "leaf index 0 is not in a tree of size 0"));
	REFUSED(merkle_verify_inclusion(5, 5, h, NULL, 0, h));
	REFUSED(merkle_verify_inclusion(0, MERKLE_MAX_SIZE + 1, h, NULL, 0, h));
	assert_non_null(strstr(rs_err_detail(), "beyond the largest"));
	REFUSED(merkle_verify_inclusion(0, 2, h, NULL, 0, h));
	assert_non_null(strstr(rs_err_detail(), "has 0 hashes"));
	assert_non_null(strstr(rs_err_detail(), "needs exactly 1"));
	assert_int_equal(merkle_verify_inclusion(0, 1, h, NULL, 0, h), 0);
	memset(proof, 1, sizeof(proof));
	REFUSED(merkle_verify_inclusion(0, 2, h, &proof[0][0], 1, h));
	assert_non_null(strstr(rs_err_detail(), "different root"));
	/* The deepest tree: proofs fit in MERKLE_MAX_PROOF. */
	assert_int_equal(merkle_inclusion_proof_len(0, MERKLE_MAX_SIZE, &n), 0);
	assert_true(n <= MERKLE_MAX_PROOF);
	assert_int_equal(merkle_inclusion_proof_len(MERKLE_MAX_SIZE - 1, MERKLE_MAX_SIZE, &n), 0);
	assert_true(n <= MERKLE_MAX_PROOF);
	assert_int_equal(merkle_consistency_proof_len(3, MERKLE_MAX_SIZE, &n), 0);
	assert_true(n <= MERKLE_MAX_PROOF);
	assert_int_equal(merkle_consistency_proof_len(MERKLE_MAX_SIZE - 1, MERKLE_MAX_SIZE,
	    &n), 0);
	assert_true(n <= MERKLE_MAX_PROOF);
	/* A too-long proof is refused before any hashing. */
	big = calloc(200, 32);
	assert_non_null(big);
	REFUSED(merkle_verify_inclusion(3, 1000, h, &big[0][0], 200, h));
	free(big);

	/* Consistency. */
	REFUSED(merkle_verify_consistency(2, 1, NULL, 0, h, h));
	assert_non_null(strstr(rs_err_detail(), "the log shrank"));
	assert_int_equal(merkle_verify_consistency(0, 0, NULL, 0, h, h), 0);
	assert_int_equal(merkle_verify_consistency(1, 1, NULL, 0, h, h), 0);
	assert_int_equal(merkle_verify_consistency(0, 7, NULL, 0, h, proof[0]), 0);
	REFUSED(merkle_verify_consistency(0, 7, &proof[0][0], 1, h, proof[0]));
	REFUSED(merkle_verify_consistency(4, 4, NULL, 0, h, proof[0]));
	assert_non_null(strstr(rs_err_detail(), "the log forked"));
	REFUSED(merkle_verify_consistency(4, 4, &proof[0][0], 1, h, h));
	REFUSED(merkle_verify_consistency(1, 2, NULL, 0, h, proof[0]));
	REFUSED(merkle_verify_consistency(1, MERKLE_MAX_SIZE + 1, &proof[0][0], 1, h, h));
	/* Builders refuse impossible requests. */
	assert_int_equal(merkle_prove_inclusion(3, 3, store_get, NULL, proof, &n), RS_ERR_USAGE);
	assert_int_equal(merkle_prove_consistency(4, 3, store_get, NULL, proof, &n),
	    RS_ERR_USAGE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash_primitives),
		cmocka_unit_test(test_vector_roots),
		cmocka_unit_test(test_vector_inclusion),
		cmocka_unit_test(test_vector_consistency),
		cmocka_unit_test(test_range_append),
		cmocka_unit_test(test_preconditions),
		cmocka_unit_test(test_interior_node_as_leaf),
		cmocka_unit_test(test_differential),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
