/*
 * stream.c - capture of the program's stdout/stderr (contract in stream.h).
 */
#include "executor/stream.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "common/file.h"

int
exec_stream_init(struct exec_stream *s, int fd, int pass_fd, uint64_t cap)
{
	int fl, r;

	memset(s, 0, sizeof(*s));
	s->fd = fd;
	s->pass_fd = pass_fd;
	s->cap = cap;
	if ((fl = fcntl(fd, F_GETFL)) < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0)
		return rs_fail(RS_ERR_INTERNAL, "output pipe: %s", strerror(errno));
	if ((r = rs_sha256_new(&s->h)) != 0)
		return r;
	return 0;
}

int
exec_stream_read(struct exec_stream *s, uint8_t *buf, size_t bufsz)
{
	uint64_t keep;
	ssize_t n;
	int r;

	if (s->eof)
		return 0;
	n = read(s->fd, buf, bufsz);
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return 0;
		return rs_fail(RS_ERR_IO, "reading the program's output: %s", strerror(errno));
	}
	if (n == 0) {
		s->eof = 1;
		return 0;
	}
	keep = s->size >= s->cap ? 0 : s->cap - s->size;
	if (keep > (uint64_t)n)
		keep = (uint64_t)n;
	s->size += (uint64_t)n;
	if (keep == 0)
		return 0;
	if ((r = rs_sha256_update(s->h, buf, (size_t)keep)) != 0)
		return r;
	/* Our own stdout going away must not stop the capture: stop passing through. */
	if (s->pass_fd >= 0 && rs_write_all(s->pass_fd, buf, (size_t)keep) != 0)
		s->pass_fd = -1;
	return 0;
}

int
exec_stream_finish(struct exec_stream *s, struct exec_stream_result *res)
{
	int r;

	memset(res, 0, sizeof(*res));
	if ((r = rs_sha256_final(s->h, res->sha256)) != 0)
		return r;
	res->size = s->size;
	res->truncated = s->size > s->cap;
	return 0;
}

void
exec_stream_cleanup(struct exec_stream *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	rs_sha256_free(s->h);
	s->h = NULL;
}
