/*
 * replay.h - re-execute a verified bundle's run and compare what comes out.
 *
 * The verifier links no sandbox code: the run is replayed by the `runseal`
 * executable, as a subprocess, in a throwaway home of its own (a fresh
 * software key in a temporary directory), so the auditor's machine records
 * the replay apart from any real ledger. Steps, in order:
 *
 *   1. the bundle verifies (verify_bundle) and its record is read;
 *   2. each recorded input is fetched from the blob store by its digest
 *      and hashed while copied: a blob that is missing or whose bytes do
 *      not hash to the recorded digest stops the replay;
 *   3. the recorded policy (the record's canonical policy JSON) is written
 *      to a file; the throwaway home is made (runseal init);
 *   4. measurements: the runseal executable to be used is hashed and the
 *      rootfs measured (a probe run of `true` under the same policy); an
 *      executor or rootfs digest other than the recorded one refuses the
 *      replay unless allow_env_drift, saying which differs;
 *   5. runseal run --policy P --in FILE=NAME... --out DIR --quiet -- ARGV,
 *      stdout and stderr captured to files;
 *   6. the replay's record (read from the throwaway ledger) is compared
 *      with the recorded one: exit status, stdout, stderr and each output,
 *      by digest and size; for text artefacts whose recorded bytes are in
 *      the blob store (policy keep_blobs), the first differing line.
 *
 * A policy marked nondeterministic still gets every comparison; the caller
 * reports the divergence without failing.
 */
#ifndef RS_VERIFIER_REPLAY_H
#define RS_VERIFIER_REPLAY_H

#include <stddef.h>
#include <stdint.h>

#include "attest/verify.h"
#include "common/relpath.h"
#include "ledger/checkpoint.h"
#include "verifier/verify.h"

struct replay_opts {
	const uint8_t *bundle;          /* bundle bytes (untrusted) */
	size_t bundle_len;
	const struct attest_trust *trust;
	const struct checkpoint_trust *cp_trust;
	const char *blobs_dir;          /* the store: DIR/sha256/ab/cdef... */
	const char *runseal;            /* the runseal executable (replay_find_runseal) */
	char *const *env;               /* runseal's environment (RUNSEAL_HOME is replaced) */
	int allow_env_drift;
	const char *workdir;            /* NULL: a new temporary directory, removed after */
};

enum replay_verdict {
	REPLAY_IDENTICAL = 0,
	REPLAY_DIVERGED,                /* both have it; digests or sizes differ */
	REPLAY_MISSING,                 /* recorded, not produced by the replay */
	REPLAY_EXTRA,                   /* produced by the replay, not recorded */
};
const char *replay_verdict_name(enum replay_verdict v);

/* How the first difference of a diverged artefact could be located. */
enum replay_diff {
	REPLAY_DIFF_NONE = 0,           /* identical, or not examined */
	REPLAY_DIFF_LINE,               /* text: first differing line found */
	REPLAY_DIFF_BINARY,             /* not text: first differing byte offset */
	REPLAY_DIFF_NOT_KEPT,           /* the recorded bytes are not in the blob store */
};

#define REPLAY_LINE_MAX 200

struct replay_artefact {
	char kind[16];                  /* "exit_status", "stdout", "stderr", "output" */
	char name[RS_RELPATH_MAX + 1];  /* an output's name as recorded; "" for the others */
	enum replay_verdict verdict;
	int has_recorded, has_replay;
	uint8_t rec_sha256[RS_SHA256_LEN], rep_sha256[RS_SHA256_LEN];
	uint64_t rec_size, rep_size;
	int rec_status, rep_status;     /* exit_status only */
	enum replay_diff diff;
	uint64_t diff_line;             /* 1-based (LINE) */
	uint64_t diff_offset;           /* byte offset of the first difference */
	char diff_rec[REPLAY_LINE_MAX + 4], diff_rep[REPLAY_LINE_MAX + 4];  /* the lines */
};

/* One measurement, recorded and here. */
struct replay_measure {
	int same;
	char recorded[80], here[80];
};

struct replay_result {
	struct verify_bundle_report bundle;
	int replayed;                   /* the run was executed and compared */
	int refused;                    /* environment drift without allow_env_drift */
	char refused_reason[512];
	struct replay_measure executor, rootfs, kernel, machine;
	size_t n_inputs;
	int nondeterministic;           /* the recorded policy says so */
	char argv0[256];
	struct replay_artefact *arts;
	size_t n_arts;
	size_t n_diverged;              /* artefacts not identical */
	char workdir[4096];             /* kept when opts->workdir was given */
};

/*
 * Replay. Returns 0 when the bundle could be examined: res->bundle.ok says
 * whether it verified; then res->refused or res->replayed. A negative
 * RS_ERR_* with a detail when the replay could not be done: RS_ERR_NOT_FOUND
 * (an input blob missing), RS_ERR_VERIFY (an input blob's bytes changed),
 * RS_ERR_FORMAT (a record that cannot be replayed: no policy, a bad name),
 * RS_ERR_SANDBOX (runseal could not run it: its exit 125), RS_ERR_CONFIG
 * (runseal not usable), RS_ERR_IO.
 */
int replay_run(const struct replay_opts *o, struct replay_result *res);
void replay_result_clear(struct replay_result *res);

/*
 * The runseal executable to replay with: $RUNSEAL_BIN, else "runseal"
 * beside this program (/proc/self/exe), else ../executor/runseal from it
 * (a build tree), else "runseal" on PATH. New string; NULL if none.
 */
char *replay_find_runseal(void);

#endif
