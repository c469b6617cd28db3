/*
 * Installed set-uid root (and with file capabilities) by the driver, in a
 * directory bound into the sandbox: executing it must grant nothing.
 */
#include "rt.h"

int
main(void)
{
	char line[256];
	FILE *f = fopen("/proc/self/status", "r");

	printf("uid %d euid %d\n", (int)getuid(), (int)geteuid());
	if (geteuid() != getuid())
		rt_escape("set-uid bit honoured: euid %d", (int)geteuid());
	while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "CapEff:", 7) == 0 || strncmp(line, "CapPrm:", 7) == 0) {
			if (strstr(line, "0000000000000000") == NULL)
				rt_escape("capabilities after exec: %s", line);
		}
	}
	if (f != NULL)
		fclose(f);
	printf("contained: no privilege from the set-uid binary\n");
	return rt_done();
}
