/* Descriptors leaked from the executor: only 0, 1 and 2 may be open. */
#include <dirent.h>
#include <fcntl.h>
#include <sys/resource.h>
#include "rt.h"

int
main(void)
{
	struct rlimit rl;
	struct dirent *de;
	DIR *d;
	long fd, max = 65536;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)max)
		max = (long)rl.rlim_cur;
	for (fd = 3; fd < max; fd++) {
		if (fcntl((int)fd, F_GETFD) >= 0)
			rt_escape("descriptor %ld is open", fd);
	}
	printf("contained: descriptors 3..%ld are closed\n", max - 1);
	if ((d = opendir("/proc/self/fd")) == NULL)
		return 98;
	while ((de = readdir(d)) != NULL) {
		char link[256], path[300];
		ssize_t n;
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/fd/%s", de->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		link[n > 0 ? n : 0] = '\0';
		printf("fd %s -> %s\n", de->d_name, link);
	}
	closedir(d);
	rt_fails(open("/proc/1/fd/3", O_RDONLY), "open init's descriptor 3");
	rt_fails(opendir("/proc/1/fd") != NULL ? 0 : -1, "list init's descriptors");
	return rt_done();
}
