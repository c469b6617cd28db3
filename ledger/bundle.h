/*
 * bundle.h - one entry with everything an offline verifier needs besides
 * its trust anchor, as one protobuf Bundle message (proto/runseal.proto,
 * format reference in docs/bundle.md):
 *
 *   entry          the Entry bytes as stored (the envelope inside, verbatim)
 *   chain_hash     the ledger's chain hash after this entry
 *   inclusion      RFC 9162 inclusion proof of the entry's leaf,
 *                  {index, tree_size, hashes}
 *   checkpoint     the signed checkpoint (note text, verbatim) of tree_size
 *   identity       the signer's identity material (PEM public key), if given
 *   checkpoint_key the checkpoint verifier key "name+hexid+base64"
 *
 * The exporter checks its own work before handing the bundle out: the
 * proof must lead to the checkpoint's root. Verification is the verifier's
 * (verifier/verify.h, verify_bundle).
 */
#ifndef RS_LEDGER_BUNDLE_H
#define RS_LEDGER_BUNDLE_H

#include <stddef.h>
#include <stdint.h>

#include "ledger/ledger.h"

/*
 * Build the bundle of entry index proved against the stored checkpoint for
 * tree size size (0: the latest checkpoint). identity (PEM text, may be
 * NULL) and vkey (may be NULL) are copied in as given. *out is a new
 * buffer (caller frees).
 *
 * RS_ERR_NOT_FOUND: no such entry, or no checkpoint for that size (only
 * sizes that ended an append have one); RS_ERR_USAGE: index not below the
 * checkpoint's size; RS_ERR_FORMAT: the stored tree does not prove the
 * entry under its own checkpoint (a damaged ledger: run runseal-verify).
 */
int bundle_export(struct ledger *l, uint64_t index, uint64_t size, const char *identity,
    const char *vkey, uint8_t **out, size_t *len);

#endif
