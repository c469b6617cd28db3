/* Unit tests for proto/codec: every decoder rejects malformed input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/err.h"
#include "proto/codec.h"

typedef int (*unpack_fn)(const uint8_t *, size_t, void **);

static void
free_any(void *m)
{
	if (m != NULL)
		protobuf_c_message_free_unpacked(m, NULL);
}

/* A valid envelope with version 1 and a small record. */
static void
make_envelope(uint8_t **out, size_t *len, uint32_t version)
{
	Runseal__V1__Envelope env = RUNSEAL__V1__ENVELOPE__INIT;
	static uint8_t rec[] = { 0x08, 0x01 };      /* Record{version=1} */

	env.version = version;
	env.record.data = rec;
	env.record.len = sizeof(rec);
	env.signer = RUNSEAL__V1__SIGNER_KIND__SIGNER_SOFTWARE;
	assert_int_equal(proto_pack(&env.base, PROTO_MAX_ENVELOPE, out, len), 0);
}

static void
check_rejects_garbage(unpack_fn fn)
{
	static const uint8_t garbage[] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t bad_wire[] = { 0x0f, 0x01 };          /* wire type 7 */
	static const uint8_t truncated_len[] = { 0x12, 0x10, 0x41 };/* bytes field, short */
	void *m = (void *)1;

	assert_int_equal(fn(NULL, 0, &m), RS_ERR_FORMAT);
	assert_null(m);
	assert_int_equal(fn(garbage, sizeof(garbage), &m), RS_ERR_FORMAT);
	assert_int_equal(fn(bad_wire, sizeof(bad_wire), &m), RS_ERR_FORMAT);
	assert_int_equal(fn(truncated_len, sizeof(truncated_len), &m), RS_ERR_FORMAT);
	assert_null(m);
}

static void
test_all_decoders_reject_garbage(void **state)
{
	(void)state;
	check_rejects_garbage((unpack_fn)proto_record_unpack);
	check_rejects_garbage((unpack_fn)proto_envelope_unpack);
	check_rejects_garbage((unpack_fn)proto_entry_unpack);
	check_rejects_garbage((unpack_fn)proto_bundle_unpack);
}

static void
test_envelope_valid_and_trailing(void **state)
{
	proto_envelope *e = NULL;
	uint8_t *buf = NULL, *longer;
	size_t len = 0;

	(void)state;
	make_envelope(&buf, &len, 1);
	assert_int_equal(proto_envelope_unpack(buf, len, &e), 0);
	assert_int_equal(e->record.len, 2);
	proto_envelope_free(e);
	/* trailing field (a duplicate of field 1) is rejected */
	longer = malloc(len + 2);
	memcpy(longer, buf, len);
	longer[len] = 0x08;
	longer[len + 1] = 0x01;
	assert_int_equal(proto_envelope_unpack(longer, len + 2, &e), RS_ERR_FORMAT);
	assert_null(e);
	/* a trailing zero byte is not a valid field */
	longer[len] = 0x00;
	assert_int_equal(proto_envelope_unpack(longer, len + 1, &e), RS_ERR_FORMAT);
	/* unknown field 99 (varint) */
	longer[len] = 0x98;
	longer[len + 1] = 0x06;
	free(longer);
	longer = malloc(len + 3);
	memcpy(longer, buf, len);
	longer[len] = 0x98;
	longer[len + 1] = 0x06;
	longer[len + 2] = 0x01;
	assert_int_equal(proto_envelope_unpack(longer, len + 3, &e), RS_ERR_FORMAT);
	assert_non_null(strstr(rs_err_detail(), "unknown"));
	/*
	 * Every truncation inside a field is rejected. (A cut exactly between
	 * fields is a shorter valid message, bytes 2 and 6 here: the signature,
	 * not the parser, is what binds the whole envelope.)
	 */
	assert_int_equal(len, 8);
	for (size_t i = 1; i < len; i++) {
		int r = proto_envelope_unpack(buf, i, &e);
		proto_envelope_free(e);
		if (i == 2 || i == 6)
			continue;
		if (r == 0)
			fail_msg("truncation to %zu bytes accepted", i);
	}
	free(longer);
	free(buf);
}

static void
test_wrong_version_rejected(void **state)
{
	proto_envelope *e = NULL;
	uint8_t *buf = NULL;
	size_t len = 0;

	(void)state;
	make_envelope(&buf, &len, 2);
	assert_int_equal(proto_envelope_unpack(buf, len, &e), RS_ERR_FORMAT);
	assert_non_null(strstr(rs_err_detail(), "version 2"));
	free(buf);
	make_envelope(&buf, &len, 0);
	assert_int_equal(proto_envelope_unpack(buf, len, &e), RS_ERR_FORMAT);
	free(buf);
}

static void
test_oversize_rejected(void **state)
{
	proto_bundle *b = NULL;
	proto_record *r = NULL;
	uint8_t *big = calloc(1, PROTO_MAX_BUNDLE + 1);

	(void)state;
	assert_int_equal(proto_bundle_unpack(big, PROTO_MAX_BUNDLE + 1, &b), RS_ERR_TOO_LARGE);
	assert_int_equal(proto_record_unpack(big, PROTO_MAX_RECORD + 1, &r), RS_ERR_TOO_LARGE);
	free(big);
}

static void
test_pack_bound(void **state)
{
	Runseal__V1__Envelope env = RUNSEAL__V1__ENVELOPE__INIT;
	uint8_t rec[100] = { 0 }, *out = NULL;
	size_t len = 0;

	(void)state;
	env.version = 1;
	env.record.data = rec;
	env.record.len = sizeof(rec);
	assert_int_equal(proto_pack(&env.base, 50, &out, &len), RS_ERR_TOO_LARGE);
	assert_null(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_decoders_reject_garbage),
		cmocka_unit_test(test_envelope_valid_and_trailing),
		cmocka_unit_test(test_wrong_version_rejected),
		cmocka_unit_test(test_oversize_rejected),
		cmocka_unit_test(test_pack_bound),
	};
	(void)free_any;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
