/*
 * fuzz_merkle: RFC 9162 inclusion and consistency proof verification
 * (ledger/merkle.h).
 *
 * Input: | u8 n | u8 i | u8 m | u8 mode | u64 x | u64 y | proof bytes ... |
 * The target builds an honest tree of 1 + n leaves ("leaf <k>") with the
 * project's builder, its roots, and the true proofs for leaf i and from
 * size m to the full size.
 *
 * Oracles (sizes are honest: a verifier takes them from a signed checkpoint):
 *  - valid proofs always verify (inclusion of i, consistency m -> n);
 *  - an inclusion proof verifies for (index j, leaf i's hash) only when
 *    j == i and it is byte for byte the true proof;
 *  - a consistency proof verifies only when it is the true proof;
 *  - with arbitrary 64-bit index and sizes (x, y) the verifiers return
 *    without undefined behaviour (no oracle on the verdict: a leaf hash the
 *    caller does not check against its data can be any node).
 * The candidate proof is the input's proof bytes (mode bit 0 clear) or the
 * true proof with one bit flipped and/or its length changed (mode bit 0 set).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "ledger/merkle.h"
#include "tests/fuzz/fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_LEAVES 256
#define LEVELS 9

/* Perfect nodes of the honest tree, [level][index]. */
struct tree {
	uint8_t node[LEVELS][MAX_LEAVES][MERKLE_HASH_LEN];
};

static int
on_node(void *arg, unsigned level, uint64_t index, const uint8_t hash[MERKLE_HASH_LEN])
{
	struct tree *t = arg;

	FUZZ_CHECK(level < LEVELS && index < MAX_LEAVES);
	memcpy(t->node[level][index], hash, MERKLE_HASH_LEN);
	return 0;
}

static int
fetch(void *arg, unsigned level, uint64_t index, uint8_t out[MERKLE_HASH_LEN])
{
	struct tree *t = arg;

	FUZZ_CHECK(level < LEVELS && index < MAX_LEAVES);
	memcpy(out, t->node[level][index], MERKLE_HASH_LEN);
	return 0;
}

static void
leaf_hash(unsigned k, uint8_t out[MERKLE_HASH_LEN])
{
	char leaf[32];
	int len = snprintf(leaf, sizeof(leaf), "leaf %u", k);

	FUZZ_CHECK(merkle_leaf_hash((const uint8_t *)leaf, (size_t)len, out) == 0);
}

/* The candidate proof in cand (room for MERKLE_MAX_PROOF + 1 hashes). */
static size_t
candidate(struct fuzz_in *in, unsigned mode, const uint8_t *truth, size_t tn, uint8_t *cand)
{
	const uint8_t *p;
	size_t got, n;

	if (!(mode & 1)) {
		p = fuzz_take(in, (MERKLE_MAX_PROOF + 1) * MERKLE_HASH_LEN, &got);
		memcpy(cand, p, got - got % MERKLE_HASH_LEN);
		return got / MERKLE_HASH_LEN;
	}
	memcpy(cand, truth, tn * MERKLE_HASH_LEN);
	n = tn;
	if (mode & 2) {             /* flip one bit */
		uint16_t bit = fuzz_u16(in);
		if (tn > 0)
			cand[(bit / 8) % (tn * MERKLE_HASH_LEN)] ^= (uint8_t)(1u << (bit % 8));
	}
	if (mode & 4)               /* drop the last hash */
		n = tn > 0 ? tn - 1 : 0;
	if (mode & 8) {             /* append one */
		memset(cand + n * MERKLE_HASH_LEN, fuzz_u8(in), MERKLE_HASH_LEN);
		n++;
	}
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tree t;
	static uint8_t truth[MERKLE_MAX_PROOF][MERKLE_HASH_LEN];
	static uint8_t cand[(MERKLE_MAX_PROOF + 1) * MERKLE_HASH_LEN];
	struct fuzz_in in = { data, size };
	struct merkle_range r, rm;
	uint8_t h[MERKLE_HASH_LEN], hi[MERKLE_HASH_LEN], root[MERKLE_HASH_LEN];
	uint8_t root_m[MERKLE_HASH_LEN], out[MERKLE_HASH_LEN];
	unsigned n, i, m, mode, j, k;
	uint64_t x, y;
	size_t tn, cn;
	int same;

	rs_log_set_level(RS_LOG_QUIET);
	n = 1u + fuzz_u8(&in);
	if (n > MAX_LEAVES)
		n = MAX_LEAVES;
	i = fuzz_u8(&in) % n;
	m = fuzz_u8(&in) % (n + 1);
	mode = fuzz_u8(&in);
	x = fuzz_u64(&in);
	y = fuzz_u64(&in);

	/* The honest tree, and the root at size m on the way. */
	merkle_range_init(&r);
	memset(&rm, 0, sizeof(rm));
	for (k = 0; k < n; k++) {
		if (k == m)
			rm = r;
		leaf_hash(k, h);
		FUZZ_CHECK(merkle_range_append(&r, h, on_node, &t) == 0);
	}
	if (m == n)
		rm = r;
	FUZZ_CHECK(merkle_range_root(&r, root) == 0);
	FUZZ_CHECK(merkle_range_root(&rm, root_m) == 0);

	/* Inclusion: the true proof verifies; any other candidate does not. */
	leaf_hash(i, hi);
	FUZZ_CHECK(merkle_prove_inclusion(i, n, fetch, &t, truth, &tn) == 0);
	FUZZ_CHECK(merkle_verify_inclusion(i, n, hi, truth[0], tn, root) == 0);
	j = (mode & 0x10) ? (unsigned)(x % n) : i;
	cn = candidate(&in, mode, truth[0], tn, cand);
	same = j == i && cn == tn && memcmp(cand, truth, tn * MERKLE_HASH_LEN) == 0;
	FUZZ_CHECK((merkle_verify_inclusion(j, n, hi, cand, cn, root) == 0) == same);

	/* Consistency from m to n, the same way. */
	FUZZ_CHECK(merkle_prove_consistency(m, n, fetch, &t, truth, &tn) == 0);
	FUZZ_CHECK(merkle_verify_consistency(m, n, truth[0], tn, root_m, root) == 0);
	cn = candidate(&in, mode >> 4, truth[0], tn, cand);
	same = cn == tn && memcmp(cand, truth, tn * MERKLE_HASH_LEN) == 0;
	FUZZ_CHECK((merkle_verify_consistency(m, n, cand, cn, root_m, root) == 0) == same);

	/* Arbitrary 64-bit positions: no undefined behaviour, bounded work. */
	(void)merkle_verify_inclusion(x, y, hi, cand, cn, root);
	(void)merkle_root_from_inclusion(x, y, hi, cand, cn, out);
	(void)merkle_verify_consistency(x, y, cand, cn, root_m, root);
	(void)merkle_verify_consistency(x % (n + 1), n, cand, cn, root_m, root);
	(void)merkle_inclusion_proof_len(x, y, &tn);
	(void)merkle_consistency_proof_len(x, y, &tn);
	rs_err_clear();
	return 0;
}
