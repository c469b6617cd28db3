/*
 * fuzz_policy: sandbox policy files (executor/policy.h), through
 * exec_policy_load() reading the input as a file (a memfd).
 *
 * Oracle: a policy that loads has a canonical JSON that loads again to the
 * same policy (the same canonical JSON), and every path in it passes
 * exec_policy_path_valid().
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "executor/policy.h"
#include "tests/fuzz/fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct exec_policy *p = NULL, *p2 = NULL;
	const char *json;
	char path[64];
	size_t i;
	int fd, fd2;

	rs_log_set_level(RS_LOG_QUIET);
	if ((fd = fuzz_memfile(data, size, path)) < 0)
		return 0;
	if (exec_policy_load(path, &p) == 0) {
		FUZZ_CHECK(p != NULL);
		json = exec_policy_json(p);
		FUZZ_CHECK(json != NULL);
		FUZZ_CHECK((fd2 = fuzz_memfile(json, strlen(json), path)) >= 0);
		FUZZ_CHECK(exec_policy_load(path, &p2) == 0);
		FUZZ_CHECK(strcmp(json, exec_policy_json(p2)) == 0);
		FUZZ_CHECK(p->rootfs == NULL || exec_policy_path_valid(p->rootfs));
		for (i = 0; i < p->n_binds; i++)
			FUZZ_CHECK(exec_policy_path_valid(p->binds[i].source) &&
			    exec_policy_path_valid(p->binds[i].target));
		close(fd2);
	} else {
		FUZZ_CHECK(p == NULL);
	}
	exec_policy_free(p);
	exec_policy_free(p2);
	close(fd);
	rs_err_clear();
	return 0;
}
