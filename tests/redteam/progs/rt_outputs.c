/*
 * Hostile outputs. argv[1]: links (symlinks out, a FIFO, a socket, hard
 * links), deep N (a tree N levels deep), long (names and paths at the
 * limits), many N (N files).
 */
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include "rt.h"

static void
touch(const char *path, const char *text)
{
	int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);

	if (fd >= 0) {
		if (write(fd, text, strlen(text)) < 0)
			perror(path);
		close(fd);
	}
}

int
main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "links";
	long n = argc > 2 ? atol(argv[2]) : 0, i;
	char path[8192];

	if (strcmp(mode, "links") == 0) {
		struct sockaddr_un a;
		int s;
		touch("/work/out/real", "real\n");
		touch("/tmp/outside", "outside\n");
		if (symlink("/etc/passwd", "/work/out/to-passwd") != 0 ||
		    symlink("../../../../../../etc/hostname", "/work/out/dotdot") != 0 ||
		    symlink("/proc/self/root/etc/passwd", "/work/out/magic") != 0 ||
		    symlink("/tmp/outside", "/work/out/to-tmp") != 0)
			perror("symlink");
		if (mkfifo("/work/out/fifo", 0644) != 0)
			perror("mkfifo");
		memset(&a, 0, sizeof(a));
		a.sun_family = AF_UNIX;
		strcpy(a.sun_path, "/work/out/sock");
		s = socket(AF_UNIX, SOCK_STREAM, 0);
		if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) != 0)
			perror("bind");
		rt_fails(link("/tmp/outside", "/work/out/hard-outside"), "hard link from /tmp");
		rt_fails(link("/work/in/data", "/work/out/hard-input"), "hard link from /work/in");
		if (link("/work/out/real", "/work/out/hard-inside") != 0)
			perror("link");
	} else if (strcmp(mode, "deep") == 0) {
		strcpy(path, "/work/out");
		for (i = 0; i < n; i++) {
			strcat(path, "/d");
			if (mkdir(path, 0755) != 0)
				break;
		}
		strcat(path, "/leaf");
		touch(path, "leaf\n");
		printf("made %ld levels\n", i);
	} else if (strcmp(mode, "long") == 0) {
		char name[256];
		memset(name, 'n', 255);
		name[255] = '\0';
		strcpy(path, "/work/out");
		for (i = 0; i < 8; i++) {
			strcat(path, "/");
			strcat(path, name);
			if (mkdir(path, 0755) != 0)
				break;
		}
		strcat(path, "/f");
		touch(path, "far\n");
		touch("/work/out/short", "short\n");
	} else if (strcmp(mode, "many") == 0) {
		for (i = 0; i < n; i++) {
			snprintf(path, sizeof(path), "/work/out/m%07ld", i);
			touch(path, "");
		}
	}
	return rt_done();
}
