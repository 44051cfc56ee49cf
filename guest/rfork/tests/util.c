/* Helpers for the rfork tests: spawning targets, files, /proc, bounded waits. */
#include "test.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

char test_dir[256];

void set_why(char *why, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, WHYLEN, fmt, ap);
    va_end(ap);
}

long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000L + t.tv_nsec / 1000000L;
}

void sleep_ms(long ms)
{
    struct timespec d = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&d, &d) && errno == EINTR)
        ;
}


static pid_t spawn_as(const char *const argv[], int in, int out, int err, int uid)
{
    pid_t p = fork();
    if (p != 0)
        return p;
    if (uid >= 0 && (setgid((gid_t)uid) || setuid((uid_t)uid)))
        _exit(126);
    int null = open("/dev/null", O_RDWR);
    dup2(in >= 0 ? in : null, 0);
    dup2(out >= 0 ? out : null, 1);
    dup2(err >= 0 ? err : null, 2);
    for (int fd = 3; fd < 256; fd++)
        close(fd);
    execv(argv[0], (char *const *)argv);
    _exit(127);
}

pid_t spawn(const char *const argv[], int in, int out, int err)
{
    return spawn_as(argv, in, out, err, -1);
}

pid_t spawn_ready(const char *const argv[], int in, const char *outname, int uid)
{
    int p[2], out;
    if (outname)
        out = open_out(outname);
    else if (pipe(p) == 0)
        out = p[1];
    else
        return -1;
    pid_t pid = spawn_as(argv, in, out, -1, uid);
    close(out);
    if (outname)
        return wait_lines(path_of(outname), 1, 20000) == 0 ? pid : -1;
    char c;
    do
        if (read(p[0], &c, 1) != 1)
            return -1;
    while (c != '\n');
    return pid; /* p[0] stays open: later writes by the program must not raise SIGPIPE */
}

const char *path_of(const char *name)
{
    static char ring[8][512];
    static int i;
    char *p = ring[i++ % 8];
    snprintf(p, 512, "%s/%s", test_dir, name);
    return p;
}

int open_out(const char *name)
{
    return open(path_of(name), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
}

const char *make_file(const char *name, const char *data)
{
    const char *p = path_of(name);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd >= 0) {
        if (write(fd, data, strlen(data)) < 0)
            perror("write");
        close(fd);
    }
    return p;
}

char *slurp(const char *path)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return strdup("");
    char *buf = NULL;
    size_t cap = 0, len = 0, n;
    char chunk[4096];
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        buf = realloc(buf, cap = len + n + 1);
        memcpy(buf + len, chunk, n);
        len += n;
    }
    fclose(f);
    if (!buf)
        return strdup("");
    buf[len] = 0;
    (void)cap;
    return buf;
}

int wait_lines(const char *path, int n, long ms)
{
    long end = now_ms() + ms;
    do {
        char *s = slurp(path);
        int lines = 0;
        for (char *p = s; *p; p++)
            lines += *p == '\n';
        free(s);
        if (lines >= n)
            return 0;
        sleep_ms(2);
    } while (now_ms() < end);
    return -1;
}

static int status_line(pid_t pid, const char *field, char *out, size_t n)
{
    char path[64], line[512];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return -1;
    size_t fl = strlen(field);
    int found = -1;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, field, fl) && line[fl] == ':') {
            snprintf(out, n, "%s", line + fl + 1);
            found = 0;
            break;
        }
    fclose(f);
    return found;
}

char proc_state(pid_t pid)
{
    char v[128];
    if (status_line(pid, "State", v, sizeof v) < 0)
        return 0;
    char *p = v;
    while (*p == ' ' || *p == '\t')
        p++;
    return *p;
}

long proc_num(pid_t pid, const char *field)
{
    char v[128];
    if (status_line(pid, field, v, sizeof v) < 0)
        return -1;
    return strtol(v, NULL, 10);
}

void proc_sigstate(pid_t pid, char *buf, size_t n)
{
    static const char *f[] = { "SigPnd", "ShdPnd", "SigBlk", "SigIgn", "SigCgt" };
    size_t used = 0;
    buf[0] = 0;
    for (size_t i = 0; i < sizeof f / sizeof f[0] && used < n; i++) {
        char v[128] = "?";
        status_line(pid, f[i], v, sizeof v);
        used += (size_t)snprintf(buf + used, n - used, "%s:%s", f[i], v);
    }
}

int wait_state(pid_t pid, const char *states, long ms)
{
    long end = now_ms() + ms;
    do {
        char s = proc_state(pid);
        if (s && strchr(states, s))
            return 0;
        sleep_ms(2);
    } while (now_ms() < end);
    return -1;
}

int wait_tracer(pid_t pid, pid_t tracer, long ms)
{
    long end = now_ms() + ms;
    do {
        if (proc_num(pid, "TracerPid") == tracer)
            return 0;
        sleep_ms(1);
    } while (now_ms() < end);
    return -1;
}

int reap(pid_t pid, int *status, long ms)
{
    long end = now_ms() + ms;
    do {
        pid_t r = waitpid(pid, status, WNOHANG);
        if (r == pid)
            return 0;
        if (r < 0 && errno != EINTR)
            return -1;
        sleep_ms(2);
    } while (now_ms() < end);
    return -1;
}

void kill_reap(pid_t pid)
{
    int st;
    if (pid <= 0)
        return;
    kill(pid, SIGKILL);
    reap(pid, &st, 5000);
}

unsigned counter_hash(unsigned h, int first, const char *ticks)
{
    for (int i = first; *ticks; i++, ticks++)
        h = (h ^ (unsigned)i ^ (unsigned char)*ticks) * 16777619u;
    return h;
}
