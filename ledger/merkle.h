/*
 * merkle.h - the ledger's Merkle tree, exactly as RFC 9162 section 2.1.
 *
 *   leaf hash    = SHA-256(0x00 || entry bytes)       (the Entry as stored)
 *   node hash    = SHA-256(0x01 || left || right)
 *   MTH({})      = SHA-256()                          (the empty string)
 *   MTH(D[0:n])  = node hash(MTH(D[0:k]), MTH(D[k:n])), k the largest power
 *                  of two smaller than n
 *
 * Vocabulary. A "perfect node" (level L, index I) is the root of the
 * complete subtree over leaves [I * 2^L, (I + 1) * 2^L). Once its last leaf
 * exists it never changes, whatever the tree grows to, so the ledger stores
 * perfect nodes and nothing else. Any tree size n is the concatenation of
 * popcount(n) perfect subtrees, largest first (its "compact range"); every
 * root, inclusion proof and consistency proof for size n is computed from at
 * most 2 * 64 perfect nodes, hence O(log n) reads whatever the ledger's size.
 *
 * Two kinds of function live here:
 *
 *  - pure verifiers (merkle_root_from_inclusion, merkle_verify_inclusion,
 *    merkle_verify_consistency): bytes in, verdict out, no I/O. Their
 *    preconditions (sizes, proof length, hash length) are checked first, as
 *    in transparency-dev/merkle's proof/verify.go, each with its own reason;
 *    the hash chaining then follows RFC 9162 2.1.3.2 and 2.1.4.2 step by
 *    step. runseal and runseal-verify share them.
 *  - builders (merkle_range_*, merkle_prove_*): compute ranges and proofs
 *    from perfect nodes that a caller-supplied fetch function reads (the
 *    SQLite store in ledger.c, an array in the tests).
 *
 * Sizes and indexes are limited to MERKLE_MAX_SIZE (SQLite integers are
 * signed 64-bit). Every proof of such a tree has at most MERKLE_MAX_PROOF
 * hashes. Proofs are flat arrays of MERKLE_HASH_LEN-byte hashes in RFC 9162
 * order (from the leaf's level upwards).
 */
#ifndef RS_LEDGER_MERKLE_H
#define RS_LEDGER_MERKLE_H

#include <stddef.h>
#include <stdint.h>

#define MERKLE_HASH_LEN 32
#define MERKLE_MAX_SIZE ((uint64_t)INT64_MAX)
/* Tree depth is at most 63, so a proof holds at most 63 (+1 seed) hashes. */
#define MERKLE_MAX_PROOF 64

/* RFC 9162 domain separation prefixes. */
#define MERKLE_LEAF_PREFIX 0x00
#define MERKLE_NODE_PREFIX 0x01

/* SHA-256(0x00 || data). data may be NULL when len is 0. */
int merkle_leaf_hash(const uint8_t *data, size_t len, uint8_t out[MERKLE_HASH_LEN]);
/* SHA-256(0x01 || left || right). out may alias left or right. */
int merkle_node_hash(const uint8_t left[MERKLE_HASH_LEN],
    const uint8_t right[MERKLE_HASH_LEN], uint8_t out[MERKLE_HASH_LEN]);
/* SHA-256 of the empty string: the root of the empty tree. */
int merkle_empty_root(uint8_t out[MERKLE_HASH_LEN]);

/*
 * Number of hashes in the inclusion proof of index in a tree of size, and
 * in the consistency proof from size1 to size2. Preconditions as for the
 * verifiers below; RS_ERR_VERIFY (with a detail) when they do not hold.
 */
int merkle_inclusion_proof_len(uint64_t index, uint64_t size, size_t *n);
int merkle_consistency_proof_len(uint64_t size1, uint64_t size2, size_t *n);

/*
 * RFC 9162 2.1.3.2: the root that an inclusion proof of leaf_hash at index
 * in a tree of size leads to. Preconditions, checked first: index < size
 * <= MERKLE_MAX_SIZE and n == merkle_inclusion_proof_len(index, size).
 * proof holds n hashes. RS_ERR_VERIFY with a detail if a precondition fails.
 */
int merkle_root_from_inclusion(uint64_t index, uint64_t size,
    const uint8_t leaf_hash[MERKLE_HASH_LEN], const uint8_t *proof, size_t n,
    uint8_t root_out[MERKLE_HASH_LEN]);

/*
 * 0 if proof shows leaf_hash at index in the tree of size whose root is
 * root; RS_ERR_VERIFY with a detail naming the reason otherwise (index out
 * of range, wrong proof length, root mismatch).
 */
int merkle_verify_inclusion(uint64_t index, uint64_t size,
    const uint8_t leaf_hash[MERKLE_HASH_LEN], const uint8_t *proof, size_t n,
    const uint8_t root[MERKLE_HASH_LEN]);

/*
 * RFC 9162 2.1.4.2: 0 if proof shows the tree of size1 with root1 is a
 * prefix of the tree of size2 with root2. Preconditions, checked first:
 * size1 <= size2 <= MERKLE_MAX_SIZE; for size1 == size2 the proof is empty
 * and the roots are equal; for size1 == 0 the proof is empty (every tree
 * extends the empty one); otherwise n == merkle_consistency_proof_len().
 * RS_ERR_VERIFY with a detail naming the failed check otherwise.
 */
int merkle_verify_consistency(uint64_t size1, uint64_t size2,
    const uint8_t *proof, size_t n, const uint8_t root1[MERKLE_HASH_LEN],
    const uint8_t root2[MERKLE_HASH_LEN]);

/*
 * A compact range: the perfect subtrees that make up the tree [0, size),
 * largest (leftmost) first. hash[i] is the root of subtree i, of 2^level(i)
 * leaves, where the levels are the set bits of size from the highest down.
 */
struct merkle_range {
	uint64_t size;
	unsigned n;                                 /* popcount(size) */
	uint8_t hash[64][MERKLE_HASH_LEN];
};

/* Reads perfect node (level, index) into out; nonzero return aborts. */
typedef int (*merkle_fetch_fn)(void *arg, unsigned level, uint64_t index,
    uint8_t out[MERKLE_HASH_LEN]);
/* Told about each perfect node that an append completes; nonzero aborts. */
typedef int (*merkle_node_fn)(void *arg, unsigned level, uint64_t index,
    const uint8_t hash[MERKLE_HASH_LEN]);

/* The empty range. */
void merkle_range_init(struct merkle_range *r);

/*
 * The compact range of size, read through fetch (popcount(size) reads).
 * *out is the empty range on failure.
 */
int merkle_range_load(uint64_t size, merkle_fetch_fn fetch, void *arg,
    struct merkle_range *out);

/*
 * Append one leaf hash. on_node (may be NULL) is called first for the leaf
 * (level 0) and then for each perfect node the leaf completes, bottom up.
 * On failure r is unchanged. RS_ERR_TOO_LARGE past MERKLE_MAX_SIZE.
 */
int merkle_range_append(struct merkle_range *r, const uint8_t leaf_hash[MERKLE_HASH_LEN],
    merkle_node_fn on_node, void *arg);

/* The root of the tree the range covers (MTH of the empty tree for size 0). */
int merkle_range_root(const struct merkle_range *r, uint8_t out[MERKLE_HASH_LEN]);

/*
 * Build the inclusion proof of index in the tree of size from perfect nodes
 * read through fetch, into proof (room for MERKLE_MAX_PROOF hashes); *n is
 * its length. RS_ERR_USAGE unless index < size <= MERKLE_MAX_SIZE.
 */
int merkle_prove_inclusion(uint64_t index, uint64_t size, merkle_fetch_fn fetch,
    void *arg, uint8_t proof[MERKLE_MAX_PROOF][MERKLE_HASH_LEN], size_t *n);

/*
 * Build the consistency proof from size1 to size2 (RFC 9162 2.1.4.1) the
 * same way. RS_ERR_USAGE unless size1 <= size2 <= MERKLE_MAX_SIZE. The
 * proof is empty when size1 is 0 or equals size2.
 */
int merkle_prove_consistency(uint64_t size1, uint64_t size2, merkle_fetch_fn fetch,
    void *arg, uint8_t proof[MERKLE_MAX_PROOF][MERKLE_HASH_LEN], size_t *n);

#endif
