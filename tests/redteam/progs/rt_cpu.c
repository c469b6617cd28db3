/* A busy loop, in argv[1] processes (default 1). */
#include "rt.h"

int
main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 1;
	volatile unsigned long x = 0;

	while (--n > 0 && fork() > 0)
		;
	for (;;)
		x++;
}
