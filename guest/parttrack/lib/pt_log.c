/* Diagnostics of the in-process library. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include "pt_internal.h"

void pt_debug(const char *fmt, ...)
{
	static int on = -1;
	if (on < 0)
		on = getenv("PARTTRACK_DEBUG") != NULL;
	if (!on)
		return;
	va_list ap;
	va_start(ap, fmt);
	fputs("parttrack: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

void pt_warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("parttrack: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}
