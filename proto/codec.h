/*
 * codec.h - the one place runseal messages are packed and unpacked.
 *
 * Unpacking is for untrusted bytes: each message type has a maximum size,
 * protobuf-c does the bounded parse, and the result must re-encode to
 * exactly the input length, which rejects trailing bytes, duplicated
 * fields and non-minimal encodings. Signatures and digests are always
 * computed over the caller's original bytes, never over a re-encoding.
 *
 * Unpacked messages are owned by the caller and freed with the matching
 * protobuf-c __free_unpacked(msg, NULL) (NULL-safe wrappers below).
 */
#ifndef RS_PROTO_CODEC_H
#define RS_PROTO_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "proto/runseal.pb-c.h"

/* Size bounds for untrusted input (bytes). */
#define PROTO_MAX_RECORD   (4u << 20)
#define PROTO_MAX_ENVELOPE (PROTO_MAX_RECORD + (64u << 10))
#define PROTO_MAX_ENTRY    (PROTO_MAX_ENVELOPE + 1024u)
#define PROTO_MAX_BUNDLE   (PROTO_MAX_ENTRY + (256u << 10))

/* The version every message of this format carries. */
#define PROTO_VERSION 1

typedef Runseal__V1__Record proto_record;
typedef Runseal__V1__Envelope proto_envelope;
typedef Runseal__V1__Entry proto_entry;
typedef Runseal__V1__Bundle proto_bundle;

/*
 * Parse untrusted bytes. *out is NULL on failure; RS_ERR_TOO_LARGE over the
 * bound, RS_ERR_FORMAT (with a detail) for anything malformed, including a
 * version other than PROTO_VERSION where the message has one.
 */
int proto_record_unpack(const uint8_t *buf, size_t len, proto_record **out);
int proto_envelope_unpack(const uint8_t *buf, size_t len, proto_envelope **out);
int proto_entry_unpack(const uint8_t *buf, size_t len, proto_entry **out);
int proto_bundle_unpack(const uint8_t *buf, size_t len, proto_bundle **out);

void proto_record_free(proto_record *m);
void proto_envelope_free(proto_envelope *m);
void proto_entry_free(proto_entry *m);
void proto_bundle_free(proto_bundle *m);

/*
 * Serialize any runseal message into a new buffer the caller frees.
 * RS_ERR_TOO_LARGE if the result would exceed max.
 */
int proto_pack(const ProtobufCMessage *msg, size_t max, uint8_t **out, size_t *len);

#endif
