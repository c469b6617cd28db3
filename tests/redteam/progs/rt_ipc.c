/* SysV IPC objects of the host (key in argv[1]) are not visible. */
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include "rt.h"

int
main(int argc, char **argv)
{
	key_t key = argc > 1 ? (key_t)strtol(argv[1], NULL, 0) : 0x52535254;
	struct shmid_ds ds;
	int id;

	rt_fails(shmget(key, 0, 0), "shmget of the host's segment");
	rt_fails(msgget(key, 0), "msgget of the host's queue");
	rt_fails(semget(key, 0, 0), "semget of the host's semaphores");
	/* shmctl SHM_STAT over ids: nothing of the host is listed. */
	for (id = 0; id < 64; id++) {
		if (shmctl(id, SHM_STAT, &ds) >= 0)
			rt_escape("segment at index %d is visible", id);
	}
	printf("contained: no segment listed\n");
	return rt_done();
}
