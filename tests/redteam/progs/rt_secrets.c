/*
 * Host secrets: the paths in argv[3...] (the host's ~/.ssh, ~/.aws, .netrc,
 * /run/secrets, the ledger, the signing key) must not open, and the canary
 * of the host's environment, given in two halves (argv[1], argv[2]: the
 * argv is recorded, the canary must not be), must not be in any
 * /proc/<pid>/environ or cmdline the sandbox can read.
 */
#include <dirent.h>
#include <fcntl.h>
#include "rt.h"

static void
scan(const char *path, const char *needle)
{
	char buf[65536];
	ssize_t n, i;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	for (i = 0; n > 0 && i + (ssize_t)strlen(needle) <= n; i++) {
		if (memcmp(buf + i, needle, strlen(needle)) == 0) {
			rt_escape("the canary is in %s", path);
			return;
		}
	}
}

int
main(int argc, char **argv)
{
	struct dirent *de;
	char path[300], what[300], needle[256];
	DIR *d;
	int i;

	if (argc < 3 || strlen(argv[1]) + strlen(argv[2]) >= sizeof(needle))
		return 98;
	strcpy(needle, argv[1]);
	strcat(needle, argv[2]);
	for (i = 3; i < argc; i++) {
		snprintf(what, sizeof(what), "open %s", argv[i]);
		rt_fails(open(argv[i], O_RDONLY), what);
	}
	if ((d = opendir("/proc")) == NULL)
		return 98;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/environ", de->d_name);
		scan(path, needle);
		snprintf(path, sizeof(path), "/proc/%s/cmdline", de->d_name);
		scan(path, needle);
	}
	closedir(d);
	scan("/proc/self/environ", needle);
	printf("contained: the canary is in no environ or cmdline\n");
	return rt_done();
}
