/* Unit tests for common/: hashing, encodings, file I/O, errors, home. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/encode.h"
#include "common/err.h"
#include "common/exitcode.h"
#include "common/file.h"
#include "common/hash.h"
#include "common/home.h"

static char tmpdir[64];

static int
setup(void **state)
{
	(void)state;
	strcpy(tmpdir, "/tmp/rs-common-XXXXXX");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	return rs_rm_rf(tmpdir);
}

/* FIPS 180-2 test vectors. */
static void
test_sha256_vectors(void **state)
{
	uint8_t d[RS_SHA256_LEN];
	char hex[65];
	struct rs_sha256 *h = NULL;

	(void)state;
	assert_int_equal(rs_sha256("abc", 3, d), 0);
	rs_hex_encode(d, 32, hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_int_equal(rs_sha256("", 0, d), 0);
	rs_hex_encode(d, 32, hex);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	/* streaming in pieces gives the same digest */
	assert_int_equal(rs_sha256_new(&h), 0);
	assert_int_equal(rs_sha256_update(h, "a", 1), 0);
	assert_int_equal(rs_sha256_update(h, "bc", 2), 0);
	assert_int_equal(rs_sha256_final(h, d), 0);
	rs_hex_encode(d, 32, hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	rs_sha256_free(h);
}

static void
test_sha256_ctx_separates(void **state)
{
	uint8_t a[32], b[32], c[32], manual[32];
	uint8_t buf[64];

	(void)state;
	assert_int_equal(rs_sha256_ctx(RS_CTX_RECORD, "x", 1, NULL, 0, a), 0);
	assert_int_equal(rs_sha256_ctx(RS_CTX_ENTRY, "x", 1, NULL, 0, b), 0);
	assert_memory_not_equal(a, b, 32);
	/* definition: SHA-256(ctx || 0x00 || a || b) */
	memcpy(buf, RS_CTX_CHAIN, sizeof(RS_CTX_CHAIN));
	memcpy(buf + sizeof(RS_CTX_CHAIN), "ab", 2);
	memcpy(buf + sizeof(RS_CTX_CHAIN) + 2, "cd", 2);
	assert_int_equal(rs_sha256(buf, sizeof(RS_CTX_CHAIN) + 4, manual), 0);
	assert_int_equal(rs_sha256_ctx(RS_CTX_CHAIN, "ab", 2, "cd", 2, c), 0);
	assert_memory_equal(c, manual, 32);
}

static void
test_sha256_copy_fd(void **state)
{
	char src[128], dst[128];
	uint8_t d1[32], d2[32], *data;
	uint64_t n1 = 0, n2 = 0;
	size_t len, i;
	int in, out;

	(void)state;
	snprintf(src, sizeof(src), "%s/src", tmpdir);
	snprintf(dst, sizeof(dst), "%s/dst", tmpdir);
	data = malloc(300000);
	for (i = 0; i < 300000; i++)
		data[i] = (uint8_t)(i * 7);
	assert_int_equal(rs_write_file_atomic(src, data, 300000, 0600, 0), 0);
	in = open(src, O_RDONLY);
	out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_int_equal(rs_sha256_copy_fd(in, out, 0, d1, &n1), 0);
	close(in);
	close(out);
	assert_int_equal(n1, 300000);
	assert_int_equal(rs_sha256(data, 300000, d2), 0);
	assert_memory_equal(d1, d2, 32);
	free(data);
	assert_int_equal(rs_read_file(dst, 1 << 20, &data, &len), 0);
	assert_int_equal(len, 300000);
	free(data);
	/* bound enforced */
	in = open(src, O_RDONLY);
	assert_int_equal(rs_sha256_fd(in, 1000, d1, &n2), RS_ERR_TOO_LARGE);
	close(in);
}

static void
test_hex(void **state)
{
	uint8_t b[4] = { 0xde, 0xad, 0x00, 0x0f }, o[4];
	char s[9];

	(void)state;
	rs_hex_encode(b, 4, s);
	assert_string_equal(s, "dead000f");
	assert_int_equal(rs_hex_decode("DEAD000F", o, 4), 0);
	assert_memory_equal(b, o, 4);
	assert_int_equal(rs_hex_decode("dead000", o, 4), RS_ERR_FORMAT);
	assert_int_equal(rs_hex_decode("dead000g", o, 4), RS_ERR_FORMAT);
	assert_int_equal(rs_hex_decode("dead000f00", o, 4), RS_ERR_FORMAT);
}

static void
test_base64(void **state)
{
	static const char *plain[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
	static const char *enc[] = { "", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy" };
	uint8_t *o;
	size_t i, n;
	char *s;

	(void)state;
	for (i = 0; i < 7; i++) {   /* RFC 4648 section 10 */
		assert_int_equal(rs_base64_encode((const uint8_t *)plain[i], strlen(plain[i]), &s), 0);
		assert_string_equal(s, enc[i]);
		free(s);
		assert_int_equal(rs_base64_decode(enc[i], strlen(enc[i]), &o, &n), 0);
		assert_int_equal(n, strlen(plain[i]));
		assert_memory_equal(o, plain[i], n);
		free(o);
	}
	assert_int_equal(rs_base64_decode("Zg=", 3, &o, &n), RS_ERR_FORMAT);
	assert_int_equal(rs_base64_decode("Z g=", 4, &o, &n), RS_ERR_FORMAT);
	assert_int_equal(rs_base64_decode("Zh==", 4, &o, &n), RS_ERR_FORMAT); /* stray bits */
	assert_int_equal(rs_base64_decode("=Zg=", 4, &o, &n), RS_ERR_FORMAT);
	assert_null(o);
}

static void
test_read_file_bounds(void **state)
{
	char p[128];
	uint8_t *d = (uint8_t *)"x";
	size_t n = 5;

	(void)state;
	snprintf(p, sizeof(p), "%s/missing", tmpdir);
	assert_int_equal(rs_read_file(p, 100, &d, &n), RS_ERR_NOT_FOUND);
	assert_null(d);
	assert_int_equal(n, 0);
	assert_non_null(strstr(rs_err_detail(), "missing"));
	assert_int_equal(rs_read_file(tmpdir, 100, &d, &n), RS_ERR_FORMAT);
	snprintf(p, sizeof(p), "%s/big", tmpdir);
	assert_int_equal(rs_write_file_atomic(p, "0123456789", 10, 0600, 0), 0);
	assert_int_equal(rs_read_file(p, 9, &d, &n), RS_ERR_TOO_LARGE);
	assert_int_equal(rs_read_file(p, 10, &d, &n), 0);
	assert_int_equal(n, 10);
	assert_int_equal(d[10], 0);
	free(d);
}

static void
test_atomic_write_excl_and_mode(void **state)
{
	char p[128];
	struct stat st;

	(void)state;
	snprintf(p, sizeof(p), "%s/key", tmpdir);
	assert_int_equal(rs_write_file_atomic(p, "a", 1, 0600, 1), 0);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(rs_write_file_atomic(p, "b", 1, 0600, 1), RS_ERR_EXISTS);
	assert_int_equal(rs_write_file_atomic(p, "c", 1, 0644, 0), 0);
}

static void
test_rm_rf_does_not_follow_symlinks(void **state)
{
	char outside[128], tree[128], link[160], keep[160];

	(void)state;
	snprintf(outside, sizeof(outside), "%s/outside", tmpdir);
	snprintf(tree, sizeof(tree), "%s/tree/a/b", tmpdir);
	assert_int_equal(rs_mkdir_p(outside, 0700), 0);
	assert_int_equal(rs_mkdir_p(tree, 0700), 0);
	snprintf(keep, sizeof(keep), "%s/keep", outside);
	assert_int_equal(rs_write_file_atomic(keep, "k", 1, 0600, 0), 0);
	snprintf(link, sizeof(link), "%s/tree/a/link", tmpdir);
	assert_int_equal(symlink(outside, link), 0);
	snprintf(tree, sizeof(tree), "%s/tree", tmpdir);
	assert_int_equal(rs_rm_rf(tree), 0);
	assert_int_equal(access(tree, F_OK), -1);
	assert_int_equal(access(keep, F_OK), 0);
	assert_int_equal(rs_rm_rf(tree), 0);    /* missing is success */
}

static void
test_errors_and_exit_codes(void **state)
{
	(void)state;
	assert_int_equal(rs_err_from_errno(ENOSPC), RS_ERR_NO_SPACE);
	assert_int_equal(rs_err_from_errno(ENOENT), RS_ERR_NOT_FOUND);
	assert_int_equal(rs_exit_for_err(RS_ERR_USAGE), RS_EXIT_USAGE);
	assert_int_equal(rs_exit_for_err(RS_ERR_FORMAT), RS_EXIT_DATAERR);
	assert_int_equal(rs_exit_for_err(RS_ERR_NOT_FOUND), RS_EXIT_NOINPUT);
	assert_int_equal(rs_exit_for_err(RS_ERR_NO_SPACE), RS_EXIT_IOERR);
	assert_int_equal(rs_exit_for_err(RS_ERR_CONFIG), RS_EXIT_CONFIG);
	assert_int_equal(rs_exit_for_err(RS_ERR_VERIFY), RS_EXIT_VERIFY_FAILED);
	assert_int_equal(rs_exit_for_err(0), 0);
	assert_int_equal(rs_fail(RS_ERR_IO, "disk %d", 3), RS_ERR_IO);
	assert_string_equal(rs_err_detail(), "disk 3");
	/* wrapping the current detail in a new one */
	assert_int_equal(rs_fail(RS_ERR_IO, "file x: %s", rs_err_detail()), RS_ERR_IO);
	assert_string_equal(rs_err_detail(), "file x: disk 3");
	assert_string_equal(rs_strerror(RS_ERR_NO_SPACE), "no space left on device");
	assert_string_equal(rs_strerror(12345), "unknown error");
}

static void
test_home_resolution(void **state)
{
	char *h = NULL;

	(void)state;
	setenv("RUNSEAL_HOME", "/env/home", 1);
	assert_int_equal(rs_home_resolve("/flag", &h), 0);
	assert_string_equal(h, "/flag");
	free(h);
	assert_int_equal(rs_home_resolve(NULL, &h), 0);
	assert_string_equal(h, "/env/home");
	free(h);
	unsetenv("RUNSEAL_HOME");
	setenv("XDG_DATA_HOME", "/xdg", 1);
	assert_int_equal(rs_home_resolve(NULL, &h), 0);
	assert_string_equal(h, "/xdg/runseal");
	free(h);
	unsetenv("XDG_DATA_HOME");
	setenv("HOME", "/home/u", 1);
	assert_int_equal(rs_home_resolve(NULL, &h), 0);
	assert_string_equal(h, "/home/u/.local/share/runseal");
	free(h);
	unsetenv("HOME");
	assert_int_equal(rs_home_resolve(NULL, &h), RS_ERR_CONFIG);
	assert_null(h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sha256_vectors),
		cmocka_unit_test(test_sha256_ctx_separates),
		cmocka_unit_test(test_sha256_copy_fd),
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_read_file_bounds),
		cmocka_unit_test(test_atomic_write_excl_and_mode),
		cmocka_unit_test(test_rm_rf_does_not_follow_symlinks),
		cmocka_unit_test(test_errors_and_exit_codes),
		cmocka_unit_test(test_home_resolution),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
