/*
 * intoto.h - a ledger entry as an in-toto Statement v1 in a DSSE envelope,
 * for supply-chain tooling (`runseal export --format intoto`; the format
 * reference is docs/intoto.md).
 *
 * Statement (the DSSE payload): one JSON object, compact, keys sorted, so
 * the same entry, proof and checkpoint always give the same bytes:
 *
 *   _type          "https://in-toto.io/Statement/v1"
 *   subject        the run's output files {name, digest {sha256}}, then
 *                  "/dev/stdout" and "/dev/stderr" when non-empty and not
 *                  truncated (output names are relative: no collision)
 *   predicateType  INTOTO_PREDICATE_TYPE
 *   predicate      the run (a view of the record) and where it is in the
 *                  ledger, with the Entry bytes verbatim (docs/intoto.md)
 *
 * DSSE (https://github.com/secure-systems-lab/dsse, protocol v1):
 *
 *   PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body
 *                     LEN = ASCII decimal byte count, no leading zeros
 *   envelope        = {"payload": base64(body), "payloadType": type,
 *                      "signatures": [{"keyid": KEYID, "sig": base64(SIG)}]}
 *                     compact, keys sorted, standard padded base64
 *   SIG             = ECDSA P-256 with SHA-256 over PAE, DER (software
 *                     signer key), or Ed25519 over PAE (ledger key)
 *   KEYID           = lower-case hex SHA-256 of the signing key's
 *                     SubjectPublicKeyInfo (DER), for either key type: for
 *                     the software signer it is the Envelope's key_id
 *
 * Domain separation. PAE starts with "DSSEv1 " and ends with the payload,
 * which intoto_dsse_sign() requires not to end in a newline. The same keys
 * sign other messages: the record signer "runseal/v1/sig" 0x00 || digest,
 * the ledger key C2SP note text, whose first line is an origin without a
 * space and whose last byte is a newline. No message of one kind is a
 * message of another.
 */
#ifndef RS_ATTEST_INTOTO_H
#define RS_ATTEST_INTOTO_H

#include <stddef.h>
#include <stdint.h>

#define INTOTO_STATEMENT_TYPE "https://in-toto.io/Statement/v1"
#define INTOTO_PAYLOAD_TYPE "application/vnd.in-toto+json"
/* runseal's own predicate type: the fields of docs/intoto.md, version 1. */
#define INTOTO_PREDICATE_TYPE "https://runseal.dev/attestation/run/v1"

/* Largest DSSE envelope intoto_dsse_verify() reads. */
#define INTOTO_MAX_ENVELOPE (16u << 20)

/*
 * PAE(type, body) as a new buffer (caller frees). type is a NUL-terminated
 * string; body may contain any bytes.
 */
int intoto_pae(const char *type, const uint8_t *body, size_t len, uint8_t **out,
    size_t *out_len);

/* Where the entry is in its ledger (all borrowed for the call). */
struct intoto_ledger {
	const char *origin;                 /* the ledger's name (checkpoint origin) */
	uint64_t index;                     /* the entry's index */
	const uint8_t *entry;               /* the Entry bytes as stored */
	size_t entry_len;
	const uint8_t *chain_hash;          /* 32 bytes: the chain hash after it */
	uint64_t tree_size;                 /* the size the checkpoint signs */
	const uint8_t *proof;               /* n_proof 32-byte hashes, RFC 9162 order */
	size_t n_proof;
	const uint8_t *checkpoint;          /* the signed note, verbatim (UTF-8) */
	size_t checkpoint_len;
};

/*
 * The Statement's bytes for the entry (new buffer, caller frees; no NUL,
 * no trailing newline). Parses lg->entry, its Envelope and Record with the
 * bounded codec; the entry's own index must be lg->index. Checks nothing
 * cryptographic: the caller exports only what it has checked (the proof
 * against the checkpoint, the record signature where it can).
 *
 * RS_ERR_FORMAT for an entry that does not parse, a string that is not
 * UTF-8 or a value out of JSON's integer range; RS_ERR_USAGE if the run
 * has no subject (no output file, stdout and stderr empty or truncated).
 */
int intoto_statement(const struct intoto_ledger *lg, uint8_t **payload, size_t *len);

/*
 * A DSSE signing key: ECDSA P-256 or Ed25519, from a PKCS#8 private key
 * PEM. The private key is wiped when freed.
 */
struct intoto_key;

/* RS_ERR_FORMAT if the PEM is not an ECDSA P-256 or Ed25519 private key. */
int intoto_key_from_pem(const uint8_t *pem, size_t len, struct intoto_key **out);
/* The same from a file (at most 64 KiB); the detail names the path. */
int intoto_key_open(const char *path, struct intoto_key **out);
void intoto_key_free(struct intoto_key *k);
/* KEYID (64 lower-case hex digits; borrowed, valid until freed). */
const char *intoto_key_id(const struct intoto_key *k);
/* "ecdsa-p256-sha256" or "ed25519" (static). */
const char *intoto_key_alg(const struct intoto_key *k);
/* The public key as a new PEM "PUBLIC KEY" string (caller frees). */
int intoto_key_public_pem(const struct intoto_key *k, char **pem);

/*
 * Sign payload (len bytes, not ending in '\n': see above) as a DSSE
 * envelope of payload_type with one signature. *envelope is a new
 * NUL-terminated string of *envelope_len bytes: one JSON line, ending in
 * '\n' (a JSON Lines file of one envelope).
 */
int intoto_dsse_sign(const struct intoto_key *k, const char *payload_type,
    const uint8_t *payload, size_t len, char **envelope, size_t *envelope_len);

/*
 * Verify a DSSE envelope (untrusted, len bytes, at most INTOTO_MAX_ENVELOPE)
 * against one public key (PEM "PUBLIC KEY", ECDSA P-256 or Ed25519): it
 * must be a JSON object with exactly "payload", "payloadType" and
 * "signatures", standard padded base64, and a signature that verifies over
 * PAE(payloadType, payload) under the key (keyids are hints and not
 * checked). On success *payload_type and *payload are new buffers (caller
 * frees; the payload is NUL-terminated, the NUL not counted).
 * RS_ERR_FORMAT for a malformed envelope, RS_ERR_VERIFY when no signature
 * verifies, RS_ERR_TOO_LARGE past the bound.
 */
int intoto_dsse_verify(const char *envelope, size_t len, const char *public_pem,
    char **payload_type, uint8_t **payload, size_t *payload_len);

#endif
