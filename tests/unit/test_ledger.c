/*
 * Unit tests for ledger/: real SQLite files in a temporary directory.
 * Chain values are recomputed here with OpenSSL directly, not through the
 * ledger's own helpers, so a wrong formula in ledger.c cannot pass.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <sqlite3.h>

#include "attest/run.h"
#include "attest/record.h"
#include "attest/signer.h"
#include "attest/verify.h"
#include "common/encode.h"
#include "common/err.h"
#include "common/file.h"
#include "ledger/checkpoint.h"
#include "ledger/ledger.h"
#include "ledger/merkle.h"
#include "proto/codec.h"
#include "tests/lib/merkle_ref.h"

static char dir[64];
static char db_path[128];
static char cp_key[128];

static int
setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/rs-ledger-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(db_path, sizeof(db_path), "%s/ledger.db", dir);
	snprintf(cp_key, sizeof(cp_key), "%s/ledger.key", dir);
	return checkpoint_key_create(cp_key) == 0 ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	return rs_rm_rf(dir);
}

/* SHA-256(ctx || 0x00 || a || b), computed without the project's helpers. */
static void
ref_hash(const char *ctx, const uint8_t *a, size_t alen, const uint8_t *b,
    size_t blen, uint8_t out[32])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned int n = 0;

	assert_non_null(md);
	assert_int_equal(EVP_DigestInit_ex(md, EVP_sha256(), NULL), 1);
	assert_int_equal(EVP_DigestUpdate(md, ctx, strlen(ctx) + 1), 1);
	assert_int_equal(EVP_DigestUpdate(md, a, alen), 1);
	if (b != NULL)
		assert_int_equal(EVP_DigestUpdate(md, b, blen), 1);
	assert_int_equal(EVP_DigestFinal_ex(md, out, &n), 1);
	assert_int_equal(n, 32);
	EVP_MD_CTX_free(md);
}

/* Seal callback returning "envelope-<index>" (the ledger stores any bytes). */
struct fixed_seal {
	int calls;
	uint64_t last_index;
	int fail;           /* return this error instead */
	int fail_after;     /* with fail: only once this many calls succeeded */
	int no_envelope;    /* return 0 but no bytes */
};

static int
fixed_seal(void *arg, uint64_t index, uint8_t **env, size_t *len)
{
	struct fixed_seal *fs = arg;
	char buf[64];
	int n;

	*env = NULL;
	*len = 0;
	fs->calls++;
	fs->last_index = index;
	if (fs->fail && fs->calls > fs->fail_after)
		return rs_fail(fs->fail, "seal refused for the test");
	if (fs->no_envelope)
		return 0;
	n = snprintf(buf, sizeof(buf), "envelope-%llu", (unsigned long long)index);
	if ((*env = malloc((size_t)n)) == NULL)
		return RS_ERR_ALLOC;
	memcpy(*env, buf, (size_t)n);
	*len = (size_t)n;
	return 0;
}

/* Open for writing with the test's checkpoint key attached. */
static int
open_w(struct ledger **l)
{
	int r;

	if ((r = ledger_open(db_path, 1, l)) != 0)
		return r;
	if ((r = ledger_set_checkpoint_key(*l, cp_key)) != 0) {
		ledger_close(*l);
		*l = NULL;
	}
	return r;
}

static sqlite3 *
raw_open(void)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	return db;
}

/* Run SQL on a raw connection; returns the SQLite code, message in errbuf. */
static int
raw_exec(const char *sql, char *errbuf, size_t errlen)
{
	sqlite3 *db = raw_open();
	char *msg = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);

	if (errbuf != NULL)
		snprintf(errbuf, errlen, "%s", msg != NULL ? msg : "");
	sqlite3_free(msg);
	sqlite3_close(db);
	return rc;
}

static void
make_ledger(int n)
{
	struct fixed_seal fs = { 0 };
	struct ledger_appended a;
	struct ledger *l = NULL;
	int i;

	assert_int_equal(ledger_create(db_path, "test-origin"), 0);
	assert_int_equal(open_w(&l), 0);
	for (i = 0; i < n; i++)
		assert_int_equal(ledger_append(l, fixed_seal, &fs, &a), 0);
	ledger_close(l);
}

static void
test_chain_helpers_vectors(void **state)
{
	/* SHA-256("runseal/v1/entry\0abc") and SHA-256("runseal/v1/chain\0" || 0^32 || it), by hand (python hashlib). */
	static const char entry_hex[] =
	    "0d606f86a6f43c16d98c544498fd402252aa9bb6b4cc949d507710131aa74219";
	static const char chain_hex[] =
	    "e36ffdeadde3bdd13fae8fb3aaed929dee58e575e6cfd37dc4f2e482bb5554e2";
	uint8_t zero[32] = { 0 }, d[32], c[32], want[32];

	(void)state;
	assert_int_equal(ledger_entry_digest((const uint8_t *)"abc", 3, d), 0);
	assert_int_equal(rs_hex_decode(entry_hex, want, 32), 0);
	assert_memory_equal(d, want, 32);
	assert_int_equal(ledger_chain_next(zero, d, c), 0);
	assert_int_equal(rs_hex_decode(chain_hex, want, 32), 0);
	assert_memory_equal(c, want, 32);
}

static void
test_create_open_reopen(void **state)
{
	struct ledger *l = NULL;
	uint64_t n = 99;
	uint8_t head[32], zero[32] = { 0 };

	(void)state;
	assert_int_equal(ledger_create(db_path, "ci-host-7"), 0);
	assert_int_equal(open_w(&l), 0);
	assert_string_equal(ledger_origin(l), "ci-host-7");
	assert_int_equal(ledger_count(l, &n), 0);
	assert_int_equal(n, 0);
	memset(head, 0xee, sizeof(head));
	assert_int_equal(ledger_head(l, &n, head), 0);
	assert_int_equal(n, 0);
	assert_memory_equal(head, zero, 32);
	ledger_close(l);
	l = NULL;
	assert_int_equal(ledger_open(db_path, 0, &l), 0);
	assert_string_equal(ledger_origin(l), "ci-host-7");
	ledger_close(l);
	ledger_close(NULL);
}

static void
test_create_refuses_existing(void **state)
{
	struct ledger *l = NULL;
	struct fixed_seal fs = { 0 };
	struct ledger_appended a;
	uint64_t n = 0;

	(void)state;
	make_ledger(2);
	assert_int_equal(ledger_create(db_path, "other"), RS_ERR_EXISTS);
	assert_non_null(strstr(rs_err_detail(), db_path));
	/* The existing ledger is untouched and still usable. */
	assert_int_equal(open_w(&l), 0);
	assert_string_equal(ledger_origin(l), "test-origin");
	assert_int_equal(ledger_count(l, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(ledger_append(l, fixed_seal, &fs, &a), 0);
	assert_int_equal(a.index, 2);
	ledger_close(l);
}

static void
test_create_bad_arguments(void **state)
{
	char path[256];
	struct stat st;

	(void)state;
	assert_int_equal(ledger_create(db_path, ""), RS_ERR_USAGE);
	assert_int_equal(ledger_create(db_path, "bad\norigin"), RS_ERR_USAGE);
	/* The origin names the checkpoint key: no spaces, no '+'. */
	assert_int_equal(ledger_create(db_path, "two words"), RS_ERR_USAGE);
	assert_int_equal(ledger_create(db_path, "a+b"), RS_ERR_USAGE);
	assert_int_not_equal(stat(db_path, &st), 0);     /* nothing left behind */
	snprintf(path, sizeof(path), "%s/no/such/dir/ledger.db", dir);
	assert_int_equal(ledger_create(path, "x"), RS_ERR_NOT_FOUND);
}

static void
test_open_missing(void **state)
{
	struct ledger *l = (struct ledger *)0x1;

	(void)state;
	assert_int_equal(ledger_open(db_path, 0, &l), RS_ERR_NOT_FOUND);
	assert_null(l);
	assert_non_null(strstr(rs_err_detail(), db_path));
	assert_int_equal(ledger_open(db_path, 1, &l), RS_ERR_NOT_FOUND);
	/* Opening never creates the file. */
	assert_int_not_equal(access(db_path, F_OK), 0);
}

static void
test_open_garbage(void **state)
{
	static const char junk[] = "this is not an SQLite database, just some text "
	    "long enough to have a header-sized prefix.............................";
	struct ledger *l = NULL;
	uint8_t *back = NULL;
	size_t len = 0;

	(void)state;
	assert_int_equal(rs_write_file_atomic(db_path, junk, sizeof(junk), 0644, 0), 0);
	assert_int_equal(ledger_open(db_path, 0, &l), RS_ERR_FORMAT);
	assert_null(l);
	assert_int_equal(ledger_open(db_path, 1, &l), RS_ERR_FORMAT);
	assert_non_null(strstr(rs_err_detail(), "not a runseal ledger"));
	/* A failed open leaves the file as it was. */
	assert_int_equal(rs_read_file(db_path, 4096, &back, &len), 0);
	assert_int_equal(len, sizeof(junk));
	assert_memory_equal(back, junk, len);
	free(back);
	/* An empty file is an empty SQLite database, but not a ledger. */
	assert_int_equal(rs_write_file_atomic(db_path, "", 0, 0644, 0), 0);
	assert_int_equal(ledger_open(db_path, 0, &l), RS_ERR_FORMAT);
	/* A directory is not a ledger either. */
	assert_int_equal(ledger_open(dir, 0, &l), RS_ERR_FORMAT);
}

static void
test_open_sqlite_without_meta(void **state)
{
	struct ledger *l = NULL;
	sqlite3 *db = NULL;
	uint8_t *back = NULL;
	size_t len = 0;

	(void)state;
	assert_int_equal(sqlite3_open_v2(db_path, &db,
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE t(x); INSERT INTO t VALUES (1);",
	    NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(ledger_open(db_path, 0, &l), RS_ERR_FORMAT);
	assert_int_equal(ledger_open(db_path, 1, &l), RS_ERR_FORMAT);
	assert_null(l);
	/* Someone else's database is not switched to WAL (header bytes 18/19 stay 1). */
	assert_int_equal(rs_read_file(db_path, 1 << 20, &back, &len), 0);
	assert_true(len >= 100);
	assert_int_equal(back[18], 1);
	assert_int_equal(back[19], 1);
	free(back);
}

static void
test_open_wrong_format_or_version(void **state)
{
	struct ledger *l = NULL;

	(void)state;
	make_ledger(0);
	/* Version 1 (hash chain only, no Merkle tree) is not read by this build. */
	assert_int_equal(raw_exec("DROP TRIGGER meta_no_update;"
	    "UPDATE meta SET value = '1' WHERE key = 'version';", NULL, 0), SQLITE_OK);
	assert_int_equal(ledger_open(db_path, 0, &l), RS_ERR_FORMAT);
	assert_non_null(strstr(rs_err_detail(), "version"));
	assert_int_equal(raw_exec("UPDATE meta SET value = '2' WHERE key = 'version';"
	    "UPDATE meta SET value = 'something-else' WHERE key = 'format';", NULL, 0),
	    SQLITE_OK);
	assert_int_equal(ledger_open(db_path, 0, &l), RS_ERR_FORMAT);
	assert_int_equal(raw_exec("UPDATE meta SET value = 'runseal-ledger' WHERE key = 'format';",
	    NULL, 0), SQLITE_OK);
	assert_int_equal(ledger_open(db_path, 0, &l), 0);
	ledger_close(l);
}

static void
test_open_refuses_view(void **state)
{
	struct ledger *l = NULL;

	(void)state;
	make_ledger(2);
	/* A view could replay rows twice, out of order, or forever. */
	assert_int_equal(raw_exec("ALTER TABLE entries RENAME TO e2;"
	    "CREATE VIEW entries AS SELECT * FROM e2 UNION ALL SELECT * FROM e2;",
	    NULL, 0), SQLITE_OK);
	assert_int_equal(ledger_open(db_path, 0, &l), RS_ERR_FORMAT);
	assert_null(l);
	assert_non_null(strstr(rs_err_detail(), "not a runseal ledger"));
}

static void
test_append_three_chain(void **state)
{
	struct fixed_seal fs = { 0 };
	struct ledger_appended a[3];
	struct ledger *l = NULL;
	struct ledger_row *row = NULL;
	uint8_t prev[32] = { 0 }, d[32], c[32], head[32];
	uint64_t i, n = 0;
	char want_env[32];

	(void)state;
	assert_int_equal(ledger_create(db_path, "o"), 0);
	assert_int_equal(open_w(&l), 0);
	for (i = 0; i < 3; i++) {
		assert_int_equal(ledger_append(l, fixed_seal, &fs, &a[i]), 0);
		assert_int_equal(a[i].index, i);
		assert_int_equal(fs.last_index, i);     /* seal saw the index it got */
	}
	assert_int_equal(ledger_count(l, &n), 0);
	assert_int_equal(n, 3);
	ledger_close(l);

	/* Reopen read-only and recompute everything independently. */
	l = NULL;
	assert_int_equal(ledger_open(db_path, 0, &l), 0);
	for (i = 0; i < 3; i++) {
		proto_entry *e = NULL;

		assert_int_equal(ledger_get(l, i, &row), 0);
		assert_int_equal(row->idx, i);
		assert_int_equal(proto_entry_unpack(row->entry, row->entry_len, &e), 0);
		assert_int_equal(e->index, i);
		assert_int_equal(e->prev_chain_hash.len, 32);
		assert_memory_equal(e->prev_chain_hash.data, prev, 32);
		snprintf(want_env, sizeof(want_env), "envelope-%llu", (unsigned long long)i);
		assert_int_equal(e->envelope.len, strlen(want_env));
		assert_memory_equal(e->envelope.data, want_env, strlen(want_env));
		assert_true(e->appended_unix_ns > 1600000000LL * 1000000000LL);
		ref_hash("runseal/v1/entry", row->entry, row->entry_len, NULL, 0, d);
		ref_hash("runseal/v1/chain", prev, 32, d, 32, c);
		assert_memory_equal(a[i].entry_digest, d, 32);
		assert_memory_equal(a[i].chain_hash, c, 32);
		assert_int_equal(row->chain_hash_len, 32);
		assert_memory_equal(row->chain_hash, c, 32);
		memcpy(prev, c, 32);
		proto_entry_free(e);
		ledger_row_free(row);
		row = NULL;
	}
	assert_int_equal(ledger_head(l, &n, head), 0);
	assert_int_equal(n, 3);
	assert_memory_equal(head, prev, 32);
	assert_int_equal(ledger_get(l, 3, &row), RS_ERR_NOT_FOUND);
	assert_null(row);
	assert_int_equal(ledger_get(l, UINT64_MAX, &row), RS_ERR_NOT_FOUND);
	ledger_close(l);
}

static void
test_seal_failure_appends_nothing(void **state)
{
	struct fixed_seal fs = { 0 };
	struct ledger_appended a;
	struct ledger *l = NULL;
	uint64_t n = 0;

	(void)state;
	assert_int_equal(ledger_create(db_path, "o"), 0);
	assert_int_equal(open_w(&l), 0);
	assert_int_equal(ledger_append(l, fixed_seal, &fs, &a), 0);

	fs.fail = RS_ERR_TPM;
	memset(&a, 0x55, sizeof(a));
	assert_int_equal(ledger_append(l, fixed_seal, &fs, &a), RS_ERR_TPM);
	assert_string_equal(rs_err_detail(), "seal refused for the test");  /* detail kept */
	assert_int_equal(a.index, 0);           /* *out cleared, not filled */
	assert_int_equal(fs.last_index, 1);
	assert_int_equal(ledger_count(l, &n), 0);
	assert_int_equal(n, 1);

	fs.fail = 0;
	fs.no_envelope = 1;
	assert_int_equal(ledger_append(l, fixed_seal, &fs, &a), RS_ERR_INTERNAL);
	assert_int_equal(ledger_count(l, &n), 0);
	assert_int_equal(n, 1);

	/* The next good append takes the next index: no gap was left. */
	fs.no_envelope = 0;
	assert_int_equal(ledger_append(l, fixed_seal, &fs, &a), 0);
	assert_int_equal(a.index, 1);
	ledger_close(l);
}

static void
test_read_only_refuses_append(void **state)
{
	struct fixed_seal fs = { 0 };
	struct ledger_appended a;
	struct ledger *l = NULL;

	(void)state;
	make_ledger(1);
	assert_int_equal(ledger_open(db_path, 0, &l), 0);
	assert_int_equal(ledger_append(l, fixed_seal, &fs, &a), RS_ERR_USAGE);
	assert_int_equal(fs.calls, 0);
	ledger_close(l);
}

static void
test_triggers_refuse_changes(void **state)
{
	static const char *const refused[] = {
		"UPDATE entries SET entry = x'00' WHERE idx = 1",
		"UPDATE entries SET chain_hash = zeroblob(32)",
		"DELETE FROM entries WHERE idx = 2",
		"DELETE FROM entries",
		"INSERT OR REPLACE INTO entries(idx, entry, chain_hash) VALUES (1, x'00', zeroblob(32))",
		"INSERT INTO entries(idx, entry, chain_hash) VALUES (5, x'00', zeroblob(32))",
		"INSERT INTO entries(idx, entry, chain_hash) VALUES (-1, x'00', zeroblob(32))",
		"INSERT INTO entries(entry, chain_hash) VALUES (x'00', zeroblob(32))",
		"UPDATE meta SET value = 'evil' WHERE key = 'origin'",
		"DELETE FROM meta WHERE key = 'version'",
		"INSERT OR REPLACE INTO meta(key, value) VALUES ('origin', 'evil')",
		"UPDATE merkle SET hash = zeroblob(32) WHERE level = 0 AND idx = 0",
		"DELETE FROM merkle WHERE level = 1",
		"INSERT OR REPLACE INTO merkle(level, idx, hash) VALUES (0, 1, zeroblob(32))",
		"UPDATE checkpoints SET note = 'x' WHERE size = 3",
		"DELETE FROM checkpoints",
		"INSERT INTO checkpoints(size, note) VALUES (2, 'older size')",
		"INSERT OR REPLACE INTO checkpoints(size, note) VALUES (3, 'same size')",
		"INSERT INTO checkpoints(size, note) VALUES (4, 'past the entries')",
		"INSERT INTO checkpoints(note) VALUES ('no size')",
	};
	struct ledger *l = NULL;
	struct ledger_row *row = NULL;
	char err[256];
	uint64_t n = 0;
	size_t i;

	(void)state;
	make_ledger(3);
	assert_int_equal(ledger_open(db_path, 0, &l), 0);
	assert_int_equal(ledger_get(l, 1, &row), 0);
	ledger_close(l);
	l = NULL;
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		assert_int_equal(raw_exec(refused[i], err, sizeof(err)), SQLITE_CONSTRAINT);
		assert_non_null(strstr(err, "runseal ledger is append-only"));
	}
	/* Everything is as it was. */
	assert_int_equal(ledger_open(db_path, 0, &l), 0);
	assert_string_equal(ledger_origin(l), "test-origin");
	assert_int_equal(ledger_count(l, &n), 0);
	assert_int_equal(n, 3);
	{
		struct ledger_row *again = NULL;

		assert_int_equal(ledger_get(l, 1, &again), 0);
		assert_int_equal(again->entry_len, row->entry_len);
		assert_memory_equal(again->entry, row->entry, row->entry_len);
		ledger_row_free(again);
	}
	ledger_row_free(row);
	ledger_close(l);
	/* The next index in order is accepted (the append path's own insert). */
	assert_int_equal(raw_exec("INSERT INTO entries(idx, entry, chain_hash) "
	    "VALUES (3, x'00', zeroblob(32))", err, sizeof(err)), SQLITE_OK);
}

static void
test_iterator_order(void **state)
{
	struct ledger *l = NULL;
	struct ledger_iter *it = NULL;
	struct ledger_row *row = NULL;
	uint64_t want;

	(void)state;
	make_ledger(5);
	assert_int_equal(ledger_open(db_path, 0, &l), 0);

	assert_int_equal(ledger_iter_new(l, 0, &it), 0);
	for (want = 0;; want++) {
		assert_int_equal(ledger_iter_next(it, &row), 0);
		if (row == NULL)
			break;
		assert_int_equal(row->idx, want);
		ledger_row_free(row);
	}
	assert_int_equal(want, 5);
	assert_int_equal(ledger_iter_next(it, &row), 0);    /* stays at the end */
	assert_null(row);
	ledger_iter_free(it);

	assert_int_equal(ledger_iter_new(l, 3, &it), 0);
	assert_int_equal(ledger_iter_next(it, &row), 0);
	assert_non_null(row);
	assert_int_equal(row->idx, 3);
	ledger_row_free(row);
	assert_int_equal(ledger_iter_next(it, &row), 0);
	assert_int_equal(row->idx, 4);
	ledger_row_free(row);
	assert_int_equal(ledger_iter_next(it, &row), 0);
	assert_null(row);
	ledger_iter_free(it);

	assert_int_equal(ledger_iter_new(l, 99, &it), 0);
	assert_int_equal(ledger_iter_next(it, &row), 0);
	assert_null(row);
	ledger_iter_free(it);
	assert_int_equal(ledger_iter_new(l, UINT64_MAX, &it), 0);
	assert_int_equal(ledger_iter_next(it, &row), 0);
	assert_null(row);
	ledger_iter_free(it);
	ledger_iter_free(NULL);
	ledger_close(l);
}

static void
test_rows_are_untrusted(void **state)
{
	struct ledger *l = NULL;
	struct ledger_iter *it = NULL;
	struct ledger_row *row = NULL;

	(void)state;
	make_ledger(2);
	assert_int_equal(raw_exec("DROP TRIGGER entries_no_update;"
	    "UPDATE entries SET entry = 'text, not a blob' WHERE idx = 1;", NULL, 0), SQLITE_OK);
	assert_int_equal(ledger_open(db_path, 0, &l), 0);
	assert_int_equal(ledger_get(l, 0, &row), 0);
	ledger_row_free(row);
	assert_int_equal(ledger_get(l, 1, &row), RS_ERR_FORMAT);
	assert_null(row);
	assert_non_null(strstr(rs_err_detail(), "row 1"));
	ledger_close(l);
	l = NULL;

	/* An entry over the bound is refused without being handed out. */
	assert_int_equal(raw_exec("UPDATE entries SET entry = zeroblob(5000000) WHERE idx = 1;",
	    NULL, 0), SQLITE_OK);
	assert_int_equal(ledger_open(db_path, 0, &l), 0);
	assert_int_equal(ledger_iter_new(l, 0, &it), 0);
	assert_int_equal(ledger_iter_next(it, &row), 0);
	assert_int_equal(row->idx, 0);
	ledger_row_free(row);
	assert_int_equal(ledger_iter_next(it, &row), RS_ERR_TOO_LARGE);
	assert_null(row);
	assert_int_equal(ledger_iter_next(it, &row), 0);    /* finished after an error */
	assert_null(row);
	ledger_iter_free(it);
	it = NULL;
	ledger_close(l);
	l = NULL;

	/* A negative idx row is met by a full walk, not skipped. */
	assert_int_equal(raw_exec("DROP TRIGGER entries_in_order;"
	    "INSERT INTO entries(idx, entry, chain_hash) VALUES (-1, x'00', zeroblob(32));",
	    NULL, 0), SQLITE_OK);
	assert_int_equal(ledger_open(db_path, 0, &l), 0);
	assert_int_equal(ledger_iter_new(l, 0, &it), 0);
	assert_int_equal(ledger_iter_next(it, &row), RS_ERR_FORMAT);
	ledger_iter_free(it);
	ledger_close(l);
}

static void
test_append_refuses_damaged_tail(void **state)
{
	struct fixed_seal fs = { 0 };
	struct ledger_appended a;
	struct ledger *l = NULL;
	uint64_t n = 0;

	(void)state;
	make_ledger(2);
	assert_int_equal(raw_exec("DROP TRIGGER entries_no_update;"
	    "UPDATE entries SET chain_hash = x'0102' WHERE idx = 1;", NULL, 0), SQLITE_OK);
	assert_int_equal(open_w(&l), 0);
	assert_int_equal(ledger_append(l, fixed_seal, &fs, &a), RS_ERR_FORMAT);
	assert_int_equal(fs.calls, 0);          /* nothing sealed onto a broken tail */
	assert_int_equal(ledger_count(l, &n), 0);
	assert_int_equal(n, 2);
	ledger_close(l);
}

static void
test_second_open_refused(void **state)
{
	struct ledger *l = NULL, *l2 = (struct ledger *)0x1;

	(void)state;
	make_ledger(1);
	assert_int_equal(open_w(&l), 0);
	/* One process, one connection per file: POSIX locks are per process. */
	assert_int_equal(ledger_open(db_path, 1, &l2), RS_ERR_BUSY);
	assert_null(l2);
	assert_non_null(strstr(rs_err_detail(), "already open in this process"));
	assert_int_equal(ledger_open(db_path, 0, &l2), RS_ERR_BUSY);
	ledger_close(l);
	assert_int_equal(ledger_open(db_path, 0, &l2), 0);
	ledger_close(l2);
}

/* Two processes appending at once: no fork, no gap, no index used twice. */
static void
test_two_processes_interleave(void **state)
{
	struct fixed_seal fs = { 0 };
	struct ledger_appended a;
	struct ledger *l = NULL;
	struct ledger_row *row = NULL;
	uint8_t prev[32] = { 0 }, d[32], c[32];
	uint64_t i, n = 0;
	pid_t pid;
	int status = 0, k;

	(void)state;
	assert_int_equal(ledger_create(db_path, "o"), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int bad = open_w(&l) != 0;

		for (k = 0; !bad && k < 40; k++)
			bad = ledger_append(l, fixed_seal, &fs, &a) != 0;
		ledger_close(l);
		_exit(bad);
	}
	assert_int_equal(open_w(&l), 0);
	for (k = 0; k < 40; k++)
		assert_int_equal(ledger_append(l, fixed_seal, &fs, &a), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(ledger_count(l, &n), 0);
	assert_int_equal(n, 80);
	for (i = 0; i < n; i++) {
		proto_entry *e = NULL;

		assert_int_equal(ledger_get(l, i, &row), 0);
		assert_int_equal(proto_entry_unpack(row->entry, row->entry_len, &e), 0);
		assert_int_equal(e->index, i);
		assert_memory_equal(e->prev_chain_hash.data, prev, 32);
		ref_hash("runseal/v1/entry", row->entry, row->entry_len, NULL, 0, d);
		ref_hash("runseal/v1/chain", prev, 32, d, 32, c);
		assert_memory_equal(row->chain_hash, c, 32);
		memcpy(prev, c, 32);
		proto_entry_free(e);
		ledger_row_free(row);
	}
	ledger_close(l);
}

static void
test_append_needs_checkpoint_key(void **state)
{
	struct fixed_seal fs = { 0 };
	struct ledger_appended a;
	struct ledger *l = NULL;
	char other[160];
	uint64_t n = 9;

	(void)state;
	assert_int_equal(ledger_create(db_path, "o"), 0);
	assert_int_equal(ledger_open(db_path, 1, &l), 0);
	assert_int_equal(ledger_append(l, fixed_seal, &fs, &a), RS_ERR_USAGE);
	assert_non_null(strstr(rs_err_detail(), "no checkpoint key"));
	assert_int_equal(fs.calls, 0);
	assert_int_equal(ledger_checkpoint_now(l, &n), RS_ERR_USAGE);
	/* A key file that is not an Ed25519 key is refused. */
	snprintf(other, sizeof(other), "%s/not-a-key", dir);
	assert_int_equal(rs_write_file_atomic(other, "hello\n", 6, 0600, 0), 0);
	assert_int_equal(ledger_set_checkpoint_key(l, other), RS_ERR_FORMAT);
	assert_int_equal(ledger_count(l, &n), 0);
	assert_int_equal(n, 0);
	/* In a runseal home, the key next to the ledger is loaded by itself. */
	snprintf(other, sizeof(other), "%s/keys", dir);
	assert_int_equal(rs_mkdir_p(other, 0700), 0);
	snprintf(other, sizeof(other), "%s/" CHECKPOINT_HOME_KEY, dir);
	assert_int_equal(checkpoint_key_create(other), 0);
	assert_int_equal(ledger_append(l, fixed_seal, &fs, &a), 0);
	assert_int_equal(a.tree_size, 1);
	ledger_close(l);
}

/* Trust for the test key under origin, as the verifier would load it. */
static struct checkpoint_trust *
test_trust(const char *origin)
{
	struct checkpoint_signer *s = NULL;
	struct checkpoint_trust *t = NULL;
	char *vkey = NULL;

	assert_int_equal(checkpoint_signer_open(cp_key, origin, &s), 0);
	assert_int_equal(checkpoint_signer_vkey(s, &vkey), 0);
	assert_int_equal(checkpoint_trust_new(&t), 0);
	assert_int_equal(checkpoint_trust_add_vkey(t, vkey, strlen(vkey)), 0);
	free(vkey);
	checkpoint_signer_free(s);
	return t;
}

/*
 * The stored tree against the naive reference: every root, every inclusion
 * and consistency proof out of the ledger, every signed checkpoint.
 */
static void
test_merkle_tree_and_checkpoints(void **state)
{
	enum { N = 37 };
	struct fixed_seal fs = { 0 };
	struct ledger_appended a[4];
	struct ledger *l = NULL;
	struct ledger_row *row = NULL;
	struct checkpoint_trust *t = test_trust("o");
	struct checkpoint *cp = NULL;
	uint8_t leaves[N][32], roots[N + 1][32], root[32];
	uint8_t proof[MERKLE_MAX_PROOF][32], want[REF_MAX_PROOF][32];
	uint8_t *note = NULL;
	size_t len = 0, pn, wn;
	uint64_t i, k, m, size = 0, nodes = 0, cps = 0;

	(void)state;
	assert_int_equal(ledger_create(db_path, "o"), 0);
	assert_int_equal(open_w(&l), 0);
	/* Singles, then a batch of 4 (one checkpoint for the four), then singles. */
	for (i = 0; i < 20; i++) {
		assert_int_equal(ledger_append(l, fixed_seal, &fs, &a[0]), 0);
		assert_int_equal(a[0].tree_size, i + 1);
	}
	assert_int_equal(ledger_append_batch(l, 4, fixed_seal, &fs, a), 0);
	for (i = 0; i < 4; i++) {
		assert_int_equal(a[i].index, 20 + i);
		assert_int_equal(a[i].tree_size, 24);
	}
	for (i = 24; i < N; i++)
		assert_int_equal(ledger_append(l, fixed_seal, &fs, &a[0]), 0);
	ledger_close(l);
	l = NULL;

	assert_int_equal(ledger_open(db_path, 0, &l), 0);
	for (i = 0; i < N; i++) {
		assert_int_equal(ledger_get(l, i, &row), 0);
		ref_leaf_hash(row->entry, row->entry_len, leaves[i]);
		ledger_row_free(row);
	}
	for (k = 0; k <= N; k++)
		ref_mth(leaves, 0, k, roots[k]);
	assert_memory_equal(a[0].root, roots[N], 32);
	assert_int_equal(ledger_node_count(l, &nodes), 0);
	assert_int_equal(nodes, 2 * N - (uint64_t)__builtin_popcountll(N));
	for (k = 0; k <= N; k++) {
		assert_int_equal(ledger_root(l, k, root), 0);
		assert_memory_equal(root, roots[k], 32);
		for (m = 0; m < k; m++) {
			assert_int_equal(ledger_prove_inclusion(l, m, k, proof, &pn), 0);
			wn = ref_path(leaves, m, k, want);
			assert_int_equal(pn, wn);
			if (pn > 0)
				assert_memory_equal(proof, want, pn * 32);
			assert_int_equal(merkle_verify_inclusion(m, k, leaves[m], &proof[0][0], pn,
			    roots[k]), 0);
		}
		for (m = 0; m <= k; m++) {
			assert_int_equal(ledger_prove_consistency(l, m, k, proof, &pn), 0);
			wn = ref_consistency(leaves, m, k, want);
			assert_int_equal(pn, wn);
			assert_int_equal(merkle_verify_consistency(m, k, &proof[0][0], pn, roots[m],
			    roots[k]), 0);
		}
		/* A checkpoint for every size that ended an append: not 21, 22, 23. */
		if (ledger_checkpoint_get(l, k, &note, &len) == 0) {
			assert_true(k > 0 && !(k >= 21 && k <= 23));
			assert_int_equal(checkpoint_open(note, len, t, &cp), 0);
			assert_string_equal(cp->origin, "o");
			assert_int_equal(cp->size, k);
			assert_memory_equal(cp->root, roots[k], 32);
			checkpoint_free(cp);
			free(note);
			cps++;
		} else {
			assert_true(k == 0 || (k >= 21 && k <= 23));
		}
	}
	assert_int_equal(cps, N - 3);
	assert_int_equal(ledger_checkpoint_latest(l, &size, &note, &len), 0);
	assert_int_equal(size, N);
	free(note);
	/* Beyond the ledger: refused, not invented. */
	assert_int_equal(ledger_root(l, N + 1, root), RS_ERR_USAGE);
	assert_int_equal(ledger_prove_inclusion(l, N, N, proof, &pn), RS_ERR_USAGE);
	assert_int_equal(ledger_prove_inclusion(l, 0, N + 1, proof, &pn), RS_ERR_USAGE);
	assert_int_equal(ledger_prove_consistency(l, 2, N + 1, proof, &pn), RS_ERR_USAGE);
	assert_int_equal(ledger_prove_consistency(l, 3, 2, proof, &pn), RS_ERR_USAGE);
	ledger_close(l);
	checkpoint_trust_free(t);
}

static void
test_checkpoint_now_and_batches(void **state)
{
	struct fixed_seal fs = { 0 };
	struct ledger_appended a[3];
	struct ledger *l = NULL;
	struct checkpoint_trust *t = test_trust("o");
	struct checkpoint *cp = NULL;
	uint8_t *note = NULL, empty[32];
	size_t len = 0;
	uint64_t size = 99, n = 0;

	(void)state;
	assert_int_equal(ledger_create(db_path, "o"), 0);
	assert_int_equal(open_w(&l), 0);
	assert_int_equal(ledger_checkpoint_latest(l, &size, &note, &len), RS_ERR_NOT_FOUND);
	/* The empty ledger's checkpoint: size 0, root SHA-256(""). */
	assert_int_equal(ledger_checkpoint_now(l, &size), 0);
	assert_int_equal(size, 0);
	assert_int_equal(ledger_checkpoint_latest(l, &size, &note, &len), 0);
	assert_int_equal(checkpoint_open(note, len, t, &cp), 0);
	assert_int_equal(cp->size, 0);
	assert_int_equal(merkle_empty_root(empty), 0);
	assert_memory_equal(cp->root, empty, 32);
	checkpoint_free(cp);
	free(note);
	/* Again: nothing new (the size did not change). */
	assert_int_equal(ledger_checkpoint_now(l, &size), 0);
	assert_int_equal(size, 0);

	assert_int_equal(ledger_append_batch(l, 2, fixed_seal, &fs, a), 0);
	assert_int_equal(ledger_append_batch(l, 3, fixed_seal, &fs, a), 0);
	assert_int_equal(a[2].index, 4);
	/* A batch whose third seal fails appends nothing at all. */
	fs.calls = 0;
	fs.fail = RS_ERR_IO;
	fs.fail_after = 2;
	assert_int_equal(ledger_append_batch(l, 3, fixed_seal, &fs, a), RS_ERR_IO);
	assert_int_equal(fs.calls, 3);
	assert_int_equal(a[0].index, 0);        /* nothing reported */
	assert_int_equal(a[0].tree_size, 0);
	fs.fail = 0;
	assert_int_equal(ledger_count(l, &n), 0);
	assert_int_equal(n, 5);
	assert_int_equal(ledger_checkpoint_latest(l, &size, &note, &len), 0);
	assert_int_equal(size, 5);
	free(note);
	assert_int_equal(ledger_append_batch(l, 0, fixed_seal, &fs, a), RS_ERR_USAGE);
	ledger_close(l);
	checkpoint_trust_free(t);
}

/* A damaged stored tree stops appends instead of being built upon. */
static void
test_append_refuses_damaged_tree(void **state)
{
	struct fixed_seal fs = { 0 };
	struct ledger_appended a;
	struct ledger *l = NULL;
	uint64_t n = 0;

	(void)state;
	make_ledger(6);         /* nodes (1,2) and leaves 4, 5 form the range of 6 */
	assert_int_equal(raw_exec("DROP TRIGGER merkle_no_delete;"
	    "DELETE FROM merkle WHERE level = 1 AND idx = 2;", NULL, 0), SQLITE_OK);
	assert_int_equal(open_w(&l), 0);
	assert_int_equal(ledger_append(l, fixed_seal, &fs, &a), RS_ERR_FORMAT);
	assert_non_null(strstr(rs_err_detail(), "Merkle node (1, 2) is missing"));
	assert_int_equal(ledger_count(l, &n), 0);
	assert_int_equal(n, 6);
	ledger_close(l);
	l = NULL;
	/* A leaf ahead of the entries: the new leaf cannot be written over it. */
	assert_int_equal(raw_exec("INSERT INTO merkle(level, idx, hash) SELECT 1, 2,"
	    " zeroblob(32); INSERT INTO merkle(level, idx, hash) VALUES (0, 6, zeroblob(32));",
	    NULL, 0), SQLITE_OK);
	assert_int_equal(open_w(&l), 0);
	assert_int_equal(ledger_append(l, fixed_seal, &fs, &a), RS_ERR_DB);
	assert_int_equal(ledger_count(l, &n), 0);
	assert_int_equal(n, 6);
	ledger_close(l);
}

/* Seal with the real software signer: what the ledger stores is what attest made. */
struct soft_seal {
	struct attest_signer *signer;
};

static int
soft_seal(void *arg, uint64_t index, uint8_t **env, size_t *len)
{
	struct soft_seal *ss = arg;
	struct attest_run *run = attest_run_new();
	uint8_t *rec = NULL;
	size_t rec_len = 0;
	int r;

	if (run == NULL)
		return RS_ERR_ALLOC;
	run->cwd = strdup("/work");
	run->start_unix_ns = (int64_t)index;
	if ((r = attest_record_pack(run, &rec, &rec_len)) == 0)
		r = attest_seal(ss->signer, rec, rec_len, env, len, NULL);
	free(rec);
	attest_run_free(run);
	return r;
}

static void
test_append_software_signed(void **state)
{
	struct soft_seal ss = { NULL };
	struct ledger_appended a;
	struct attest_trust *trust = NULL;
	struct attest_verdict v;
	struct ledger *l = NULL;
	struct ledger_row *row = NULL;
	proto_entry *e = NULL;
	char key[160], *pem = NULL;

	(void)state;
	snprintf(key, sizeof(key), "%s/signer.key", dir);
	assert_int_equal(attest_softkey_create(key), 0);
	assert_int_equal(attest_signer_open_software(key, &ss.signer), 0);
	assert_int_equal(attest_signer_export_trust(ss.signer, &pem), 0);
	assert_int_equal(attest_trust_from_pem(pem, strlen(pem), &trust), 0);
	assert_int_equal(ledger_create(db_path, "o"), 0);
	assert_int_equal(open_w(&l), 0);
	assert_int_equal(ledger_append(l, soft_seal, &ss, &a), 0);
	assert_int_equal(ledger_get(l, 0, &row), 0);
	assert_int_equal(proto_entry_unpack(row->entry, row->entry_len, &e), 0);
	assert_int_equal(attest_envelope_verify(e->envelope.data, e->envelope.len, trust,
	    &v, NULL), 0);
	assert_int_equal(v.signer_kind, ATTEST_SIGNER_SOFTWARE);
	proto_entry_free(e);
	ledger_row_free(row);
	ledger_close(l);
	attest_trust_free(trust);
	attest_signer_free(ss.signer);
	free(pem);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chain_helpers_vectors),
		T(test_create_open_reopen),
		T(test_create_refuses_existing),
		T(test_create_bad_arguments),
		T(test_open_missing),
		T(test_open_garbage),
		T(test_open_sqlite_without_meta),
		T(test_open_wrong_format_or_version),
		T(test_open_refuses_view),
		T(test_append_three_chain),
		T(test_seal_failure_appends_nothing),
		T(test_read_only_refuses_append),
		T(test_triggers_refuse_changes),
		T(test_iterator_order),
		T(test_rows_are_untrusted),
		T(test_append_refuses_damaged_tail),
		T(test_second_open_refused),
		T(test_two_processes_interleave),
		T(test_append_needs_checkpoint_key),
		T(test_merkle_tree_and_checkpoints),
		T(test_checkpoint_now_and_batches),
		T(test_append_refuses_damaged_tree),
		T(test_append_software_signed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
