/* A tracked child killed by a signal (a worker a pool terminates, a job a shell
 * kills) cannot remove its own state file, nor can a child that exec'ed a
 * program that is not tracked.  Its parent, when it reaps it, can: the wait
 * family is wrapped, and a reaped child's file is removed (if it is still
 * there: a child that ended by exit or _exit removed its own).  Once reaped its pid is free, so the file is removed only
 * if no process holds that pid again.  Parents that never wait (SIGCHLD
 * ignored) leave the file to `parttrack list`, which removes files of dead
 * processes. */
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include "pt_internal.h"

static void reaped(pid_t pid, int status)
{
	if (pid <= 0 || !(WIFEXITED(status) || WIFSIGNALED(status)))
		return; /* stopped or continued: not reaped */
	/* often called from a SIGCHLD handler (bash): async-signal-safe calls only,
	 * so the path is built by hand rather than with pt_shm_path's snprintf */
	int e = errno;
	char path[64] = "/dev/shm/parttrack.", digits[16];
	int n = 0;
	for (unsigned v = (unsigned)pid; v; v /= 10)
		digits[n++] = (char)('0' + v % 10);
	size_t k = sizeof "/dev/shm/parttrack." - 1;
	while (n)
		path[k++] = digits[--n];
	path[k] = 0;
	if (kill(pid, 0) < 0 && errno == ESRCH)
		unlink(path);
	errno = e;
}

#define REAL(type, name, args) \
	static type(*real) args; \
	if (!real) \
		real = (type(*) args)dlsym(RTLD_NEXT, name)

pid_t waitpid(pid_t pid, int *st, int opt)
{
	REAL(pid_t, "waitpid", (pid_t, int *, int));
	int s = 0;
	pid_t r = real(pid, &s, opt);
	if (st)
		*st = s;
	reaped(r, s);
	return r;
}

pid_t wait(int *st)
{
	return waitpid(-1, st, 0);
}

pid_t wait4(pid_t pid, int *st, int opt, struct rusage *ru)
{
	REAL(pid_t, "wait4", (pid_t, int *, int, struct rusage *));
	int s = 0;
	pid_t r = real(pid, &s, opt, ru);
	if (st)
		*st = s;
	reaped(r, s);
	return r;
}

pid_t wait3(int *st, int opt, struct rusage *ru)
{
	return wait4(-1, st, opt, ru);
}

int waitid(idtype_t type, id_t id, siginfo_t *info, int opt)
{
	REAL(int, "waitid", (idtype_t, id_t, siginfo_t *, int));
	int r = real(type, id, info, opt);
	if (r == 0 && info && info->si_pid > 0 && !(opt & WNOWAIT) &&
	    (info->si_code == CLD_EXITED || info->si_code == CLD_KILLED || info->si_code == CLD_DUMPED))
		reaped(info->si_pid, 0); /* a status word meaning "exited" */
	return r;
}
