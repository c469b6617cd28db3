/*
 * ledger.h - the append-only ledger in one SQLite file: a hash chain (order)
 * and an RFC 9162 Merkle tree (proofs) over the same entries, with a signed
 * checkpoint of the tree committed with every append.
 *
 * Schema (version 2):
 *
 *   meta(key TEXT PRIMARY KEY, value BLOB NOT NULL)
 *       "format"  = "runseal-ledger"
 *       "version" = "2"
 *       "origin"  = the ledger's name: the checkpoint origin and the name of
 *                   its checkpoint key (printable ASCII, no space, no '+')
 *   entries(idx INTEGER PRIMARY KEY,      -- 0, 1, 2, ... with no gaps
 *           entry BLOB NOT NULL,          -- Entry bytes, verbatim (proto/runseal.proto)
 *           chain_hash BLOB NOT NULL)     -- 32 bytes
 *   merkle(level INTEGER, idx INTEGER,    -- perfect node (level, idx): the root of
 *          hash BLOB NOT NULL,            -- leaves [idx * 2^level, (idx + 1) * 2^level),
 *          PRIMARY KEY(level, idx))       -- 32 bytes; stored once complete (merkle.h)
 *          WITHOUT ROWID
 *   checkpoints(size INTEGER PRIMARY KEY, -- tree size the checkpoint commits to
 *               note BLOB NOT NULL)       -- signed note text, verbatim (checkpoint.h)
 *
 *   Triggers refuse UPDATE and DELETE on every table, an INSERT into entries
 *   whose idx is not the next one (max(idx) + 1, or 0), an INSERT of a meta
 *   key or Merkle node that exists (so INSERT OR REPLACE cannot overwrite),
 *   and an INSERT into checkpoints whose size is not larger than every
 *   earlier one and at most the number of entries.
 *
 *   entry digest = SHA-256("runseal/v1/entry" 0x00 || entry bytes)
 *   chain hash   = SHA-256("runseal/v1/chain" 0x00 || prev chain hash || entry digest)
 *   prev chain hash of entry 0 = 32 zero bytes
 *   Merkle leaf  = SHA-256(0x00 || entry bytes)                     (RFC 9162)
 *
 * Write path. The file is opened in WAL mode with synchronous=FULL. An
 * append (or a batch of appends) is one BEGIN IMMEDIATE transaction: read
 * the tail, call the seal callback, insert the entry, insert the Merkle
 * nodes it completes (at most 1 + log2(n) rows, after popcount(n) reads),
 * sign a checkpoint of the new tree with the ledger's Ed25519 key and
 * insert it, commit. Any error, including any I/O error, rolls back and
 * nothing is acknowledged. A writable ledger cannot append without its
 * checkpoint key: the one attached with ledger_set_checkpoint_key(), else
 * the home's CHECKPOINT_HOME_KEY next to the ledger file, loaded by
 * ledger_open() when it is there (a damaged key fails the open) or at the
 * first write; so every tree size that ends an append has a signed
 * checkpoint.
 *
 * One process opens a given ledger file at most once at a time (POSIX
 * locks are per process: a second connection closing would drop the first
 * one's locks); a second ledger_open of the same file is RS_ERR_BUSY.
 *
 * Readers return rows exactly as stored and check only their shape:
 * verification belongs to the verifier, which must not trust this file.
 */
#ifndef RS_LEDGER_H
#define RS_LEDGER_H

#include <stddef.h>
#include <stdint.h>

#include "common/hash.h"
#include "ledger/merkle.h"

#define LEDGER_FILE_NAME "ledger.db"
#define LEDGER_BUSY_TIMEOUT_MS 10000

struct ledger;

/*
 * Create a new, empty ledger file at path with the given origin name
 * (checkpoint_name_ok(): it names the checkpoint key). RS_ERR_EXISTS if
 * path exists.
 */
int ledger_create(const char *path, const char *origin);

/*
 * Open an existing ledger. writable=0 opens read-only (the verifier).
 * RS_ERR_NOT_FOUND if missing; RS_ERR_FORMAT if the file is not a runseal
 * ledger of a supported version; RS_ERR_BUSY if this process has it open
 * already. Caller closes with ledger_close().
 */
int ledger_open(const char *path, int writable, struct ledger **out);
void ledger_close(struct ledger *l);

/* The origin name stored in meta (borrowed, valid until ledger_close). */
const char *ledger_origin(const struct ledger *l);

/*
 * Load the ledger's Ed25519 checkpoint key (checkpoint.h) from key_path,
 * bound to the ledger's origin; appends then sign checkpoints with it.
 * Without it, the first write loads the home's key (see above).
 */
int ledger_set_checkpoint_key(struct ledger *l, const char *key_path);

/*
 * Called inside the write transaction with the index the entry will get;
 * returns new Envelope bytes (the ledger takes ownership and frees them).
 * A non-zero return aborts the append.
 */
typedef int (*ledger_seal_fn)(void *arg, uint64_t index, uint8_t **envelope,
    size_t *len);

struct ledger_appended {
	uint64_t index;
	uint8_t entry_digest[RS_SHA256_LEN];
	uint8_t chain_hash[RS_SHA256_LEN];
	uint64_t tree_size;                     /* size of the checkpoint signed with it */
	uint8_t root[MERKLE_HASH_LEN];          /* that tree's root */
};

/*
 * Append one entry: BEGIN IMMEDIATE, read the tail, call seal, insert the
 * Entry, its chain hash and its Merkle nodes, sign and insert the
 * checkpoint of the new tree, COMMIT. *out is filled only after the commit
 * succeeded. On any failure the transaction is rolled back.
 * RS_ERR_USAGE without a checkpoint key or on a read-only ledger.
 */
int ledger_append(struct ledger *l, ledger_seal_fn seal, void *arg,
    struct ledger_appended *out);

/*
 * Append n entries in one transaction, sealing index first, first + 1, ...
 * in order, with one checkpoint for the final size. out[0..n-1] are filled
 * only after the commit; on any failure none of them is appended.
 */
int ledger_append_batch(struct ledger *l, size_t n, ledger_seal_fn seal, void *arg,
    struct ledger_appended *out);

/*
 * Sign and store a checkpoint for the current size unless the latest
 * stored checkpoint already has that size (then nothing is written).
 * *size receives the size of the latest checkpoint afterwards.
 * Used for the empty ledger's checkpoint (size 0) when a home is created.
 */
int ledger_checkpoint_now(struct ledger *l, uint64_t *size);

/* Number of entries (the highest idx + 1, as stored). */
int ledger_count(struct ledger *l, uint64_t *n);

/*
 * The stored tail: *count = highest idx + 1 and chain_hash = that row's
 * stored chain hash (0 and 32 zero bytes when empty). As stored, not
 * verified; RS_ERR_FORMAT if the last row has no 32-byte chain hash.
 */
int ledger_head(struct ledger *l, uint64_t *count, uint8_t chain_hash[RS_SHA256_LEN]);

/* One stored row, as stored (untrusted). */
struct ledger_row {
	uint64_t idx;
	uint8_t *entry;
	size_t entry_len;
	uint8_t *chain_hash;
	size_t chain_hash_len;
};
void ledger_row_free(struct ledger_row *row);

/* Read the row with idx = index. RS_ERR_NOT_FOUND if absent. */
int ledger_get(struct ledger *l, uint64_t index, struct ledger_row **out);

/*
 * Iterate rows in idx order, starting at idx >= from. The iterator reads
 * one consistent snapshot and holds one row in memory at a time. Free it
 * before ledger_close().
 */
struct ledger_iter;
int ledger_iter_new(struct ledger *l, uint64_t from, struct ledger_iter **out);
/*
 * *row = NULL at the end. Rows larger than the entry bound are RS_ERR_TOO_LARGE.
 * A row whose entry or chain hash is not a blob, or (with from = 0) a row
 * with a negative idx, is RS_ERR_FORMAT. After any error the iterator is
 * finished.
 */
int ledger_iter_next(struct ledger_iter *it, struct ledger_row **row);
void ledger_iter_free(struct ledger_iter *it);

/*
 * Read snapshot: between ledger_read_begin() and ledger_read_end() every
 * read sees the same committed state (one SQLite read transaction).
 */
int ledger_read_begin(struct ledger *l);
void ledger_read_end(struct ledger *l);

/*
 * The latest checkpoint as stored (untrusted): its note bytes (new buffer,
 * NUL-terminated, the NUL not counted) and the size it is stored under.
 * RS_ERR_NOT_FOUND when there is none.
 */
int ledger_checkpoint_latest(struct ledger *l, uint64_t *size, uint8_t **note, size_t *len);
/* The checkpoint stored for exactly this size. RS_ERR_NOT_FOUND if none. */
int ledger_checkpoint_get(struct ledger *l, uint64_t size, uint8_t **note, size_t *len);

/* Iterate stored checkpoints by increasing size (rows as stored, untrusted). */
struct ledger_cp_iter;
int ledger_cp_iter_new(struct ledger *l, struct ledger_cp_iter **out);
/*
 * *note = NULL at the end. A row whose note is not a blob or text of at
 * most CHECKPOINT_MAX_NOTE bytes, or whose size is negative, is an error
 * (RS_ERR_FORMAT / RS_ERR_TOO_LARGE) naming the row.
 */
int ledger_cp_iter_next(struct ledger_cp_iter *it, uint64_t *size, uint8_t **note,
    size_t *len);
void ledger_cp_iter_free(struct ledger_cp_iter *it);

/*
 * One stored perfect Merkle node. RS_ERR_NOT_FOUND if absent, RS_ERR_FORMAT
 * if the stored value is not a 32-byte blob.
 */
int ledger_node_get(struct ledger *l, unsigned level, uint64_t index,
    uint8_t out[MERKLE_HASH_LEN]);
/* Number of stored Merkle node rows (2n - popcount(n) for n entries). */
int ledger_node_count(struct ledger *l, uint64_t *n);

/*
 * Root, inclusion proof and consistency proof for any tree size up to the
 * current one, computed from stored perfect nodes in O(log n) reads
 * (merkle.h). Sizes beyond the ledger are RS_ERR_USAGE. As stored: a
 * verifier checks the result against a signed checkpoint.
 */
int ledger_root(struct ledger *l, uint64_t size, uint8_t root[MERKLE_HASH_LEN]);
int ledger_prove_inclusion(struct ledger *l, uint64_t index, uint64_t size,
    uint8_t proof[MERKLE_MAX_PROOF][MERKLE_HASH_LEN], size_t *n);
int ledger_prove_consistency(struct ledger *l, uint64_t size1, uint64_t size2,
    uint8_t proof[MERKLE_MAX_PROOF][MERKLE_HASH_LEN], size_t *n);

/* Pure helpers shared with the verifier. */
int ledger_entry_digest(const uint8_t *entry, size_t len, uint8_t out[RS_SHA256_LEN]);
int ledger_chain_next(const uint8_t prev[RS_SHA256_LEN],
    const uint8_t entry_digest[RS_SHA256_LEN], uint8_t out[RS_SHA256_LEN]);

#endif
