/*
 * encode.h - hex and base64 (standard alphabet, padded) encoding.
 */
#ifndef RS_ENCODE_H
#define RS_ENCODE_H

#include <stddef.h>
#include <stdint.h>

/* Lower-case hex of len bytes into out, which must hold 2*len+1 bytes. */
void rs_hex_encode(const uint8_t *in, size_t len, char *out);

/* Same, into a new string the caller frees; NULL on allocation failure. */
char *rs_hex_string(const uint8_t *in, size_t len);

/*
 * Decode exactly outlen bytes of hex (either case) from a string of exactly
 * 2*outlen characters. RS_ERR_FORMAT on any other length or character.
 */
int rs_hex_decode(const char *in, uint8_t *out, size_t outlen);

/* Base64 of len bytes into a new NUL-terminated string (caller frees). */
int rs_base64_encode(const uint8_t *in, size_t len, char **out);

/*
 * Decode strict, padded base64 into a new buffer (caller frees). Rejects
 * whitespace, bad characters and bad padding with RS_ERR_FORMAT.
 */
int rs_base64_decode(const char *in, size_t inlen, uint8_t **out, size_t *outlen);

#endif
