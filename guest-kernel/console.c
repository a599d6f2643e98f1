/* Console routing between the UART and the console hypercall. */
#include "console.h"
#include "hypercall.h"

static int use_hc;

void console_use_hypercall(int on)
{
	use_hc = on;
}

void console_write(const char *s, size_t n)
{
	if (use_hc && hv_call2(HV_HC_CONSOLE_WRITE, (uint64_t)(uintptr_t)s, n) == (int64_t)n)
		return;
	uart_write(s, n);
}
