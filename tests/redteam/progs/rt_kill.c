/*
 * Signals: kill(-1) reaches every process the caller may signal, which
 * must be the sandbox's only; host pids given in argv are not there.
 */
#include <signal.h>
#include <sys/wait.h>
#include "rt.h"

int
main(int argc, char **argv)
{
	pid_t child;
	int i, st = 0;

	for (i = 1; i < argc; i++) {
		char what[64];
		snprintf(what, sizeof(what), "kill host pid %s", argv[i]);
		rt_fails(kill((pid_t)atoi(argv[i]), SIGKILL), what);
	}
	rt_fails(kill(1, SIGKILL) == 0 && kill(1, 0) != 0 ? 0 : -1, "kill init");
	if ((child = fork()) == 0) {
		signal(SIGTERM, SIG_IGN);
		/* Everything but ourselves; the parent (the program) too. */
		kill(-1, SIGKILL);
		_exit(0);
	}
	waitpid(child, &st, 0);
	printf("contained: kill(-1) reached only the sandbox\n");
	return rt_done();
}
