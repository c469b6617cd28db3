#include "verifier/tpm_replay.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/encode.h"
#include "proto/codec.h"
#include "common/err.h"

#define MAX_AKS 4096

/* One AK's position in its current epoch. */
struct ak_state {
	uint8_t name[TPMQ_NAME_LEN];
	uint32_t reset_count;
	uint32_t restart_count;
	uint64_t clock;
	uint64_t clock_index;           /* entry that quoted that clock */
	uint8_t pcr[RS_SHA256_LEN];     /* application PCR as last quoted */
	uint64_t epoch_start;           /* first entry of the epoch */
	uint64_t epoch_records;         /* entries of this AK in the epoch so far */
};

struct tpm_replay {
	struct ledger *l;               /* borrowed */
	uint64_t *gaps;                 /* entries with an accepted replay gap */
	size_t n_gaps;
	uint64_t gaps_used;
	struct ak_state *aks;
	size_t n;
	uint64_t epochs;
	int seed_first;                 /* an AK's first entry seeds its replay (--since) */
	uint64_t seeded;
};

int
tpm_replay_new(struct ledger *l, const uint64_t *gaps, size_t n_gaps, struct tpm_replay **out)
{
	struct tpm_replay *rp;

	*out = NULL;
	if ((rp = calloc(1, sizeof(*rp))) == NULL)
		return RS_ERR_ALLOC;
	if (n_gaps > 0) {
		if ((rp->gaps = calloc(n_gaps, sizeof(*rp->gaps))) == NULL) {
			free(rp);
			return RS_ERR_ALLOC;
		}
		memcpy(rp->gaps, gaps, n_gaps * sizeof(*gaps));
		rp->n_gaps = n_gaps;
	}
	rp->l = l;
	*out = rp;
	return 0;
}

uint64_t
tpm_replay_gaps(const struct tpm_replay *rp)
{
	return rp->gaps_used;
}

static int
gap_accepted(const struct tpm_replay *rp, uint64_t index)
{
	size_t i;

	for (i = 0; i < rp->n_gaps; i++)
		if (rp->gaps[i] == index)
			return 1;
	return 0;
}

void
tpm_replay_explain(struct tpm_replay *rp, uint64_t index, const uint8_t *envelope,
    size_t len, char *reason, size_t reason_len)
{
	struct ledger_iter *it = NULL;
	struct ledger_row *row = NULL;
	proto_entry *e = NULL;
	uint8_t extra[RS_SHA256_LEN], own[RS_SHA256_LEN], d[RS_SHA256_LEN];
	size_t used = strlen(reason);
	int found = 0;
	uint64_t at = 0;

	if (rp->l == NULL || attest_envelope_quote_data(envelope, len, extra) != 0 ||
	    attest_envelope_record_digest(envelope, len, own) != 0 ||
	    memcmp(extra, own, RS_SHA256_LEN) == 0 || ledger_iter_new(rp->l, 0, &it) != 0)
		goto out;
	while (!found && ledger_iter_next(it, &row) == 0 && row != NULL) {
		if (row->idx != index && proto_entry_unpack(row->entry, row->entry_len, &e) == 0 &&
		    attest_envelope_record_digest(e->envelope.data, e->envelope.len, d) == 0 &&
		    memcmp(d, extra, RS_SHA256_LEN) == 0) {
			found = 1;
			at = row->idx;
		}
		proto_entry_free(e);
		e = NULL;
		ledger_row_free(row);
		row = NULL;
	}
	if (found)
		snprintf(reason + used, reason_len - used, " (it is entry %" PRIu64 "'s record "
		    "digest: a quote reused from another entry)", at);
	else
		snprintf(reason + used, reason_len - used, " (no record in this ledger has that "
		    "digest: a quote over another digest)");
out:
	rs_err_clear();
	proto_entry_free(e);
	ledger_row_free(row);
	ledger_iter_free(it);
}

void
tpm_replay_free(struct tpm_replay *rp)
{
	if (rp == NULL)
		return;
	free(rp->aks);
	free(rp->gaps);
	free(rp);
}

void
tpm_replay_seed_first(struct tpm_replay *rp)
{
	rp->seed_first = 1;
}

uint64_t
tpm_replay_seeded(const struct tpm_replay *rp)
{
	return rp->seeded;
}

uint64_t
tpm_replay_epochs(const struct tpm_replay *rp)
{
	return rp->epochs;
}

static struct ak_state *
find(struct tpm_replay *rp, const uint8_t name[TPMQ_NAME_LEN])
{
	size_t i;

	for (i = 0; i < rp->n; i++)
		if (memcmp(rp->aks[i].name, name, TPMQ_NAME_LEN) == 0)
			return &rp->aks[i];
	return NULL;
}

static void
start_epoch(struct tpm_replay *rp, struct ak_state *st, uint64_t index,
    const struct attest_verdict *v)
{
	st->reset_count = v->tpm.reset_count;
	st->restart_count = v->tpm.restart_count;
	st->epoch_start = index;
	st->epoch_records = 0;
	memset(st->pcr, 0, RS_SHA256_LEN);      /* PCR 0..15 and 23 start at zero */
	rp->epochs++;
}

int
tpm_replay_entry(struct tpm_replay *rp, uint64_t index, const struct attest_verdict *v,
    char *reason, size_t reason_len, int *failed)
{
	static const uint8_t zero[RS_SHA256_LEN];
	struct ak_state *st, *na;
	uint8_t want[RS_SHA256_LEN], fresh[RS_SHA256_LEN];
	char qhex[17], whex[17];
	int restart = 0, seed = 0, r;

	*failed = 1;
	reason[0] = '\0';
	if ((st = find(rp, v->tpm.ak_name)) == NULL) {
		if (rp->n >= MAX_AKS)
			return rs_fail(RS_ERR_TOO_LARGE, "more than %d attestation keys", MAX_AKS);
		if ((na = realloc(rp->aks, (rp->n + 1) * sizeof(*na))) == NULL)
			return RS_ERR_ALLOC;
		rp->aks = na;
		st = &rp->aks[rp->n++];
		memset(st, 0, sizeof(*st));
		memcpy(st->name, v->tpm.ak_name, TPMQ_NAME_LEN);
		start_epoch(rp, st, index, v);
		seed = rp->seed_first;
	} else if (v->tpm.reset_count < st->reset_count) {
		snprintf(reason, reason_len, "entry %" PRIu64 ": the TPM's resetCount went "
		    "backwards (%" PRIu32 " after %" PRIu32 " in an earlier entry): entries were "
		    "reordered across TPM resets", index, v->tpm.reset_count, st->reset_count);
		return 0;
	} else if (v->tpm.reset_count > st->reset_count) {
		start_epoch(rp, st, index, v);          /* TPM Reset: PCRs cleared */
	} else if (v->tpm.restart_count < st->restart_count) {
		snprintf(reason, reason_len, "entry %" PRIu64 ": the TPM's restartCount went "
		    "backwards (%" PRIu32 " after %" PRIu32 ", resetCount %" PRIu32 "): entries were "
		    "reordered across TPM restarts", index, v->tpm.restart_count,
		    st->restart_count, v->tpm.reset_count);
		return 0;
	} else if (v->tpm.restart_count > st->restart_count) {
		restart = 1;                            /* Restart (cleared) or Resume (kept) */
	} else if (v->tpm.clock < st->clock) {
		snprintf(reason, reason_len, "entry %" PRIu64 ": the TPM clock went backwards "
		    "(%" PRIu64 " ms, after %" PRIu64 " ms at entry %" PRIu64 ") within resetCount "
		    "%" PRIu32 " restartCount %" PRIu32 ": quotes reordered or replayed", index,
		    v->tpm.clock, st->clock, st->clock_index, v->tpm.reset_count,
		    v->tpm.restart_count);
		return 0;
	}
	if ((r = tpmq_pcr_extend(st->pcr, v->record_digest, want)) != 0)
		return r;
	if (restart && memcmp(v->tpm.app_pcr_value, want, RS_SHA256_LEN) != 0) {
		if ((r = tpmq_pcr_extend(zero, v->record_digest, fresh)) != 0)
			return r;
		if (memcmp(v->tpm.app_pcr_value, fresh, RS_SHA256_LEN) == 0) {
			start_epoch(rp, st, index, v);  /* TPM Restart: PCRs cleared */
			memcpy(want, fresh, RS_SHA256_LEN);
		}
	}
	if (seed) {
		/* --since: the epoch's earlier records were audited with the checkpoint. */
		rp->seeded++;
		memcpy(want, v->tpm.app_pcr_value, RS_SHA256_LEN);
	}
	if (memcmp(v->tpm.app_pcr_value, want, RS_SHA256_LEN) != 0 && gap_accepted(rp, index)) {
		/* The auditor accepts an extend without entry here: replay from this quote. */
		rp->gaps_used++;
		st->epoch_start = index;
		st->epoch_records = 0;
		memcpy(want, v->tpm.app_pcr_value, RS_SHA256_LEN);
	}
	if (memcmp(v->tpm.app_pcr_value, want, RS_SHA256_LEN) != 0) {
		rs_hex_encode(v->tpm.app_pcr_value, 8, qhex);
		rs_hex_encode(want, 8, whex);
		snprintf(reason, reason_len, "entry %" PRIu64 ": PCR replay mismatch: the quote "
		    "shows PCR %" PRIu32 " = %s…, but replaying the %" PRIu64 " record digest(s) of "
		    "this TPM epoch (resetCount %" PRIu32 ", restartCount %" PRIu32 ", from entry %"
		    PRIu64 ") gives %s…: either PCR %" PRIu32 " was extended without a ledger entry "
		    "(runseal stopped between extend and commit, or another program extends that "
		    "PCR), or a record was dropped, inserted or reordered before this entry", index,
		    v->tpm.app_pcr, qhex, st->epoch_records + 1, v->tpm.reset_count,
		    v->tpm.restart_count, st->epoch_start, whex, v->tpm.app_pcr);
		return 0;
	}
	st->restart_count = v->tpm.restart_count;
	st->clock = v->tpm.clock;
	st->clock_index = index;
	memcpy(st->pcr, v->tpm.app_pcr_value, RS_SHA256_LEN);
	st->epoch_records++;
	*failed = 0;
	return 0;
}
