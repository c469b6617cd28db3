/*
 * fuzz_common.h - shared by the libFuzzer targets (tests/fuzz/fuzz_*.c) and
 * the seed corpus generator (gen_corpus.c).
 *
 * The keys below are TEST KEYS, public in this repository: the generator
 * signs the seed corpus with them so that valid seeds reach every check,
 * and the targets trust their public halves. Oracles that must hold for
 * forged input ("a random quote is never accepted") use keys made fresh in
 * each fuzzing process instead, whose private halves nobody has.
 */
#ifndef RS_FUZZ_COMMON_H
#define RS_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Software record signer (ECDSA P-256). */
#define FUZZ_SW_KEY_PEM \
	"-----BEGIN PRIVATE KEY-----\n" \
	"MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgoPFrYTInXwJPLnP/\n" \
	"1INRfLIEYc9DBnCmLV9kFK9avCehRANCAASab9S/zX/+ZYBgwO/4ekG2rLUHam8j\n" \
	"YSd2jgDsAaZgPoM/iK32DPrElz/p8plTuFajtA2lAVhGNx7XoPj3Az2Z\n" \
	"-----END PRIVATE KEY-----\n"

/* The fake TPM's attestation key (ECDSA P-256). */
#define FUZZ_AK_KEY_PEM \
	"-----BEGIN PRIVATE KEY-----\n" \
	"MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgKNhAQPygAc7Rn0Ow\n" \
	"F9x455+1tmXrkLt6X3+N6C3b5uKhRANCAAStSboiA4vga6kFDJumc2k95dayZALC\n" \
	"NeMtIrIMdijMbC0/QW8FjOCCeAof1WK/6DqulHBZQpaArg4VKE0w5mOR\n" \
	"-----END PRIVATE KEY-----\n"

/* Checkpoint signer (Ed25519). */
#define FUZZ_CP_KEY_PEM \
	"-----BEGIN PRIVATE KEY-----\n" \
	"MC4CAQAwBQYDK2VwBCIEIDfCcjj4fJSEtPgwifmta4YclpdMBuJvo8I3ihV4Ve51\n" \
	"-----END PRIVATE KEY-----\n"
#define FUZZ_ORIGIN "fuzz.example/ledger"

/* The record digest every fuzzed quote must carry (qualifyingData). */
#define FUZZ_QUOTE_DIGEST_BYTE 0x5a
/* The EK name the fake AK is enrolled under. */
#define FUZZ_EK_NAME_BYTE 0x5e
#define FUZZ_PCRS "sha256:0-7,23"

/* An oracle failed: report and abort, so that libFuzzer keeps the input. */
#define FUZZ_CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: fuzz oracle failed: %s\n", __FILE__, __LINE__, #cond); \
		abort(); \
	} \
} while (0)

/*
 * bytes as a file: an anonymous memfd whose /proc/self/fd path goes into
 * path (64 bytes). Returns the fd (the caller closes it) or -1.
 */
static inline int
fuzz_memfile(const void *data, size_t len, char path[64])
{
	const uint8_t *p = data;
	int fd = memfd_create("fuzz", MFD_CLOEXEC);

	if (fd < 0)
		return -1;
	while (len > 0) {
		ssize_t w = write(fd, p, len);
		if (w <= 0) {
			close(fd);
			return -1;
		}
		p += w;
		len -= (size_t)w;
	}
	snprintf(path, 64, "/proc/self/fd/%d", fd);
	return fd;
}

/* A bounded reader over the fuzzer's input: takes never read past the end. */
struct fuzz_in {
	const uint8_t *p;
	size_t n;
};

static inline uint8_t
fuzz_u8(struct fuzz_in *in)
{
	uint8_t v = 0;

	if (in->n > 0) {
		v = in->p[0];
		in->p++;
		in->n--;
	}
	return v;
}

static inline uint16_t
fuzz_u16(struct fuzz_in *in)
{
	uint16_t hi = fuzz_u8(in);

	return (uint16_t)(hi << 8 | fuzz_u8(in));
}

static inline uint64_t
fuzz_u64(struct fuzz_in *in)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | fuzz_u8(in);
	return v;
}

/* A borrowed view of up to len bytes (fewer at the end of the input). */
static inline const uint8_t *
fuzz_take(struct fuzz_in *in, size_t len, size_t *got)
{
	const uint8_t *p = in->p;

	if (len > in->n)
		len = in->n;
	in->p += len;
	in->n -= len;
	*got = len;
	return p;
}

#endif
