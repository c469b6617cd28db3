/*
 * measure.h - internal to the executor: facts about the host that ran the
 * program.
 */
#ifndef RS_EXEC_MEASURE_H
#define RS_EXEC_MEASURE_H

#include "attest/run.h"

/*
 * Fill run's environment measurement: executor_sha256 (SHA-256 of the
 * running executable, /proc/self/exe), kernel_release and machine (uname),
 * hostname (the host's, not the sandbox's), and the rootfs: "host" and not
 * measured (rootfs_measured = 0), since the sandbox binds the host's /usr.
 */
int exec_measure_host(struct attest_run *run);

#endif
