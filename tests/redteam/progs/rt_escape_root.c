/*
 * Leaving the root: "..", /proc/1/root, /proc/self/root, chdir up and
 * beyond, openat2 tricks. Every path must stay inside: the root's device
 * and inode never change and the host's files are not there.
 */
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include "rt.h"

static void
same_root(const char *path, const struct stat *root)
{
	struct stat st;

	if (stat(path, &st) != 0) {
		printf("contained: %s (%s)\n", path, strerror(errno));
		return;
	}
	if (st.st_dev != root->st_dev || st.st_ino != root->st_ino)
		rt_escape("%s is not the sandbox's root", path);
	else
		printf("contained: %s is the sandbox's root\n", path);
}

int
main(int argc, char **argv)
{
	struct stat root;
	int i, fd;

	if (stat("/", &root) != 0)
		return 98;
	same_root("/..", &root);
	same_root("/../../..", &root);
	same_root("/proc/1/root", &root);
	same_root("/proc/1/root/..", &root);
	same_root("/proc/self/root/../..", &root);
	same_root("/proc/2/cwd/../../..", &root);
	for (i = 0; i < 64; i++)
		if (chdir("..") != 0)
			break;
	same_root(".", &root);
	/* Host-only paths: the test passes the ledger and key paths as arguments too. */
	rt_fails(open("/etc/shadow", O_RDONLY), "open /etc/shadow");
	rt_fails(open("/root", O_RDONLY), "open /root");
	rt_fails(open("/home", O_RDONLY), "open /home");
	rt_fails(open("/run", O_RDONLY), "open /run");
	rt_fails(open("/var", O_RDONLY), "open /var");
	for (i = 1; i < argc; i++) {
		char what[300];
		snprintf(what, sizeof(what), "open %s", argv[i]);
		rt_fails(open(argv[i], O_RDONLY), what);
		snprintf(what, sizeof(what), "open /proc/1/root%s", argv[i]);
		fd = open("/proc/1/root", O_RDONLY | O_DIRECTORY);
		rt_fails(fd >= 0 ? openat(fd, argv[i] + 1, O_RDONLY) : -1, what);
		if (fd >= 0)
			close(fd);
	}
	return rt_done();
}
