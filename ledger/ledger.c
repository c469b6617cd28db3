/*
 * ledger.c - the SQLite store behind ledger.h.
 *
 * What this file guarantees and what it does not:
 *
 *  - An append is one BEGIN IMMEDIATE transaction (the write lock is taken
 *    before the tail is read, so two writers can never build on the same
 *    tail, fork the chain or leave a gap); the entry, the Merkle nodes it
 *    completes and the checkpoint that signs the new tree commit together,
 *    and the caller learns the result only after COMMIT returned.
 *  - The Merkle tree is stored as perfect nodes only (merkle.h), each
 *    written once when its last leaf arrives: an append reads popcount(n)
 *    nodes and writes at most 1 + log2(n), a proof reads O(log n), whatever
 *    the ledger's size.
 *  - Triggers make the tables append-only for every connection, ours or a
 *    careless tool's: UPDATE and DELETE are refused, and an INSERT must use
 *    the next index in order (which also stops INSERT OR REPLACE, whose
 *    implicit delete would not fire the DELETE trigger).
 *  - Readers hand rows back as stored. Every row is untrusted: its column
 *    types and sizes are checked before any byte is copied, and an oversized
 *    blob is never even loaded (length() and typeof() read only the cell
 *    header).
 *  - Every connection runs with SQLITE_DBCONFIG_DEFENSIVE and an untrusted
 *    schema, because the file may have been written by anyone.
 */
#include "ledger/ledger.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "common/err.h"
#include "common/file.h"
#include "ledger/checkpoint.h"
#include "ledger/merkle.h"
#include "proto/codec.h"

#define LEDGER_FORMAT "runseal-ledger"
#define LEDGER_VERSION "2"
/* Longest origin name, and longest meta value we will copy out of a file. */
#define LEDGER_ORIGIN_MAX 1024
/* A stored chain hash is 32 bytes; readers return up to this many as stored. */
#define LEDGER_ROW_HASH_MAX 64
/* Most entries one batch may append (each is sealed in the one transaction). */
#define LEDGER_BATCH_MAX 100000
/* Most ledger files one process may have open at once. */
#define LEDGER_OPEN_MAX 64
/* SQLite page cache per connection (KiB). */
#define LEDGER_CACHE_KIB 32768
#define RS_STR_(x) #x
#define RS_STR(x) RS_STR_(x)

#define APPEND_ONLY_MSG "runseal ledger is append-only"

/*
 * Schema version 2 (see ledger.h). The INSERT trigger on entries holds the
 * "0, 1, 2, ... with no gaps" rule inside the database itself; the one on
 * checkpoints holds "sizes only grow, never past the entries". NEW.size is
 * -1 in a BEFORE trigger when the size was left to SQLite, so that is
 * refused too.
 */
static const char SCHEMA_SQL[] =
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value BLOB NOT NULL);"
    "CREATE TABLE entries(idx INTEGER PRIMARY KEY, entry BLOB NOT NULL,"
    " chain_hash BLOB NOT NULL);"
    "CREATE TRIGGER entries_no_update BEFORE UPDATE ON entries"
    " BEGIN SELECT RAISE(ABORT, '" APPEND_ONLY_MSG "'); END;"
    "CREATE TRIGGER entries_no_delete BEFORE DELETE ON entries"
    " BEGIN SELECT RAISE(ABORT, '" APPEND_ONLY_MSG "'); END;"
    "CREATE TRIGGER entries_in_order BEFORE INSERT ON entries"
    " WHEN NEW.idx IS NOT (SELECT coalesce(max(idx) + 1, 0) FROM entries)"
    " BEGIN SELECT RAISE(ABORT, '" APPEND_ONLY_MSG
    ": entries are added at the end, in order'); END;"
    "CREATE TRIGGER meta_no_update BEFORE UPDATE ON meta"
    " BEGIN SELECT RAISE(ABORT, '" APPEND_ONLY_MSG "'); END;"
    "CREATE TRIGGER meta_no_delete BEFORE DELETE ON meta"
    " BEGIN SELECT RAISE(ABORT, '" APPEND_ONLY_MSG "'); END;"
    "CREATE TRIGGER meta_no_replace BEFORE INSERT ON meta"
    " WHEN EXISTS (SELECT 1 FROM meta WHERE key = NEW.key)"
    " BEGIN SELECT RAISE(ABORT, '" APPEND_ONLY_MSG "'); END;"
    "CREATE TABLE merkle(level INTEGER NOT NULL, idx INTEGER NOT NULL,"
    " hash BLOB NOT NULL, PRIMARY KEY(level, idx)) WITHOUT ROWID;"
    "CREATE TRIGGER merkle_no_update BEFORE UPDATE ON merkle"
    " BEGIN SELECT RAISE(ABORT, '" APPEND_ONLY_MSG "'); END;"
    "CREATE TRIGGER merkle_no_delete BEFORE DELETE ON merkle"
    " BEGIN SELECT RAISE(ABORT, '" APPEND_ONLY_MSG "'); END;"
    "CREATE TRIGGER merkle_no_replace BEFORE INSERT ON merkle"
    " WHEN EXISTS (SELECT 1 FROM merkle WHERE level = NEW.level AND idx = NEW.idx)"
    " BEGIN SELECT RAISE(ABORT, '" APPEND_ONLY_MSG "'); END;"
    "CREATE TABLE checkpoints(size INTEGER PRIMARY KEY, note BLOB NOT NULL);"
    "CREATE TRIGGER checkpoints_no_update BEFORE UPDATE ON checkpoints"
    " BEGIN SELECT RAISE(ABORT, '" APPEND_ONLY_MSG "'); END;"
    "CREATE TRIGGER checkpoints_no_delete BEFORE DELETE ON checkpoints"
    " BEGIN SELECT RAISE(ABORT, '" APPEND_ONLY_MSG "'); END;"
    "CREATE TRIGGER checkpoints_in_order BEFORE INSERT ON checkpoints"
    " WHEN NEW.size <= (SELECT coalesce(max(size), -1) FROM checkpoints)"
    " OR NEW.size > (SELECT coalesce(max(idx) + 1, 0) FROM entries)"
    " BEGIN SELECT RAISE(ABORT, '" APPEND_ONLY_MSG
    ": checkpoints are added in order of size'); END;";

/*
 * Row reader. ?2 bounds the entry, ?3 the chain hash: an oversized or
 * mistyped value comes back as NULL with its type and length, so it is
 * reported without being loaded.
 */
#define ROW_SELECT \
    "SELECT idx, typeof(entry), length(entry)," \
    " CASE WHEN typeof(entry) = 'blob' AND length(entry) <= ?2 THEN entry END," \
    " typeof(chain_hash), length(chain_hash)," \
    " CASE WHEN typeof(chain_hash) = 'blob' AND length(chain_hash) <= ?3" \
    " THEN chain_hash END FROM entries "

struct ledger {
	sqlite3 *db;
	char *path;
	char *origin;
	int writable;
	struct checkpoint_signer *cp;   /* NULL until ledger_set_checkpoint_key() */
	sqlite3_stmt *st_node_get;      /* cached: proofs fetch O(log n) nodes each */
	sqlite3_stmt *st_node_put;
	int registered;                 /* (dev, ino) is in open_files */
	dev_t dev;
	ino_t ino;
};

struct ledger_cp_iter {
	struct ledger *l;
	sqlite3_stmt *st;
	int done;
};

/*
 * The ledger files this process has open, by device and inode: SQLite's
 * POSIX locks belong to the process, so a second connection to the same
 * file from this process is refused rather than trusted to behave.
 */
static pthread_mutex_t open_mu = PTHREAD_MUTEX_INITIALIZER;
static struct {
	dev_t dev;
	ino_t ino;
} open_files[LEDGER_OPEN_MAX];
static size_t n_open_files;

struct ledger_iter {
	struct ledger *l;
	sqlite3_stmt *st;
	int done;
};

/* SQLite result code (primary or extended) to the closest RS_ERR_*. */
static int
db_code(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_FULL: return RS_ERR_NO_SPACE;
	case SQLITE_BUSY:
	case SQLITE_LOCKED: return RS_ERR_BUSY;
	case SQLITE_IOERR:
	case SQLITE_CANTOPEN: return RS_ERR_IO;
	case SQLITE_NOTADB:
	case SQLITE_CORRUPT: return RS_ERR_FORMAT;
	case SQLITE_NOMEM: return RS_ERR_ALLOC;
	case SQLITE_READONLY:
	case SQLITE_PERM:
	case SQLITE_AUTH: return RS_ERR_PERMISSION;
	case SQLITE_TOOBIG: return RS_ERR_TOO_LARGE;
	default: return RS_ERR_DB;
	}
}

/* Record a failure of an SQLite call on db; what names the operation. */
static int
db_fail(sqlite3 *db, const char *path, int rc, const char *what)
{
	int sys = db != NULL ? sqlite3_system_errno(db) : 0;
	const char *msg = db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(rc);

	if (sys != 0 && ((rc & 0xff) == SQLITE_IOERR || (rc & 0xff) == SQLITE_FULL ||
	    (rc & 0xff) == SQLITE_CANTOPEN))
		return rs_fail(db_code(rc), "ledger %s: %s: %s (%s)", path, what, msg,
		    strerror(sys));
	if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED)
		return rs_fail(db_code(rc), "ledger %s: %s: locked by another process for "
		    "more than %d s (%s)", path, what, LEDGER_BUSY_TIMEOUT_MS / 1000, msg);
	return rs_fail(db_code(rc), "ledger %s: %s: %s", path, what, msg);
}

/* Run SQL that returns no rows. */
static int
db_exec(sqlite3 *db, const char *path, const char *sql, const char *what)
{
	int rc;

	if ((rc = sqlite3_exec(db, sql, NULL, NULL, NULL)) != SQLITE_OK)
		return db_fail(db, path, rc, what);
	return 0;
}

/*
 * Undo an open transaction, if SQLite has not already done so (it rolls
 * back by itself after some errors, e.g. SQLITE_FULL). Leaves the current
 * rs_fail() detail alone: the caller is reporting the original failure.
 */
static void
db_rollback(sqlite3 *db)
{
	if (db != NULL && !sqlite3_get_autocommit(db))
		(void)sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
}

static int
db_prepare(sqlite3 *db, const char *path, const char *sql, sqlite3_stmt **st,
    const char *what)
{
	int rc;

	*st = NULL;
	if ((rc = sqlite3_prepare_v2(db, sql, -1, st, NULL)) != SQLITE_OK) {
		sqlite3_finalize(*st);
		*st = NULL;
		return db_fail(db, path, rc, what);
	}
	return 0;
}

/*
 * Open a connection to an existing file, with the settings every
 * connection gets; no statement has touched the file yet when this returns.
 * SQLite would parse "file:..." names as URIs; such relative names are
 * passed as "./file:..." so a path always means a path.
 */
static int
db_connect(const char *path, int writable, sqlite3 **out)
{
	struct stat st;
	sqlite3 *db = NULL;
	char *name = NULL;
	int flags, rc, r = RS_ERR_INTERNAL;

	*out = NULL;
	if (stat(path, &st) != 0) {
		if (errno == ENOENT)
			r = rs_fail(RS_ERR_NOT_FOUND, "ledger %s: no such file", path);
		else
			r = rs_fail(rs_err_from_errno(errno), "ledger %s: %s", path,
			    strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = rs_fail(RS_ERR_FORMAT, "ledger %s: not a regular file", path);
		goto out;
	}
	if (strncmp(path, "file:", 5) == 0) {
		if ((name = malloc(strlen(path) + 3)) == NULL) {
			r = RS_ERR_ALLOC;
			goto out;
		}
		strcpy(name, "./");
		strcat(name, path);
	} else if ((name = strdup(path)) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	flags = (writable ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY) |
	    SQLITE_OPEN_FULLMUTEX;
	if ((rc = sqlite3_open_v2(name, &db, flags, NULL)) != SQLITE_OK) {
		r = db_fail(db, path, rc, "cannot open");
		goto out;
	}
	sqlite3_extended_result_codes(db, 1);
	if ((rc = sqlite3_busy_timeout(db, LEDGER_BUSY_TIMEOUT_MS)) != SQLITE_OK ||
	    (rc = sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL)) != SQLITE_OK ||
	    (rc = sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL)) != SQLITE_OK ||
	    (rc = sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, NULL)) != SQLITE_OK) {
		r = db_fail(db, path, rc, "configuring the connection");
		goto out;
	}
	*out = db;
	db = NULL;
	r = 0;
out:
	sqlite3_close_v2(db);
	free(name);
	return r;
}

/*
 * Settings that write to the file (journal mode) or govern writes. Run only
 * after the file is known to be a runseal ledger, or is one being created,
 * so that opening someone else's database never converts it to WAL.
 */
static int
db_write_pragmas(sqlite3 *db, const char *path)
{
	sqlite3_stmt *st = NULL;
	const unsigned char *mode;
	int persist = 1, rc, r = RS_ERR_INTERNAL;

	if ((r = db_prepare(db, path, "PRAGMA journal_mode=WAL", &st,
	    "setting WAL mode")) != 0)
		goto out;
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		r = db_fail(db, path, rc, "setting WAL mode");
		goto out;
	}
	mode = sqlite3_column_text(st, 0);
	if (mode == NULL || strcmp((const char *)mode, "wal") != 0) {
		r = rs_fail(RS_ERR_DB, "ledger %s: cannot use WAL mode (journal mode is %s)",
		    path, mode != NULL ? (const char *)mode : "unknown");
		goto out;
	}
	/*
	 * journal_size_limit=0: the last connection's close leaves the log empty,
	 * so the frames of a commit that failed (its fsync refused) are gone,
	 * never replayed by the next opener's recovery.
	 */
	if ((r = db_exec(db, path, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; "
	    "PRAGMA journal_size_limit=0;", "setting durability")) != 0)
		goto out;
	/*
	 * Keep ledger.db-wal and -shm (empty) when the last connection closes:
	 * a reader (runseal log, runseal-verify) must create them when they are
	 * absent, which a full disk refuses; kept, the ledger stays readable.
	 */
	if ((rc = sqlite3_file_control(db, "main", SQLITE_FCNTL_PERSIST_WAL, &persist)) !=
	    SQLITE_OK) {
		r = db_fail(db, path, rc, "keeping the write-ahead log");
		goto out;
	}
	r = 0;
out:
	sqlite3_finalize(st);
	return r;
}

/*
 * Read one meta value (untrusted) as a new NUL-terminated string. A value
 * with an embedded NUL or longer than LEDGER_ORIGIN_MAX is RS_ERR_FORMAT.
 */
static int
meta_get(sqlite3 *db, const char *path, const char *key, char **out)
{
	sqlite3_stmt *st = NULL;
	const char *type;
	const void *v;
	char *s = NULL;
	int n, rc, r = RS_ERR_INTERNAL;

	*out = NULL;
	if ((rc = sqlite3_prepare_v2(db,
	    "SELECT typeof(value), length(CAST(value AS BLOB)),"
	    " CASE WHEN length(CAST(value AS BLOB)) <= ?2 THEN CAST(value AS BLOB) END"
	    " FROM meta WHERE key = ?1", -1, &st, NULL)) != SQLITE_OK) {
		/* No meta table at all ("no such table") is SQLITE_ERROR. */
		if ((rc & 0xff) == SQLITE_ERROR || (rc & 0xff) == SQLITE_NOTADB ||
		    (rc & 0xff) == SQLITE_CORRUPT)
			r = rs_fail(RS_ERR_FORMAT, "ledger %s: not a runseal ledger (%s)",
			    path, sqlite3_errmsg(db));
		else
			r = db_fail(db, path, rc, "reading meta");
		goto out;
	}
	if ((rc = sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int(st, 2, LEDGER_ORIGIN_MAX)) != SQLITE_OK) {
		r = db_fail(db, path, rc, "reading meta");
		goto out;
	}
	if ((rc = sqlite3_step(st)) == SQLITE_DONE) {
		r = rs_fail(RS_ERR_FORMAT, "ledger %s: not a runseal ledger (no meta \"%s\")",
		    path, key);
		goto out;
	}
	if (rc != SQLITE_ROW) {
		if ((rc & 0xff) == SQLITE_NOTADB || (rc & 0xff) == SQLITE_CORRUPT)
			r = rs_fail(RS_ERR_FORMAT, "ledger %s: not a runseal ledger (%s)",
			    path, sqlite3_errmsg(db));
		else
			r = db_fail(db, path, rc, "reading meta");
		goto out;
	}
	type = (const char *)sqlite3_column_text(st, 0);
	n = sqlite3_column_int(st, 1);
	v = sqlite3_column_blob(st, 2);
	if (type == NULL || (strcmp(type, "text") != 0 && strcmp(type, "blob") != 0) ||
	    n < 0 || n > LEDGER_ORIGIN_MAX ||
	    (v == NULL && n > 0) || sqlite3_column_bytes(st, 2) != n ||
	    (n > 0 && memchr(v, '\0', (size_t)n) != NULL)) {
		r = rs_fail(RS_ERR_FORMAT, "ledger %s: meta \"%s\" is not a short text value",
		    path, key);
		goto out;
	}
	if ((s = malloc((size_t)n + 1)) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	if (n > 0)
		memcpy(s, v, (size_t)n);
	s[n] = '\0';
	*out = s;
	s = NULL;
	r = 0;
out:
	free(s);
	sqlite3_finalize(st);
	return r;
}

/* The file must say it is a runseal ledger of version 2, with all its tables. */
static int
check_meta(struct ledger *l)
{
	sqlite3_stmt *st = NULL;
	char *format = NULL, *version = NULL;
	int rc, r = RS_ERR_INTERNAL;

	/*
	 * Both must be ordinary tables: a view of the same name could hand a
	 * reader rows in any order, duplicated, or without end.
	 */
	if ((rc = sqlite3_prepare_v2(l->db, "SELECT count(*) FROM sqlite_schema"
	    " WHERE type = 'table' AND name IN ('meta', 'entries', 'merkle', 'checkpoints')",
	    -1, &st,
	    NULL)) != SQLITE_OK || (rc = sqlite3_step(st)) != SQLITE_ROW) {
		if ((rc & 0xff) == SQLITE_NOTADB || (rc & 0xff) == SQLITE_CORRUPT)
			r = rs_fail(RS_ERR_FORMAT, "ledger %s: not a runseal ledger (%s)",
			    l->path, sqlite3_errmsg(l->db));
		else
			r = db_fail(l->db, l->path, rc, "reading the schema");
		goto out;
	}
	if (sqlite3_column_int(st, 0) < 2) {
		r = rs_fail(RS_ERR_FORMAT, "ledger %s: not a runseal ledger (no meta and "
		    "entries tables)", l->path);
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	if ((r = meta_get(l->db, l->path, "format", &format)) != 0)
		goto out;
	if (strcmp(format, LEDGER_FORMAT) != 0) {
		r = rs_fail(RS_ERR_FORMAT, "ledger %s: not a runseal ledger (format is \"%s\")",
		    l->path, format);
		goto out;
	}
	if ((r = meta_get(l->db, l->path, "version", &version)) != 0)
		goto out;
	if (strcmp(version, LEDGER_VERSION) != 0) {
		r = rs_fail(RS_ERR_FORMAT,
		    "ledger %s: unsupported ledger version \"%s\" (this build reads version "
		    LEDGER_VERSION ")", l->path, version);
		goto out;
	}
	if ((r = meta_get(l->db, l->path, "origin", &l->origin)) != 0)
		goto out;
	if ((rc = sqlite3_prepare_v2(l->db, "SELECT count(*) FROM sqlite_schema"
	    " WHERE type = 'table' AND name IN ('meta', 'entries', 'merkle', 'checkpoints')",
	    -1, &st, NULL)) != SQLITE_OK || (rc = sqlite3_step(st)) != SQLITE_ROW) {
		r = db_fail(l->db, l->path, rc, "reading the schema");
		goto out;
	}
	if (sqlite3_column_int(st, 0) != 4) {
		r = rs_fail(RS_ERR_FORMAT, "ledger %s: not a runseal ledger (a table is "
		    "missing or is not a table)", l->path);
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	if ((rc = sqlite3_prepare_v2(l->db, "SELECT e.idx, e.entry, e.chain_hash, m.level,"
	    " m.idx, m.hash, c.size, c.note FROM entries e, merkle m, checkpoints c LIMIT 0",
	    -1, &st, NULL)) != SQLITE_OK) {
		r = rs_fail(RS_ERR_FORMAT, "ledger %s: not a runseal ledger (%s)", l->path,
		    sqlite3_errmsg(l->db));
		goto out;
	}
	r = 0;
out:
	sqlite3_finalize(st);
	free(format);
	free(version);
	return r;
}


/* Remove a half-created ledger and the WAL files SQLite made next to it. */
static void
remove_ledger_files(const char *path)
{
	static const char *const suffix[] = { "-wal", "-shm", "-journal" };
	size_t i, n = strlen(path);
	char *p;

	(void)unlink(path);
	if ((p = malloc(n + 16)) == NULL)
		return;
	for (i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		memcpy(p, path, n);
		strcpy(p + n, suffix[i]);
		(void)unlink(p);
	}
	free(p);
}

/* fsync the directory holding path, so a new file's name is durable. */
static int
fsync_parent(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir = NULL;
	int r;

	if (slash == NULL)
		return rs_fsync_dir(".");
	if (slash == path)
		return rs_fsync_dir("/");
	if ((dir = strndup(path, (size_t)(slash - path))) == NULL)
		return RS_ERR_ALLOC;
	r = rs_fsync_dir(dir);
	free(dir);
	return r;
}

int
ledger_create(const char *path, const char *origin)
{
	static const char *const keys[] = { "format", "version", "origin" };
	const char *values[3] = { LEDGER_FORMAT, LEDGER_VERSION, origin };
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int fd = -1, created = 0, rc, r = RS_ERR_INTERNAL;
	size_t i;

	if (path == NULL || path[0] == '\0') {
		r = rs_fail(RS_ERR_USAGE, "ledger path is empty");
		goto out;
	}
	/* The origin names the checkpoint key, so it obeys the key-name rules. */
	if (!checkpoint_name_ok(origin)) {
		r = rs_fail(RS_ERR_USAGE,
		    "ledger %s: origin must be 1 to %d printable ASCII characters without "
		    "spaces or '+'", path, CHECKPOINT_NAME_MAX);
		goto out;
	}
	/*
	 * SQLite has no exclusive create; O_EXCL makes "never overwrite" exact.
	 * An empty file is a valid empty SQLite database.
	 */
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
	    0644)) < 0) {
		if (errno == EEXIST)
			r = rs_fail(RS_ERR_EXISTS, "ledger %s already exists", path);
		else
			r = rs_fail(rs_err_from_errno(errno), "ledger %s: %s", path,
			    strerror(errno));
		goto out;
	}
	created = 1;
	(void)close(fd);
	fd = -1;
	if ((r = db_connect(path, 1, &db)) != 0 ||
	    (r = db_write_pragmas(db, path)) != 0 ||
	    (r = db_exec(db, path, "BEGIN IMMEDIATE", "starting the schema transaction")) != 0 ||
	    (r = db_exec(db, path, SCHEMA_SQL, "creating the schema")) != 0 ||
	    (r = db_prepare(db, path, "INSERT INTO meta(key, value) VALUES (?1, ?2)", &st,
	    "writing meta")) != 0)
		goto out;
	for (i = 0; i < 3; i++) {
		sqlite3_reset(st);
		if ((rc = sqlite3_bind_text(st, 1, keys[i], -1, SQLITE_STATIC)) != SQLITE_OK ||
		    (rc = sqlite3_bind_text(st, 2, values[i], -1, SQLITE_STATIC)) != SQLITE_OK ||
		    (rc = sqlite3_step(st)) != SQLITE_DONE) {
			r = db_fail(db, path, rc, "writing meta");
			goto out;
		}
	}
	sqlite3_finalize(st);
	st = NULL;
	if ((r = db_exec(db, path, "COMMIT", "committing the schema")) != 0)
		goto out;
	if ((rc = sqlite3_close(db)) != SQLITE_OK) {
		r = db_fail(db, path, rc, "closing");
		goto out;
	}
	db = NULL;
	if ((r = fsync_parent(path)) != 0)
		goto out;
	r = 0;
out:
	sqlite3_finalize(st);
	db_rollback(db);
	sqlite3_close_v2(db);
	if (fd >= 0)
		(void)close(fd);
	if (r != 0 && created)
		remove_ledger_files(path);
	return r;
}

/* Claim (dev, ino) for this process; RS_ERR_BUSY if it is open already. */
static int
register_open(struct ledger *l)
{
	struct stat st;
	size_t i;
	int r = RS_ERR_INTERNAL;

	if (stat(l->path, &st) != 0)
		return errno == ENOENT ?
		    rs_fail(RS_ERR_NOT_FOUND, "ledger %s: no such file", l->path) :
		    rs_fail(rs_err_from_errno(errno), "ledger %s: %s", l->path, strerror(errno));
	pthread_mutex_lock(&open_mu);
	for (i = 0; i < n_open_files; i++)
		if (open_files[i].dev == st.st_dev && open_files[i].ino == st.st_ino) {
			r = rs_fail(RS_ERR_BUSY, "ledger %s is already open in this process",
			    l->path);
			goto out;
		}
	if (n_open_files >= LEDGER_OPEN_MAX) {
		r = rs_fail(RS_ERR_BUSY, "more than %d ledgers open in this process",
		    LEDGER_OPEN_MAX);
		goto out;
	}
	open_files[n_open_files].dev = st.st_dev;
	open_files[n_open_files].ino = st.st_ino;
	n_open_files++;
	l->dev = st.st_dev;
	l->ino = st.st_ino;
	l->registered = 1;
	r = 0;
out:
	pthread_mutex_unlock(&open_mu);
	return r;
}

static void
unregister_open(struct ledger *l)
{
	size_t i;

	if (!l->registered)
		return;
	pthread_mutex_lock(&open_mu);
	for (i = 0; i < n_open_files; i++)
		if (open_files[i].dev == l->dev && open_files[i].ino == l->ino) {
			open_files[i] = open_files[--n_open_files];
			break;
		}
	pthread_mutex_unlock(&open_mu);
	l->registered = 0;
}

/*
 * Load the home's checkpoint key, CHECKPOINT_HOME_KEY next to the ledger
 * file. An absent key is RS_ERR_USAGE when required, else nothing happens;
 * a damaged one is always an error.
 */
static int
load_home_key(struct ledger *l, int required)
{
	const char *slash = strrchr(l->path, '/');
	char *key = NULL;
	int r;

	if (asprintf(&key, "%.*s%s", slash != NULL ? (int)(slash - l->path + 1) : 0, l->path,
	    CHECKPOINT_HOME_KEY) < 0)
		return RS_ERR_ALLOC;
	if (access(key, F_OK) != 0)
		r = required ? rs_fail(RS_ERR_USAGE, "ledger %s: no checkpoint key attached and "
		    "no %s: every append must be signed into a checkpoint", l->path, key) : 0;
	else
		r = ledger_set_checkpoint_key(l, key);
	free(key);
	return r;
}

int
ledger_open(const char *path, int writable, struct ledger **out)
{
	struct ledger *l = NULL;
	int r = RS_ERR_INTERNAL;

	*out = NULL;
	if (path == NULL || path[0] == '\0') {
		r = rs_fail(RS_ERR_USAGE, "ledger path is empty");
		goto out;
	}
	if ((l = calloc(1, sizeof(*l))) == NULL || (l->path = strdup(path)) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	l->writable = writable != 0;
	if ((r = register_open(l)) != 0 ||
	    (r = db_connect(path, l->writable, &l->db)) != 0 ||
	    (r = check_meta(l)) != 0)
		goto out;
	if (l->writable)
		r = db_write_pragmas(l->db, path);
	else
		r = db_exec(l->db, path, "PRAGMA query_only=ON", "setting read-only");
	/*
	 * A page cache that holds the tree's upper levels: proofs and appends
	 * touch O(log n) nodes, spread over the whole tree (bounded memory).
	 */
	if (r == 0)
		r = db_exec(l->db, path, "PRAGMA cache_size=-" RS_STR(LEDGER_CACHE_KIB),
		    "sizing the page cache");
	/* A writer's key now, not at its first append: a damaged key stops a run early. */
	if (r == 0 && l->writable)
		r = load_home_key(l, 0);
	if (r != 0)
		goto out;
	*out = l;
	l = NULL;
	r = 0;
out:
	ledger_close(l);
	return r;
}

void
ledger_close(struct ledger *l)
{
	if (l == NULL)
		return;
	sqlite3_finalize(l->st_node_get);
	sqlite3_finalize(l->st_node_put);
	/* close_v2: a forgotten iterator keeps the handle alive instead of leaking it. */
	sqlite3_close_v2(l->db);
	unregister_open(l);
	checkpoint_signer_free(l->cp);
	free(l->path);
	free(l->origin);
	free(l);
}

const char *
ledger_origin(const struct ledger *l)
{
	return l->origin;
}

int
ledger_set_checkpoint_key(struct ledger *l, const char *key_path)
{
	struct checkpoint_signer *s = NULL;
	int r;

	if ((r = checkpoint_signer_open(key_path, l->origin, &s)) != 0)
		/* checkpoint_signer_open's detail names the key file. */
		return rs_fail(r, "ledger %s: checkpoint key: %s", l->path, rs_err_detail());
	checkpoint_signer_free(l->cp);
	l->cp = s;
	return 0;
}

int
ledger_entry_digest(const uint8_t *entry, size_t len, uint8_t out[RS_SHA256_LEN])
{
	return rs_sha256_ctx(RS_CTX_ENTRY, entry, len, NULL, 0, out);
}

int
ledger_chain_next(const uint8_t prev[RS_SHA256_LEN],
    const uint8_t entry_digest[RS_SHA256_LEN], uint8_t out[RS_SHA256_LEN])
{
	return rs_sha256_ctx(RS_CTX_CHAIN, prev, RS_SHA256_LEN, entry_digest,
	    RS_SHA256_LEN, out);
}

/*
 * The stored tail: count = last idx + 1 and its stored chain hash (zeros
 * and 0 when empty). Rows are untrusted, so the tail's shape is checked.
 */
static int
read_tail(struct ledger *l, uint64_t *count, uint8_t hash[RS_SHA256_LEN])
{
	sqlite3_stmt *st = NULL;
	sqlite3_int64 idx;
	const char *type;
	const void *h;
	int rc, r = RS_ERR_INTERNAL;

	*count = 0;
	memset(hash, 0, RS_SHA256_LEN);
	if ((r = db_prepare(l->db, l->path,
	    "SELECT idx, typeof(chain_hash), length(chain_hash),"
	    " CASE WHEN length(chain_hash) = 32 THEN chain_hash END"
	    " FROM entries ORDER BY idx DESC LIMIT 1", &st, "reading the last entry")) != 0)
		goto out;
	if ((rc = sqlite3_step(st)) == SQLITE_DONE) {
		r = 0;
		goto out;
	}
	if (rc != SQLITE_ROW) {
		r = db_fail(l->db, l->path, rc, "reading the last entry");
		goto out;
	}
	idx = sqlite3_column_int64(st, 0);
	if (sqlite3_column_type(st, 0) != SQLITE_INTEGER || idx < 0 || idx == INT64_MAX) {
		r = rs_fail(RS_ERR_FORMAT, "ledger %s: last row has index %lld: the ledger "
		    "is damaged (run runseal-verify)", l->path, (long long)idx);
		goto out;
	}
	h = sqlite3_column_blob(st, 3);
	type = (const char *)sqlite3_column_text(st, 1);
	if (type == NULL || strcmp(type, "blob") != 0 ||
	    sqlite3_column_int(st, 2) != RS_SHA256_LEN || h == NULL ||
	    sqlite3_column_bytes(st, 3) != RS_SHA256_LEN) {
		r = rs_fail(RS_ERR_FORMAT, "ledger %s: entry %lld has no 32-byte chain hash: "
		    "the ledger is damaged (run runseal-verify)", l->path, (long long)idx);
		goto out;
	}
	memcpy(hash, h, RS_SHA256_LEN);
	*count = (uint64_t)idx + 1;
	r = 0;
out:
	if (r != 0) {
		*count = 0;
		memset(hash, 0, RS_SHA256_LEN);
	}
	sqlite3_finalize(st);
	return r;
}

/*
 * Stored perfect node (level, index), shape-checked: a 32-byte blob.
 * Uses the cached statement; RS_ERR_NOT_FOUND if absent.
 */
int
ledger_node_get(struct ledger *l, unsigned level, uint64_t index,
    uint8_t out[MERKLE_HASH_LEN])
{
	const void *h;
	const char *type;
	int rc, r = RS_ERR_INTERNAL;

	memset(out, 0, MERKLE_HASH_LEN);
	if (level > 63 || index > INT64_MAX) {
		r = rs_fail(RS_ERR_NOT_FOUND, "ledger %s: no Merkle node (%u, %" PRIu64 ")",
		    l->path, level, index);
		goto out;
	}
	if (l->st_node_get == NULL && (r = db_prepare(l->db, l->path,
	    "SELECT typeof(hash), length(hash), CASE WHEN length(hash) = 32 THEN hash END"
	    " FROM merkle WHERE level = ?1 AND idx = ?2", &l->st_node_get,
	    "reading the Merkle tree")) != 0)
		goto out;
	sqlite3_reset(l->st_node_get);
	if ((rc = sqlite3_bind_int(l->st_node_get, 1, (int)level)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(l->st_node_get, 2, (sqlite3_int64)index)) != SQLITE_OK) {
		r = db_fail(l->db, l->path, rc, "reading the Merkle tree");
		goto out;
	}
	if ((rc = sqlite3_step(l->st_node_get)) == SQLITE_DONE) {
		r = rs_fail(RS_ERR_NOT_FOUND, "ledger %s: Merkle node (%u, %" PRIu64 ") is "
		    "missing", l->path, level, index);
		goto out;
	}
	if (rc != SQLITE_ROW) {
		r = db_fail(l->db, l->path, rc, "reading the Merkle tree");
		goto out;
	}
	type = (const char *)sqlite3_column_text(l->st_node_get, 0);
	h = sqlite3_column_blob(l->st_node_get, 2);
	if (type == NULL || strcmp(type, "blob") != 0 || h == NULL ||
	    sqlite3_column_int(l->st_node_get, 1) != MERKLE_HASH_LEN ||
	    sqlite3_column_bytes(l->st_node_get, 2) != MERKLE_HASH_LEN) {
		r = rs_fail(RS_ERR_FORMAT, "ledger %s: Merkle node (%u, %" PRIu64 ") is not "
		    "a 32-byte hash", l->path, level, index);
		goto out;
	}
	memcpy(out, h, MERKLE_HASH_LEN);
	r = 0;
out:
	if (l->st_node_get != NULL)
		sqlite3_reset(l->st_node_get);
	return r;
}

/* merkle_fetch_fn over the stored nodes; a missing node means a damaged file. */
static int
node_fetch(void *arg, unsigned level, uint64_t index, uint8_t out[MERKLE_HASH_LEN])
{
	struct ledger *l = arg;
	int r;

	if ((r = ledger_node_get(l, level, index, out)) == RS_ERR_NOT_FOUND)
		r = rs_fail(RS_ERR_FORMAT, "%s: the ledger is damaged (run runseal-verify)",
		    rs_err_detail());
	return r;
}

/* merkle_node_fn: store one completed perfect node. */
static int
node_put(void *arg, unsigned level, uint64_t index, const uint8_t hash[MERKLE_HASH_LEN])
{
	struct ledger *l = arg;
	int rc, r = RS_ERR_INTERNAL;

	if (l->st_node_put == NULL && (r = db_prepare(l->db, l->path,
	    "INSERT INTO merkle(level, idx, hash) VALUES (?1, ?2, ?3)", &l->st_node_put,
	    "writing the Merkle tree")) != 0)
		goto out;
	sqlite3_reset(l->st_node_put);
	if ((rc = sqlite3_bind_int(l->st_node_put, 1, (int)level)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(l->st_node_put, 2, (sqlite3_int64)index)) != SQLITE_OK ||
	    (rc = sqlite3_bind_blob(l->st_node_put, 3, hash, MERKLE_HASH_LEN,
	    SQLITE_TRANSIENT)) != SQLITE_OK ||
	    (rc = sqlite3_step(l->st_node_put)) != SQLITE_DONE) {
		r = db_fail(l->db, l->path, rc, "writing the Merkle tree");
		goto out;
	}
	r = 0;
out:
	if (l->st_node_put != NULL) {
		sqlite3_reset(l->st_node_put);
		sqlite3_clear_bindings(l->st_node_put);
	}
	return r;
}

/* Insert one checkpoint row (inside the caller's write transaction). */
static int
checkpoint_put(struct ledger *l, uint64_t size, const char *note, size_t len)
{
	sqlite3_stmt *st = NULL;
	int rc, r = RS_ERR_INTERNAL;

	if ((r = db_prepare(l->db, l->path,
	    "INSERT INTO checkpoints(size, note) VALUES (?1, ?2)", &st,
	    "storing the checkpoint")) != 0)
		goto out;
	if ((rc = sqlite3_bind_int64(st, 1, (sqlite3_int64)size)) != SQLITE_OK ||
	    (rc = sqlite3_bind_blob(st, 2, note, (int)len, SQLITE_STATIC)) != SQLITE_OK ||
	    (rc = sqlite3_step(st)) != SQLITE_DONE) {
		r = db_fail(l->db, l->path, rc, "storing the checkpoint");
		goto out;
	}
	r = 0;
out:
	sqlite3_finalize(st);
	return r;
}

/* Sign the tree described by cr and store the checkpoint (in the transaction). */
static int
sign_and_store(struct ledger *l, const struct merkle_range *cr, uint8_t root[MERKLE_HASH_LEN])
{
	char *note = NULL;
	size_t len = 0;
	int r;

	if ((r = merkle_range_root(cr, root)) != 0 ||
	    (r = checkpoint_sign(l->cp, cr->size, root, &note, &len)) != 0 ||
	    (r = checkpoint_put(l, cr->size, note, len)) != 0)
		goto out;
	r = 0;
out:
	free(note);
	return r;
}

/*
 * The preconditions every write shares. Without an attached checkpoint key
 * the home's is loaded (ledger_open loads it when it is there already), so
 * that every writer of a runseal home signs checkpoints.
 */
static int
check_writer(struct ledger *l)
{
	if (!l->writable)
		return rs_fail(RS_ERR_USAGE, "ledger %s is open read-only", l->path);
	if (l->cp != NULL)
		return 0;
	return load_home_key(l, 1);
}

/*
 * Seal and insert entry `index` on top of prev (updated to its chain hash);
 * its leaf goes into cr and its completed nodes into the merkle table.
 */
static int
append_one(struct ledger *l, ledger_seal_fn seal, void *arg, uint64_t index,
    uint8_t prev[RS_SHA256_LEN], struct merkle_range *cr, struct ledger_appended *res)
{
	Runseal__V1__Entry e = RUNSEAL__V1__ENTRY__INIT;
	sqlite3_stmt *st = NULL;
	struct timespec now;
	uint8_t leaf[MERKLE_HASH_LEN];
	uint8_t *env = NULL, *entry = NULL;
	size_t env_len = 0, entry_len = 0;
	int rc, r = RS_ERR_INTERNAL;

	memset(res, 0, sizeof(*res));
	if ((r = seal(arg, index, &env, &env_len)) != 0) {
		if (r > 0)
			r = rs_fail(RS_ERR_INTERNAL, "ledger %s: seal callback returned %d",
			    l->path, r);
		goto out;
	}
	if (env == NULL || env_len == 0) {
		r = rs_fail(RS_ERR_INTERNAL, "ledger %s: seal callback returned no envelope",
		    l->path);
		goto out;
	}
	if (env_len > PROTO_MAX_ENVELOPE) {
		r = rs_fail(RS_ERR_TOO_LARGE, "ledger %s: envelope of %zu bytes exceeds %u",
		    l->path, env_len, PROTO_MAX_ENVELOPE);
		goto out;
	}
	if (clock_gettime(CLOCK_REALTIME, &now) != 0) {
		r = rs_fail(RS_ERR_INTERNAL, "clock_gettime: %s", strerror(errno));
		goto out;
	}
	e.index = index;
	e.prev_chain_hash.data = prev;
	e.prev_chain_hash.len = RS_SHA256_LEN;
	e.envelope.data = env;
	e.envelope.len = env_len;
	e.appended_unix_ns = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
	if ((r = proto_pack(&e.base, PROTO_MAX_ENTRY, &entry, &entry_len)) != 0 ||
	    (r = ledger_entry_digest(entry, entry_len, res->entry_digest)) != 0 ||
	    (r = ledger_chain_next(prev, res->entry_digest, res->chain_hash)) != 0 ||
	    (r = merkle_leaf_hash(entry, entry_len, leaf)) != 0)
		goto out;
	res->index = index;
	if ((r = db_prepare(l->db, l->path,
	    "INSERT INTO entries(idx, entry, chain_hash) VALUES (?1, ?2, ?3)", &st,
	    "appending")) != 0)
		goto out;
	if ((rc = sqlite3_bind_int64(st, 1, (sqlite3_int64)index)) != SQLITE_OK ||
	    (rc = sqlite3_bind_blob(st, 2, entry, (int)entry_len, SQLITE_STATIC)) != SQLITE_OK ||
	    (rc = sqlite3_bind_blob(st, 3, res->chain_hash, RS_SHA256_LEN,
	    SQLITE_STATIC)) != SQLITE_OK ||
	    (rc = sqlite3_step(st)) != SQLITE_DONE) {
		r = db_fail(l->db, l->path, rc, "appending");
		goto out;
	}
	if ((r = merkle_range_append(cr, leaf, node_put, l)) != 0)
		goto out;
	memcpy(prev, res->chain_hash, RS_SHA256_LEN);
	r = 0;
out:
	sqlite3_finalize(st);
	free(env);
	free(entry);
	return r;
}

int
ledger_append_batch(struct ledger *l, size_t n, ledger_seal_fn seal, void *arg,
    struct ledger_appended *out)
{
	struct ledger_appended *res = NULL;
	struct merkle_range cr;
	uint8_t prev[RS_SHA256_LEN], root[MERKLE_HASH_LEN];
	uint64_t next = 0;
	size_t i;
	int in_tx = 0, r = RS_ERR_INTERNAL;

	if (out != NULL && n > 0 && n <= LEDGER_BATCH_MAX)
		memset(out, 0, n * sizeof(*out));
	if (seal == NULL || out == NULL || n == 0 || n > LEDGER_BATCH_MAX) {
		r = rs_fail(RS_ERR_USAGE, "ledger %s: append needs a seal callback and 1 to %d "
		    "entries", l->path, LEDGER_BATCH_MAX);
		goto out;
	}
	if ((r = check_writer(l)) != 0)
		goto out;
	if ((res = calloc(n, sizeof(*res))) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	/* IMMEDIATE: take the write lock before reading the tail we build on. */
	if ((r = db_exec(l->db, l->path, "BEGIN IMMEDIATE", "starting an append")) != 0)
		goto out;
	in_tx = 1;
	if ((r = read_tail(l, &next, prev)) != 0)
		goto out;
	if (next > MERKLE_MAX_SIZE - n) {
		r = rs_fail(RS_ERR_TOO_LARGE, "ledger %s is full", l->path);
		goto out;
	}
	/* The tree the new leaves extend: popcount(next) stored nodes. */
	if ((r = merkle_range_load(next, node_fetch, l, &cr)) != 0)
		goto out;
	for (i = 0; i < n; i++)
		if ((r = append_one(l, seal, arg, next + i, prev, &cr, &res[i])) != 0)
			goto out;
	if ((r = sign_and_store(l, &cr, root)) != 0)
		goto out;
	if ((r = db_exec(l->db, l->path, "COMMIT", "committing an append")) != 0)
		goto out;
	in_tx = 0;
	for (i = 0; i < n; i++) {
		res[i].tree_size = cr.size;
		memcpy(res[i].root, root, MERKLE_HASH_LEN);
	}
	memcpy(out, res, n * sizeof(*out));
	r = 0;
out:
	if (in_tx)
		db_rollback(l->db);
	free(res);
	return r;
}

int
ledger_append(struct ledger *l, ledger_seal_fn seal, void *arg,
    struct ledger_appended *out)
{
	return ledger_append_batch(l, 1, seal, arg, out);
}

/* Size of the latest stored checkpoint, or -1 for none (rows as stored). */
static int
latest_cp_size(struct ledger *l, int64_t *size)
{
	sqlite3_stmt *st = NULL;
	int rc, r = RS_ERR_INTERNAL;

	*size = -1;
	if ((r = db_prepare(l->db, l->path, "SELECT max(size) FROM checkpoints", &st,
	    "reading checkpoints")) != 0)
		goto out;
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		r = db_fail(l->db, l->path, rc, "reading checkpoints");
		goto out;
	}
	if (sqlite3_column_type(st, 0) != SQLITE_NULL)
		*size = sqlite3_column_int64(st, 0);
	r = 0;
out:
	sqlite3_finalize(st);
	return r;
}

int
ledger_checkpoint_now(struct ledger *l, uint64_t *size)
{
	struct merkle_range cr;
	uint8_t prev[RS_SHA256_LEN], root[MERKLE_HASH_LEN];
	uint64_t count = 0;
	int64_t latest = -1;
	int in_tx = 0, r = RS_ERR_INTERNAL;

	*size = 0;
	if ((r = check_writer(l)) != 0)
		goto out;
	if ((r = db_exec(l->db, l->path, "BEGIN IMMEDIATE", "starting a checkpoint")) != 0)
		goto out;
	in_tx = 1;
	if ((r = read_tail(l, &count, prev)) != 0 || (r = latest_cp_size(l, &latest)) != 0)
		goto out;
	if (latest != (int64_t)count) {
		if ((r = merkle_range_load(count, node_fetch, l, &cr)) != 0 ||
		    (r = sign_and_store(l, &cr, root)) != 0)
			goto out;
	}
	if ((r = db_exec(l->db, l->path, "COMMIT", "committing a checkpoint")) != 0)
		goto out;
	in_tx = 0;
	*size = count;
	r = 0;
out:
	if (in_tx)
		db_rollback(l->db);
	return r;
}

int
ledger_count(struct ledger *l, uint64_t *n)
{
	sqlite3_stmt *st = NULL;
	sqlite3_int64 max;
	int rc, r = RS_ERR_INTERNAL;

	*n = 0;
	if ((r = db_prepare(l->db, l->path, "SELECT max(idx) FROM entries", &st,
	    "counting entries")) != 0)
		goto out;
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		r = db_fail(l->db, l->path, rc, "counting entries");
		goto out;
	}
	if (sqlite3_column_type(st, 0) == SQLITE_NULL) {
		r = 0;
		goto out;
	}
	max = sqlite3_column_int64(st, 0);
	if (max < 0 || max == INT64_MAX) {
		r = rs_fail(RS_ERR_FORMAT, "ledger %s: highest index is %lld", l->path,
		    (long long)max);
		goto out;
	}
	*n = (uint64_t)max + 1;
	r = 0;
out:
	sqlite3_finalize(st);
	return r;
}

int
ledger_head(struct ledger *l, uint64_t *count, uint8_t chain_hash[RS_SHA256_LEN])
{
	return read_tail(l, count, chain_hash);
}

void
ledger_row_free(struct ledger_row *row)
{
	if (row == NULL)
		return;
	free(row->entry);
	free(row->chain_hash);
	free(row);
}

/* Copy a checked blob column; len already known to be within its bound. */
static int
copy_blob(sqlite3_stmt *st, int col, size_t len, uint8_t **out)
{
	const void *p = sqlite3_column_blob(st, col);

	*out = NULL;
	if ((size_t)sqlite3_column_bytes(st, col) != len || (p == NULL && len > 0))
		return RS_ERR_INTERNAL;
	if ((*out = malloc(len > 0 ? len : 1)) == NULL)
		return RS_ERR_ALLOC;
	if (len > 0)
		memcpy(*out, p, len);
	return 0;
}

/* Turn the current ROW_SELECT row into a ledger_row, checking its shape. */
static int
read_row(struct ledger *l, sqlite3_stmt *st, struct ledger_row **out)
{
	struct ledger_row *row = NULL;
	sqlite3_int64 idx, elen, hlen;
	const char *etype, *htype;
	int r = RS_ERR_INTERNAL;

	*out = NULL;
	idx = sqlite3_column_int64(st, 0);
	if (sqlite3_column_type(st, 0) != SQLITE_INTEGER || idx < 0) {
		r = rs_fail(RS_ERR_FORMAT, "ledger %s: a row has index %lld; runseal "
		    "ledger rows are numbered from 0", l->path, (long long)idx);
		goto out;
	}
	etype = (const char *)sqlite3_column_text(st, 1);
	elen = sqlite3_column_int64(st, 2);
	htype = (const char *)sqlite3_column_text(st, 4);
	hlen = sqlite3_column_int64(st, 5);
	if (etype == NULL || htype == NULL) {
		r = rs_fail(RS_ERR_ALLOC, "ledger %s: reading row %lld", l->path,
		    (long long)idx);
		goto out;
	}
	if (strcmp(etype, "blob") != 0 || strcmp(htype, "blob") != 0) {
		r = rs_fail(RS_ERR_FORMAT, "ledger %s: row %lld holds %s where an entry "
		    "blob belongs and %s where a chain hash blob belongs", l->path,
		    (long long)idx, etype, htype);
		goto out;
	}
	if (elen < 0 || (uint64_t)elen > PROTO_MAX_ENTRY) {
		r = rs_fail(RS_ERR_TOO_LARGE, "ledger %s: row %lld holds an entry of %lld "
		    "bytes, more than the limit of %u", l->path, (long long)idx,
		    (long long)elen, PROTO_MAX_ENTRY);
		goto out;
	}
	if (hlen < 0 || hlen > LEDGER_ROW_HASH_MAX) {
		r = rs_fail(RS_ERR_TOO_LARGE, "ledger %s: row %lld holds a chain hash of "
		    "%lld bytes", l->path, (long long)idx, (long long)hlen);
		goto out;
	}
	if ((row = calloc(1, sizeof(*row))) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	row->idx = (uint64_t)idx;
	row->entry_len = (size_t)elen;
	row->chain_hash_len = (size_t)hlen;
	if ((r = copy_blob(st, 3, row->entry_len, &row->entry)) != 0 ||
	    (r = copy_blob(st, 6, row->chain_hash_len, &row->chain_hash)) != 0) {
		if (r == RS_ERR_INTERNAL)
			r = rs_fail(RS_ERR_INTERNAL, "ledger %s: row %lld changed size while "
			    "being read", l->path, (long long)idx);
		goto out;
	}
	*out = row;
	row = NULL;
	r = 0;
out:
	ledger_row_free(row);
	return r;
}

static int
bind_bounds(struct ledger *l, sqlite3_stmt *st)
{
	int rc;

	if ((rc = sqlite3_bind_int64(st, 2, PROTO_MAX_ENTRY)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 3, LEDGER_ROW_HASH_MAX)) != SQLITE_OK)
		return db_fail(l->db, l->path, rc, "reading entries");
	return 0;
}

int
ledger_get(struct ledger *l, uint64_t index, struct ledger_row **out)
{
	sqlite3_stmt *st = NULL;
	int rc, r = RS_ERR_INTERNAL;

	*out = NULL;
	if (index > INT64_MAX) {
		r = rs_fail(RS_ERR_NOT_FOUND, "ledger %s: no entry %" PRIu64, l->path, index);
		goto out;
	}
	if ((r = db_prepare(l->db, l->path, ROW_SELECT "WHERE idx = ?1", &st,
	    "reading an entry")) != 0 ||
	    (r = bind_bounds(l, st)) != 0)
		goto out;
	if ((rc = sqlite3_bind_int64(st, 1, (sqlite3_int64)index)) != SQLITE_OK) {
		r = db_fail(l->db, l->path, rc, "reading an entry");
		goto out;
	}
	if ((rc = sqlite3_step(st)) == SQLITE_DONE) {
		r = rs_fail(RS_ERR_NOT_FOUND, "ledger %s: no entry %" PRIu64, l->path, index);
		goto out;
	}
	if (rc != SQLITE_ROW) {
		r = db_fail(l->db, l->path, rc, "reading an entry");
		goto out;
	}
	if ((r = read_row(l, st, out)) != 0)
		goto out;
	r = 0;
out:
	sqlite3_finalize(st);
	return r;
}

int
ledger_iter_new(struct ledger *l, uint64_t from, struct ledger_iter **out)
{
	struct ledger_iter *it = NULL;
	int rc, r = RS_ERR_INTERNAL;

	*out = NULL;
	if ((it = calloc(1, sizeof(*it))) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	it->l = l;
	/*
	 * From 0 there is no lower bound, so a row with a negative idx (SQLite
	 * allows them; runseal never writes one) is met and reported, not skipped.
	 */
	if ((r = db_prepare(l->db, l->path, from == 0 ?
	    ROW_SELECT "ORDER BY idx" : ROW_SELECT "WHERE idx >= ?1 ORDER BY idx",
	    &it->st, "reading entries")) != 0 ||
	    (r = bind_bounds(l, it->st)) != 0)
		goto out;
	if (from > INT64_MAX)
		it->done = 1;
	else if (from > 0 &&
	    (rc = sqlite3_bind_int64(it->st, 1, (sqlite3_int64)from)) != SQLITE_OK) {
		r = db_fail(l->db, l->path, rc, "reading entries");
		goto out;
	}
	*out = it;
	it = NULL;
	r = 0;
out:
	ledger_iter_free(it);
	return r;
}

int
ledger_iter_next(struct ledger_iter *it, struct ledger_row **row)
{
	int rc, r = RS_ERR_INTERNAL;

	*row = NULL;
	if (it->done) {
		r = 0;
		goto out;
	}
	if ((rc = sqlite3_step(it->st)) == SQLITE_DONE) {
		it->done = 1;
		r = 0;
		goto out;
	}
	if (rc != SQLITE_ROW) {
		it->done = 1;
		r = db_fail(it->l->db, it->l->path, rc, "reading entries");
		goto out;
	}
	if ((r = read_row(it->l, it->st, row)) != 0) {
		it->done = 1;
		goto out;
	}
	r = 0;
out:
	return r;
}

void
ledger_iter_free(struct ledger_iter *it)
{
	if (it == NULL)
		return;
	sqlite3_finalize(it->st);
	free(it);
}

int
ledger_read_begin(struct ledger *l)
{
	sqlite3_stmt *st = NULL;
	int rc, r = RS_ERR_INTERNAL;

	if ((r = db_exec(l->db, l->path, "BEGIN", "starting a read")) != 0)
		goto out;
	/* A deferred transaction takes its snapshot at the first read. */
	if ((r = db_prepare(l->db, l->path, "SELECT count(*) FROM checkpoints", &st,
	    "starting a read")) != 0)
		goto out;
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		r = db_fail(l->db, l->path, rc, "starting a read");
		goto out;
	}
	r = 0;
out:
	sqlite3_finalize(st);
	if (r != 0)
		db_rollback(l->db);
	return r;
}

void
ledger_read_end(struct ledger *l)
{
	db_rollback(l->db);     /* nothing was written: ending the read is enough */
}

/*
 * Copy the note of the current checkpoint row (columns: size, typeof,
 * length, bounded value), checking its shape.
 */
static int
read_cp_row(struct ledger *l, sqlite3_stmt *st, uint64_t *size, uint8_t **note,
    size_t *len)
{
	sqlite3_int64 sz = sqlite3_column_int64(st, 0), n = sqlite3_column_int64(st, 2);
	const char *type = (const char *)sqlite3_column_text(st, 1);
	const void *v = sqlite3_column_blob(st, 3);
	uint8_t *buf = NULL;

	*size = 0;
	*note = NULL;
	*len = 0;
	if (sz < 0)
		return rs_fail(RS_ERR_FORMAT, "ledger %s: a checkpoint row has size %lld",
		    l->path, (long long)sz);
	if (type == NULL || (strcmp(type, "blob") != 0 && strcmp(type, "text") != 0))
		return rs_fail(RS_ERR_FORMAT, "ledger %s: checkpoint for size %lld holds %s, "
		    "not a note", l->path, (long long)sz, type != NULL ? type : "nothing");
	if (n < 0 || n > CHECKPOINT_MAX_NOTE)
		return rs_fail(RS_ERR_TOO_LARGE, "ledger %s: checkpoint for size %lld is %lld "
		    "bytes, more than the limit of %d", l->path, (long long)sz, (long long)n,
		    CHECKPOINT_MAX_NOTE);
	if ((v == NULL && n > 0) || sqlite3_column_bytes(st, 3) != n)
		return rs_fail(RS_ERR_INTERNAL, "ledger %s: checkpoint for size %lld changed "
		    "while being read", l->path, (long long)sz);
	if ((buf = malloc((size_t)n + 1)) == NULL)
		return RS_ERR_ALLOC;
	if (n > 0)
		memcpy(buf, v, (size_t)n);
	buf[n] = '\0';
	*size = (uint64_t)sz;
	*note = buf;
	*len = (size_t)n;
	return 0;
}

/* Checkpoint rows: an oversized or mistyped note is reported without being loaded. */
#define CP_SELECT \
    "SELECT size, typeof(note), length(CAST(note AS BLOB))," \
    " CASE WHEN length(CAST(note AS BLOB)) <= " RS_STR(CHECKPOINT_MAX_NOTE) \
    " THEN CAST(note AS BLOB) END FROM checkpoints "

/* One checkpoint row chosen by sql (which binds ?1 to arg if has_arg). */
static int
cp_query(struct ledger *l, const char *sql, int has_arg, uint64_t arg, const char *what,
    uint64_t *size, uint8_t **note, size_t *len)
{
	sqlite3_stmt *st = NULL;
	int rc, r = RS_ERR_INTERNAL;

	*note = NULL;
	*len = 0;
	*size = 0;
	if ((r = db_prepare(l->db, l->path, sql, &st, "reading checkpoints")) != 0)
		goto out;
	if (has_arg && (rc = sqlite3_bind_int64(st, 1, (sqlite3_int64)arg)) != SQLITE_OK) {
		r = db_fail(l->db, l->path, rc, "reading checkpoints");
		goto out;
	}
	if ((rc = sqlite3_step(st)) == SQLITE_DONE) {
		r = rs_fail(RS_ERR_NOT_FOUND, "ledger %s: no checkpoint %s", l->path, what);
		goto out;
	}
	if (rc != SQLITE_ROW) {
		r = db_fail(l->db, l->path, rc, "reading checkpoints");
		goto out;
	}
	r = read_cp_row(l, st, size, note, len);
out:
	sqlite3_finalize(st);
	return r;
}

int
ledger_checkpoint_latest(struct ledger *l, uint64_t *size, uint8_t **note, size_t *len)
{
	return cp_query(l, CP_SELECT "ORDER BY size DESC LIMIT 1", 0, 0, "yet", size,
	    note, len);
}

int
ledger_checkpoint_get(struct ledger *l, uint64_t size, uint8_t **note, size_t *len)
{
	uint64_t got;
	char what[64];

	*note = NULL;
	*len = 0;
	snprintf(what, sizeof(what), "for size %" PRIu64, size);
	if (size > INT64_MAX)
		return rs_fail(RS_ERR_NOT_FOUND, "ledger %s: no checkpoint %s", l->path, what);
	return cp_query(l, CP_SELECT "WHERE size = ?1", 1, size, what, &got, note, len);
}

int
ledger_cp_iter_new(struct ledger *l, struct ledger_cp_iter **out)
{
	struct ledger_cp_iter *it = NULL;
	int r = RS_ERR_INTERNAL;

	*out = NULL;
	if ((it = calloc(1, sizeof(*it))) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	it->l = l;
	if ((r = db_prepare(l->db, l->path, CP_SELECT "ORDER BY size", &it->st,
	    "reading checkpoints")) != 0)
		goto out;
	*out = it;
	it = NULL;
	r = 0;
out:
	ledger_cp_iter_free(it);
	return r;
}

int
ledger_cp_iter_next(struct ledger_cp_iter *it, uint64_t *size, uint8_t **note, size_t *len)
{
	int rc, r = RS_ERR_INTERNAL;

	*size = 0;
	*note = NULL;
	*len = 0;
	if (it->done) {
		r = 0;
		goto out;
	}
	if ((rc = sqlite3_step(it->st)) == SQLITE_DONE) {
		it->done = 1;
		r = 0;
		goto out;
	}
	if (rc != SQLITE_ROW) {
		it->done = 1;
		r = db_fail(it->l->db, it->l->path, rc, "reading checkpoints");
		goto out;
	}
	if ((r = read_cp_row(it->l, it->st, size, note, len)) != 0) {
		it->done = 1;
		goto out;
	}
	r = 0;
out:
	return r;
}

void
ledger_cp_iter_free(struct ledger_cp_iter *it)
{
	if (it == NULL)
		return;
	sqlite3_finalize(it->st);
	free(it);
}

int
ledger_node_count(struct ledger *l, uint64_t *n)
{
	sqlite3_stmt *st = NULL;
	int rc, r = RS_ERR_INTERNAL;

	*n = 0;
	if ((r = db_prepare(l->db, l->path, "SELECT count(*) FROM merkle", &st,
	    "counting Merkle nodes")) != 0)
		goto out;
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		r = db_fail(l->db, l->path, rc, "counting Merkle nodes");
		goto out;
	}
	*n = (uint64_t)sqlite3_column_int64(st, 0);
	r = 0;
out:
	sqlite3_finalize(st);
	return r;
}

/* size must not exceed the number of entries stored. */
static int
check_size(struct ledger *l, uint64_t size)
{
	uint64_t count = 0;
	int r;

	if ((r = ledger_count(l, &count)) != 0)
		return r;
	if (size > count)
		return rs_fail(RS_ERR_USAGE, "ledger %s has %" PRIu64 " entries, not %" PRIu64,
		    l->path, count, size);
	return 0;
}

int
ledger_root(struct ledger *l, uint64_t size, uint8_t root[MERKLE_HASH_LEN])
{
	struct merkle_range cr;
	int r;

	memset(root, 0, MERKLE_HASH_LEN);
	if ((r = check_size(l, size)) != 0 ||
	    (r = merkle_range_load(size, node_fetch, l, &cr)) != 0)
		return r;
	return merkle_range_root(&cr, root);
}

int
ledger_prove_inclusion(struct ledger *l, uint64_t index, uint64_t size,
    uint8_t proof[MERKLE_MAX_PROOF][MERKLE_HASH_LEN], size_t *n)
{
	int r;

	*n = 0;
	if ((r = check_size(l, size)) != 0)
		return r;
	if (index >= size)
		return rs_fail(RS_ERR_USAGE, "no entry %" PRIu64 " in a tree of size %" PRIu64,
		    index, size);
	return merkle_prove_inclusion(index, size, node_fetch, l, proof, n);
}

int
ledger_prove_consistency(struct ledger *l, uint64_t size1, uint64_t size2,
    uint8_t proof[MERKLE_MAX_PROOF][MERKLE_HASH_LEN], size_t *n)
{
	int r;

	*n = 0;
	if ((r = check_size(l, size2)) != 0)
		return r;
	if (size1 > size2)
		return rs_fail(RS_ERR_USAGE, "old size %" PRIu64 " is larger than new size %"
		    PRIu64, size1, size2);
	return merkle_prove_consistency(size1, size2, node_fetch, l, proof, n);
}
