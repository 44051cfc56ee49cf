/* Test program: an HTTP/1.1 keep-alive file server with a directory-traversal
 * bug (the paper's demonstration). -DFIXED builds the fixed handler.
 * Usage: httpd DOCROOT PORTFILE   (listens on 127.0.0.1, ephemeral port) */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem; also when built with plain `gcc -O2 -g` */
#endif
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static char docroot[512];
static long served;

static int send_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w <= 0)
            return -1;
        p += w;
        n -= w;
    }
    return 0;
}

static int respond(int fd, const char *status, const char *body, size_t len)
{
    char hdr[256];
    int n = snprintf(hdr, sizeof hdr, "HTTP/1.1 %s\r\nContent-Length: %zu\r\nConnection: keep-alive\r\n\r\n", status, len);
    return send_all(fd, hdr, n) < 0 ? -1 : send_all(fd, body, len);
}

/* The request handler (watched by ckpt). */
__attribute__((noinline)) int handle_request(int fd, char *req)
{
    char path[1024];
    if (strncmp(req, "GET /", 5) != 0)
        return respond(fd, "400 Bad Request", "bad request\n", 12);
    char *p = req + 4, *sp = strchr(p, ' ');
    if (!sp)
        return respond(fd, "400 Bad Request", "bad request\n", 12);
    *sp = 0;
#ifdef FIXED
    if (strstr(p, "..")) {
        served++;
        return respond(fd, "403 Forbidden", "forbidden: path leaves the document root\n", 41);
    }
#endif
    snprintf(path, sizeof path, "%s%s", docroot, p);
    int f = open(path, O_RDONLY);
    if (f < 0)
        return respond(fd, "404 Not Found", "not found\n", 10);
    static char body[65536];
    ssize_t n = read(f, body, sizeof body);
    close(f);
    served++;
    return respond(fd, "200 OK", body, n > 0 ? (size_t)n : 0);
}

__attribute__((noinline)) static void conn_loop(int c)
{
    static char buf[8192];
    size_t len = 0;
    for (;;) {
        char *end;
        while (!(end = memmem(buf, len, "\r\n\r\n", 4))) {
            ssize_t r = read(c, buf + len, sizeof buf - 1 - len);
            if (r <= 0)
                return;
            len += r;
        }
        *end = 0;
        size_t used = end + 4 - buf;
        if (handle_request(c, buf) < 0)
            return;
        memmove(buf, buf + used, len - used);
        len -= used;
    }
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: httpd DOCROOT PORTFILE\n");
        return 2;
    }
    snprintf(docroot, sizeof docroot, "%s", argv[1]);
    int l = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    if (bind(l, (struct sockaddr *)&a, sizeof a) < 0 || listen(l, 16) < 0 || getsockname(l, (struct sockaddr *)&a, &al) < 0) {
        perror("listen");
        return 1;
    }
    FILE *pf = fopen(argv[2], "w");
    fprintf(pf, "%d\n", ntohs(a.sin_port));
    fclose(pf);
    for (;;) {
        int c = accept(l, NULL, NULL);
        if (c < 0)
            continue;
        conn_loop(c);
        close(c);
    }
}
