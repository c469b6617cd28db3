/*
 * checkpoint.h - signed checkpoints of the ledger's Merkle tree, in the
 * standard transparency-log formats, so that standard tooling (for example
 * Go's golang.org/x/mod/sumdb/note) reads and verifies them.
 *
 * A checkpoint is a C2SP tlog-checkpoint body:
 *
 *   <origin>\n                  the ledger's origin (its meta "origin")
 *   <tree size>\n               ASCII decimal, no sign, no leading zeros
 *   <root hash>\n               standard padded base64 of the 32-byte RFC 9162 root
 *
 * signed as a C2SP signed-note with an Ed25519 key whose name is the origin:
 *
 *   <body>\n                    one empty line
 *   — <name> <base64(key ID || signature)>\n
 *
 *   "—" is U+2014 (bytes E2 80 94) followed by one space;
 *   key ID    = first 4 bytes of SHA-256(name || 0x0A || 0x01 || public key), big endian;
 *   signature = Ed25519 over the body bytes (everything before the empty line,
 *               including the body's final newline), 64 bytes.
 *
 * The verifier key, as the note tooling spells it ("vkey"):
 *
 *   <name>+<key ID as 8 lower-case hex digits>+<base64(0x01 || 32-byte public key)>
 *
 * and in a runseal trust file (a PEM file: PEM parsers skip text outside
 * BEGIN/END blocks) as one line of its own:
 *
 *   runseal-checkpoint-key: <vkey>
 *
 * Parsing is strict and bounded: at most CHECKPOINT_MAX_NOTE bytes, valid
 * UTF-8 with no control character but newline, the body exactly three lines
 * (runseal writes no extension lines, so a body with more is not one of
 * runseal's), at most CHECKPOINT_MAX_SIGS signature lines. Signature lines
 * from keys the verifier does not know are skipped, as the signed-note
 * specification requires (they may be witness cosignatures); a note
 * verifies only if a trusted key signed it, and any signature line that
 * claims a trusted key must verify.
 */
#ifndef RS_LEDGER_CHECKPOINT_H
#define RS_LEDGER_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "ledger/merkle.h"

#define CHECKPOINT_MAX_NOTE 4096
#define CHECKPOINT_MAX_SIGS 16
#define CHECKPOINT_NAME_MAX 200
#define CHECKPOINT_MAX_TRUSTED 64
/* The trust file line that carries a checkpoint verifier key. */
#define CHECKPOINT_TRUST_PREFIX "runseal-checkpoint-key: "
/* Where runseal keeps the ledger's key, under its home. */
#define CHECKPOINT_HOME_KEY "keys/ledger.key"
#define CHECKPOINT_HOME_VKEY "keys/ledger.vkey"

/* What a checkpoint says. */
struct checkpoint {
	char *origin;
	uint64_t size;
	uint8_t root[MERKLE_HASH_LEN];
};
void checkpoint_free(struct checkpoint *c);

/*
 * 1 if name can be a note key name and so a ledger origin here: 1 to
 * CHECKPOINT_NAME_MAX bytes of printable ASCII (0x21-0x7e) except '+'.
 */
int checkpoint_name_ok(const char *name);

/*
 * Create a new Ed25519 private key at path (PKCS#8 PEM, mode 0600).
 * RS_ERR_EXISTS if the file exists: keys are never overwritten.
 */
int checkpoint_key_create(const char *path);

/* A loaded signing key bound to its note name. Wiped when freed. */
struct checkpoint_signer;

/*
 * Load the private key at path and bind it to name (the ledger origin).
 * RS_ERR_FORMAT if the file is not an Ed25519 private key, RS_ERR_USAGE if
 * name is not a valid key name.
 */
int checkpoint_signer_open(const char *path, const char *name,
    struct checkpoint_signer **out);
void checkpoint_signer_free(struct checkpoint_signer *s);
/* The name the signer signs as (borrowed). */
const char *checkpoint_signer_name(const struct checkpoint_signer *s);
/* The verifier key "name+hexid+base64" as a new string. */
int checkpoint_signer_vkey(const struct checkpoint_signer *s, char **out);
/*
 * A new signed note (NUL-terminated; *len excludes the NUL) for the
 * checkpoint (signer name, size, root).
 */
int checkpoint_sign(const struct checkpoint_signer *s, uint64_t size,
    const uint8_t root[MERKLE_HASH_LEN], char **note, size_t *len);

/*
 * The name runseal gives a new ledger with this key: "runseal/" followed by
 * the first 8 bytes of SHA-256(Ed25519 public key) in hex. name must hold
 * at least 25 bytes.
 */
int checkpoint_signer_default_name(const struct checkpoint_signer *s, char *name,
    size_t size);
/* The same, from the key file, without binding the key to a name. */
int checkpoint_key_default_name(const char *path, char *name, size_t size);

/* Trusted checkpoint verifier keys. */
struct checkpoint_trust;

/* An empty set; add keys with checkpoint_trust_add_vkey(). */
int checkpoint_trust_new(struct checkpoint_trust **out);
/*
 * Add one vkey (len bytes, no newline). RS_ERR_FORMAT if it is not
 * "name+hexid+base64" with an Ed25519 key (type byte 0x01) whose key ID
 * matches; RS_ERR_TOO_LARGE past CHECKPOINT_MAX_TRUSTED keys.
 */
int checkpoint_trust_add_vkey(struct checkpoint_trust *t, const char *vkey, size_t len);
/*
 * Every "runseal-checkpoint-key: " line of a trust file's text (len bytes;
 * other lines are ignored). The set may be empty. A malformed key line is
 * RS_ERR_FORMAT naming its line number.
 */
int checkpoint_trust_from_text(const char *text, size_t len, struct checkpoint_trust **out);
void checkpoint_trust_free(struct checkpoint_trust *t);
size_t checkpoint_trust_count(const struct checkpoint_trust *t);

/*
 * A signed note of any text (len bytes: non-empty lines, each ending in a
 * newline, no empty line), with this signer's signature line appended.
 * checkpoint_sign() is this over a checkpoint body.
 */
int checkpoint_note_sign(const struct checkpoint_signer *s, const char *text, size_t len,
    char **note, size_t *nlen);

/*
 * Parse any signed note (the signed-note layer only) and, if trust is not
 * NULL, verify it: 0 when it is well formed and (with trust) a trusted key
 * signed it, and every signature line naming a trusted key verifies.
 * *text_len is the length of the signed text (the note's first bytes,
 * ending in a newline); *verified_by the name of the first trusted key that
 * verified (borrowed from trust), or NULL without trust.
 */
int checkpoint_note_open(const uint8_t *note, size_t len, const struct checkpoint_trust *trust,
    size_t *text_len, const char **verified_by);

/*
 * Parse a signed checkpoint note and verify it against trust. On success
 * *out holds what it says. RS_ERR_FORMAT for a malformed note or body,
 * RS_ERR_TOO_LARGE past CHECKPOINT_MAX_NOTE, RS_ERR_VERIFY when no trusted
 * key signed it or a signature claiming a trusted key does not verify, or
 * the origin is not the trusted key's name; each with a detail.
 */
int checkpoint_open(const uint8_t *note, size_t len, const struct checkpoint_trust *trust,
    struct checkpoint **out);

/*
 * Parse a note without checking any signature (for display only: nothing
 * read this way may be trusted). Same format checks as checkpoint_open.
 */
int checkpoint_parse_unverified(const uint8_t *note, size_t len, struct checkpoint **out);

#endif
