/*
 * stream.h - internal to the executor: one output stream of the program
 * (stdout or stderr) read from its pipe, hashed, counted and optionally
 * passed through.
 *
 * Bytes up to the cap are hashed and passed through; bytes past it are
 * still read (so the program never blocks on a full pipe) and counted in
 * size, but neither hashed nor passed through, and the stream is marked
 * truncated. The digest therefore covers exactly the first min(size, cap)
 * bytes.
 */
#ifndef RS_EXEC_STREAM_H
#define RS_EXEC_STREAM_H

#include <stdint.h>

#include "executor/sandbox.h"

struct exec_stream {
	int fd;                     /* read end, non-blocking; owned */
	int pass_fd;                /* -1: no passthrough */
	uint64_t cap;
	uint64_t size;
	struct rs_sha256 *h;
	int eof;
};

/* Take ownership of fd, even on failure (set non-blocking here). pass_fd -1 for none. */
int exec_stream_init(struct exec_stream *s, int fd, int pass_fd, uint64_t cap);

/*
 * Read what is available (one read of up to bufsz bytes into buf). Sets
 * s->eof at end of file. EAGAIN is not an error.
 */
int exec_stream_read(struct exec_stream *s, uint8_t *buf, size_t bufsz);

/* Digest, size and truncation into res. */
int exec_stream_finish(struct exec_stream *s, struct exec_stream_result *res);

/* Close and free; safe on a stream with fd -1 and h NULL, or already cleaned. */
void exec_stream_cleanup(struct exec_stream *s);

#endif
