/*
 * Filling the disk. argv[1]: bytes (one big file in argv[2]'s directory),
 * inodes (empty files until refused). Reports where it stopped.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include "rt.h"

int
main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "bytes";
	const char *dir = argc > 2 ? argv[2] : "/work/out";
	static char buf[1 << 20];
	char path[256];
	long n = 0;
	int fd;

	if (strcmp(mode, "bytes") == 0) {
		snprintf(path, sizeof(path), "%s/fill", dir);
		if ((fd = open(path, O_CREAT | O_WRONLY, 0644)) < 0)
			return 98;
		while (write(fd, buf, sizeof(buf)) == (ssize_t)sizeof(buf))
			if (++n > 1024 * 1024)
				break;
		printf("wrote %ld MiB before refusal (%s)\n", n, strerror(errno));
		close(fd);
		if (n > 64 * 1024)
			rt_escape("wrote 64 GiB");
	} else {
		for (;;) {
			snprintf(path, sizeof(path), "%s/f%ld", dir, n);
			if ((fd = open(path, O_CREAT | O_WRONLY, 0644)) < 0)
				break;
			close(fd);
			if (++n >= 1000000)
				break;
		}
		printf("created %ld files before refusal (%s)\n", n, strerror(errno));
		if (n >= 1000000)
			rt_escape("a million files");
	}
	return rt_done();
}
