/*
 * merkle_ref.h - a naive RFC 9162 Merkle tree, for tests only.
 *
 * Written straight from the RFC's recursive definitions (MTH, PATH,
 * SUBPROOF, sections 2.1.1, 2.1.3.1, 2.1.4.1) over an array of leaf hashes,
 * with OpenSSL's SHA-256 called directly: no code is shared with
 * ledger/merkle.c, so a mistake there cannot hide here. Cost is O(n) per
 * hash computed; fine for trees of a few hundred leaves.
 */
#ifndef RS_TESTS_MERKLE_REF_H
#define RS_TESTS_MERKLE_REF_H

#include <stddef.h>
#include <stdint.h>

#define REF_MAX_PROOF 128

/* SHA-256(0x00 || data) and SHA-256(0x01 || l || r). */
void ref_leaf_hash(const uint8_t *data, size_t len, uint8_t out[32]);
void ref_node_hash(const uint8_t l[32], const uint8_t r[32], uint8_t out[32]);

/* MTH(D[a:b]) over leaf hashes (leaves[i] is the hash of leaf i). */
void ref_mth(const uint8_t (*leaves)[32], uint64_t a, uint64_t b, uint8_t out[32]);

/* PATH(m, D[0:n]) into proof (REF_MAX_PROOF hashes); returns its length. */
size_t ref_path(const uint8_t (*leaves)[32], uint64_t m, uint64_t n,
    uint8_t proof[REF_MAX_PROOF][32]);

/* PROOF(m, D[0:n]) (consistency); returns its length. */
size_t ref_consistency(const uint8_t (*leaves)[32], uint64_t m, uint64_t n,
    uint8_t proof[REF_MAX_PROOF][32]);

#endif
