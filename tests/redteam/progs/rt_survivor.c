/*
 * A survivor: the program exits at once, leaving a setsid, double-forked
 * grandchild that keeps writing to /work/out/log and to stdout. The run
 * must end anyway, and nothing may write after it ended.
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include "rt.h"

int
main(void)
{
	pid_t p = fork();
	int fd, i;

	if (p == 0) {
		setsid();
		signal(SIGHUP, SIG_IGN);
		if (fork() != 0)
			_exit(0);
		fd = open("/work/out/log", O_CREAT | O_WRONLY | O_APPEND, 0644);
		for (i = 0;; i++) {
			char line[64];
			int n = snprintf(line, sizeof(line), "still here %d\n", i);
			if (write(fd, line, (size_t)n) < 0 || write(1, line, (size_t)n) < 0)
				_exit(1);
			usleep(10000);
		}
	}
	waitpid(p, NULL, 0);
	usleep(50000);
	printf("main exits\n");
	return 0;
}
