/* parttrack swap: hand the request to the process's helper thread through the
 * request slot of the shared file and wait for its verdict. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <linux/futex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "commands.h"
#include "proctree.h"
#include "shmview.h"

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void futex_wait_ms(_Atomic uint32_t *w, uint32_t val, int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	syscall(SYS_futex, w, FUTEX_WAIT, val, &ts, NULL, 0);
}

/* The target died (a zombie maps nothing) or exec'ed an image that is not tracked. */
static int target_gone(int pid)
{
	char path[128];
	pt_shm_path(path, sizeof path, pid);
	return (kill(pid, 0) < 0 && errno == ESRCH) || pt_proc_maps_file(pid, path) == 0;
}

int cmd_swap(int argc, char **argv)
{
	unsigned long timeout = 5000;
	int i = 1;
	if (i + 1 < argc && strcmp(argv[i], "-t") == 0) {
		char *end;
		timeout = strtoul(argv[i + 1], &end, 10);
		if (*end || !*argv[i + 1] || timeout > 3600000) {
			fprintf(stderr, "parttrack: bad timeout '%s' (milliseconds)\n", argv[i + 1]);
			return 2;
		}
		i += 2;
	}
	if (argc - i != 3) {
		fprintf(stderr, "usage: parttrack swap [-t TIMEOUT_MS] PID OLD_LIBRARY NEW_LIBRARY_FILE\n");
		return 2;
	}
	const char *old = argv[i + 1], *newf = argv[i + 2];
	char abs[PATH_MAX];
	struct stat st;
	if (stat(newf, &st) < 0 || !realpath(newf, abs)) {
		fprintf(stderr, "parttrack: cannot open new library '%s': %s\n", newf, strerror(errno));
		return 1;
	}
	if (strlen(old) >= PT_NAME_MAX || strlen(abs) >= PT_NAME_MAX * 4) {
		fprintf(stderr, "parttrack: name too long\n");
		return 1;
	}
	int pid;
	struct pt_header *h = pt_view_open(argv[i], 1, &pid);
	if (!h)
		return 1;
	struct pt_request *r = &h->req;
	uint64_t t0 = now_ms();
	for (;;) {
		uint32_t s = PT_REQ_IDLE;
		if (atomic_compare_exchange_strong(&r->state, &s, PT_REQ_CLAIMED))
			break;
		if (target_gone(pid)) {
			fprintf(stderr, "parttrack: process %d exited before the swap could start\n", pid);
			pt_view_close(h);
			return 1;
		}
		if (now_ms() - t0 > 10000 + timeout) {
			fprintf(stderr, "parttrack: process %d is busy with another request\n", pid);
			pt_view_close(h);
			return 1;
		}
		futex_wait_ms(&r->state, s, 100);
	}
	r->client_pid = getpid();
	r->op = PT_OP_SWAP;
	r->timeout_ms = (uint32_t)timeout;
	r->status = 0;
	r->msg[0] = 0;
	snprintf(r->old_name, sizeof r->old_name, "%s", old);
	snprintf(r->new_path, sizeof r->new_path, "%s", abs);
	atomic_store(&r->state, PT_REQ_PENDING);
	syscall(SYS_futex, &r->state, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
	t0 = now_ms();
	uint32_t s;
	while ((s = atomic_load(&r->state)) != PT_REQ_DONE) {
		if (target_gone(pid)) {
			fprintf(stderr, "parttrack: process %d exited while the swap was pending\n", pid);
			pt_view_close(h);
			return 1;
		}
		if (now_ms() - t0 > timeout + 10000) {
			fprintf(stderr, "parttrack: process %d did not answer (helper thread not running?)\n", pid);
			uint32_t p = PT_REQ_PENDING;
			atomic_compare_exchange_strong(&r->state, &p, PT_REQ_IDLE);
			pt_view_close(h);
			return 1;
		}
		futex_wait_ms(&r->state, s, 200);
	}
	int status = r->status;
	if (status == 0)
		printf("%s\n", r->msg);
	else
		fprintf(stderr, "parttrack: %s\n", r->msg);
	atomic_store(&r->state, PT_REQ_IDLE);
	syscall(SYS_futex, &r->state, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
	pt_view_close(h);
	return status == 0 ? 0 : 1;
}
