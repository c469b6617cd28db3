/*
 * replay.c - re-execute a bundle's run through the runseal executable and
 * compare (replay.h). Everything the replay reads from the bundle and the
 * blob store is checked before use: the bundle by verify_bundle(), each
 * input blob by its digest while it is copied, output names by shape.
 */
#include "verifier/replay.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "attest/signer.h"
#include "common/encode.h"
#include "common/err.h"
#include "common/file.h"
#include "common/hash.h"
#include "common/relpath.h"
#include "ledger/ledger.h"
#include "proto/codec.h"
#include "verifier/rules.h"

/* Bytes of an artefact scanned for its first difference. */
#define DIFF_SCAN_MAX ((uint64_t)64 * 1024 * 1024)

const char *
replay_verdict_name(enum replay_verdict v)
{
	switch (v) {
	case REPLAY_IDENTICAL: return "identical";
	case REPLAY_DIVERGED: return "diverged";
	case REPLAY_MISSING: return "missing";
	case REPLAY_EXTRA: return "extra";
	}
	return "unknown";
}

void
replay_result_clear(struct replay_result *res)
{
	free(res->arts);
	memset(res, 0, sizeof(*res));
}

/* 1 if path is an executable regular file. */
static int
is_exe(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

char *
replay_find_runseal(void)
{
	char self[PATH_MAX], cand[PATH_MAX + 32], *slash, *path, *dir, *save = NULL;
	const char *env = getenv("RUNSEAL_BIN");
	ssize_t n;

	if (env != NULL && env[0] != '\0')
		return strdup(env);
	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) > 0) {
		self[n] = '\0';
		if ((slash = strrchr(self, '/')) != NULL) {
			*slash = '\0';
			snprintf(cand, sizeof(cand), "%s/runseal", self);
			if (is_exe(cand))
				return strdup(cand);
			snprintf(cand, sizeof(cand), "%s/../executor/runseal", self);
			if (is_exe(cand))
				return realpath(cand, NULL);
		}
	}
	if ((env = getenv("PATH")) == NULL || (path = strdup(env)) == NULL)
		return NULL;
	for (dir = strtok_r(path, ":", &save); dir != NULL; dir = strtok_r(NULL, ":", &save)) {
		snprintf(cand, sizeof(cand), "%s/runseal", dir[0] != '\0' ? dir : ".");
		if (is_exe(cand)) {
			free(path);
			return strdup(cand);
		}
	}
	free(path);
	return NULL;
}

/* The environment for runseal: env without RUNSEAL_HOME and RUNSEAL_AUDIT_LOG, plus home. */
static char **
child_env(char *const *env, const char *home)
{
	size_t n = 0, k = 0;
	char **out;

	while (env != NULL && env[n] != NULL)
		n++;
	if ((out = calloc(n + 2, sizeof(*out))) == NULL)
		return NULL;
	for (n = 0; env != NULL && env[n] != NULL; n++)
		if (strncmp(env[n], "RUNSEAL_HOME=", 13) != 0 &&
		    strncmp(env[n], "RUNSEAL_AUDIT_LOG=", 18) != 0)
			out[k++] = env[n];
	if (asprintf(&out[k], "RUNSEAL_HOME=%s", home) < 0) {
		free(out);
		return NULL;
	}
	return out;
}

static void
child_env_free(char **env)
{
	size_t i;

	if (env == NULL)
		return;
	for (i = 0; env[i] != NULL; i++)
		if (strncmp(env[i], "RUNSEAL_HOME=", 13) == 0 && env[i + 1] == NULL)
			free(env[i]);       /* the one string child_env() made, last */
	free(env);
}

/*
 * Run argv with stdin from /dev/null and stdout/stderr into the files
 * out_path/err_path (created). *status: the exit code, or 128+N for a
 * signal.
 */
static int
spawn(char *const *argv, char **env, const char *out_path, const char *err_path, int *status)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int ws = 0, e, r = RS_ERR_INTERNAL;

	*status = -1;
	if (posix_spawn_file_actions_init(&fa) != 0)
		return RS_ERR_ALLOC;
	if (posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0) != 0 ||
	    posix_spawn_file_actions_addopen(&fa, 1, out_path, O_WRONLY | O_CREAT | O_TRUNC,
	    0600) != 0 ||
	    posix_spawn_file_actions_addopen(&fa, 2, err_path, O_WRONLY | O_CREAT | O_TRUNC,
	    0600) != 0) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	if ((e = posix_spawn(&pid, argv[0], &fa, NULL, argv, env)) != 0) {
		r = rs_fail(RS_ERR_CONFIG, "cannot run %s: %s", argv[0], strerror(e));
		goto out;
	}
	while (waitpid(pid, &ws, 0) < 0) {
		if (errno != EINTR) {
			r = rs_fail(RS_ERR_IO, "waiting for %s: %s", argv[0], strerror(errno));
			goto out;
		}
	}
	*status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
	r = 0;
out:
	posix_spawn_file_actions_destroy(&fa);
	return r;
}

/* The last line of a file, for an error message (at most len - 1 bytes). */
static void
last_line(const char *path, char *out, size_t len)
{
	uint8_t *buf = NULL;
	size_t n = 0, end, start;

	out[0] = '\0';
	if (rs_read_file(path, 1024 * 1024, &buf, &n) != 0 || n == 0) {
		free(buf);
		return;
	}
	end = n;
	while (end > 0 && buf[end - 1] == '\n')
		end--;
	start = end;
	while (start > 0 && buf[start - 1] != '\n')
		start--;
	snprintf(out, len, "%.*s", (int)(end - start), (const char *)buf + start);
	free(buf);
}

/* DIR/sha256/ab/cdef... for a digest. */
static char *
blob_path(const char *dir, const uint8_t d[RS_SHA256_LEN])
{
	char hex[2 * RS_SHA256_LEN + 1], *p = NULL;

	rs_hex_encode(d, RS_SHA256_LEN, hex);
	if (asprintf(&p, "%s/sha256/%.2s/%s", dir, hex, hex + 2) < 0)
		return NULL;
	return p;
}

/*
 * Copy the blob with digest d to dest (created, mode), hashing while
 * copying: RS_ERR_NOT_FOUND if absent, RS_ERR_VERIFY if its bytes are not
 * the recorded ones (dest is then removed).
 */
static int
fetch_blob(const char *dir, const uint8_t d[RS_SHA256_LEN], const char *what,
    const char *dest, mode_t mode)
{
	char hex[2 * RS_SHA256_LEN + 1], got_hex[2 * RS_SHA256_LEN + 1], *src = NULL;
	uint8_t got[RS_SHA256_LEN];
	uint64_t size = 0;
	int in = -1, out = -1, r = RS_ERR_INTERNAL;

	rs_hex_encode(d, RS_SHA256_LEN, hex);
	if ((src = blob_path(dir, d)) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	if ((in = open(src, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		r = rs_fail(errno == ENOENT ? RS_ERR_NOT_FOUND : rs_err_from_errno(errno),
		    "%s (sha256:%s) is not in the blob store %s%s%s", what, hex, dir,
		    errno == ENOENT ? ": the run kept no copy (its policy needs \"keep_blobs\": "
		    "true), or give the store with --blobs DIR" : ": ", errno == ENOENT ? "" :
		    strerror(errno));
		goto out;
	}
	if ((out = open(dest, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0) {
		r = rs_fail(rs_err_from_errno(errno), "creating %s: %s", dest, strerror(errno));
		goto out;
	}
	if ((r = rs_sha256_copy_fd(in, out, 0, got, &size)) != 0)
		goto out;
	if (!rs_ct_equal(got, d, RS_SHA256_LEN)) {
		rs_hex_encode(got, RS_SHA256_LEN, got_hex);
		r = rs_fail(RS_ERR_VERIFY, "%s: the blob store's copy %s hashes to sha256:%s, the "
		    "record says sha256:%s: the blob was changed; refusing to replay with it",
		    what, src, got_hex, hex);
		goto out;
	}
	if (fchmod(out, mode & 0777) != 0) {
		r = rs_fail(rs_err_from_errno(errno), "chmod %s: %s", dest, strerror(errno));
		goto out;
	}
	r = 0;
out:
	if (in >= 0)
		close(in);
	if (out >= 0 && close(out) != 0 && r == 0)
		r = rs_fail(RS_ERR_IO, "closing %s: %s", dest, strerror(errno));
	if (r != 0 && out >= 0)
		unlink(dest);
	free(src);
	return r;
}

/*
 * An input name runseal run can be given back: a file name in /work/in
 * (rs_relpath_name_check) that `--in PATH=NAME` can carry, so no '='
 * (runseal run splits the argument at its last '=').
 */
static int
input_name_ok(const char *name)
{
	return rs_relpath_name_check(name, strlen(name)) == RS_RELPATH_OK &&
	    strchr(name, '=') == NULL;
}

/* An output name that stays inside the replay's output directory. */
static int
output_name_ok(const char *name)
{
	return rs_relpath_check(name, strlen(name)) == RS_RELPATH_OK;
}

/* The last record of a runseal home's ledger, with its entry index. */
static int
read_replay_record(const char *home, uint64_t index, proto_record **rec)
{
	struct ledger *l = NULL;
	struct ledger_row *row = NULL;
	struct attest_trust *t = NULL;
	struct attest_verdict v;
	proto_entry *e = NULL;
	char *db = NULL, *pub = NULL;
	int r = RS_ERR_ALLOC;

	*rec = NULL;
	if (asprintf(&db, "%s/ledger.db", home) < 0 || asprintf(&pub, "%s/keys/signer.pub",
	    home) < 0) {
		db = pub = NULL;
		goto out;
	}
	if ((r = attest_trust_load(pub, &t)) != 0 || (r = ledger_open(db, 0, &l)) != 0 ||
	    (r = ledger_get(l, index, &row)) != 0 ||
	    (r = proto_entry_unpack(row->entry, row->entry_len, &e)) != 0 ||
	    (r = attest_envelope_verify(e->envelope.data, e->envelope.len, t, &v, rec)) != 0) {
		r = rs_fail(r, "reading the replay's record from %s: %s", db, rs_err_detail());
		goto out;
	}
	r = 0;
out:
	proto_entry_free(e);
	ledger_row_free(row);
	ledger_close(l);
	attest_trust_free(t);
	free(db);
	free(pub);
	return r;
}

static void
measure_text(const ProtobufCBinaryData *d, const char *extra, char *out, size_t len)
{
	char hex[2 * RS_SHA256_LEN + 1];

	if (d->len != RS_SHA256_LEN) {
		snprintf(out, len, "not measured%s%s", extra[0] ? " " : "", extra);
		return;
	}
	rs_hex_encode(d->data, RS_SHA256_LEN, hex);
	snprintf(out, len, "sha256:%.16s… (%s)", hex, extra);
}

static int
bin_equal(const ProtobufCBinaryData *a, const ProtobufCBinaryData *b)
{
	return a->len == b->len && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

/* Executor, rootfs, kernel and machine: the recorded run's and the probe's. */
static void
compare_env(const proto_record *rec, const proto_record *here, struct replay_result *res)
{
	const Runseal__V1__Measurement *a = rec->environment, *b = here->environment;
	static const ProtobufCBinaryData none = { 0, NULL };
	char va[96], vb[96];

	snprintf(va, sizeof(va), "runseal %s", a != NULL ? a->executor_version : "?");
	snprintf(vb, sizeof(vb), "runseal %s", b != NULL ? b->executor_version : "?");
	measure_text(a != NULL ? &a->executor_sha256 : &none, va, res->executor.recorded,
	    sizeof(res->executor.recorded));
	measure_text(b != NULL ? &b->executor_sha256 : &none, vb, res->executor.here,
	    sizeof(res->executor.here));
	res->executor.same = a != NULL && b != NULL &&
	    bin_equal(&a->executor_sha256, &b->executor_sha256);
	measure_text(a != NULL ? &a->rootfs_sha256 : &none, a != NULL ? a->rootfs : "",
	    res->rootfs.recorded, sizeof(res->rootfs.recorded));
	measure_text(b != NULL ? &b->rootfs_sha256 : &none, b != NULL ? b->rootfs : "",
	    res->rootfs.here, sizeof(res->rootfs.here));
	res->rootfs.same = a != NULL && b != NULL && bin_equal(&a->rootfs_sha256,
	    &b->rootfs_sha256) && strcmp(a->rootfs, b->rootfs) == 0;
	snprintf(res->kernel.recorded, sizeof(res->kernel.recorded), "%s",
	    a != NULL ? a->kernel_release : "?");
	snprintf(res->kernel.here, sizeof(res->kernel.here), "%s",
	    b != NULL ? b->kernel_release : "?");
	res->kernel.same = strcmp(res->kernel.recorded, res->kernel.here) == 0;
	snprintf(res->machine.recorded, sizeof(res->machine.recorded), "%s",
	    a != NULL ? a->machine : "?");
	snprintf(res->machine.here, sizeof(res->machine.here), "%s", b != NULL ? b->machine : "?");
	res->machine.same = strcmp(res->machine.recorded, res->machine.here) == 0;
}

static struct replay_artefact *
add_art(struct replay_result *res, const char *kind, const char *name)
{
	struct replay_artefact *a, *na;

	if ((na = realloc(res->arts, (res->n_arts + 1) * sizeof(*na))) == NULL)
		return NULL;
	res->arts = na;
	a = &res->arts[res->n_arts++];
	memset(a, 0, sizeof(*a));
	snprintf(a->kind, sizeof(a->kind), "%s", kind);
	snprintf(a->name, sizeof(a->name), "%s", name);
	return a;
}

/* A line being collected: at most REPLAY_LINE_MAX bytes, then "...". */
struct linebuf {
	char s[REPLAY_LINE_MAX + 4];
	size_t n;
	int cut;
};

static void
line_add(struct linebuf *b, int c)
{
	if (b->n < REPLAY_LINE_MAX)
		b->s[b->n++] = (char)((c < 0x20 && c != '\t') || c == 0x7f ? '?' : c);
	else
		b->cut = 1;
}

/* out holds REPLAY_LINE_MAX + 4 bytes: the line and "..." if it was cut. */
static void
line_finish(struct linebuf *b, char out[REPLAY_LINE_MAX + 4])
{
	memcpy(out, b->s, b->n);
	if (b->cut)
		memcpy(out + b->n, "...", 3);
	out[b->n + (b->cut ? 3 : 0)] = '\0';
}

/*
 * Locate the first difference between the files ra (recorded) and rb
 * (replay): its line and both lines when neither holds a NUL byte before
 * it, else its byte offset.
 */
static int
first_difference(const char *ra, const char *rb, struct replay_artefact *a)
{
	FILE *fa = NULL, *fb = NULL;
	struct linebuf la, lb;
	uint64_t off = 0, line = 1;
	int ca, cb, binary = 0, r = RS_ERR_INTERNAL;

	memset(&la, 0, sizeof(la));
	memset(&lb, 0, sizeof(lb));
	if ((fa = fopen(ra, "rb")) == NULL || (fb = fopen(rb, "rb")) == NULL) {
		r = rs_fail(rs_err_from_errno(errno), "reading for comparison: %s", strerror(errno));
		goto out;
	}
	for (;; off++) {
		ca = getc(fa);
		cb = getc(fb);
		if (ca != cb || ca == EOF || off >= DIFF_SCAN_MAX)
			break;
		if (ca == 0)
			binary = 1;
		if (ca == '\n') {
			line++;
			la.n = lb.n = 0;
			la.cut = lb.cut = 0;
		} else {
			line_add(&la, ca);
			line_add(&lb, cb);
		}
	}
	a->diff_offset = off;
	/* The rest of each differing line. */
	for (; ca != EOF && ca != '\n' && la.n < REPLAY_LINE_MAX + 1; ca = getc(fa)) {
		if (ca == 0)
			binary = 1;
		line_add(&la, ca);
	}
	for (; cb != EOF && cb != '\n' && lb.n < REPLAY_LINE_MAX + 1; cb = getc(fb)) {
		if (cb == 0)
			binary = 1;
		line_add(&lb, cb);
	}
	if (binary) {
		a->diff = REPLAY_DIFF_BINARY;
	} else {
		a->diff = REPLAY_DIFF_LINE;
		a->diff_line = line;
		line_finish(&la, a->diff_rec);
		line_finish(&lb, a->diff_rep);
	}
	r = 0;
out:
	if (fa != NULL)
		fclose(fa);
	if (fb != NULL)
		fclose(fb);
	return r;
}

/*
 * For a diverged artefact: its recorded bytes from the blob store
 * (checked against the recorded digest), compared with the replay's file.
 */
static int
locate_difference(const char *blobs, struct replay_artefact *a, const char *replay_file)
{
	char *src = NULL;
	uint8_t got[RS_SHA256_LEN];
	uint64_t size = 0;
	int fd = -1, r = 0;

	if (!a->has_recorded || !a->has_replay || (src = blob_path(blobs, a->rec_sha256)) == NULL)
		goto out;
	if ((fd = open(src, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		a->diff = REPLAY_DIFF_NOT_KEPT;
		goto out;
	}
	if (rs_sha256_fd(fd, 0, got, &size) != 0 || !rs_ct_equal(got, a->rec_sha256,
	    RS_SHA256_LEN)) {
		/* A damaged copy says nothing about the run: as if it was not kept. */
		a->diff = REPLAY_DIFF_NOT_KEPT;
		goto out;
	}
	r = first_difference(src, replay_file, a);
out:
	if (fd >= 0)
		close(fd);
	free(src);
	return r;
}

static void
set_stream(struct replay_artefact *a, const Runseal__V1__Stream *rec,
    const Runseal__V1__Stream *rep)
{
	a->has_recorded = rec != NULL && rec->sha256.len == RS_SHA256_LEN;
	a->has_replay = rep != NULL && rep->sha256.len == RS_SHA256_LEN;
	if (a->has_recorded) {
		memcpy(a->rec_sha256, rec->sha256.data, RS_SHA256_LEN);
		a->rec_size = rec->size;
	}
	if (a->has_replay) {
		memcpy(a->rep_sha256, rep->sha256.data, RS_SHA256_LEN);
		a->rep_size = rep->size;
	}
}

static void
judge(struct replay_artefact *a, struct replay_result *res)
{
	if (a->has_recorded && !a->has_replay)
		a->verdict = REPLAY_MISSING;
	else if (!a->has_recorded && a->has_replay)
		a->verdict = REPLAY_EXTRA;
	else if (a->rec_size != a->rep_size ||
	    memcmp(a->rec_sha256, a->rep_sha256, RS_SHA256_LEN) != 0)
		a->verdict = REPLAY_DIVERGED;
	else
		a->verdict = REPLAY_IDENTICAL;
	if (a->verdict != REPLAY_IDENTICAL)
		res->n_diverged++;
}

/* Every artefact of the recorded run against the replay's. */
static int
compare(const proto_record *rec, const proto_record *rep, const char *blobs,
    const char *work, struct replay_result *res)
{
	struct replay_artefact *a;
	char *file = NULL;
	size_t i, j;
	int r = RS_ERR_ALLOC;

	if ((a = add_art(res, "exit_status", "")) == NULL)
		goto out;
	a->has_recorded = a->has_replay = 1;
	a->rec_status = rules_exit_status(rec);
	a->rep_status = rules_exit_status(rep);
	a->verdict = a->rec_status == a->rep_status ? REPLAY_IDENTICAL : REPLAY_DIVERGED;
	if (a->verdict != REPLAY_IDENTICAL)
		res->n_diverged++;
	for (i = 0; i < 2; i++) {
		if ((a = add_art(res, i == 0 ? "stdout" : "stderr", "")) == NULL)
			goto out;
		set_stream(a, i == 0 ? rec->stdout : rec->stderr, i == 0 ? rep->stdout :
		    rep->stderr);
		judge(a, res);
		if (a->verdict == REPLAY_DIVERGED) {
			free(file);
			if (asprintf(&file, "%s/%s", work, i == 0 ? "stdout" : "stderr") < 0) {
				file = NULL;
				goto out;
			}
			if ((r = locate_difference(blobs, a, file)) != 0)
				goto out;
		}
	}
	/* Outputs, by name: the recorded ones in order, then the replay's extra ones. */
	for (i = 0; i < rec->n_outputs; i++) {
		const Runseal__V1__Artifact *o = rec->outputs[i], *p = NULL;
		if ((a = add_art(res, "output", o->name)) == NULL)
			goto out;
		for (j = 0; j < rep->n_outputs && p == NULL; j++)
			if (strcmp(rep->outputs[j]->name, o->name) == 0)
				p = rep->outputs[j];
		a->has_recorded = o->sha256.len == RS_SHA256_LEN;
		if (a->has_recorded) {
			memcpy(a->rec_sha256, o->sha256.data, RS_SHA256_LEN);
			a->rec_size = o->size;
		}
		if (p != NULL && p->sha256.len == RS_SHA256_LEN) {
			a->has_replay = 1;
			memcpy(a->rep_sha256, p->sha256.data, RS_SHA256_LEN);
			a->rep_size = p->size;
		}
		judge(a, res);
		if (a->verdict == REPLAY_DIVERGED && output_name_ok(o->name)) {
			free(file);
			if (asprintf(&file, "%s/out/%s", work, o->name) < 0) {
				file = NULL;
				goto out;
			}
			if ((r = locate_difference(blobs, a, file)) != 0)
				goto out;
		}
	}
	for (j = 0; j < rep->n_outputs; j++) {
		int recorded = 0;
		for (i = 0; i < rec->n_outputs; i++)
			if (strcmp(rec->outputs[i]->name, rep->outputs[j]->name) == 0)
				recorded = 1;
		if (recorded)
			continue;
		if ((a = add_art(res, "output", rep->outputs[j]->name)) == NULL)
			goto out;
		a->has_replay = rep->outputs[j]->sha256.len == RS_SHA256_LEN;
		if (a->has_replay) {
			memcpy(a->rep_sha256, rep->outputs[j]->sha256.data, RS_SHA256_LEN);
			a->rep_size = rep->outputs[j]->size;
		}
		judge(a, res);
	}
	r = 0;
out:
	free(file);
	return r;
}

/* The bundle's record, once the bundle verified. */
static int
bundle_record(const struct replay_opts *o, proto_record **rec)
{
	proto_bundle *b = NULL;
	proto_entry *e = NULL;
	struct attest_verdict v;
	int r;

	*rec = NULL;
	if ((r = proto_bundle_unpack(o->bundle, o->bundle_len, &b)) == 0 &&
	    (r = proto_entry_unpack(b->entry.data, b->entry.len, &e)) == 0)
		r = attest_envelope_verify(e->envelope.data, e->envelope.len, o->trust, &v, rec);
	proto_entry_free(e);
	proto_bundle_free(b);
	return r;
}

/* argv for `runseal ARGS...` into a NULL-terminated vector of borrowed strings. */
struct argv {
	char **v;
	size_t n, cap;
};

static int
argv_add(struct argv *a, const char *s)
{
	char **nv;

	if (a->n + 2 > a->cap) {
		a->cap = a->cap ? 2 * a->cap : 16;
		if ((nv = realloc(a->v, a->cap * sizeof(*nv))) == NULL)
			return RS_ERR_ALLOC;
		a->v = nv;
	}
	a->v[a->n++] = (char *)s;   /* borrowed; never written through */
	a->v[a->n] = NULL;
	return 0;
}

int
replay_run(const struct replay_opts *o, struct replay_result *res)
{
	proto_record *rec = NULL, *probe = NULL, *rep = NULL;
	struct argv av;
	char tmpl[] = "/tmp/runseal-replay-XXXXXX";
	char *work = NULL, *home = NULL, *policy = NULL, *outp = NULL, *errp = NULL;
	char *outdir = NULL, **specs = NULL, **env = NULL, *path = NULL, line[512];
	const char *tmp;
	size_t i;
	int status, made_work = 0, r = RS_ERR_INTERNAL;

	memset(res, 0, sizeof(*res));
	memset(&av, 0, sizeof(av));
	if ((r = verify_bundle(o->bundle, o->bundle_len, o->trust, o->cp_trust,
	    &res->bundle)) != 0 || !res->bundle.ok)
		goto out;
	if ((r = bundle_record(o, &rec)) != 0)
		goto out;
	if (rec->policy == NULL || rec->policy->canonical_json[0] == '\0' || rec->n_argv == 0) {
		r = rs_fail(RS_ERR_FORMAT, "the record has no policy or no command: nothing to "
		    "replay");
		goto out;
	}
	res->nondeterministic = rec->policy->nondeterministic;
	snprintf(res->argv0, sizeof(res->argv0), "%s", rec->argv[0]);
	res->n_inputs = rec->n_inputs;

	/* The workspace: the throwaway home, the inputs, the outputs, the streams. */
	if (o->workdir != NULL) {
		if ((r = rs_mkdir_p(o->workdir, 0700)) != 0)
			goto out;
		work = realpath(o->workdir, NULL);
	} else {
		if ((tmp = getenv("TMPDIR")) != NULL && tmp[0] == '/' &&
		    asprintf(&work, "%s/runseal-replay-XXXXXX", tmp) >= 0) {
			if (mkdtemp(work) == NULL) {
				free(work);
				work = NULL;
			}
		}
		if (work == NULL && mkdtemp(tmpl) != NULL)
			work = strdup(tmpl);
		made_work = work != NULL;
	}
	if (work == NULL) {
		r = rs_fail(RS_ERR_IO, "cannot make a working directory: %s", strerror(errno));
		goto out;
	}
	snprintf(res->workdir, sizeof(res->workdir), "%s", work);
	if (asprintf(&home, "%s/home", work) < 0 || asprintf(&policy, "%s/policy.json",
	    work) < 0 || asprintf(&outp, "%s/stdout", work) < 0 || asprintf(&errp,
	    "%s/stderr", work) < 0 || asprintf(&outdir, "%s/out", work) < 0 ||
	    asprintf(&path, "%s/in", work) < 0) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	if ((r = rs_mkdir_p(path, 0700)) != 0)
		goto out;

	/* 2. Inputs, by digest, checked while copied. */
	if ((specs = calloc(rec->n_inputs + 1, sizeof(*specs))) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	for (i = 0; i < rec->n_inputs; i++) {
		const Runseal__V1__Artifact *in = rec->inputs[i];
		char *dest = NULL, what[300];
		if (!input_name_ok(in->name) || in->sha256.len != RS_SHA256_LEN) {
			r = rs_fail(RS_ERR_FORMAT, "input %zu: a name or digest runseal run cannot "
			    "be given back", i);
			goto out;
		}
		snprintf(what, sizeof(what), "input %s", in->name);
		if (asprintf(&dest, "%s/in/%s", work, in->name) < 0) {
			r = RS_ERR_ALLOC;
			goto out;
		}
		r = fetch_blob(o->blobs_dir, in->sha256.data, what, dest, in->mode);
		if (r == 0 && asprintf(&specs[i], "%s=%s", dest, in->name) < 0) {
			specs[i] = NULL;
			r = RS_ERR_ALLOC;
		}
		free(dest);
		if (r != 0)
			goto out;
	}

	/* 3. The recorded policy and the throwaway home. */
	if ((r = rs_write_file_atomic(policy, rec->policy->canonical_json,
	    strlen(rec->policy->canonical_json), 0600, 1)) != 0)
		goto out;
	if ((env = child_env(o->env, home)) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	if ((r = argv_add(&av, o->runseal)) != 0 || (r = argv_add(&av, "init")) != 0 ||
	    (r = argv_add(&av, "--signer")) != 0 || (r = argv_add(&av, "software")) != 0 ||
	    (r = spawn(av.v, env, outp, errp, &status)) != 0)
		goto out;
	if (status != 0) {
		last_line(errp, line, sizeof(line));
		r = rs_fail(RS_ERR_CONFIG, "%s init (a throwaway home for the replay) failed with "
		    "exit status %d: %s", o->runseal, status, line);
		goto out;
	}

	/* 4. Measurements: a probe run under the same policy (entry 0 of the throwaway home). */
	av.n = 1;
	if ((r = argv_add(&av, "run")) != 0 || (r = argv_add(&av, "--quiet")) != 0 ||
	    (r = argv_add(&av, "--policy")) != 0 || (r = argv_add(&av, policy)) != 0 ||
	    (r = argv_add(&av, "--")) != 0 || (r = argv_add(&av, "true")) != 0 ||
	    (r = spawn(av.v, env, outp, errp, &status)) != 0)
		goto out;
	if (status == 125) {
		last_line(errp, line, sizeof(line));
		r = rs_fail(RS_ERR_SANDBOX, "runseal could not run under the recorded policy "
		    "here: %s", line);
		goto out;
	}
	if ((r = read_replay_record(home, 0, &probe)) != 0)
		goto out;
	compare_env(rec, probe, res);
	if ((!res->executor.same || !res->rootfs.same) && !o->allow_env_drift) {
		res->refused = 1;
		snprintf(res->refused_reason, sizeof(res->refused_reason), "%s%s%s: a replay "
		    "here would not be the recorded run's environment (--allow-env-drift replays "
		    "anyway and reports the drift)", !res->executor.same ? "the executor "
		    "(runseal binary) differs" : "", !res->executor.same && !res->rootfs.same ?
		    " and " : "", !res->rootfs.same ? "the rootfs measurement differs" : "");
		r = 0;
		goto out;
	}

	/* 5. The run itself (entry 1). */
	av.n = 1;
	if ((r = argv_add(&av, "run")) != 0 || (r = argv_add(&av, "--quiet")) != 0 ||
	    (r = argv_add(&av, "--policy")) != 0 || (r = argv_add(&av, policy)) != 0 ||
	    (r = argv_add(&av, "--out")) != 0 || (r = argv_add(&av, outdir)) != 0)
		goto out;
	for (i = 0; i < rec->n_inputs; i++)
		if ((r = argv_add(&av, "--in")) != 0 || (r = argv_add(&av, specs[i])) != 0)
			goto out;
	if ((r = argv_add(&av, "--")) != 0)
		goto out;
	for (i = 0; i < rec->n_argv; i++)
		if ((r = argv_add(&av, rec->argv[i])) != 0)
			goto out;
	if ((r = spawn(av.v, env, outp, errp, &status)) != 0)
		goto out;
	if (status == 125) {
		last_line(errp, line, sizeof(line));
		r = rs_fail(RS_ERR_SANDBOX, "runseal could not replay the run (exit status 125): "
		    "%s", line);
		goto out;
	}
	if ((r = read_replay_record(home, 1, &rep)) != 0)
		goto out;

	/* 6. Compare. */
	if ((r = compare(rec, rep, o->blobs_dir, work, res)) != 0)
		goto out;
	res->replayed = 1;
	r = 0;
out:
	if (made_work && work != NULL)
		rs_rm_rf(work);
	if (!made_work && o->workdir == NULL)
		res->workdir[0] = '\0';
	if (made_work)
		res->workdir[0] = '\0';
	for (i = 0; specs != NULL && i < rec->n_inputs; i++)
		free(specs[i]);
	free(specs);
	child_env_free(env);
	free(av.v);
	proto_record_free(rep);
	proto_record_free(probe);
	proto_record_free(rec);
	free(path);
	free(outdir);
	free(errp);
	free(outp);
	free(policy);
	free(home);
	free(work);
	return r;
}
