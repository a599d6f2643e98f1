/* The shared error-message helper (util.h). */
#include "util.h"

#include <stdarg.h>
#include <stdio.h>

int err_msg(int rc, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return rc;
}
