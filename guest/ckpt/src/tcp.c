#include "tcp.h"
#include "util.h"
#include <errno.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef TCP_REPAIR_OFF_NO_WP
#define TCP_REPAIR_OFF_NO_WP -1
#endif
#ifndef TCP_REPAIR_ON
#define TCP_REPAIR_ON 1
#endif

static int repair(int sk, int on)
{
    if (setsockopt(sk, IPPROTO_TCP, TCP_REPAIR, &on, sizeof on) == 0)
        return 0;
    if (on == TCP_REPAIR_OFF_NO_WP) {
        on = 0;
        if (setsockopt(sk, IPPROTO_TCP, TCP_REPAIR, &on, sizeof on) == 0)
            return 0;
    }
    return ck_errno("TCP_REPAIR %d (needs CAP_NET_ADMIN)", on);
}

int tcp_repair_available(void)
{
    int sk = socket(AF_INET, SOCK_STREAM, 0);
    if (sk < 0)
        return 0;
    int on = 1, ok = setsockopt(sk, IPPROTO_TCP, TCP_REPAIR, &on, sizeof on) == 0;
    close(sk);
    return ok;
}

int tcp_is_tcp(int sk, int *listening)
{
    int v;
    socklen_t l = sizeof v;
    if (getsockopt(sk, SOL_SOCKET, SO_DOMAIN, &v, &l) < 0 || (v != AF_INET && v != AF_INET6))
        return 0;
    l = sizeof v;
    if (getsockopt(sk, SOL_SOCKET, SO_PROTOCOL, &v, &l) < 0 || v != IPPROTO_TCP)
        return 0;
    l = sizeof v;
    *listening = getsockopt(sk, SOL_SOCKET, SO_ACCEPTCONN, &v, &l) == 0 && v;
    return 1;
}

static int queue_seq(int sk, int q, uint32_t *seq)
{
    socklen_t l = sizeof *seq;
    if (setsockopt(sk, IPPROTO_TCP, TCP_REPAIR_QUEUE, &q, sizeof q) < 0)
        return ck_errno("TCP_REPAIR_QUEUE");
    if (getsockopt(sk, IPPROTO_TCP, TCP_QUEUE_SEQ, seq, &l) < 0)
        return ck_errno("TCP_QUEUE_SEQ");
    return 0;
}

static int peek_queue(int sk, int q, char *buf, size_t len)
{
    if (!len)
        return 0;
    if (setsockopt(sk, IPPROTO_TCP, TCP_REPAIR_QUEUE, &q, sizeof q) < 0)
        return ck_errno("TCP_REPAIR_QUEUE");
    ssize_t r = recv(sk, buf, len, MSG_PEEK | MSG_DONTWAIT);
    if (r != (ssize_t)len)
        return r < 0 ? ck_errno("peek TCP queue") : ck_err("peek TCP queue: got %zd of %zu bytes", r, len);
    return 0;
}

int tcp_dump_listen(int sk, struct ck_tcp *t)
{
    memset(t, 0, sizeof *t);
    socklen_t l = sizeof t->local;
    struct sockaddr_storage ss;
    l = sizeof ss;
    if (getsockname(sk, (struct sockaddr *)&ss, &l) < 0)
        return ck_errno("getsockname");
    t->family = ss.ss_family;
    memcpy(t->local, &ss, l < sizeof t->local ? l : sizeof t->local);
    return 0;
}

int tcp_dump(int sk, struct ck_tcp *t, void **qp, size_t *qlen)
{
    memset(t, 0, sizeof *t);
    struct tcp_info ti;
    socklen_t l = sizeof ti;
    if (getsockopt(sk, IPPROTO_TCP, TCP_INFO, &ti, &l) < 0)
        return ck_errno("TCP_INFO");
    if (ti.tcpi_state != TCP_ESTABLISHED)
        return ck_err("TCP socket is in state %d, only established connections are saved", ti.tcpi_state);
    struct sockaddr_storage ss;
    l = sizeof ss;
    if (getsockname(sk, (struct sockaddr *)&ss, &l) < 0)
        return ck_errno("getsockname");
    t->family = ss.ss_family;
    memcpy(t->local, &ss, l < sizeof t->local ? l : sizeof t->local);
    l = sizeof ss;
    if (getpeername(sk, (struct sockaddr *)&ss, &l) < 0)
        return ck_errno("getpeername");
    memcpy(t->remote, &ss, l < sizeof t->remote ? l : sizeof t->remote);
    if (repair(sk, TCP_REPAIR_ON) < 0)
        return -1;
    int rc = -1;
    char *q = NULL;
    int inq, outq, unsent;
    if (queue_seq(sk, TCP_RECV_QUEUE, &t->rcv_seq) < 0 || queue_seq(sk, TCP_SEND_QUEUE, &t->snd_seq) < 0)
        goto out;
    if (ioctl(sk, SIOCINQ, &inq) < 0 || ioctl(sk, SIOCOUTQ, &outq) < 0 || ioctl(sk, SIOCOUTQNSD, &unsent) < 0) {
        ck_errno("TCP queue sizes");
        goto out;
    }
    t->inq_len = inq;
    t->outq_len = outq;
    t->unsent_len = unsent;
    q = ck_xmalloc((size_t)inq + outq + 1);
    if (peek_queue(sk, TCP_RECV_QUEUE, q, inq) < 0 || peek_queue(sk, TCP_SEND_QUEUE, q + inq, outq) < 0)
        goto out;
    int v;
    l = sizeof v;
    t->mss = getsockopt(sk, IPPROTO_TCP, TCP_MAXSEG, &v, &l) == 0 ? (uint32_t)v : 536;
    t->opts = ti.tcpi_options;
    t->snd_wscale = ti.tcpi_snd_wscale;
    t->rcv_wscale = ti.tcpi_rcv_wscale;
    l = sizeof v;
    if (getsockopt(sk, IPPROTO_TCP, TCP_TIMESTAMP, &v, &l) == 0)
        t->timestamp = v;
    struct tcp_repair_window win;
    l = sizeof win;
    if (getsockopt(sk, IPPROTO_TCP, TCP_REPAIR_WINDOW, &win, &l) == 0) {
        t->has_window = 1;
        memcpy(t->win, &win, sizeof t->win);
    }
    l = sizeof v;
    t->nodelay = getsockopt(sk, IPPROTO_TCP, TCP_NODELAY, &v, &l) == 0 && v;
    l = sizeof v;
    t->keepalive = getsockopt(sk, SOL_SOCKET, SO_KEEPALIVE, &v, &l) == 0 && v;
    *qp = q;
    *qlen = (size_t)inq + outq;
    q = NULL;
    rc = 0;
out:
    free(q);
    if (repair(sk, TCP_REPAIR_OFF_NO_WP) < 0)
        rc = -1;
    return rc;
}

int tcp_freeze(int sk) { return repair(sk, TCP_REPAIR_ON); }

int tcp_check_unchanged(int sk, const struct ck_tcp *t)
{
    uint32_t r, s;
    int was = 0;
    socklen_t l = sizeof was;
    getsockopt(sk, IPPROTO_TCP, TCP_REPAIR, &was, &l);
    if (!was && repair(sk, TCP_REPAIR_ON) < 0)
        return -1;
    int rc = 0;
    if (queue_seq(sk, TCP_RECV_QUEUE, &r) < 0 || queue_seq(sk, TCP_SEND_QUEUE, &s) < 0)
        rc = -1;
    else if (r != t->rcv_seq || s != t->snd_seq)
        rc = ck_err("the connection moved on since the checkpoint (received %u, sent %u bytes more)",
                    r - t->rcv_seq, s - t->snd_seq);
    if (!was)
        repair(sk, TCP_REPAIR_OFF_NO_WP);
    return rc;
}

static socklen_t salen(int family) { return family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in); }

int tcp_restore(const struct ck_tcp *t, const void *qv)
{
    const char *q = qv;
    int sk = socket(t->family, SOCK_STREAM, IPPROTO_TCP);
    if (sk < 0)
        return ck_errno("socket");
    /* Repair mode forces address reuse (SK_FORCE_REUSE), so the connection may share
     * its port with the restored listener; SO_REUSEADDR afterwards would undo that. */
    if (repair(sk, TCP_REPAIR_ON) < 0)
        goto fail;
    int qn = TCP_SEND_QUEUE;
    uint32_t seq = t->snd_seq - t->outq_len;
    if (setsockopt(sk, IPPROTO_TCP, TCP_REPAIR_QUEUE, &qn, sizeof qn) < 0 ||
        setsockopt(sk, IPPROTO_TCP, TCP_QUEUE_SEQ, &seq, sizeof seq) < 0) {
        ck_errno("restore send sequence");
        goto fail;
    }
    qn = TCP_RECV_QUEUE;
    seq = t->rcv_seq - t->inq_len;
    if (setsockopt(sk, IPPROTO_TCP, TCP_REPAIR_QUEUE, &qn, sizeof qn) < 0 ||
        setsockopt(sk, IPPROTO_TCP, TCP_QUEUE_SEQ, &seq, sizeof seq) < 0) {
        ck_errno("restore receive sequence");
        goto fail;
    }
    if (bind(sk, (const struct sockaddr *)t->local, salen(t->family)) < 0) {
        ck_errno("bind to the saved local address");
        goto fail;
    }
    if (connect(sk, (const struct sockaddr *)t->remote, salen(t->family)) < 0) {
        ck_errno("re-establish connection (repair connect)");
        goto fail;
    }
    struct tcp_repair_opt opts[4];
    int n = 0;
    opts[n++] = (struct tcp_repair_opt){TCPOPT_MAXSEG, t->mss};
    if (t->opts & TCPI_OPT_WSCALE)
        opts[n++] = (struct tcp_repair_opt){TCPOPT_WINDOW, t->snd_wscale | (t->rcv_wscale << 16)};
    if (t->opts & TCPI_OPT_SACK)
        opts[n++] = (struct tcp_repair_opt){TCPOPT_SACK_PERMITTED, 0};
    if (t->opts & TCPI_OPT_TIMESTAMPS)
        opts[n++] = (struct tcp_repair_opt){TCPOPT_TIMESTAMP, 0};
    if (setsockopt(sk, IPPROTO_TCP, TCP_REPAIR_OPTIONS, opts, n * sizeof opts[0]) < 0) {
        ck_errno("TCP_REPAIR_OPTIONS");
        goto fail;
    }
    if ((t->opts & TCPI_OPT_TIMESTAMPS) &&
        setsockopt(sk, IPPROTO_TCP, TCP_TIMESTAMP, &t->timestamp, sizeof t->timestamp) < 0) {
        ck_errno("TCP_TIMESTAMP");
        goto fail;
    }
    for (int which = 0; which < 2; which++) {
        uint32_t len = which ? t->outq_len : t->inq_len;
        const char *d = which ? q + t->inq_len : q;
        qn = which ? TCP_SEND_QUEUE : TCP_RECV_QUEUE;
        if (!len)
            continue;
        if (setsockopt(sk, IPPROTO_TCP, TCP_REPAIR_QUEUE, &qn, sizeof qn) < 0) {
            ck_errno("TCP_REPAIR_QUEUE");
            goto fail;
        }
        while (len) {
            ssize_t r = send(sk, d, len, 0);
            if (r <= 0) {
                ck_errno("refill TCP %s queue", which ? "send" : "receive");
                goto fail;
            }
            d += r;
            len -= r;
        }
    }
    if (t->has_window && setsockopt(sk, IPPROTO_TCP, TCP_REPAIR_WINDOW, t->win, sizeof t->win) < 0)
        ck_warn("TCP_REPAIR_WINDOW: %s (window will be re-learnt)", strerror(errno));
    setsockopt(sk, IPPROTO_TCP, TCP_NODELAY, &t->nodelay, sizeof t->nodelay);
    setsockopt(sk, SOL_SOCKET, SO_KEEPALIVE, &t->keepalive, sizeof t->keepalive);
    if (repair(sk, 0) < 0)
        goto fail;
    return sk;
fail:
    close(sk);
    return -1;
}

int tcp_restore_listen(const struct ck_tcp *t)
{
    int sk = socket(t->family, SOCK_STREAM, IPPROTO_TCP), one = 1;
    if (sk < 0)
        return ck_errno("socket");
    setsockopt(sk, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(sk, (const struct sockaddr *)t->local, salen(t->family)) < 0 || listen(sk, SOMAXCONN) < 0) {
        ck_errno("re-create listening socket");
        close(sk);
        return -1;
    }
    return sk;
}
