/*
 * cgroup.c - one control group per run (contract and file table in
 * cgroup.h).
 */
#include "executor/cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "common/file.h"

#define LINE_MAX_BYTES 4096
#define GROUP_PREFIX "runseal-"

static const char *const v1_names[EXEC_CG_COUNT] = {
	[EXEC_CG_MEMORY] = "memory", [EXEC_CG_PIDS] = "pids", [EXEC_CG_CPU] = "cpuacct",
};

struct exec_cgroup {
	int version[EXEC_CG_COUNT];
	char *dir[EXEC_CG_COUNT];   /* the group's directory per controller, or NULL */
	char *v2;                   /* the v2 group (shared by v2 controllers), or NULL */
};

/* Where the caller's own cgroup is, per hierarchy. */
struct place {
	char *v2;                   /* v2: mount + our path, or NULL */
	char *v1[EXEC_CG_COUNT];    /* v1: mount + our path per controller, or NULL */
};

static void
place_free(struct place *pl)
{
	int i;

	free(pl->v2);
	for (i = 0; i < EXEC_CG_COUNT; i++)
		free(pl->v1[i]);
}

/* mountinfo escapes space, tab, newline and backslash as \ooo: undo in place. */
static void
unescape(char *s)
{
	char *d = s;

	for (; *s != '\0'; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*d++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*d++ = *s;
		}
	}
	*d = '\0';
}

/* 1 if the comma-separated list holds word. */
static int
has_word(const char *list, const char *word)
{
	size_t n = strlen(word);
	const char *p;

	for (p = list; p != NULL && *p != '\0'; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL) {
		if (strncmp(p, word, n) == 0 && (p[n] == ',' || p[n] == '\0'))
			return 1;
	}
	return 0;
}

/* mount point + (our path relative to the mount's root), or NULL if outside it. */
static char *
join_place(const char *mnt, const char *mroot, const char *path)
{
	size_t rl = strlen(mroot);
	char *s = NULL;

	if (strcmp(mroot, "/") == 0)
		rl = 0;
	else if (strncmp(path, mroot, rl) != 0 || (path[rl] != '/' && path[rl] != '\0'))
		return NULL;        /* our cgroup is not visible through this mount */
	path += rl;
	if (strcmp(path, "/") == 0)
		path = "";
	if (asprintf(&s, "%s%s", mnt, path) < 0)
		return NULL;
	return s;
}

/*
 * Our path in the v2 hierarchy and in each v1 hierarchy (from self_cgroup),
 * joined with where each hierarchy is mounted (from mountinfo).
 */
static int
find_place(const char *mountinfo, const char *self_cgroup, struct place *pl)
{
	char *paths_v1[EXEC_CG_COUNT] = { NULL }, *path_v2 = NULL;
	char line[LINE_MAX_BYTES];
	FILE *f = NULL;
	int i, r = RS_ERR_INTERNAL;

	memset(pl, 0, sizeof(*pl));
	if ((f = fopen(self_cgroup, "re")) == NULL) {
		r = 0;              /* no cgroups at all */
		goto out;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char *c1 = strchr(line, ':'), *c2, *nl;
		if (c1 == NULL || (c2 = strchr(c1 + 1, ':')) == NULL)
			continue;
		if ((nl = strchr(c2, '\n')) != NULL)
			*nl = '\0';
		*c2 = '\0';
		if (c2[1] != '/')
			continue;
		if (c1 == line + 1 && line[0] == '0' && c1[1] == '\0') {
			free(path_v2);
			if ((path_v2 = strdup(c2 + 1)) == NULL) {
				r = RS_ERR_ALLOC;
				goto out;
			}
			continue;
		}
		for (i = 0; i < EXEC_CG_COUNT; i++) {
			if (has_word(c1 + 1, v1_names[i]) && paths_v1[i] == NULL &&
			    (paths_v1[i] = strdup(c2 + 1)) == NULL) {
				r = RS_ERR_ALLOC;
				goto out;
			}
		}
	}
	fclose(f);
	if ((f = fopen(mountinfo, "re")) == NULL) {
		r = rs_fail(RS_ERR_SANDBOX, "cgroups: %s: %s", mountinfo, strerror(errno));
		goto out;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char *field[6], *sep, *save = NULL, *fstype, *super;
		int n = 0;

		if ((sep = strstr(line, " - ")) == NULL)
			continue;
		*sep = '\0';
		for (char *t = strtok_r(line, " ", &save); t != NULL && n < 6;
		    t = strtok_r(NULL, " ", &save))
			field[n++] = t;
		if (n < 5)
			continue;
		save = NULL;
		fstype = strtok_r(sep + 3, " ", &save);
		(void)strtok_r(NULL, " ", &save);           /* source */
		super = strtok_r(NULL, " \n", &save);
		if (fstype == NULL || super == NULL)
			continue;
		unescape(field[3]);
		unescape(field[4]);
		if (strcmp(fstype, "cgroup2") == 0 && path_v2 != NULL && pl->v2 == NULL) {
			pl->v2 = join_place(field[4], field[3], path_v2);
		} else if (strcmp(fstype, "cgroup") == 0) {
			for (i = 0; i < EXEC_CG_COUNT; i++) {
				if (paths_v1[i] != NULL && pl->v1[i] == NULL &&
				    has_word(super, v1_names[i]))
					pl->v1[i] = join_place(field[4], field[3], paths_v1[i]);
			}
		}
	}
	r = 0;
out:
	if (f != NULL)
		fclose(f);
	free(path_v2);
	for (i = 0; i < EXEC_CG_COUNT; i++)
		free(paths_v1[i]);
	if (r != 0)
		place_free(pl);
	return r;
}

/* Write text to dir/file; returns 0 or an errno value. */
static int
write_at(const char *dir, const char *file, const char *text)
{
	char path[PATH_MAX];
	size_t len = strlen(text);
	ssize_t n;
	int fd, err = 0;

	if (snprintf(path, sizeof(path), "%s/%s", dir, file) >= (int)sizeof(path))
		return ENAMETOOLONG;
	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) < 0)
		return errno;
	n = write(fd, text, len);
	if (n < 0)
		err = errno;
	else if ((size_t)n != len)
		err = EIO;
	if (close(fd) != 0 && err == 0)
		err = errno;
	return err;
}

static int
write_u64(const char *dir, const char *file, uint64_t v)
{
	char text[32];

	snprintf(text, sizeof(text), "%" PRIu64, v);
	return write_at(dir, file, text);
}

/* Read dir/file into buf (NUL-terminated); 0 or an errno value. */
static int
read_at(const char *dir, const char *file, char *buf, size_t len)
{
	char path[PATH_MAX];
	ssize_t n;
	size_t have = 0;
	int fd;

	if (snprintf(path, sizeof(path), "%s/%s", dir, file) >= (int)sizeof(path))
		return ENAMETOOLONG;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return errno;
	while (have < len - 1) {
		n = read(fd, buf + have, len - 1 - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		have += (size_t)n;
	}
	close(fd);
	buf[have] = '\0';
	return 0;
}

/* The value after "key " on a line of a flat-keyed file, or 0. */
static uint64_t
keyed(const char *dir, const char *file, const char *key)
{
	char buf[4096], *p;
	size_t kl = strlen(key);

	if (dir == NULL || read_at(dir, file, buf, sizeof(buf)) != 0)
		return 0;
	for (p = buf; p != NULL && *p != '\0'; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (strncmp(p, key, kl) == 0 && p[kl] == ' ')
			return strtoull(p + kl + 1, NULL, 10);
	}
	return 0;
}

static uint64_t
single(const char *dir, const char *file)
{
	char buf[64];

	if (dir == NULL || read_at(dir, file, buf, sizeof(buf)) != 0)
		return 0;
	return strtoull(buf, NULL, 10);
}

static int
file_exists(const char *dir, const char *file)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return access(path, F_OK) == 0;
}

/*
 * Remove groups of earlier runs whose runseal process is gone; they are
 * empty, since the sandbox dies with its parent. Failures are ignored.
 */
static void
sweep(const char *parent)
{
	struct dirent *de;
	char path[PATH_MAX];
	DIR *d;

	if ((d = opendir(parent)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		char *end;
		long pid;

		if (strncmp(de->d_name, GROUP_PREFIX, strlen(GROUP_PREFIX)) != 0)
			continue;
		pid = strtol(de->d_name + strlen(GROUP_PREFIX), &end, 10);
		if (pid <= 0 || *end != '-' || (kill((pid_t)pid, 0) == 0 || errno != ESRCH))
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", parent, de->d_name) <
		    (int)sizeof(path))
			(void)rmdir(path);
	}
	closedir(d);
}

/* mkdir parent/runseal-<pid>-<n> into *out; 0, or an errno value. */
static int
make_group(const char *parent, char **out)
{
	static unsigned long counter;
	unsigned long n = __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED);
	char *path = NULL;

	*out = NULL;
	sweep(parent);
	if (asprintf(&path, "%s/" GROUP_PREFIX "%ld-%lu", parent, (long)getpid(), n) < 0)
		return ENOMEM;
	if (mkdir(path, 0755) != 0) {
		int err = errno;
		free(path);
		return err;
	}
	*out = path;
	return 0;
}

/* 1 if the space-separated list in dir/file holds word. */
static int
listed(const char *dir, const char *file, const char *word)
{
	char buf[1024], *t, *save = NULL;

	if (read_at(dir, file, buf, sizeof(buf)) != 0)
		return 0;
	for (t = strtok_r(buf, " \n", &save); t != NULL; t = strtok_r(NULL, " \n", &save))
		if (strcmp(t, word) == 0)
			return 1;
	return 0;
}

/* v2: a controller our children can use: in subtree_control, or enabled now. */
static int
v2_offers(const char *ours, const char *ctl)
{
	char text[32];

	if (listed(ours, "cgroup.subtree_control", ctl))
		return 1;
	if (!listed(ours, "cgroup.controllers", ctl))
		return 0;
	/* Refused when our cgroup holds processes (not the root) or is not ours. */
	snprintf(text, sizeof(text), "+%s", ctl);
	return write_at(ours, "cgroup.subtree_control", text) == 0;
}

static int
cfg_fail(const char *dir, const char *file, uint64_t v, int err)
{
	return rs_fail(RS_ERR_SANDBOX, "cgroup: setting %s/%s to %" PRIu64 ": %s", dir, file,
	    v, strerror(err));
}

static int
setup_v2(struct exec_cgroup *cg, uint64_t memory_bytes, uint64_t pids)
{
	int err;

	if (cg->version[EXEC_CG_MEMORY] == 2) {
		if ((err = write_u64(cg->v2, "memory.max", memory_bytes)) != 0)
			return cfg_fail(cg->v2, "memory.max", memory_bytes, err);
		if (file_exists(cg->v2, "memory.swap.max") &&
		    (err = write_u64(cg->v2, "memory.swap.max", 0)) != 0)
			return cfg_fail(cg->v2, "memory.swap.max", 0, err);
	}
	if (cg->version[EXEC_CG_PIDS] == 2 && (err = write_u64(cg->v2, "pids.max", pids)) != 0)
		return cfg_fail(cg->v2, "pids.max", pids, err);
	return 0;
}

static int
setup_v1(struct exec_cgroup *cg, uint64_t memory_bytes, uint64_t pids)
{
	const char *m = cg->dir[EXEC_CG_MEMORY], *p = cg->dir[EXEC_CG_PIDS];
	int err;

	if (cg->version[EXEC_CG_MEMORY] == 1) {
		if ((err = write_u64(m, "memory.limit_in_bytes", memory_bytes)) != 0)
			return cfg_fail(m, "memory.limit_in_bytes", memory_bytes, err);
		/* With swap accounting, memory + swap is held to the same bound. */
		if (file_exists(m, "memory.memsw.limit_in_bytes") &&
		    (err = write_u64(m, "memory.memsw.limit_in_bytes", memory_bytes)) != 0)
			return cfg_fail(m, "memory.memsw.limit_in_bytes", memory_bytes, err);
	}
	if (cg->version[EXEC_CG_PIDS] == 1 && (err = write_u64(p, "pids.max", pids)) != 0)
		return cfg_fail(p, "pids.max", pids, err);
	return 0;
}

int
exec_cgroup_create_at(const char *mountinfo, const char *self_cgroup,
    uint64_t memory_bytes, uint64_t pids, struct exec_cgroup **out,
    struct exec_cgroup_info *info)
{
	struct exec_cgroup *cg = NULL;
	struct place pl;
	int i, any = 0, v2_wanted = 0, err, r = RS_ERR_INTERNAL;

	*out = NULL;
	memset(info, 0, sizeof(*info));
	memset(&pl, 0, sizeof(pl));
	if ((r = find_place(mountinfo, self_cgroup, &pl)) != 0)
		goto out;
	if ((cg = calloc(1, sizeof(*cg))) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	/* v2 first, per controller; a v2 group always accounts CPU (cpu.stat is core). */
	if (pl.v2 != NULL && access(pl.v2, W_OK) == 0) {
		if (v2_offers(pl.v2, "memory"))
			cg->version[EXEC_CG_MEMORY] = 2;
		if (v2_offers(pl.v2, "pids"))
			cg->version[EXEC_CG_PIDS] = 2;
		v2_wanted = cg->version[EXEC_CG_MEMORY] == 2 || cg->version[EXEC_CG_PIDS] == 2 ||
		    pl.v1[EXEC_CG_CPU] == NULL;
		if (v2_wanted && make_group(pl.v2, &cg->v2) == 0) {
			cg->version[EXEC_CG_CPU] = 2;
			for (i = 0; i < EXEC_CG_COUNT; i++)
				if (cg->version[i] == 2)
					cg->dir[i] = cg->v2;
		} else {
			cg->version[EXEC_CG_MEMORY] = cg->version[EXEC_CG_PIDS] = 0;
		}
	}
	for (i = 0; i < EXEC_CG_COUNT; i++) {
		if (cg->version[i] != 0 || pl.v1[i] == NULL)
			continue;
		/* Not writable (an unprivileged caller, no delegation): not offered. */
		if ((err = make_group(pl.v1[i], &cg->dir[i])) == 0)
			cg->version[i] = 1;
		else if (err != EACCES && err != EPERM && err != EROFS && err != ENOENT) {
			r = rs_fail(RS_ERR_SANDBOX, "cgroup: creating a group in %s: %s", pl.v1[i],
			    strerror(err));
			goto out;
		}
	}
	if ((r = setup_v2(cg, memory_bytes, pids)) != 0 ||
	    (r = setup_v1(cg, memory_bytes, pids)) != 0)
		goto out;
	for (i = 0; i < EXEC_CG_COUNT; i++) {
		info->version[i] = cg->version[i];
		any |= cg->version[i] != 0;
	}
	if (any) {
		*out = cg;
		cg = NULL;
	}
	r = 0;
out:
	exec_cgroup_destroy(cg);
	place_free(&pl);
	return r;
}

int
exec_cgroup_create(uint64_t memory_bytes, uint64_t pids, struct exec_cgroup **out,
    struct exec_cgroup_info *info)
{
	return exec_cgroup_create_at("/proc/self/mountinfo", "/proc/self/cgroup",
	    memory_bytes, pids, out, info);
}

int
exec_cgroup_attach(struct exec_cgroup *cg, pid_t pid)
{
	char text[32];
	int i, j, err;

	snprintf(text, sizeof(text), "%ld", (long)pid);
	for (i = 0; i < EXEC_CG_COUNT; i++) {
		if (cg->dir[i] == NULL)
			continue;
		for (j = 0; j < i; j++)
			if (cg->dir[j] == cg->dir[i])
				break;
		if (j < i)
			continue;   /* the shared v2 group: done */
		if ((err = write_at(cg->dir[i], "cgroup.procs", text)) != 0)
			return rs_fail(RS_ERR_SANDBOX, "cgroup: moving the sandbox into %s: %s",
			    cg->dir[i], strerror(err));
	}
	return 0;
}

int
exec_cgroup_clone_fd(const struct exec_cgroup *cg)
{
	int i;

	for (i = 0; i < EXEC_CG_COUNT; i++)
		if (cg->dir[i] != NULL && cg->version[i] != 2)
			return -1;
	return cg->v2 != NULL ? open(cg->v2, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
}

uint64_t
exec_cgroup_cpu_usec(struct exec_cgroup *cg)
{
	if (cg == NULL)
		return 0;
	if (cg->version[EXEC_CG_CPU] == 2)
		return keyed(cg->dir[EXEC_CG_CPU], "cpu.stat", "usage_usec");
	if (cg->version[EXEC_CG_CPU] == 1)
		return single(cg->dir[EXEC_CG_CPU], "cpuacct.usage") / 1000;
	return 0;
}

void
exec_cgroup_stats(struct exec_cgroup *cg, struct exec_cgroup_stats *st)
{
	const char *m, *p;

	memset(st, 0, sizeof(*st));
	if (cg == NULL)
		return;
	m = cg->dir[EXEC_CG_MEMORY];
	p = cg->dir[EXEC_CG_PIDS];
	if (cg->version[EXEC_CG_MEMORY] == 2) {
		st->oom_kills = keyed(m, "memory.events", "oom_kill");
		st->peak_memory = single(m, "memory.peak");
	} else if (cg->version[EXEC_CG_MEMORY] == 1) {
		st->oom_kills = keyed(m, "memory.oom_control", "oom_kill");
		st->peak_memory = single(m, "memory.max_usage_in_bytes");
	}
	if (cg->version[EXEC_CG_PIDS] != 0)
		st->pids_refused = keyed(p, "pids.events", "max");
	st->cpu_usec = exec_cgroup_cpu_usec(cg);
}

void
exec_cgroup_destroy(struct exec_cgroup *cg)
{
	int i, j, tries;

	if (cg == NULL)
		return;
	for (i = 0; i < EXEC_CG_COUNT; i++) {
		if (cg->dir[i] == NULL || cg->dir[i] == cg->v2)
			continue;
		for (j = i + 1; j < EXEC_CG_COUNT; j++)
			if (cg->dir[j] == cg->dir[i])
				cg->dir[j] = NULL;
		/* The last task may still be leaving the group: retry briefly. */
		for (tries = 0; rmdir(cg->dir[i]) != 0 && errno == EBUSY && tries < 50; tries++)
			usleep(2000);
		free(cg->dir[i]);
	}
	if (cg->v2 != NULL) {
		for (tries = 0; rmdir(cg->v2) != 0 && errno == EBUSY && tries < 50; tries++)
			usleep(2000);
		free(cg->v2);
	}
	free(cg);
}
