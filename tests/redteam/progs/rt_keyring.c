/* Kernel keyrings: keyctl, add_key, request_key must be refused (seccomp). */
#include <sys/syscall.h>
#include "rt.h"

int
main(void)
{
	rt_fails(syscall(SYS_add_key, "user", "rt", "secret", 6, -2 /* session */), "add_key");
	rt_fails(syscall(SYS_request_key, "user", "rt", NULL, 0), "request_key");
	rt_fails(syscall(SYS_keyctl, 0 /* GET_KEYRING_ID */, -4 /* user */, 0, 0, 0), "keyctl");
	return rt_done();
}
