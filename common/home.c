#include "common/home.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/file.h"

int
rs_home_resolve(const char *flag, char **out)
{
	const char *v;
	char *s = NULL;

	*out = NULL;
	if (flag != NULL && flag[0] != '\0')
		s = strdup(flag);
	else if ((v = getenv("RUNSEAL_HOME")) != NULL && v[0] != '\0')
		s = strdup(v);
	else if ((v = getenv("XDG_DATA_HOME")) != NULL && v[0] == '/')
		s = rs_path_join(v, "runseal");
	else if ((v = getenv("HOME")) != NULL && v[0] == '/')
		s = rs_path_join(v, ".local/share/runseal");
	else
		return rs_fail(RS_ERR_CONFIG,
		    "no home directory: pass --home DIR or set RUNSEAL_HOME");
	if (s == NULL)
		return RS_ERR_ALLOC;
	*out = s;
	return 0;
}

char *
rs_home_path(const char *home, const char *name)
{
	return rs_path_join(home, name);
}
