/*
 * fuzz_proto: the four decoders of proto/codec.h (record, envelope, entry,
 * bundle). The first input byte picks the decoder (mod 4), the rest is the
 * message.
 *
 * Oracle: a message that is accepted re-encodes to exactly the input's
 * length (codec.h's rule against trailing bytes and non-minimal encodings),
 * and its re-encoding decodes and re-encodes to the same bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "proto/codec.h"
#include "tests/fuzz/fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
unpack(unsigned kind, const uint8_t *buf, size_t len, ProtobufCMessage **out)
{
	switch (kind) {
	case 0: return proto_record_unpack(buf, len, (proto_record **)out);
	case 1: return proto_envelope_unpack(buf, len, (proto_envelope **)out);
	case 2: return proto_entry_unpack(buf, len, (proto_entry **)out);
	default: return proto_bundle_unpack(buf, len, (proto_bundle **)out);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ProtobufCMessage *m = NULL, *m2 = NULL;
	uint8_t *enc = NULL, *enc2 = NULL;
	size_t len = 0, len2 = 0;
	unsigned kind;

	if (size < 1)
		return 0;
	rs_log_set_level(RS_LOG_QUIET);
	kind = data[0] % 4;
	if (unpack(kind, data + 1, size - 1, &m) != 0) {
		FUZZ_CHECK(m == NULL);
		return 0;
	}
	FUZZ_CHECK(m != NULL);
	FUZZ_CHECK(proto_pack(m, PROTO_MAX_BUNDLE, &enc, &len) == 0);
	FUZZ_CHECK(len == size - 1);
	FUZZ_CHECK(unpack(kind, enc, len, &m2) == 0);
	FUZZ_CHECK(proto_pack(m2, PROTO_MAX_BUNDLE, &enc2, &len2) == 0);
	FUZZ_CHECK(len2 == len && memcmp(enc, enc2, len) == 0);
	protobuf_c_message_free_unpacked(m, NULL);
	protobuf_c_message_free_unpacked(m2, NULL);
	free(enc);
	free(enc2);
	return 0;
}
