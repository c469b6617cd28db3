/*
 * ledger.h - the append-only, hash-chained ledger in one SQLite file.
 *
 * Schema (version 1):
 *
 *   meta(key TEXT PRIMARY KEY, value BLOB NOT NULL)
 *       "format"  = "runseal-ledger"
 *       "version" = "1"
 *       "origin"  = the ledger's name (text)
 *   entries(idx INTEGER PRIMARY KEY,      -- 0, 1, 2, ... with no gaps
 *           entry BLOB NOT NULL,          -- Entry bytes, verbatim (proto/runseal.proto)
 *           chain_hash BLOB NOT NULL)     -- 32 bytes
 *   Triggers refuse UPDATE and DELETE on entries and meta rows, an INSERT
 *   into entries whose idx is not the next one (max(idx) + 1, or 0), and an
 *   INSERT into meta of a key that exists (so INSERT OR REPLACE cannot
 *   overwrite either table).
 *
 *   entry digest = SHA-256("runseal/v1/entry" 0x00 || entry bytes)
 *   chain hash   = SHA-256("runseal/v1/chain" 0x00 || prev chain hash || entry digest)
 *   prev chain hash of entry 0 = 32 zero bytes
 *
 * The file is opened in WAL mode with synchronous=FULL; an append is one
 * BEGIN IMMEDIATE transaction: read the tail, build the entry, insert,
 * commit. Any error rolls back and nothing is acknowledged.
 *
 * Readers (ledger_iter_*) return rows exactly as stored and check nothing
 * beyond SQLite's own integrity: verification belongs to the verifier, which
 * must not trust this file.
 */
#ifndef RS_LEDGER_H
#define RS_LEDGER_H

#include <stddef.h>
#include <stdint.h>

#include "common/hash.h"

#define LEDGER_FILE_NAME "ledger.db"
#define LEDGER_BUSY_TIMEOUT_MS 10000

struct ledger;

/*
 * Create a new, empty ledger file at path with the given origin name.
 * RS_ERR_EXISTS if path exists.
 */
int ledger_create(const char *path, const char *origin);

/*
 * Open an existing ledger. writable=0 opens read-only (the verifier).
 * RS_ERR_NOT_FOUND if missing; RS_ERR_FORMAT if the file is not a runseal
 * ledger of a supported version. Caller closes with ledger_close().
 */
int ledger_open(const char *path, int writable, struct ledger **out);
void ledger_close(struct ledger *l);

/* The origin name stored in meta (borrowed, valid until ledger_close). */
const char *ledger_origin(const struct ledger *l);

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
};

/*
 * Append one entry: BEGIN IMMEDIATE, read the tail, call seal, insert the
 * Entry and its chain hash, COMMIT. *out is filled only after the commit
 * succeeded. On any failure the transaction is rolled back.
 */
int ledger_append(struct ledger *l, ledger_seal_fn seal, void *arg,
    struct ledger_appended *out);

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

/* Pure helpers shared with the verifier. */
int ledger_entry_digest(const uint8_t *entry, size_t len, uint8_t out[RS_SHA256_LEN]);
int ledger_chain_next(const uint8_t prev[RS_SHA256_LEN],
    const uint8_t entry_digest[RS_SHA256_LEN], uint8_t out[RS_SHA256_LEN]);

#endif
