/* Linear scans: a map of 100,000 lines is a few MB, read only when the user asks for a symbol. */
#include "symmap.h"

struct line {
    uint64_t addr;
    char type;
    const char *name;
    size_t nlen;
};

/* Parses the line starting at *pos; advances *pos past it. Returns 0 for a well-formed line. */
static int next_line(const struct symmap *m, size_t *pos, struct line *l)
{
    size_t i = *pos, n = m->len;
    const char *t = m->text;
    size_t end = i;
    while (end < n && t[end] != '\n')
        end++;
    *pos = end < n ? end + 1 : n;
    uint64_t a = 0;
    size_t d = 0;
    for (; i < end && d < 16; i++, d++) {
        char c = t[i];
        unsigned v = c >= '0' && c <= '9' ? (unsigned)(c - '0') : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
                   : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10) : 16u;
        if (v == 16)
            break;
        a = a << 4 | v;
    }
    if (d == 0 || i + 3 > end || t[i] != ' ' || t[i + 2] != ' ')
        return -1;
    l->addr = a;
    l->type = t[i + 1];
    l->name = t + i + 3;
    l->nlen = end - (i + 3);
    while (l->nlen && (l->name[l->nlen - 1] == '\r' || l->name[l->nlen - 1] == ' '))
        l->nlen--;
    return l->nlen ? 0 : -1;
}

int symmap_lookup(const struct symmap *m, const char *name, size_t nlen, uint64_t *addr)
{
    size_t pos = 0;
    int found = -1;
    struct line l;
    while (m->text && pos < m->len) {
        if (next_line(m, &pos, &l) || l.nlen != nlen)
            continue;
        size_t k = 0;
        while (k < nlen && l.name[k] == name[k])
            k++;
        if (k != nlen)
            continue;
        *addr = l.addr;
        found = 0;
        if (l.type >= 'A' && l.type <= 'Z')
            return 0; /* global: the one a user means */
    }
    return found;
}

int symmap_name(const struct symmap *m, uint64_t addr, char *name, size_t size, uint64_t *off)
{
    size_t pos = 0;
    struct line l, best = { 0, 0, 0, 0 };
    int found = -1;
    while (m->text && pos < m->len) {
        if (next_line(m, &pos, &l))
            continue;
        if (l.addr > addr)
            break; /* sorted by address */
        best = l;
        found = 0;
    }
    if (found || !size)
        return -1;
    size_t k = 0;
    for (; k + 1 < size && k < best.nlen; k++)
        name[k] = best.name[k];
    name[k] = 0;
    *off = addr - best.addr;
    return 0;
}
