/*
 * ledger_bench - what the ledger costs, measured against baselines run in
 * the same invocation on the same disk (ratios, not absolute promises):
 *
 *   1. append throughput, one entry per transaction (software-signed
 *      record, chain hash, Merkle nodes, Ed25519 checkpoint, fsync'd
 *      commit), against raw SQLite single-row commits with the same
 *      settings (WAL, synchronous=FULL) and the same row size;
 *   2. the same appends in batches (one transaction and one checkpoint per
 *      batch);
 *   3. inclusion proof time and size at 10^3, 10^5 and 10^6 entries, from
 *      the stored tree (ledger_prove_inclusion, O(log n) node reads), and
 *      its verification;
 *   4. database bytes per entry.
 *
 *   ledger_bench [--dir DIR] [--appends N] [--max-size N]
 *
 * DIR (default: the current directory) must be on the disk being measured;
 * the bench works in a fresh subdirectory and removes it. --max-size caps
 * the proof-size series (default 1000000).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "attest/record.h"
#include "attest/run.h"
#include "attest/signer.h"
#include "common/err.h"
#include "common/file.h"
#include "ledger/checkpoint.h"
#include "ledger/ledger.h"
#include "ledger/merkle.h"

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
die(const char *what, int r)
{
	fprintf(stderr, "ledger_bench: %s: %s: %s\n", what, rs_strerror(r), rs_err_detail());
	exit(1);
}

/* A real software-signed record, as runseal run appends (a small one). */
static int
seal_signed(void *arg, uint64_t index, uint8_t **env, size_t *len)
{
	static char a0[] = "sh", a1[] = "-c", a2[] = "echo hello";
	static char *const argv[] = { a0, a1, a2 };
	struct attest_signer *s = arg;
	struct attest_run *run = attest_run_new();
	uint8_t *rec = NULL;
	size_t rec_len = 0;
	int r;

	if (run == NULL)
		return RS_ERR_ALLOC;
	if ((r = attest_run_set_argv(run, argv, 3)) != 0)
		goto out;
	if ((run->cwd = strdup("/work")) == NULL || (run->policy_name = strdup("default")) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	run->start_unix_ns = (int64_t)index;
	memset(run->nonce, (int)(index & 0xff), sizeof(run->nonce));
	if ((r = attest_record_pack(run, &rec, &rec_len)) != 0)
		goto out;
	r = attest_seal(s, rec, rec_len, env, len, NULL);
out:
	free(rec);
	attest_run_free(run);
	return r;
}

/* Cheap fixed-size envelopes, for building large trees quickly. */
static int
seal_cheap(void *arg, uint64_t index, uint8_t **env, size_t *len)
{
	(void)arg;
	if ((*env = malloc(64)) == NULL)
		return RS_ERR_ALLOC;
	memset(*env, 0, 64);
	memcpy(*env, &index, sizeof(index));
	*len = 64;
	return 0;
}

static long
file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (long)st.st_size : 0;
}

/* A fresh ledger at dir/name with its checkpoint key. */
static void
new_ledger(const char *dir, const char *name, char *db, size_t dblen, struct ledger **l)
{
	char key[640];
	int r;

	snprintf(db, dblen, "%s/%s.db", dir, name);
	snprintf(key, sizeof(key), "%s/%s.key", dir, name);
	if ((r = checkpoint_key_create(key)) != 0 || (r = ledger_create(db, "bench")) != 0 ||
	    (r = ledger_open(db, 1, l)) != 0 || (r = ledger_set_checkpoint_key(*l, key)) != 0)
		die("creating a ledger", r);
}

/* Raw SQLite: n single-row commits of row_len bytes, WAL + synchronous=FULL. */
static double
raw_sqlite_rate(const char *dir, int n, int row_len)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	char path[600];
	uint8_t *row = calloc(1, (size_t)row_len);
	double t0, t;
	int i;

	snprintf(path, sizeof(path), "%s/raw.db", dir);
	if (row == NULL || sqlite3_open(path, &db) != SQLITE_OK ||
	    sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
	    "CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB NOT NULL);", NULL, NULL, NULL)
	    != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT INTO t(id, v) VALUES (?1, ?2)", -1, &st, NULL)
	    != SQLITE_OK) {
		fprintf(stderr, "ledger_bench: raw SQLite: %s\n", sqlite3_errmsg(db));
		exit(1);
	}
	t0 = now();
	for (i = 0; i < n; i++) {
		row[0] = (uint8_t)i;
		sqlite3_reset(st);
		sqlite3_bind_int(st, 1, i);
		sqlite3_bind_blob(st, 2, row, row_len, SQLITE_STATIC);
		if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK ||
		    sqlite3_step(st) != SQLITE_DONE ||
		    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
			fprintf(stderr, "ledger_bench: raw SQLite: %s\n", sqlite3_errmsg(db));
			exit(1);
		}
	}
	t = now() - t0;
	sqlite3_finalize(st);
	sqlite3_close(db);
	free(row);
	return n / t;
}

/* Average entry size of a ledger (bytes), read back. */
static double
avg_entry(struct ledger *l, uint64_t n, double *total)
{
	struct ledger_iter *it = NULL;
	struct ledger_row *row = NULL;
	double sum = 0;
	int r;

	if ((r = ledger_iter_new(l, 0, &it)) != 0)
		die("reading entries", r);
	while ((r = ledger_iter_next(it, &row)) == 0 && row != NULL) {
		sum += (double)row->entry_len;
		ledger_row_free(row);
	}
	ledger_iter_free(it);
	*total = sum;
	return n > 0 ? sum / (double)n : 0;
}

int
main(int argc, char **argv)
{
	const char *base = ".";
	char dir[512], db[600], keyp[600], walp[640];
	struct attest_signer *signer = NULL;
	struct ledger *l = NULL;
	struct ledger_appended *app = NULL;
	uint64_t max_size = 1000000, sizes[] = { 1000, 100000, 1000000 }, n, built;
	uint8_t proof[MERKLE_MAX_PROOF][MERKLE_HASH_LEN], root[MERKLE_HASH_LEN];
	uint8_t leaf[MERKLE_HASH_LEN];
	struct ledger_row *row = NULL;
	double t0, t, single, batched, raw, avg, total, base_us = 0;
	int appends = 2000, batch = 64, i, r;
	size_t pn = 0, k;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
			base = argv[++i];
		else if (strcmp(argv[i], "--appends") == 0 && i + 1 < argc)
			appends = atoi(argv[++i]);
		else if (strcmp(argv[i], "--max-size") == 0 && i + 1 < argc)
			max_size = strtoull(argv[++i], NULL, 10);
		else {
			fprintf(stderr, "usage: ledger_bench [--dir DIR] [--appends N] "
			    "[--max-size N]\n");
			return 64;
		}
	}
	if (appends < batch)
		appends = batch;
	snprintf(dir, sizeof(dir), "%s/ledger-bench-XXXXXX", base);
	if (mkdtemp(dir) == NULL) {
		fprintf(stderr, "ledger_bench: %s: %s\n", dir, strerror(errno));
		return 1;
	}
	snprintf(keyp, sizeof(keyp), "%s/signer.key", dir);
	if ((r = attest_softkey_create(keyp)) != 0 ||
	    (r = attest_signer_open_software(keyp, &signer)) != 0)
		die("signer", r);
	printf("ledger_bench: in %s (WAL, synchronous=FULL)\n", dir);

	/* 1. One append per transaction. */
	new_ledger(dir, "single", db, sizeof(db), &l);
	if ((app = calloc((size_t)batch, sizeof(*app))) == NULL)
		die("alloc", RS_ERR_ALLOC);
	t0 = now();
	for (i = 0; i < appends; i++)
		if ((r = ledger_append(l, seal_signed, signer, app)) != 0)
			die("append", r);
	t = now() - t0;
	single = appends / t;
	avg = avg_entry(l, (uint64_t)appends, &total);
	ledger_close(l);
	l = NULL;
	raw = raw_sqlite_rate(dir, appends, (int)avg);
	printf("append, 1 entry per transaction: %8.0f appends/s (%d appends)\n", single, appends);
	printf("raw SQLite single-row commits:   %8.0f rows/s   (%d rows of %.0f bytes)\n", raw,
	    appends, avg);
	printf("  ratio ledger/raw: %.2f\n", single / raw);
	/* Database bytes per entry, after folding the WAL into the file. */
	{
		struct ledger *ro = NULL;
		sqlite3 *s = NULL;

		if (sqlite3_open(db, &s) == SQLITE_OK)
			sqlite3_exec(s, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
		sqlite3_close(s);
		snprintf(walp, sizeof(walp), "%s-wal", db);
		printf("database bytes per entry: %.0f (entries themselves: %.0f; tree nodes, "
		    "checkpoints, chain and indexes: %.0f)\n",
		    (double)(file_size(db) + file_size(walp)) / appends, avg,
		    (double)(file_size(db) + file_size(walp)) / appends - avg);
		(void)ro;
	}

	/* 2. Batched. */
	new_ledger(dir, "batched", db, sizeof(db), &l);
	t0 = now();
	for (i = 0; i < appends; i += batch)
		if ((r = ledger_append_batch(l, (size_t)batch, seal_signed, signer, app)) != 0)
			die("batched append", r);
	t = now() - t0;
	batched = (double)(appends / batch * batch) / t;
	ledger_close(l);
	l = NULL;
	printf("append, batches of %d:           %8.0f appends/s; ratio to raw single-row "
	    "commits: %.2f\n", batch, batched, batched / raw);

	/* 3. Proofs at growing sizes, one large tree grown in steps. */
	new_ledger(dir, "proofs", db, sizeof(db), &l);
	printf("inclusion proofs (stored tree; 2000 random indexes each):\n");
	built = 0;
	srand(1);
	for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]) && sizes[k] <= max_size; k++) {
		n = sizes[k];
		while (built < n) {
			uint64_t step = n - built > 50000 ? 50000 : n - built;
			struct ledger_appended *big = calloc(step, sizeof(*big));

			if (big == NULL)
				die("alloc", RS_ERR_ALLOC);
			if ((r = ledger_append_batch(l, step, seal_cheap, NULL, big)) != 0)
				die("building", r);
			free(big);
			built += step;
		}
		if ((r = ledger_root(l, n, root)) != 0)
			die("root", r);
		t0 = now();
		for (i = 0; i < 2000; i++) {
			uint64_t idx = ((uint64_t)rand() * 65536u + (uint64_t)rand()) % n;

			if ((r = ledger_prove_inclusion(l, idx, n, proof, &pn)) != 0)
				die("prove", r);
		}
		t = (now() - t0) / 2000 * 1e6;
		if (base_us == 0)
			base_us = t;
		/* One proof checked end to end with the pure verifier. */
		if ((r = ledger_get(l, n / 3, &row)) != 0 ||
		    (r = merkle_leaf_hash(row->entry, row->entry_len, leaf)) != 0 ||
		    (r = ledger_prove_inclusion(l, n / 3, n, proof, &pn)) != 0 ||
		    (r = merkle_verify_inclusion(n / 3, n, leaf, &proof[0][0], pn, root)) != 0)
			die("verify", r);
		ledger_row_free(row);
		row = NULL;
		t0 = now();
		for (i = 0; i < 2000; i++)
			(void)merkle_verify_inclusion(n / 3, n, leaf, &proof[0][0], pn, root);
		printf("  n=%-8" PRIu64 " prove %7.1f us (x%.2f of n=1000)  %2zu hashes = %4zu bytes  "
		    "verify %5.1f us\n", n, t, t / base_us, pn, pn * MERKLE_HASH_LEN,
		    (now() - t0) / 2000 * 1e6);
	}
	ledger_close(l);
	l = NULL;
	{
		sqlite3 *s = NULL;

		if (sqlite3_open(db, &s) == SQLITE_OK)
			sqlite3_exec(s, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
		sqlite3_close(s);
		printf("database bytes per entry at n=%" PRIu64 " (64-byte envelopes): %.0f\n",
		    built, (double)file_size(db) / (double)built);
	}
	attest_signer_free(signer);
	free(app);
	rs_rm_rf(dir);
	return 0;
}
