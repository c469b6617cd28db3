/*
 * Unit tests for ledger/blobs.c: layout, atomic and deduplicated writes,
 * verification on read (a damaged blob is never handed out), no overwrite.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/encode.h"
#include "common/err.h"
#include "common/file.h"
#include "common/hash.h"
#include "ledger/blobs.h"

static char dir[64];

static int
setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/rs-blobs-XXXXXX");
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	/* Blobs are 0444 in 0700 directories: removable by their owner. */
	return rs_rm_rf(dir);
}

static void
blob_file(const uint8_t d[32], char *out, size_t len)
{
	char hex[65];

	rs_hex_encode(d, 32, hex);
	snprintf(out, len, "%s/" BLOBS_DIR "/%.2s/%s", dir, hex, hex + 2);
}

static void
test_put_get_dedup(void **state)
{
	static const char data[] = "hello, blob store\n";
	struct blob_store *s = NULL;
	uint8_t d[32], d2[32], want[32];
	char path[256], out[256];
	uint8_t *back = NULL;
	size_t blen = 0;
	uint64_t size = 0;
	struct stat st;
	int added = 9, fd;

	(void)state;
	assert_int_equal(blob_store_open(dir, &s), 0);
	assert_int_equal(blob_put_mem(s, data, strlen(data), d, &added), 0);
	assert_int_equal(added, 1);
	assert_int_equal(rs_sha256(data, strlen(data), want), 0);
	assert_memory_equal(d, want, 32);
	/* blobs/sha256/ab/cdef...: read-only, exactly the bytes. */
	blob_file(d, path, sizeof(path));
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0444);
	assert_int_equal(rs_read_file(path, 1024, &back, &blen), 0);
	assert_int_equal(blen, strlen(data));
	assert_memory_equal(back, data, blen);
	free(back);
	assert_true(blob_has(s, d));
	/* Again, from a file: deduplicated. */
	snprintf(out, sizeof(out), "%s/in.txt", dir);
	assert_int_equal(rs_write_file_atomic(out, data, strlen(data), 0644, 0), 0);
	assert_int_equal(blob_put_file(s, out, NULL, d2, &size, &added), 0);
	assert_int_equal(added, 0);
	assert_int_equal(size, strlen(data));
	assert_memory_equal(d2, d, 32);
	/* Out through a descriptor, verified. */
	snprintf(out, sizeof(out), "%s/out.txt", dir);
	fd = open(out, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(blob_get_fd(s, d, fd, &size), 0);
	close(fd);
	assert_int_equal(size, strlen(data));
	assert_int_equal(rs_read_file(out, 1024, &back, &blen), 0);
	assert_memory_equal(back, data, blen);
	free(back);
	/* To a new file; never over an existing one. */
	snprintf(out, sizeof(out), "%s/copy.txt", dir);
	assert_int_equal(blob_get_file(s, d, out, &size), 0);
	assert_int_equal(blob_get_file(s, d, out, &size), RS_ERR_EXISTS);
	/* The temporary directory is left empty. */
	snprintf(path, sizeof(path), "%s/" BLOBS_TMP, dir);
	assert_int_equal(rmdir(path), 0);
	blob_store_free(s);
}

static void
test_damaged_blob_never_handed_out(void **state)
{
	struct blob_store *s = NULL;
	uint8_t d[32], other[32];
	char path[256], out[256];
	uint64_t size = 7;
	struct stat st;
	int added, fd;

	(void)state;
	assert_int_equal(blob_store_open(dir, &s), 0);
	assert_int_equal(blob_put_mem(s, "original bytes", 14, d, &added), 0);
	blob_file(d, path, sizeof(path));
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(rs_write_file_atomic(path, "Original bytes", 14, 0444, 0), 0);
	snprintf(out, sizeof(out), "%s/out", dir);
	fd = open(out, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(blob_get_fd(s, d, fd, &size), RS_ERR_VERIFY);
	assert_non_null(strstr(rs_err_detail(), "damaged"));
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_size, 0);        /* not one byte written */
	close(fd);
	snprintf(out, sizeof(out), "%s/out2", dir);
	assert_int_equal(blob_get_file(s, d, out, &size), RS_ERR_VERIFY);
	assert_int_not_equal(access(out, F_OK), 0);
	/* Missing. */
	memset(other, 0x11, 32);
	assert_int_equal(blob_get_file(s, other, out, &size), RS_ERR_NOT_FOUND);
	assert_false(blob_has(s, other));
	blob_store_free(s);
}

static void
test_expected_digest(void **state)
{
	struct blob_store *s = NULL;
	uint8_t d[32], want[32], wrong[32];
	char in[256];
	uint64_t size;
	int added = 9;

	(void)state;
	assert_int_equal(blob_store_open(dir, &s), 0);
	snprintf(in, sizeof(in), "%s/input", dir);
	assert_int_equal(rs_write_file_atomic(in, "abc", 3, 0644, 0), 0);
	assert_int_equal(rs_sha256("abc", 3, want), 0);
	memset(wrong, 0, 32);
	/* The file changed since it was recorded: nothing kept. */
	assert_int_equal(blob_put_file(s, in, wrong, d, &size, &added), RS_ERR_VERIFY);
	assert_false(blob_has(s, want));
	assert_int_equal(blob_put_file(s, in, want, d, &size, &added), 0);
	assert_int_equal(added, 1);
	assert_true(blob_has(s, want));
	/* Known already: not even read. */
	assert_int_equal(blob_put_file(s, "/nonexistent/path", want, d, &size, &added), 0);
	assert_int_equal(added, 0);
	/* Size bound on a descriptor. */
	{
		int fd = open(in, O_RDONLY);

		assert_true(fd >= 0);
		assert_int_equal(blob_put_fd(s, fd, 2, d, &size, &added), RS_ERR_TOO_LARGE);
		close(fd);
	}
	blob_store_free(s);
}

static void
test_parse_digest(void **state)
{
	uint8_t d[32];

	(void)state;
	assert_int_equal(blob_parse_digest("sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", d), 0);
	assert_int_equal(d[0], 0xba);
	assert_int_equal(blob_parse_digest("BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD", d), 0);
	assert_int_equal(blob_parse_digest("ba7816bf", d), RS_ERR_USAGE);
	assert_int_equal(blob_parse_digest("../../../../etc/passwd", d), RS_ERR_USAGE);
	assert_int_equal(blob_parse_digest("sha256:zz7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", d), RS_ERR_USAGE);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_put_get_dedup),
		T(test_damaged_blob_never_handed_out),
		T(test_expected_digest),
		cmocka_unit_test(test_parse_digest),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
