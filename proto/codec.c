#include "proto/codec.h"

#include <stdlib.h>

#include "common/err.h"

/*
 * Generic bounded unpack. The re-encoded length check is a strictness test
 * only: nothing downstream ever uses the re-encoded bytes.
 */
static int
unpack(const ProtobufCMessageDescriptor *desc, const char *what,
    const uint8_t *buf, size_t len, size_t max, ProtobufCMessage **out)
{
	ProtobufCMessage *m = NULL;
	int r = RS_ERR_FORMAT;

	*out = NULL;
	if (len > max) {
		r = rs_fail(RS_ERR_TOO_LARGE, "%s is %zu bytes, more than the limit of %zu",
		    what, len, max);
		goto out;
	}
	if (len == 0 || buf == NULL) {
		r = rs_fail(RS_ERR_FORMAT, "%s is empty", what);
		goto out;
	}
	if ((m = protobuf_c_message_unpack(desc, NULL, len, buf)) == NULL) {
		r = rs_fail(RS_ERR_FORMAT, "%s does not parse", what);
		goto out;
	}
	if (m->n_unknown_fields != 0) {
		r = rs_fail(RS_ERR_FORMAT, "%s has %u unknown field(s)", what,
		    m->n_unknown_fields);
		goto out;
	}
	if (protobuf_c_message_get_packed_size(m) != len) {
		r = rs_fail(RS_ERR_FORMAT,
		    "%s has trailing, duplicated or non-minimal bytes", what);
		goto out;
	}
	*out = m;
	m = NULL;
	r = 0;
out:
	if (m != NULL)
		protobuf_c_message_free_unpacked(m, NULL);
	return r;
}

#define UNPACK_FN(fn, type, desc, what, max, versioned) \
int fn(const uint8_t *buf, size_t len, type **out) \
{ \
	ProtobufCMessage *m = NULL; \
	int r = unpack(&desc, what, buf, len, max, &m); \
	*out = NULL; \
	if (r != 0) \
		return r; \
	if ((versioned) && ((type *)m)->version != PROTO_VERSION) { \
		r = rs_fail(RS_ERR_FORMAT, "%s has version %u, expected %u", what, \
		    (unsigned)((type *)m)->version, PROTO_VERSION); \
		protobuf_c_message_free_unpacked(m, NULL); \
		return r; \
	} \
	*out = (type *)m; \
	return 0; \
}


UNPACK_FN(proto_record_unpack, proto_record, runseal__v1__record__descriptor,
    "record", PROTO_MAX_RECORD, 1)
UNPACK_FN(proto_envelope_unpack, proto_envelope, runseal__v1__envelope__descriptor,
    "envelope", PROTO_MAX_ENVELOPE, 1)
UNPACK_FN(proto_bundle_unpack, proto_bundle, runseal__v1__bundle__descriptor,
    "bundle", PROTO_MAX_BUNDLE, 1)

int
proto_entry_unpack(const uint8_t *buf, size_t len, proto_entry **out)
{
	ProtobufCMessage *m = NULL;
	int r;

	*out = NULL;
	if ((r = unpack(&runseal__v1__entry__descriptor, "entry", buf, len,
	    PROTO_MAX_ENTRY, &m)) != 0)
		return r;
	*out = (proto_entry *)m;
	return 0;
}

void proto_record_free(proto_record *m) { if (m) protobuf_c_message_free_unpacked(&m->base, NULL); }
void proto_envelope_free(proto_envelope *m) { if (m) protobuf_c_message_free_unpacked(&m->base, NULL); }
void proto_entry_free(proto_entry *m) { if (m) protobuf_c_message_free_unpacked(&m->base, NULL); }
void proto_bundle_free(proto_bundle *m) { if (m) protobuf_c_message_free_unpacked(&m->base, NULL); }

int
proto_pack(const ProtobufCMessage *msg, size_t max, uint8_t **out, size_t *len)
{
	uint8_t *buf = NULL;
	size_t n;

	*out = NULL;
	*len = 0;
	n = protobuf_c_message_get_packed_size(msg);
	if (n > max)
		return rs_fail(RS_ERR_TOO_LARGE, "message of %zu bytes exceeds %zu", n, max);
	if ((buf = malloc(n > 0 ? n : 1)) == NULL)
		return RS_ERR_ALLOC;
	if (protobuf_c_message_pack(msg, buf) != n) {
		free(buf);
		return rs_fail(RS_ERR_INTERNAL, "protobuf pack size mismatch");
	}
	*out = buf;
	*len = n;
	return 0;
}
