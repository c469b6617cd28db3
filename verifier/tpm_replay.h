/*
 * tpm_replay.h - the checks that span the TPM-quoted entries of a ledger
 * (DESIGN.md invariant 4: the TPM orders the ledger too). Fed one entry at
 * a time, in ledger order, after the entry's own quote verified
 * (attest/verify.h fills the verdict's tpm fields). Pure bookkeeping and
 * SHA-256: no TPM access.
 *
 * State per attestation key (by name): the epoch of its last quote
 * (resetCount, restartCount), the clock, the application PCR value quoted,
 * and where the epoch started.
 *
 * For each TPM entry N quoted by AK a, in order, the first failure wins:
 *   1. resetCount never decreases for a;
 *   2. within one resetCount, restartCount never decreases;
 *   3. within one (resetCount, restartCount), clock never decreases;
 *   4. PCR replay: the quoted application PCR value equals
 *        SHA-256(previous || record digest of N)
 *      where previous is the value quoted by a's previous entry in the same
 *      epoch, or 32 zero bytes when N starts an epoch: a's first entry, or
 *      a larger resetCount (TPM Reset clears PCRs). A larger restartCount
 *      with the same resetCount is a TPM Restart (PCRs cleared) or a TPM
 *      Resume (PCRs kept): either base is accepted there.
 *
 * By induction, entry N's quoted value is the extend of every record
 * digest of its epoch, in ledger order, into zeros: a record dropped,
 * inserted or moved within an epoch changes the value a later quote of
 * that epoch must show, which a forged software chain cannot fix because
 * the quotes are the TPM's. Not detectable this way: records removed
 * after the last quote of an epoch (the tail; checkpoints cover it).
 *
 * A PCR extend without a ledger entry (runseal stopped between the extend
 * and the commit, or another program extending the application PCR) makes
 * the next entry of that epoch fail check 4 with a reason that names both
 * explanations: the ledger cannot tell them apart from a dropped record,
 * and must not.
 */
#ifndef RS_VERIFIER_TPM_REPLAY_H
#define RS_VERIFIER_TPM_REPLAY_H

#include <stddef.h>
#include <stdint.h>

#include "attest/verify.h"
#include "ledger/ledger.h"

struct tpm_replay;

/*
 * l (borrowed, may be NULL) is only read to explain a failed quote. gaps
 * (copied; may be NULL) are the entries where the auditor accepts a PCR
 * replay mismatch as an explained extend without a ledger entry: there the
 * replay restarts from the quoted value.
 */
int tpm_replay_new(struct ledger *l, const uint64_t *gaps, size_t n_gaps,
    struct tpm_replay **out);
void tpm_replay_free(struct tpm_replay *rp);

/*
 * Check entry index (a verified TPM entry, verdict v) against the entries
 * before it. 0 with *failed 0: consistent, state advanced; 0 with *failed 1:
 * reason holds the whole failure text ("entry N: ..."); RS_ERR_ALLOC.
 */
int tpm_replay_entry(struct tpm_replay *rp, uint64_t index, const struct attest_verdict *v,
    char *reason, size_t reason_len, int *failed);

/*
 * After envelope (entry index) failed verification: if it is a TPM
 * envelope whose quote was made for another digest than its record's,
 * append to reason which: another entry's record digest ("a quote reused
 * from entry M") or none in this ledger ("a quote over another digest").
 * Best effort: leaves reason as it is when there is nothing to add.
 */
void tpm_replay_explain(struct tpm_replay *rp, uint64_t index, const uint8_t *envelope,
    size_t len, char *reason, size_t reason_len);

/*
 * runseal-verify ledger --since: the entries before the auditor's
 * checkpoint are not replayed, so an attestation key's first entry seen
 * (the checkpoint's last entry, or its first entry after it) seeds its
 * replay with the value that entry's quote shows, instead of starting an
 * epoch from zeros. Its epoch, clock and quote are otherwise checked as
 * usual; every later entry of the epoch is replayed from it.
 */
void tpm_replay_seed_first(struct tpm_replay *rp);

/* Attestation keys whose replay was seeded so (tpm_replay_seed_first). */
uint64_t tpm_replay_seeded(const struct tpm_replay *rp);

/* Accepted gaps used so far. */
uint64_t tpm_replay_gaps(const struct tpm_replay *rp);

/* TPM epochs seen so far (a new resetCount, or a restart that cleared PCRs). */
uint64_t tpm_replay_epochs(const struct tpm_replay *rp);

#endif
