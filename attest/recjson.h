/*
 * recjson.h - a parsed Record as a JSON object (jansson), for `runseal
 * show --json` and verifier reports. Digests are lower-case hex. The JSON
 * is a view for people and pipelines; the signed bytes remain the record.
 */
#ifndef RS_ATTEST_RECJSON_H
#define RS_ATTEST_RECJSON_H

#include <jansson.h>

#include "proto/codec.h"

/* New reference (caller decrefs), or NULL on allocation failure. */
json_t *attest_record_json(const proto_record *rec);

/*
 * A record string as a new JSON string. Records are untrusted and may hold
 * any bytes: a string that is not UTF-8 comes out with each byte >= 0x80
 * written as the four characters \xNN, never dropped.
 */
json_t *attest_text_json(const char *s);

/* Lower-case hex of a byte field as a new JSON string ("" when empty). */
json_t *attest_hex_json(const ProtobufCBinaryData *b);

#endif
