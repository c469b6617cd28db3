/*
 * verify.h - runseal-verify's checks, as a library. Reads evidence without
 * trusting it; links no executor and no TPM-access code.
 */
#ifndef RS_VERIFIER_VERIFY_H
#define RS_VERIFIER_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "attest/verify.h"
#include "ledger/checkpoint.h"
#include "ledger/merkle.h"

#define VERIFY_ROOT_RUNS 32

struct compliance;

/* The checks of a ledger audit (one report line each), in the order they apply. */
enum verify_check {
	VERIFY_CHECK_NONE = 0,
	VERIFY_CHECK_ENTRIES,       /* rows 0..n-1 present and in order, each parses with its index */
	VERIFY_CHECK_CHAIN,         /* previous-hash links and stored chain hashes recomputed */
	VERIFY_CHECK_SIGNATURES,    /* each envelope's signature or quote against the trust file */
	VERIFY_CHECK_TPM,           /* across TPM entries: epochs, clock, application PCR replay */
	VERIFY_CHECK_MERKLE,        /* stored Merkle leaves and nodes recomputed from the entries */
	VERIFY_CHECK_CHECKPOINTS,   /* stored checkpoints: origin, root, signature; latest covers all */
	VERIFY_CHECK_OLD,           /* the auditor's checkpoint (--checkpoint, --since) */
	VERIFY_CHECK_COUNT
};
/* Static short name of a check ("signatures"), as in the JSON report. */
const char *verify_check_name(enum verify_check c);

struct verify_report {
	int ok;                     /* 1: every check passed */
	enum verify_check failed_check;     /* the check that failed; NONE when ok */
	uint64_t first_checked;     /* first entry walked: 0, or the --since checkpoint's size */
	uint64_t signatures_checked;    /* envelopes verified (entries walked that passed) */
	uint64_t cp_signatures_checked; /* checkpoint signatures verified */
	uint64_t tpm_seeded;        /* --since: AKs whose PCR replay starts at a quote */
	uint64_t ledger_size;       /* rows the ledger holds (in the snapshot walked) */
	unsigned threads;           /* threads that verified signatures */
	uint64_t entries;           /* entries that passed every check (on failure: those before it) */
	uint64_t software_signed;   /* entries signed by a software key */
	uint64_t tpm_signed;        /* entries quoted by a TPM */
	uint64_t tpm_ek_certified;  /* of those: AK enrolled with a verified EK certificate */
	uint64_t tpm_no_ek_cert;    /* of those: AK enrolled with an EK without certificate */
	uint64_t tpm_epochs;        /* TPM epochs (reset/restart) their quotes span */
	uint64_t tpm_pcr_gaps;      /* PCR replay gaps accepted (verify_ledger_opts.pcr_gaps) */
	/* Which root of trust each entry has: runs of consecutive entries. */
	struct verify_root_run {
		uint64_t first, last;   /* entry indexes, inclusive */
		int root;               /* enum attest_root */
	} root_runs[VERIFY_ROOT_RUNS];
	size_t n_root_runs;
	int root_runs_truncated;    /* more changes of root than VERIFY_ROOT_RUNS */
	int has_failed_index;
	uint64_t failed_index;      /* first failing entry, if has_failed_index */
	char reason[512];           /* first failure, in words; "" when ok */
	uint8_t head_chain_hash[RS_SHA256_LEN];   /* recomputed chain hash after the last
	                                           * entry that passed; zeros if none */
	/* The Merkle tree and its checkpoints. */
	uint8_t root[MERKLE_HASH_LEN];  /* recomputed root of the entries that passed */
	uint64_t nodes;                 /* stored Merkle nodes checked */
	uint64_t checkpoints;           /* stored checkpoints checked */
	int checkpoint_signatures;      /* 1: their signatures were checked (trusted key given) */
	int has_latest;                 /* a latest checkpoint exists and was checked */
	uint64_t latest_size;
	int old_checked;                /* the auditor's earlier checkpoint was checked */
	uint64_t old_size;
	size_t consistency_hashes;      /* proof length from old_size to the latest size */
};

/* What verify_ledger() checks beyond the entries. */
struct verify_ledger_opts {
	/*
	 * Trusted checkpoint keys; NULL or empty: checkpoints are still checked
	 * against the entries but their signatures are not (the report says so).
	 */
	const struct checkpoint_trust *cp_trust;
	/*
	 * A checkpoint the auditor saw earlier (signed note bytes), or NULL.
	 * Requires cp_trust. The ledger must contain its tree as a prefix:
	 * same origin, at least as many entries, the same root at its size
	 * (rollback and fork detection), checked again by a consistency proof
	 * from the stored tree to the latest checkpoint.
	 */
	const uint8_t *old_checkpoint;
	size_t old_len;
	const char *old_name;       /* names it in messages (its file), or NULL */
	/*
	 * With old_checkpoint: verify only the entries after it. Its tree is
	 * taken as audited: the stored perfect nodes that make it up must hash
	 * to its signed root, entry size - 1 must be its last leaf (inclusion
	 * proof), the chain continues from that entry's bytes, and the
	 * consistency proof from it to the latest checkpoint must verify.
	 * TPM PCR replay restarts at each attestation key's last quote before
	 * the checkpoint if that is entry size - 1, else at its first quote
	 * after it (rep->tpm_seeded counts them).
	 */
	int since;
	/* Evaluated on every verified entry (rules and statistics), or NULL. */
	struct compliance *compliance;
	/* Threads verifying signatures: 0 for one per CPU this process may use. */
	unsigned threads;
	/*
	 * Called on the calling thread every few hundred entries with the
	 * entries walked so far and the number the ledger holds; may be NULL.
	 */
	void (*progress)(void *arg, uint64_t done, uint64_t total);
	void *progress_arg;
};

/*
 * Verify a whole ledger file: every row present with idx 0..n-1, every entry
 * parses, its index and previous chain hash match, its chain hash
 * recomputes, its envelope verifies against trust.
 *
 * Returns 0 when the ledger could be examined (rep->ok says pass or fail,
 * rep->reason names the first failure and its entry); a negative RS_ERR_*
 * when it could not be (RS_ERR_NOT_FOUND missing, RS_ERR_FORMAT not a
 * ledger).
 */
int verify_ledger_file(const char *path, const struct attest_trust *trust,
    struct verify_report *rep);

/*
 * verify_ledger_file() plus, after each entry N: its RFC 9162 leaf and the
 * Merkle nodes it completes are recomputed and compared with the stored
 * ones; every stored checkpoint for size N + 1 parses, is for this
 * ledger's origin, commits to the recomputed root, and (with cp_trust) is
 * signed by a trusted key. At the end: no stored node or checkpoint lies
 * beyond the entries (a truncated tail), the latest checkpoint covers
 * every entry, and opts->old_checkpoint (if any) is a prefix.
 * Same return convention as verify_ledger_file(); RS_ERR_USAGE for an old
 * checkpoint without cp_trust, RS_ERR_FORMAT / RS_ERR_VERIFY when the old
 * checkpoint itself is malformed or not signed by a trusted key.
 */
int verify_ledger(const char *path, const struct attest_trust *trust,
    const struct verify_ledger_opts *opts, struct verify_report *rep);

/*
 * verify_ledger(), accepting PCR replay gaps at the n_gaps entries of gaps:
 * an extend without a ledger entry that the auditor has explained (a crash
 * or a disk error between extend and commit, which runseal reports and the
 * machine's logs show). At such an entry a replay mismatch restarts the
 * replay from the value the entry's quote shows (the quote itself is still
 * fully checked); rep->tpm_pcr_gaps counts the gaps used.
 */
int verify_ledger_gaps(const char *path, const struct attest_trust *trust,
    const struct verify_ledger_opts *opts, const uint64_t *gaps, size_t n_gaps,
    struct verify_report *rep);

/* What runseal-verify bundle found. */
struct verify_bundle_report {
	int ok;
	char reason[512];               /* first failure; "" when ok */
	/*
	 * The check that failed (static): "bundle" (format), "checkpoint",
	 * "inclusion", "chain", "signature", "identity"; NULL when ok.
	 */
	const char *failed_check;
	uint64_t index;                 /* valid when ok */
	uint64_t tree_size;
	char origin[CHECKPOINT_NAME_MAX + 1];
	uint8_t root[MERKLE_HASH_LEN];
	uint8_t record_digest[RS_SHA256_LEN];
	int signer_kind;                /* enum attest_signer_kind */
	const char *root_of_trust;      /* static text from attest_envelope_verify */
	size_t proof_hashes;
};

/*
 * Verify one bundle (docs/bundle.md) offline: it parses within bounds; its
 * checkpoint is signed by a trusted checkpoint key; the entry is included
 * at its index in that checkpoint's tree (RFC 9162 inclusion proof); the
 * stored chain hash follows from the entry; the envelope's signature
 * verifies against trust; identity material, if present, is the signer's.
 * Returns 0 when the bundle could be examined (rep->ok is the verdict);
 * RS_ERR_USAGE when cp_trust is NULL or empty.
 */
int verify_bundle(const uint8_t *buf, size_t len, const struct attest_trust *trust,
    const struct checkpoint_trust *cp_trust, struct verify_bundle_report *rep);

/* What runseal-verify proof found. */
struct verify_proof_report {
	int ok;
	char reason[512];               /* first failure; "" when ok */
	int consistency;                /* 0: inclusion proof, 1: consistency proof */
	uint64_t index;                 /* inclusion: the leaf's index */
	uint64_t old_size;              /* consistency: the old tree size */
	uint64_t size;                  /* the (new) tree size */
	size_t hashes;
	char origin[CHECKPOINT_NAME_MAX + 1];
};

/*
 * Verify a proof printed by `runseal prove --json` (len bytes of JSON,
 * untrusted) against the signed checkpoint(s) it carries (verify_proof.c).
 * Returns 0 when it could be examined (rep->ok is the verdict);
 * RS_ERR_USAGE without a trusted checkpoint key; RS_ERR_TOO_LARGE past
 * 64 KiB.
 */
int verify_proof_json(const char *text, size_t len, const struct checkpoint_trust *cp_trust,
    struct verify_proof_report *rep);

/*
 * Load a trust file once for both kinds of key: PEM "PUBLIC KEY" blocks
 * (record signers, attest/verify.h) and "runseal-checkpoint-key: " lines
 * (checkpoint keys, ledger/checkpoint.h). *cp may be an empty set.
 */
int verify_trust_load(const char *path, struct attest_trust **trust,
    struct checkpoint_trust **cp);

#endif
