/*
 * merkle.c - RFC 9162 Merkle tree hashing, proofs and their verification.
 *
 * Verification follows RFC 9162 2.1.3.2 (inclusion) and 2.1.4.2
 * (consistency) literally, after checking every precondition, including the
 * exact proof length (computed as in transparency-dev/merkle: an inclusion
 * proof of index in size has inner + border hashes, inner = bit length of
 * index XOR (size - 1), border = popcount(index >> inner)). With the length
 * fixed, the RFC's "sn is 0" checks can only pass, and a failure can only be
 * a root mismatch, so each bad proof gets one precise reason.
 *
 * Proof construction follows the RFC's recursive definitions (PATH and
 * SUBPROOF, 2.1.3.1 and 2.1.4.1) as loops. Every subtree they name is
 * either perfect (stored, fetched) or ends at the tree's right edge; the
 * latter are exactly the suffixes of the compact range, precomputed once
 * (popcount(size) fetches). A proof thus costs O(log size) fetches.
 */
#include "ledger/merkle.h"

#include <inttypes.h>
#include <string.h>

#include "common/err.h"
#include "common/hash.h"

int
merkle_leaf_hash(const uint8_t *data, size_t len, uint8_t out[MERKLE_HASH_LEN])
{
	static const uint8_t prefix = MERKLE_LEAF_PREFIX;
	struct rs_sha256 *h = NULL;
	int r;

	if ((r = rs_sha256_new(&h)) != 0)
		goto out;
	if ((r = rs_sha256_update(h, &prefix, 1)) != 0 ||
	    (len > 0 && (r = rs_sha256_update(h, data, len)) != 0) ||
	    (r = rs_sha256_final(h, out)) != 0)
		goto out;
	r = 0;
out:
	rs_sha256_free(h);
	return r;
}

int
merkle_node_hash(const uint8_t left[MERKLE_HASH_LEN], const uint8_t right[MERKLE_HASH_LEN],
    uint8_t out[MERKLE_HASH_LEN])
{
	uint8_t buf[1 + 2 * MERKLE_HASH_LEN];

	/* Copied first, so out may alias either input. */
	buf[0] = MERKLE_NODE_PREFIX;
	memcpy(buf + 1, left, MERKLE_HASH_LEN);
	memcpy(buf + 1 + MERKLE_HASH_LEN, right, MERKLE_HASH_LEN);
	return rs_sha256(buf, sizeof(buf), out);
}

int
merkle_empty_root(uint8_t out[MERKLE_HASH_LEN])
{
	return rs_sha256("", 0, out);
}

/* Bit length of x (0 for 0). */
static unsigned
bit_len(uint64_t x)
{
	return x == 0 ? 0 : 64u - (unsigned)__builtin_clzll(x);
}

static unsigned
popcount(uint64_t x)
{
	return (unsigned)__builtin_popcountll(x);
}

/* Largest power of two strictly smaller than w; precondition w >= 2. */
static uint64_t
split_point(uint64_t w)
{
	return (uint64_t)1 << (bit_len(w - 1) - 1);
}

int
merkle_inclusion_proof_len(uint64_t index, uint64_t size, size_t *n)
{
	unsigned inner;

	*n = 0;
	if (size > MERKLE_MAX_SIZE)
		return rs_fail(RS_ERR_VERIFY, "tree size %" PRIu64 " is beyond the largest "
		    "supported (%" PRIu64 ")", size, MERKLE_MAX_SIZE);
	if (index >= size)
		return rs_fail(RS_ERR_VERIFY, "leaf index %" PRIu64 " is not in a tree of "
		    "size %" PRIu64, index, size);
	inner = bit_len(index ^ (size - 1));
	*n = inner + popcount(index >> inner);
	return 0;
}

int
merkle_consistency_proof_len(uint64_t size1, uint64_t size2, size_t *n)
{
	unsigned inner, shift, start;

	*n = 0;
	if (size2 > MERKLE_MAX_SIZE)
		return rs_fail(RS_ERR_VERIFY, "tree size %" PRIu64 " is beyond the largest "
		    "supported (%" PRIu64 ")", size2, MERKLE_MAX_SIZE);
	if (size1 > size2)
		return rs_fail(RS_ERR_VERIFY, "old tree size %" PRIu64 " is larger than the "
		    "new tree size %" PRIu64 ": the log shrank", size1, size2);
	if (size1 == 0 || size1 == size2)
		return 0;
	/*
	 * The proof is the inclusion proof of leaf size1 - 1 in size2 with the
	 * levels below 2^shift cut off (their subtree is the seed), plus that
	 * seed unless it is the whole old tree (size1 a power of two).
	 */
	shift = (unsigned)__builtin_ctzll(size1);
	inner = bit_len((size1 - 1) ^ (size2 - 1));
	start = size1 == ((uint64_t)1 << shift) ? 0 : 1;
	*n = start + (inner - shift) + popcount((size1 - 1) >> inner);
	return 0;
}

int
merkle_root_from_inclusion(uint64_t index, uint64_t size,
    const uint8_t leaf_hash[MERKLE_HASH_LEN], const uint8_t *proof, size_t n,
    uint8_t root_out[MERKLE_HASH_LEN])
{
	uint8_t r_hash[MERKLE_HASH_LEN];
	uint64_t fn, sn;
	size_t want, i;
	int r;

	memset(root_out, 0, MERKLE_HASH_LEN);
	/* Preconditions (RFC 9162 2.1.3.2 step 1, plus the exact length). */
	if ((r = merkle_inclusion_proof_len(index, size, &want)) != 0)
		return r;
	if (n != want)
		return rs_fail(RS_ERR_VERIFY, "inclusion proof has %zu hashes; leaf %" PRIu64
		    " in a tree of size %" PRIu64 " needs exactly %zu", n, index, size, want);
	if (n > 0 && proof == NULL)
		return rs_fail(RS_ERR_USAGE, "inclusion proof hashes missing");
	/* Steps 2 to 4. */
	fn = index;
	sn = size - 1;
	memcpy(r_hash, leaf_hash, MERKLE_HASH_LEN);
	for (i = 0; i < n; i++) {
		const uint8_t *p = proof + i * MERKLE_HASH_LEN;

		if (sn == 0)
			return rs_fail(RS_ERR_VERIFY, "inclusion proof is longer than the path");
		if ((fn & 1) != 0 || fn == sn) {
			if ((r = merkle_node_hash(p, r_hash, r_hash)) != 0)
				return r;
			if ((fn & 1) == 0) {
				while ((fn & 1) == 0 && fn != 0) {
					fn >>= 1;
					sn >>= 1;
				}
			}
		} else if ((r = merkle_node_hash(r_hash, p, r_hash)) != 0) {
			return r;
		}
		fn >>= 1;
		sn >>= 1;
	}
	/* Step 5, first half (the root comparison is the caller's). */
	if (sn != 0)
		return rs_fail(RS_ERR_VERIFY, "inclusion proof is shorter than the path");
	memcpy(root_out, r_hash, MERKLE_HASH_LEN);
	return 0;
}

int
merkle_verify_inclusion(uint64_t index, uint64_t size,
    const uint8_t leaf_hash[MERKLE_HASH_LEN], const uint8_t *proof, size_t n,
    const uint8_t root[MERKLE_HASH_LEN])
{
	uint8_t got[MERKLE_HASH_LEN];
	int r;

	if ((r = merkle_root_from_inclusion(index, size, leaf_hash, proof, n, got)) != 0)
		return r;
	if (!rs_ct_equal(got, root, MERKLE_HASH_LEN))
		return rs_fail(RS_ERR_VERIFY, "inclusion proof of leaf %" PRIu64 " in a tree "
		    "of size %" PRIu64 " leads to a different root: the entry, a proof hash, "
		    "the index or the size is not what was proved", index, size);
	return 0;
}

int
merkle_verify_consistency(uint64_t size1, uint64_t size2, const uint8_t *proof,
    size_t n, const uint8_t root1[MERKLE_HASH_LEN], const uint8_t root2[MERKLE_HASH_LEN])
{
	uint8_t fr[MERKLE_HASH_LEN], sr[MERKLE_HASH_LEN];
	const uint8_t *c;
	uint64_t fn, sn;
	size_t want, i, first;
	int r;

	/* Preconditions. */
	if ((r = merkle_consistency_proof_len(size1, size2, &want)) != 0)
		return r;
	if (size1 == size2) {
		if (n != 0)
			return rs_fail(RS_ERR_VERIFY, "consistency proof between equal sizes "
			    "%" PRIu64 " must be empty, has %zu hashes", size1, n);
		if (!rs_ct_equal(root1, root2, MERKLE_HASH_LEN))
			return rs_fail(RS_ERR_VERIFY, "two different roots for tree size %"
			    PRIu64 ": the log forked", size1);
		return 0;
	}
	if (size1 == 0) {
		if (n != 0)
			return rs_fail(RS_ERR_VERIFY, "consistency proof from the empty tree "
			    "must be empty, has %zu hashes", n);
		return 0;
	}
	/* RFC step 1 (an empty path) is covered: want is at least 1 here. */
	if (n != want)
		return rs_fail(RS_ERR_VERIFY, "consistency proof has %zu hashes; from size %"
		    PRIu64 " to %" PRIu64 " needs exactly %zu", n, size1, size2, want);
	if (proof == NULL)
		return rs_fail(RS_ERR_USAGE, "consistency proof hashes missing");
	/*
	 * Step 2: if size1 is a power of two, root1 is prepended. Rather than
	 * copy, the path is read as (seed, proof[first..]).
	 */
	first = (size1 & (size1 - 1)) == 0 ? 0 : 1;
	/* Steps 3 and 4. */
	fn = size1 - 1;
	sn = size2 - 1;
	while ((fn & 1) != 0) {
		fn >>= 1;
		sn >>= 1;
	}
	/* Step 5. */
	memcpy(fr, first == 0 ? root1 : proof, MERKLE_HASH_LEN);
	memcpy(sr, fr, MERKLE_HASH_LEN);
	/* Step 6. */
	for (i = first; i < n; i++) {
		c = proof + i * MERKLE_HASH_LEN;
		if (sn == 0)
			return rs_fail(RS_ERR_VERIFY, "consistency proof is longer than the path");
		if ((fn & 1) != 0 || fn == sn) {
			if ((r = merkle_node_hash(c, fr, fr)) != 0 ||
			    (r = merkle_node_hash(c, sr, sr)) != 0)
				return r;
			if ((fn & 1) == 0) {
				while ((fn & 1) == 0 && fn != 0) {
					fn >>= 1;
					sn >>= 1;
				}
			}
		} else if ((r = merkle_node_hash(sr, c, sr)) != 0) {
			return r;
		}
		fn >>= 1;
		sn >>= 1;
	}
	/* Step 7. */
	if (sn != 0)
		return rs_fail(RS_ERR_VERIFY, "consistency proof is shorter than the path");
	if (!rs_ct_equal(fr, root1, MERKLE_HASH_LEN))
		return rs_fail(RS_ERR_VERIFY, "consistency proof from size %" PRIu64 " to %"
		    PRIu64 " does not lead to the old root: the old tree is not a prefix of "
		    "the new one, or a proof hash is wrong", size1, size2);
	if (!rs_ct_equal(sr, root2, MERKLE_HASH_LEN))
		return rs_fail(RS_ERR_VERIFY, "consistency proof from size %" PRIu64 " to %"
		    PRIu64 " does not lead to the new root: the new tree does not extend the "
		    "old one, or a proof hash is wrong", size1, size2);
	return 0;
}

void
merkle_range_init(struct merkle_range *r)
{
	memset(r, 0, sizeof(*r));
}

int
merkle_range_load(uint64_t size, merkle_fetch_fn fetch, void *arg, struct merkle_range *out)
{
	uint64_t start = 0;
	unsigned level;
	int r = RS_ERR_INTERNAL;

	merkle_range_init(out);
	if (size > MERKLE_MAX_SIZE) {
		r = rs_fail(RS_ERR_USAGE, "tree size %" PRIu64 " is too large", size);
		goto out;
	}
	for (level = 64; level-- > 0;) {
		if ((size >> level & 1) == 0)
			continue;
		if ((r = fetch(arg, level, start >> level, out->hash[out->n])) != 0)
			goto out;
		out->n++;
		start += (uint64_t)1 << level;
	}
	out->size = size;
	r = 0;
out:
	if (r != 0)
		merkle_range_init(out);
	return r;
}

int
merkle_range_append(struct merkle_range *r, const uint8_t leaf_hash[MERKLE_HASH_LEN],
    merkle_node_fn on_node, void *arg)
{
	struct merkle_range t;
	uint64_t idx;
	unsigned level = 0;
	int rc;

	if (r->size >= MERKLE_MAX_SIZE)
		return rs_fail(RS_ERR_TOO_LARGE, "the tree is full (%" PRIu64 " leaves)", r->size);
	if (r->n != popcount(r->size) || r->n >= 64)
		return rs_fail(RS_ERR_INTERNAL, "compact range of size %" PRIu64 " holds %u "
		    "subtrees", r->size, r->n);
	t = *r;
	idx = t.size;
	memcpy(t.hash[t.n++], leaf_hash, MERKLE_HASH_LEN);
	if (on_node != NULL && (rc = on_node(arg, 0, idx, leaf_hash)) != 0)
		return rc;
	/* Each trailing one bit of the old size is a subtree the new leaf completes. */
	while ((idx & 1) != 0) {
		if ((rc = merkle_node_hash(t.hash[t.n - 2], t.hash[t.n - 1],
		    t.hash[t.n - 2])) != 0)
			return rc;
		t.n--;
		level++;
		idx >>= 1;
		if (on_node != NULL && (rc = on_node(arg, level, idx, t.hash[t.n - 1])) != 0)
			return rc;
	}
	t.size++;
	*r = t;
	return 0;
}

int
merkle_range_root(const struct merkle_range *r, uint8_t out[MERKLE_HASH_LEN])
{
	uint8_t h[MERKLE_HASH_LEN];
	unsigned i;
	int rc;

	if (r->n == 0)
		return merkle_empty_root(out);
	memcpy(h, r->hash[r->n - 1], MERKLE_HASH_LEN);
	for (i = r->n - 1; i-- > 0;)
		if ((rc = merkle_node_hash(r->hash[i], h, h)) != 0)
			return rc;
	memcpy(out, h, MERKLE_HASH_LEN);
	return 0;
}

/*
 * What a proof builder needs about one tree size: the start of each subtree
 * of its compact range, and MTH(D[start[j]:size]) for each (the right-edge
 * subtrees, the only ones that are not perfect).
 */
struct prover {
	uint64_t size;
	merkle_fetch_fn fetch;
	void *arg;
	unsigned n;
	uint64_t start[64];
	uint8_t edge[64][MERKLE_HASH_LEN];
};

static int
prover_init(struct prover *p, uint64_t size, merkle_fetch_fn fetch, void *arg)
{
	struct merkle_range cr;
	uint64_t start = 0;
	unsigned i, level;
	int r;

	memset(p, 0, sizeof(*p));
	p->size = size;
	p->fetch = fetch;
	p->arg = arg;
	if ((r = merkle_range_load(size, fetch, arg, &cr)) != 0)
		return r;
	p->n = cr.n;
	for (level = 64, i = 0; level-- > 0;) {
		if ((size >> level & 1) == 0)
			continue;
		p->start[i++] = start;
		start += (uint64_t)1 << level;
	}
	if (p->n > 0) {
		memcpy(p->edge[p->n - 1], cr.hash[p->n - 1], MERKLE_HASH_LEN);
		for (i = p->n - 1; i-- > 0;)
			if ((r = merkle_node_hash(cr.hash[i], p->edge[i + 1], p->edge[i])) != 0)
				return r;
	}
	return 0;
}

/* MTH(D[a:b]) for a subtree the proof definitions can name. */
static int
subtree_hash(const struct prover *p, uint64_t a, uint64_t b, uint8_t out[MERKLE_HASH_LEN])
{
	uint64_t w = b - a;
	unsigned j, level;

	if (a < b && b <= p->size && (w & (w - 1)) == 0) {
		level = (unsigned)__builtin_ctzll(w);
		if ((a & (w - 1)) == 0)
			return p->fetch(p->arg, level, a >> level, out);
	}
	if (b == p->size)
		for (j = 0; j < p->n; j++)
			if (p->start[j] == a) {
				memcpy(out, p->edge[j], MERKLE_HASH_LEN);
				return 0;
			}
	return rs_fail(RS_ERR_INTERNAL, "subtree [%" PRIu64 ", %" PRIu64 ") is neither "
	    "perfect nor on the right edge of size %" PRIu64, a, b, p->size);
}

/* Reverse the first n hashes: proofs are built top down, RFC order is bottom up. */
static void
reverse(uint8_t proof[MERKLE_MAX_PROOF][MERKLE_HASH_LEN], size_t n)
{
	uint8_t t[MERKLE_HASH_LEN];
	size_t i;

	for (i = 0; i < n / 2; i++) {
		memcpy(t, proof[i], MERKLE_HASH_LEN);
		memcpy(proof[i], proof[n - 1 - i], MERKLE_HASH_LEN);
		memcpy(proof[n - 1 - i], t, MERKLE_HASH_LEN);
	}
}

int
merkle_prove_inclusion(uint64_t index, uint64_t size, merkle_fetch_fn fetch, void *arg,
    uint8_t proof[MERKLE_MAX_PROOF][MERKLE_HASH_LEN], size_t *n)
{
	struct prover p;
	uint64_t a = 0, b = size, k;
	size_t cnt = 0;
	int r = RS_ERR_INTERNAL;

	*n = 0;
	if (size > MERKLE_MAX_SIZE || index >= size) {
		r = rs_fail(RS_ERR_USAGE, "no leaf %" PRIu64 " in a tree of size %" PRIu64,
		    index, size);
		goto out;
	}
	if ((r = prover_init(&p, size, fetch, arg)) != 0)
		goto out;
	/* PATH(m, D[a:b]): descend towards leaf m, collecting the other side. */
	while (b - a > 1) {
		if (cnt >= MERKLE_MAX_PROOF) {
			r = rs_fail(RS_ERR_INTERNAL, "inclusion proof deeper than %d",
			    MERKLE_MAX_PROOF);
			goto out;
		}
		k = split_point(b - a);
		if (index < a + k) {
			r = subtree_hash(&p, a + k, b, proof[cnt++]);
			b = a + k;
		} else {
			r = subtree_hash(&p, a, a + k, proof[cnt++]);
			a = a + k;
		}
		if (r != 0)
			goto out;
	}
	reverse(proof, cnt);
	*n = cnt;
	r = 0;
out:
	return r;
}

int
merkle_prove_consistency(uint64_t size1, uint64_t size2, merkle_fetch_fn fetch,
    void *arg, uint8_t proof[MERKLE_MAX_PROOF][MERKLE_HASH_LEN], size_t *n)
{
	struct prover p;
	uint64_t a = 0, b = size2, k;
	size_t cnt = 0;
	int whole = 1, r = RS_ERR_INTERNAL;

	*n = 0;
	if (size2 > MERKLE_MAX_SIZE || size1 > size2) {
		r = rs_fail(RS_ERR_USAGE, "no consistency proof from size %" PRIu64 " to %"
		    PRIu64, size1, size2);
		goto out;
	}
	if (size1 == 0 || size1 == size2) {
		r = 0;
		goto out;
	}
	if ((r = prover_init(&p, size2, fetch, arg)) != 0)
		goto out;
	/*
	 * SUBPROOF(m, D[a:b], whole), with m = size1 - a. Invariant:
	 * a < size1 <= b, so the loop ends by b == size1 at the latest when
	 * b - a == 1.
	 */
	for (;;) {
		if (cnt >= MERKLE_MAX_PROOF) {
			r = rs_fail(RS_ERR_INTERNAL, "consistency proof deeper than %d",
			    MERKLE_MAX_PROOF);
			goto out;
		}
		if (size1 == b) {
			if (!whole && (r = subtree_hash(&p, a, b, proof[cnt++])) != 0)
				goto out;
			break;
		}
		k = split_point(b - a);
		if (size1 <= a + k) {
			r = subtree_hash(&p, a + k, b, proof[cnt++]);
			b = a + k;
		} else {
			r = subtree_hash(&p, a, a + k, proof[cnt++]);
			a = a + k;
			whole = 0;
		}
		if (r != 0)
			goto out;
	}
	reverse(proof, cnt);
	*n = cnt;
	r = 0;
out:
	return r;
}
