/* A fork bomb: fork until refused, every child sleeping. Reports how far it got. */
#include <sys/wait.h>
#include "rt.h"

int
main(void)
{
	int n = 0;
	pid_t p;

	for (;;) {
		p = fork();
		if (p == 0) {
			pause();
			_exit(0);
		}
		if (p < 0)
			break;
		if (++n > 100000)
			break;
	}
	printf("forks before refusal: %d (%s)\n", n, p < 0 ? strerror(errno) : "none refused");
	if (p >= 0)
		rt_escape("100000 processes");
	/* The children die with the sandbox when this program ends. */
	return rt_done();
}
