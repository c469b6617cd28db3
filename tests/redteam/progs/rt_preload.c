/*
 * An LD_PRELOAD library given through the request: it runs inside the
 * sandbox (as the program may) and tries what a library could: read the
 * host's secrets named in RT_SECRET_PATHS (colon-separated), write outside.
 */
#include <fcntl.h>
#include "rt.h"

__attribute__((constructor))
static void
rt_preload(void)
{
	const char *paths = getenv("RT_SECRET_PATHS");
	char buf[4096], *p, *save = NULL;

	printf("preload ran\n");
	if (paths != NULL && strlen(paths) < sizeof(buf)) {
		strcpy(buf, paths);
		for (p = strtok_r(buf, ":", &save); p != NULL; p = strtok_r(NULL, ":", &save)) {
			char what[300];
			snprintf(what, sizeof(what), "preload: open %s", p);
			rt_fails(open(p, O_RDONLY), what);
		}
	}
	rt_fails(open("/usr/lib/preload-planted", O_CREAT | O_WRONLY, 0644), "preload: write /usr");
	fflush(stdout);
	if (rt_escaped)
		_exit(99);
}
