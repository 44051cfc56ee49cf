/* Shared helpers of the rfork benchmark. */
#ifndef RFORK_BENCH_H
#define RFORK_BENCH_H

#include <stddef.h>
#include <sys/types.h>

/* Nanoseconds on CLOCK_MONOTONIC, comparable across processes. */
double now_ns(void);
/* Smallest of n values: on a shared machine other load only ever adds time, so the best of
 * several runs is the closest to the cost itself. */
double best(const double *v, int n);
/* Middle and largest of n values (n <= 64): the spread beside the best. */
double median(const double *v, int n);
double worst(const double *v, int n);
/* Print a headline in the conventions' format. */
void headline(const char *name, double value, const char *unit, const char *base, double base_value);
/* Anonymous private memory of bytes, 4 KiB pages (as the seed's 4096 B page size), touched. */
void *touched_memory(size_t bytes);
/* Read exactly n bytes or die: the benchmark has no partial results. */
void read_full(int fd, void *buf, size_t n);
/* Write exactly n bytes or die. */
void write_full(int fd, const void *buf, size_t n);

/* The three measures; each prints its table rows and headlines. */
void bench_getpid(void);
void bench_latency(void);
void bench_cow(void);

#endif
