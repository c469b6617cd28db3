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
#include "ledger/ledger.h"
#include "proto/codec.h"

static char dir[64];
static char db_path[128];

static int
setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/rs-ledger-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(db_path, sizeof(db_path), "%s/ledger.db", dir);
	return 0;
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
	if (fs->fail)
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
	assert_int_equal(ledger_open(db_path, 1, &l), 0);
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
	assert_int_equal(ledger_open(db_path, 1, &l), 0);
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
	assert_int_equal(ledger_open(db_path, 1, &l), 0);
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
	assert_int_equal(raw_exec("DROP TRIGGER meta_no_update;"
	    "UPDATE meta SET value = '2' WHERE key = 'version';", NULL, 0), SQLITE_OK);
	assert_int_equal(ledger_open(db_path, 0, &l), RS_ERR_FORMAT);
	assert_non_null(strstr(rs_err_detail(), "version"));
	assert_int_equal(raw_exec("UPDATE meta SET value = '1' WHERE key = 'version';"
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
	assert_int_equal(ledger_open(db_path, 1, &l), 0);
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
	assert_int_equal(ledger_open(db_path, 1, &l), 0);
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
	assert_int_equal(ledger_open(db_path, 1, &l), 0);
	assert_int_equal(ledger_append(l, fixed_seal, &fs, &a), RS_ERR_FORMAT);
	assert_int_equal(fs.calls, 0);          /* nothing sealed onto a broken tail */
	assert_int_equal(ledger_count(l, &n), 0);
	assert_int_equal(n, 2);
	ledger_close(l);
}

static void
test_two_writers_interleave(void **state)
{
	struct fixed_seal fs = { 0 };
	struct ledger_appended a;
	struct ledger *w1 = NULL, *w2 = NULL;
	uint64_t i;

	(void)state;
	assert_int_equal(ledger_create(db_path, "o"), 0);
	assert_int_equal(ledger_open(db_path, 1, &w1), 0);
	assert_int_equal(ledger_open(db_path, 1, &w2), 0);
	for (i = 0; i < 6; i++) {
		assert_int_equal(ledger_append(i % 2 ? w2 : w1, fixed_seal, &fs, &a), 0);
		assert_int_equal(a.index, i);
	}
	ledger_close(w1);
	ledger_close(w2);
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
	assert_int_equal(ledger_open(db_path, 1, &l), 0);
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
		T(test_two_writers_interleave),
		T(test_append_software_signed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
