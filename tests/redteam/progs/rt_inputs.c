/* Rewriting the inputs: /work/in and its files are read-only, whoever owns them. */
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include "rt.h"

int
main(int argc, char **argv)
{
	const char *in = argc > 1 ? argv[1] : "/work/in/data";
	struct timeval tv[2] = { { 1, 0 }, { 1, 0 } };

	rt_fails(open(in, O_WRONLY | O_TRUNC), "open an input for writing");
	rt_fails(open(in, O_RDWR | O_APPEND), "open an input for appending");
	rt_fails(unlink(in), "unlink an input");
	rt_fails(rename(in, "/work/in/renamed"), "rename an input");
	rt_fails(chmod(in, 0777), "chmod an input");
	rt_fails(truncate(in, 0), "truncate an input");
	rt_fails(utimes(in, tv), "utimes an input");
	rt_fails(open("/work/in/new", O_CREAT | O_WRONLY, 0644), "create a file in /work/in");
	rt_fails(mkdir("/work/in/dir", 0755), "mkdir in /work/in");
	rt_fails(symlink("/etc/passwd", "/work/in/link"), "symlink in /work/in");
	rt_fails(link(in, "/work/out/hard"), "hard link an input into /work/out");
	rt_fails(open("/usr/bin/planted", O_CREAT | O_WRONLY, 0755), "write into /usr");
	rt_fails(open("/etc/planted", O_CREAT | O_WRONLY, 0644), "write into /etc");
	rt_fails(open("/planted", O_CREAT | O_WRONLY, 0644), "write into /");
	rt_fails(open("/work/planted", O_CREAT | O_WRONLY, 0644), "write into /work");
	rt_fails(open("/etc/passwd", O_WRONLY | O_APPEND), "append to /etc/passwd");
	return rt_done();
}
