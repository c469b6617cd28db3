/*
 * Memory bombs. argv[1]: heap (touched malloc), memfd (written memfd),
 * tmpfs (a file in /tmp), shm (SysV segment). Allocates until stopped.
 */
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include "rt.h"

#define CHUNK (8 << 20)

int
main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "heap";
	static char buf[1 << 20];
	long mb = 0;
	int fd = -1;

	memset(buf, 'x', sizeof(buf));
	if (strcmp(mode, "memfd") == 0)
		fd = memfd_create("bomb", 0);
	else if (strcmp(mode, "tmpfs") == 0)
		fd = open("/tmp/bomb", O_CREAT | O_WRONLY, 0600);
	for (;;) {
		if (strcmp(mode, "heap") == 0) {
			char *p = malloc(CHUNK);
			if (p == NULL)
				break;
			memset(p, 1, CHUNK);
			mb += CHUNK >> 20;
		} else if (strcmp(mode, "shm") == 0) {
			int id = shmget(IPC_PRIVATE, CHUNK, IPC_CREAT | 0600);
			char *p = id >= 0 ? shmat(id, NULL, 0) : (void *)-1;
			if (p == (void *)-1)
				break;
			memset(p, 1, CHUNK);
			mb += CHUNK >> 20;
		} else {
			if (fd < 0 || write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
				break;
			mb++;
		}
		if (mb > 64 * 1024) {
			rt_escape("allocated 64 GiB");
			break;
		}
	}
	printf("allocated %ld MiB before refusal (%s)\n", mb, strerror(errno));
	return rt_done();
}
