/* Test client: one keep-alive connection to 127.0.0.1:PORT. Sends GET PATH1,
 * prints the response, waits until GOFILE exists, then sends PATH2 and PATH3 on
 * the same connection and prints those responses. Exit 3 if the connection drops. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem; also when built with plain `gcc -O2 -g` */
#endif
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static int get(int s, const char *path)
{
    char req[1024], buf[70000];
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n", path);
    if (write(s, req, n) != n)
        return -1;
    size_t len = 0;
    char *hend = NULL;
    while (!(hend = memmem(buf, len, "\r\n\r\n", 4))) {
        ssize_t r = read(s, buf + len, sizeof buf - 1 - len);
        if (r <= 0)
            return -1;
        len += r;
    }
    buf[len] = 0;
    char *cl = strstr(buf, "Content-Length: ");
    size_t want = (hend + 4 - buf) + (cl ? strtoul(cl + 16, NULL, 10) : 0);
    while (len < want) {
        ssize_t r = read(s, buf + len, sizeof buf - 1 - len);
        if (r <= 0)
            return -1;
        len += r;
    }
    buf[len] = 0;
    char *eol = strstr(buf, "\r\n");
    printf("response %s: %.*s\n", path, (int)(eol - buf), buf);
    printf("body %s: %s\n", path, hend + 4);
    fflush(stdout);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 6) {
        fprintf(stderr, "usage: httpclient PORT PATH1 GOFILE PATH2 PATH3\n");
        return 2;
    }
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[1])),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (connect(s, (struct sockaddr *)&a, sizeof a) < 0) {
        perror("connect");
        return 1;
    }
    if (get(s, argv[2]) < 0) {
        printf("connection dropped on first request\n");
        return 3;
    }
    struct stat st;
    for (int i = 0; i < 3000 && stat(argv[3], &st) < 0; i++)
        usleep(10000);
    if (get(s, argv[4]) < 0 || get(s, argv[5]) < 0) {
        printf("connection dropped after restore\n");
        return 3;
    }
    printf("same connection kept\n");
    return 0;
}
