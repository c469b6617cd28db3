/*
 * Unit tests for verifier/verify_ledger.c: a real ledger of software-signed
 * entries, then one tamper per test through a raw SQLite connection (the
 * way an attacker with the file would do it: drop the triggers first).
 * Every tamper must be caught at the right entry with the right reason.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "attest/record.h"
#include "attest/run.h"
#include "attest/signer.h"
#include "attest/verify.h"
#include "common/err.h"
#include "common/file.h"
#include "ledger/bundle.h"
#include "ledger/checkpoint.h"
#include "ledger/ledger.h"
#include "ledger/merkle.h"
#include "proto/codec.h"
#include "verifier/verify.h"

#define N_ENTRIES 4

static char dir[64], db_path[128], key1[128], key2[128], trust1[128], trust2[128];
static char cpkey1[128], cpkey2[128];
static struct attest_signer *signer1, *signer2;
static struct attest_trust *trust_1, *trust_2;
static struct checkpoint_trust *cptrust_1, *cptrust_2;   /* for origin "test" */
static uint8_t full_head[32];

struct seal_arg {
	struct attest_signer *signer;
};

/* A minimal run, different per index so no two records are alike. */
static int
seal_run(void *arg, uint64_t index, uint8_t **env, size_t *len)
{
	struct seal_arg *sa = arg;
	static char a0[] = "echo", a1[] = "hello";
	static char *const argv[] = { a0, a1 };
	struct attest_run *run = attest_run_new();
	uint8_t *rec = NULL;
	size_t rec_len = 0;
	int r;

	*env = NULL;
	*len = 0;
	if (run == NULL)
		return RS_ERR_ALLOC;
	if ((r = attest_run_set_argv(run, argv, 2)) != 0)
		goto out;
	if ((run->cwd = strdup("/work")) == NULL || (run->policy_name = strdup("default")) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	run->start_unix_ns = 1700000000000000000LL + (int64_t)index;
	run->end_unix_ns = run->start_unix_ns + 1000;
	memset(run->nonce, (int)(index & 0xff), sizeof(run->nonce));
	if ((r = attest_record_pack(run, &rec, &rec_len)) != 0)
		goto out;
	r = attest_seal(sa->signer, rec, rec_len, env, len, NULL);
out:
	free(rec);
	attest_run_free(run);
	return r;
}

static void
append_with(struct attest_signer *s, int n)
{
	struct seal_arg sa = { s };
	struct ledger_appended a;
	struct ledger *l = NULL;
	int i;

	assert_int_equal(ledger_open(db_path, 1, &l), 0);
	assert_int_equal(ledger_set_checkpoint_key(l, cpkey1), 0);
	for (i = 0; i < n; i++)
		assert_int_equal(ledger_append(l, seal_run, &sa, &a), 0);
	memcpy(full_head, a.chain_hash, 32);
	ledger_close(l);
}

static int
write_trust(struct attest_signer *s, const char *path)
{
	char *pem = NULL;
	int r;

	if ((r = attest_signer_export_trust(s, &pem)) != 0)
		return r;
	r = rs_write_file_atomic(path, pem, strlen(pem), 0644, 0);
	free(pem);
	return r;
}

/* Checkpoint trust holding the key at path under the name "test". */
static struct checkpoint_trust *
cp_trust_for(const char *path)
{
	struct checkpoint_signer *s = NULL;
	struct checkpoint_trust *t = NULL;
	char *vkey = NULL;

	if (checkpoint_signer_open(path, "test", &s) != 0 ||
	    checkpoint_signer_vkey(s, &vkey) != 0 || checkpoint_trust_new(&t) != 0 ||
	    checkpoint_trust_add_vkey(t, vkey, strlen(vkey)) != 0) {
		checkpoint_trust_free(t);
		t = NULL;
	}
	free(vkey);
	checkpoint_signer_free(s);
	return t;
}

/* Keys and trust files once for the whole group (key generation is the slow part). */
static int
group_setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/rs-verifier-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(key1, sizeof(key1), "%s/k1.key", dir);
	snprintf(key2, sizeof(key2), "%s/k2.key", dir);
	snprintf(trust1, sizeof(trust1), "%s/k1.pub", dir);
	snprintf(trust2, sizeof(trust2), "%s/k2.pub", dir);
	snprintf(db_path, sizeof(db_path), "%s/ledger.db", dir);
	snprintf(cpkey1, sizeof(cpkey1), "%s/cp1.key", dir);
	snprintf(cpkey2, sizeof(cpkey2), "%s/cp2.key", dir);
	if (checkpoint_key_create(cpkey1) != 0 || checkpoint_key_create(cpkey2) != 0 ||
	    (cptrust_1 = cp_trust_for(cpkey1)) == NULL ||
	    (cptrust_2 = cp_trust_for(cpkey2)) == NULL)
		return -1;
	if (attest_softkey_create(key1) != 0 || attest_softkey_create(key2) != 0 ||
	    attest_signer_open_software(key1, &signer1) != 0 ||
	    attest_signer_open_software(key2, &signer2) != 0 ||
	    write_trust(signer1, trust1) != 0 || write_trust(signer2, trust2) != 0 ||
	    attest_trust_load(trust1, &trust_1) != 0 ||
	    attest_trust_load(trust2, &trust_2) != 0)
		return -1;
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	attest_trust_free(trust_1);
	attest_trust_free(trust_2);
	checkpoint_trust_free(cptrust_1);
	checkpoint_trust_free(cptrust_2);
	attest_signer_free(signer1);
	attest_signer_free(signer2);
	return rs_rm_rf(dir);
}

static void
remove_db(void)
{
	char p[160];

	unlink(db_path);
	snprintf(p, sizeof(p), "%s-wal", db_path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", db_path);
	unlink(p);
}

/* A fresh ledger of N_ENTRIES entries signed by key 1 before each test. */
static int
setup(void **state)
{
	(void)state;
	remove_db();
	if (ledger_create(db_path, "test") != 0)
		return -1;
	append_with(signer1, N_ENTRIES);
	return 0;
}

/* Tamper as an attacker would: triggers dropped, then raw SQL. */
static void
tamper(const char *sql)
{
	sqlite3 *db = NULL;
	char *msg = NULL;
	int rc;

	assert_int_equal(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	rc = sqlite3_exec(db,
	    "DROP TRIGGER IF EXISTS entries_no_update;"
	    "DROP TRIGGER IF EXISTS entries_no_delete;"
	    "DROP TRIGGER IF EXISTS entries_in_order;", NULL, NULL, &msg);
	assert_int_equal(rc, SQLITE_OK);
	rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK)
		fail_msg("tamper SQL failed: %s", msg != NULL ? msg : "?");
	sqlite3_free(msg);
	sqlite3_close(db);
}

/* Replace entry idx's blob with its bytes, one byte XORed with mask. */
static void
flip_entry_byte(uint64_t idx, size_t offset, uint8_t mask, size_t *len_out)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	uint8_t *buf;
	int n;

	tamper("SELECT 1");     /* drop the triggers */
	assert_int_equal(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT entry FROM entries WHERE idx = ?1",
	    -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)idx);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	n = sqlite3_column_bytes(st, 0);
	assert_true(n > 0);
	buf = malloc((size_t)n);
	assert_non_null(buf);
	memcpy(buf, sqlite3_column_blob(st, 0), (size_t)n);
	sqlite3_finalize(st);
	if (len_out != NULL)
		*len_out = (size_t)n;
	if (offset < (size_t)n) {
		buf[offset] ^= mask;
		assert_int_equal(sqlite3_prepare_v2(db,
		    "UPDATE entries SET entry = ?2 WHERE idx = ?1", -1, &st, NULL), SQLITE_OK);
		sqlite3_bind_int64(st, 1, (sqlite3_int64)idx);
		sqlite3_bind_blob(st, 2, buf, n, SQLITE_STATIC);
		assert_int_equal(sqlite3_step(st), SQLITE_DONE);
		sqlite3_finalize(st);
	}
	free(buf);
	sqlite3_close(db);
}

static void
verify_ok(const struct attest_trust *t, uint64_t entries)
{
	struct verify_report rep;

	assert_int_equal(verify_ledger_file(db_path, t, &rep), 0);
	if (!rep.ok)
		fail_msg("expected a verified ledger, got: %s", rep.reason);
	assert_int_equal(rep.entries, entries);
	assert_int_equal(rep.has_failed_index, 0);
	assert_string_equal(rep.reason, "");
}

/* Verification must fail at index with a reason containing want. */
static void
verify_fails(const struct attest_trust *t, uint64_t index, const char *want)
{
	struct verify_report rep;
	char prefix[48];

	assert_int_equal(verify_ledger_file(db_path, t, &rep), 0);
	if (rep.ok)
		fail_msg("tampered ledger verified (expected failure at %llu: %s)",
		    (unsigned long long)index, want);
	assert_int_equal(rep.has_failed_index, 1);
	if (rep.failed_index != index)
		fail_msg("failed at entry %llu, expected %llu: %s",
		    (unsigned long long)rep.failed_index, (unsigned long long)index, rep.reason);
	snprintf(prefix, sizeof(prefix), "entry %llu", (unsigned long long)index);
	assert_true(strncmp(rep.reason, prefix, strlen(prefix)) == 0);
	if (strstr(rep.reason, want) == NULL)
		fail_msg("reason \"%s\" lacks \"%s\"", rep.reason, want);
	assert_int_equal(rep.entries, index);   /* entries before it verified */
}

static void
test_untouched_verifies(void **state)
{
	struct verify_report rep;

	(void)state;
	assert_int_equal(verify_ledger_file(db_path, trust_1, &rep), 0);
	assert_int_equal(rep.ok, 1);
	assert_int_equal(rep.entries, N_ENTRIES);
	assert_int_equal(rep.software_signed, N_ENTRIES);
	assert_int_equal(rep.tpm_signed, 0);
	assert_memory_equal(rep.head_chain_hash, full_head, 32);
}

static void
test_empty_ledger_verifies(void **state)
{
	struct verify_report rep;
	uint8_t zero[32] = { 0 };

	(void)state;
	remove_db();
	assert_int_equal(ledger_create(db_path, "empty"), 0);
	assert_int_equal(verify_ledger_file(db_path, trust_1, &rep), 0);
	assert_int_equal(rep.ok, 1);
	assert_int_equal(rep.entries, 0);
	assert_memory_equal(rep.head_chain_hash, zero, 32);
}

static void
test_flip_any_byte_of_entry(void **state)
{
	size_t len = 0, off;

	(void)state;
	flip_entry_byte(1, SIZE_MAX, 0, &len);      /* read the length only */
	assert_true(len > 64);
	/* Every single-byte change of entry 1 is caught at entry 1. */
	for (off = 0; off < len; off++) {
		flip_entry_byte(1, off, 0x01, NULL);
		verify_fails(trust_1, 1, "entry 1: ");
		flip_entry_byte(1, off, 0x01, NULL);    /* undo */
	}
	verify_ok(trust_1, N_ENTRIES);
	/* A change in the middle (inside the signed record) fails the chain first. */
	flip_entry_byte(1, len / 2, 0x80, NULL);
	verify_fails(trust_1, 1, "stored chain hash does not match the entry bytes");
}

static void
test_changed_chain_hash(void **state)
{
	(void)state;
	tamper("UPDATE entries SET chain_hash = zeroblob(32) WHERE idx = 1");
	verify_fails(trust_1, 1, "stored chain hash does not match the entry bytes");
}

static void
test_short_chain_hash(void **state)
{
	(void)state;
	tamper("UPDATE entries SET chain_hash = x'00' WHERE idx = 2");
	verify_fails(trust_1, 2, "stored chain hash does not match the entry bytes");
}

static void
test_deleted_middle_row(void **state)
{
	(void)state;
	tamper("DELETE FROM entries WHERE idx = 1");
	verify_fails(trust_1, 1, "entry 1 is missing (rows jump from 0 to 2)");
}

static void
test_deleted_first_row(void **state)
{
	(void)state;
	tamper("DELETE FROM entries WHERE idx = 0");
	verify_fails(trust_1, 0, "entry 0 is missing (rows start at 1)");
}

static void
test_swapped_entry_blobs(void **state)
{
	(void)state;
	tamper("CREATE TEMP TABLE s AS SELECT idx, entry FROM entries WHERE idx IN (1, 2);"
	    "UPDATE entries SET entry = (SELECT entry FROM s WHERE s.idx = 3 - entries.idx)"
	    " WHERE idx IN (1, 2);");
	verify_fails(trust_1, 1, "stored at position 1 but claims index 2: rows reordered or moved");
}

static void
test_swapped_whole_rows(void **state)
{
	(void)state;
	tamper("CREATE TEMP TABLE s AS SELECT * FROM entries WHERE idx IN (1, 2);"
	    "UPDATE entries SET entry = (SELECT entry FROM s WHERE s.idx = 3 - entries.idx),"
	    " chain_hash = (SELECT chain_hash FROM s WHERE s.idx = 3 - entries.idx)"
	    " WHERE idx IN (1, 2);");
	verify_fails(trust_1, 1, "rows reordered or moved");
}

static void
test_duplicated_row(void **state)
{
	(void)state;
	tamper("INSERT INTO entries(idx, entry, chain_hash)"
	    " SELECT 4, entry, chain_hash FROM entries WHERE idx = 1");
	verify_fails(trust_1, 4, "stored at position 4 but claims index 1");
}

static void
test_row_moved_into_gap(void **state)
{
	(void)state;
	/* Entry 3 moved down to fill a deleted entry 2's place. */
	tamper("DELETE FROM entries WHERE idx = 2;"
	    "INSERT INTO entries(idx, entry, chain_hash) SELECT 2, entry, chain_hash"
	    " FROM entries WHERE idx = 3;"
	    "DELETE FROM entries WHERE idx = 3;");
	verify_fails(trust_1, 2, "claims index 3");
}

static void
test_broken_prev_link(void **state)
{
	struct ledger_row *row = NULL;
	struct ledger *l = NULL;
	proto_entry *e = NULL;
	uint8_t bad_prev[32], *packed = NULL, digest[32], chain[32], prev_chain[32];
	size_t packed_len = 0;
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;

	(void)state;
	/*
	 * Rewrite entry 2 with a different prev hash and a consistent stored
	 * chain hash: only the link to entry 1 can catch it.
	 */
	assert_int_equal(ledger_open(db_path, 0, &l), 0);
	assert_int_equal(ledger_get(l, 1, &row), 0);
	memcpy(prev_chain, row->chain_hash, 32);
	ledger_row_free(row);
	assert_int_equal(ledger_get(l, 2, &row), 0);
	ledger_close(l);
	assert_int_equal(proto_entry_unpack(row->entry, row->entry_len, &e), 0);
	assert_int_equal(e->prev_chain_hash.len, 32);
	assert_memory_equal(e->prev_chain_hash.data, prev_chain, 32);
	e->prev_chain_hash.data[0] ^= 0xff;
	memcpy(bad_prev, e->prev_chain_hash.data, 32);
	assert_int_equal(proto_pack(&e->base, PROTO_MAX_ENTRY, &packed, &packed_len), 0);
	proto_entry_free(e);
	ledger_row_free(row);
	assert_int_equal(ledger_entry_digest(packed, packed_len, digest), 0);
	assert_int_equal(ledger_chain_next(bad_prev, digest, chain), 0);

	tamper("SELECT 1");
	assert_int_equal(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db,
	    "UPDATE entries SET entry = ?1, chain_hash = ?2 WHERE idx = 2", -1, &st, NULL),
	    SQLITE_OK);
	sqlite3_bind_blob(st, 1, packed, (int)packed_len, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, chain, 32, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	sqlite3_close(db);
	free(packed);
	verify_fails(trust_1, 2, "previous-hash link broken: an entry before it was "
	    "changed, removed or inserted");
}

static void
test_wrong_trust_key(void **state)
{
	(void)state;
	verify_fails(trust_2, 0, "which is not in the trust file");
}

static void
test_foreign_entry_appended(void **state)
{
	(void)state;
	/* A correctly chained entry signed by an untrusted key. */
	append_with(signer2, 1);
	verify_fails(trust_1, N_ENTRIES, "which is not in the trust file");
}

static void
test_trust_with_both_keys(void **state)
{
	struct attest_trust *both = NULL;
	uint8_t *p1 = NULL, *p2 = NULL;
	size_t l1 = 0, l2 = 0;
	char *pem;
	struct verify_report rep;

	(void)state;
	append_with(signer2, 2);
	assert_int_equal(rs_read_file(trust1, 1 << 16, &p1, &l1), 0);
	assert_int_equal(rs_read_file(trust2, 1 << 16, &p2, &l2), 0);
	pem = malloc(l1 + l2);
	assert_non_null(pem);
	memcpy(pem, p1, l1);
	memcpy(pem + l1, p2, l2);
	assert_int_equal(attest_trust_from_pem(pem, l1 + l2, &both), 0);
	assert_int_equal(verify_ledger_file(db_path, both, &rep), 0);
	assert_int_equal(rep.ok, 1);
	assert_int_equal(rep.entries, N_ENTRIES + 2);
	assert_int_equal(rep.software_signed, N_ENTRIES + 2);
	attest_trust_free(both);
	free(pem);
	free(p1);
	free(p2);
}

static void
test_truncated_tail(void **state)
{
	struct verify_report rep;

	(void)state;
	/* The checkpoint for the cut entry stays behind and gives it away. */
	tamper("DELETE FROM entries WHERE idx = 3");
	assert_int_equal(verify_ledger_file(db_path, trust_1, &rep), 0);
	assert_int_equal(rep.ok, 0);
	assert_non_null(strstr(rep.reason, "a checkpoint commits to 4 entries but the ledger "
	    "has 3: entries were removed from the end"));
	/* Its checkpoints removed too: the node left behind. */
	tamper("DROP TRIGGER IF EXISTS checkpoints_no_delete;"
	    "DELETE FROM checkpoints WHERE size = 4");
	assert_int_equal(verify_ledger_file(db_path, trust_1, &rep), 0);
	assert_int_equal(rep.ok, 0);
	assert_non_null(strstr(rep.reason, "the Merkle tree holds 7 nodes, 3 entries need 4"));
	/*
	 * Everything of entry 3 removed: a consistent shorter ledger, which
	 * only the auditor's earlier checkpoint can expose (test_rollback).
	 */
	tamper("DROP TRIGGER IF EXISTS merkle_no_delete;"
	    "DELETE FROM merkle WHERE (level = 0 AND idx = 3) OR (level = 1 AND idx = 1)"
	    " OR level = 2");
	assert_int_equal(verify_ledger_file(db_path, trust_1, &rep), 0);
	if (!rep.ok)
		fail_msg("%s", rep.reason);
	assert_int_equal(rep.entries, N_ENTRIES - 1);
	assert_memory_not_equal(rep.head_chain_hash, full_head, 32);
}

static void
test_row_of_wrong_type(void **state)
{
	(void)state;
	tamper("UPDATE entries SET entry = 'not a blob' WHERE idx = 2");
	verify_fails(trust_1, 2, "row cannot be read");
}

static void
test_negative_row_inserted(void **state)
{
	(void)state;
	tamper("INSERT INTO entries(idx, entry, chain_hash)"
	    " SELECT -1, entry, chain_hash FROM entries WHERE idx = 0");
	verify_fails(trust_1, 0, "row cannot be read");
}

static void
test_garbage_entry(void **state)
{
	(void)state;
	tamper("UPDATE entries SET entry = x'ffffffff' WHERE idx = 3");
	verify_fails(trust_1, 3, "entry 3: malformed entry: ");
}

static void
test_missing_and_not_a_ledger(void **state)
{
	struct verify_report rep;
	char p[160];

	(void)state;
	snprintf(p, sizeof(p), "%s/nope.db", dir);
	memset(&rep, 0x5a, sizeof(rep));
	assert_int_equal(verify_ledger_file(p, trust_1, &rep), RS_ERR_NOT_FOUND);
	assert_int_equal(rep.ok, 0);
	assert_int_equal(rep.entries, 0);
	assert_int_not_equal(access(p, F_OK), 0);   /* not created */
	assert_int_equal(verify_ledger_file(trust1, trust_1, &rep), RS_ERR_FORMAT);
	assert_int_equal(rep.ok, 0);
}


/* The latest stored checkpoint's note (caller frees). */
static uint8_t *
stored_checkpoint(uint64_t size, size_t *len)
{
	struct ledger *l = NULL;
	uint8_t *note = NULL;

	assert_int_equal(ledger_open(db_path, 0, &l), 0);
	assert_int_equal(ledger_checkpoint_get(l, size, &note, len), 0);
	ledger_close(l);
	return note;
}

static void
test_checkpoints_signed(void **state)
{
	struct verify_ledger_opts o = { .cp_trust = cptrust_1 };
	struct verify_report rep;

	(void)state;
	assert_int_equal(verify_ledger(db_path, trust_1, &o, &rep), 0);
	if (!rep.ok)
		fail_msg("%s", rep.reason);
	assert_int_equal(rep.checkpoints, N_ENTRIES);
	assert_int_equal(rep.checkpoint_signatures, 1);
	assert_int_equal(rep.latest_size, N_ENTRIES);
	assert_int_equal(rep.nodes, 2 * N_ENTRIES - 1);
	/* Another ledger key: every checkpoint is someone else's. */
	o.cp_trust = cptrust_2;
	assert_int_equal(verify_ledger(db_path, trust_1, &o, &rep), 0);
	assert_int_equal(rep.ok, 0);
	assert_non_null(strstr(rep.reason, "checkpoint for size 1: "));
	assert_non_null(strstr(rep.reason, "not signed by a checkpoint key in the trust file"));
}

static void
test_old_checkpoint_prefix_rollback_fork(void **state)
{
	struct verify_ledger_opts o = { .cp_trust = cptrust_1 };
	struct verify_report rep;
	uint8_t *old, *fork_cp;
	size_t len = 0, flen = 0;

	(void)state;
	old = stored_checkpoint(2, &len);
	o.old_checkpoint = old;
	o.old_len = len;
	assert_int_equal(verify_ledger(db_path, trust_1, &o, &rep), 0);
	if (!rep.ok)
		fail_msg("%s", rep.reason);
	assert_int_equal(rep.old_checked, 1);
	assert_int_equal(rep.old_size, 2);
	assert_true(rep.consistency_hashes > 0);
	free(old);
	/* The whole tail cut (entries, nodes, checkpoint): only the old checkpoint tells. */
	old = stored_checkpoint(N_ENTRIES, &len);
	o.old_checkpoint = old;
	o.old_len = len;
	tamper("DROP TRIGGER IF EXISTS checkpoints_no_delete; DROP TRIGGER IF EXISTS "
	    "merkle_no_delete; DELETE FROM entries WHERE idx = 3; DELETE FROM checkpoints "
	    "WHERE size = 4; DELETE FROM merkle WHERE (level = 0 AND idx = 3) OR "
	    "(level = 1 AND idx = 1) OR level = 2");
	verify_ok(trust_1, N_ENTRIES - 1);
	assert_int_equal(verify_ledger(db_path, trust_1, &o, &rep), 0);
	assert_int_equal(rep.ok, 0);
	assert_non_null(strstr(rep.reason, "the ledger was rolled back"));
	/* A fork: the same size 3 rebuilt with a different entry. */
	append_with(signer1, 1);
	fork_cp = stored_checkpoint(N_ENTRIES, &flen);
	assert_int_equal(verify_ledger(db_path, trust_1, &o, &rep), 0);
	assert_int_equal(rep.ok, 0);
	assert_non_null(strstr(rep.reason, "forked or was rewritten"));
	assert_memory_not_equal(fork_cp, old, flen < len ? flen : len);
	/* An old checkpoint not signed by the pinned key is not an input we use. */
	o.cp_trust = cptrust_2;
	assert_int_equal(verify_ledger(db_path, trust_1, &o, &rep), RS_ERR_VERIFY);
	o.cp_trust = NULL;
	assert_int_equal(verify_ledger(db_path, trust_1, &o, &rep), RS_ERR_USAGE);
	free(old);
	free(fork_cp);
}

static void
test_merkle_node_tampered(void **state)
{
	(void)state;
	tamper("DROP TRIGGER IF EXISTS merkle_no_update;"
	    "UPDATE merkle SET hash = zeroblob(32) WHERE level = 1 AND idx = 1");
	verify_fails(trust_1, 3, "stored Merkle node (level 1, index 1) does not match "
	    "entries 2-3");
}

static void
test_bundle_round_trip_and_flips(void **state)
{
	struct verify_bundle_report rep;
	struct ledger *l = NULL;
	uint8_t *b = NULL, *bad;
	size_t len = 0, i;

	(void)state;
	assert_int_equal(ledger_open(db_path, 0, &l), 0);
	assert_int_equal(bundle_export(l, 1, 0, NULL, NULL, &b, &len), 0);
	assert_int_equal(bundle_export(l, N_ENTRIES, 0, NULL, NULL, &bad, &i), RS_ERR_USAGE);
	ledger_close(l);
	assert_int_equal(verify_bundle(b, len, trust_1, cptrust_1, &rep), 0);
	if (!rep.ok)
		fail_msg("%s", rep.reason);
	assert_int_equal(rep.index, 1);
	assert_int_equal(rep.tree_size, N_ENTRIES);
	assert_string_equal(rep.origin, "test");
	assert_int_equal(verify_bundle(b, len, trust_1, NULL, &rep), RS_ERR_USAGE);
	assert_int_equal(verify_bundle(b, len, trust_2, cptrust_1, &rep), 0);
	assert_int_equal(rep.ok, 0);
	assert_int_equal(verify_bundle(b, len, trust_1, cptrust_2, &rep), 0);
	assert_int_equal(rep.ok, 0);
	/* Every byte flipped: never verified, always examined. */
	bad = malloc(len);
	assert_non_null(bad);
	for (i = 0; i < len; i++) {
		memcpy(bad, b, len);
		bad[i] ^= 0x10;
		assert_int_equal(verify_bundle(bad, len, trust_1, cptrust_1, &rep), 0);
		if (rep.ok)
			fail_msg("bundle with byte %zu flipped verified", i);
	}
	/* Truncated anywhere. */
	for (i = 0; i < len; i += 7) {
		assert_int_equal(verify_bundle(b, i, trust_1, cptrust_1, &rep), 0);
		assert_int_equal(rep.ok, 0);
	}
	free(bad);
	free(b);
}

static void
test_proof_json(void **state)
{
	struct verify_proof_report rep;
	static const char *const bad[] = {
		"", "[]", "{}", "{\"schema\":\"runseal-proof/v1\"}",
		"{\"schema\":\"runseal-proof/v1\",\"type\":\"inclusion\",\"index\":-1}",
		"{\"schema\":\"runseal-proof/v1\",\"type\":\"consistency\",\"old_size\":1,"
		"\"new_size\":2,\"hashes\":[]}",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(verify_proof_json(bad[i], strlen(bad[i]), cptrust_1, &rep), 0);
		assert_int_equal(rep.ok, 0);
	}
	assert_int_equal(verify_proof_json("{}", 2, NULL, &rep), RS_ERR_USAGE);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, NULL)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_untouched_verifies),
		T(test_empty_ledger_verifies),
		T(test_flip_any_byte_of_entry),
		T(test_changed_chain_hash),
		T(test_short_chain_hash),
		T(test_deleted_middle_row),
		T(test_deleted_first_row),
		T(test_swapped_entry_blobs),
		T(test_swapped_whole_rows),
		T(test_duplicated_row),
		T(test_row_moved_into_gap),
		T(test_broken_prev_link),
		T(test_wrong_trust_key),
		T(test_foreign_entry_appended),
		T(test_trust_with_both_keys),
		T(test_truncated_tail),
		T(test_row_of_wrong_type),
		T(test_negative_row_inserted),
		T(test_garbage_entry),
		T(test_missing_and_not_a_ledger),
		T(test_checkpoints_signed),
		T(test_old_checkpoint_prefix_rollback_fork),
		T(test_merkle_node_tampered),
		T(test_bundle_round_trip_and_flips),
		T(test_proof_json),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
