/* bpf, perf_event_open and userfaultfd must be refused. */
#include <linux/perf_event.h>
#include <sys/syscall.h>
#include "rt.h"

int
main(void)
{
	struct perf_event_attr pa;
	char attr[128];

	memset(attr, 0, sizeof(attr));
	rt_fails(syscall(SYS_bpf, 0 /* BPF_MAP_CREATE */, attr, sizeof(attr)), "bpf");
	memset(&pa, 0, sizeof(pa));
	pa.type = PERF_TYPE_SOFTWARE;
	pa.size = sizeof(pa);
	pa.config = PERF_COUNT_SW_CPU_CLOCK;
	rt_fails(syscall(SYS_perf_event_open, &pa, 0, -1, -1, 0), "perf_event_open");
	rt_fails(syscall(SYS_userfaultfd, 0), "userfaultfd");
	return rt_done();
}
