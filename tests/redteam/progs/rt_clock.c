/* Setting the clock must be refused (it is the host's). */
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timex.h>
#include <time.h>
#include "rt.h"

int
main(void)
{
	struct timespec ts = { 1000000000, 0 };
	struct timeval tv = { 1000000000, 0 };
	struct timex tx;

	memset(&tx, 0, sizeof(tx));
	tx.modes = ADJ_OFFSET;
	tx.offset = 1000000;
	rt_fails(syscall(SYS_clock_settime, CLOCK_REALTIME, &ts), "clock_settime");
	rt_fails(syscall(SYS_settimeofday, &tv, NULL), "settimeofday");
	rt_fails(syscall(SYS_adjtimex, &tx), "adjtimex");
	rt_fails(syscall(SYS_clock_adjtime, CLOCK_REALTIME, &tx), "clock_adjtime");
	return rt_done();
}
