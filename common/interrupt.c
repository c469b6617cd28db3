#include "common/interrupt.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"

static volatile sig_atomic_t caught;
static int pipe_fds[2] = { -1, -1 };

static void
on_signal(int sig)
{
	int saved = errno;
	char b = 1;

	if (caught == 0)
		caught = sig;
	/* Non-blocking: a full pipe is already readable, which is all it signals. */
	(void)!write(pipe_fds[1], &b, 1);
	errno = saved;
}

int
rs_interrupt_catch(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa;
	size_t i;

	if (pipe_fds[0] >= 0)
		return 0;
	if (pipe2(pipe_fds, O_CLOEXEC | O_NONBLOCK) != 0) {
		pipe_fds[0] = pipe_fds[1] = -1;
		return rs_fail(rs_err_from_errno(errno), "interrupt pipe: %s", strerror(errno));
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	sigfillset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigaction(sigs[i], &sa, NULL) != 0)
			return rs_fail(RS_ERR_INTERNAL, "catching signal %d: %s", sigs[i],
			    strerror(errno));
	return 0;
}

int
rs_interrupted(void)
{
	return caught;
}

int
rs_interrupt_fd(void)
{
	return pipe_fds[0];
}
