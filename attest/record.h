/*
 * record.h - Record assembly and the record digest.
 *
 *   record digest = SHA-256("runseal/v1/record" 0x00 || record bytes)
 *
 * The record bytes produced here are the bytes that are digested, signed and
 * stored; nothing downstream re-encodes them.
 */
#ifndef RS_ATTEST_RECORD_H
#define RS_ATTEST_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "attest/run.h"
#include "common/hash.h"

/* Serialize run into new Record bytes (caller frees *out). */
int attest_record_pack(const struct attest_run *run, uint8_t **out, size_t *len);

/* The record digest of record bytes. */
int attest_record_digest(const uint8_t *record, size_t len, uint8_t out[RS_SHA256_LEN]);

#endif
