/* hello, exitcost and demo: what a guest booted without a command shows. */
#include "console.h"
#include "hypercall.h"
#include "lib.h"
#include "programs.h"

int cmd_hello(const struct hv_boot_info *bi, int argc, char **argv)
{
	static const char uart_msg[] = "hello from the guest, through the trapped 16550 UART\n";

	(void)bi, (void)argc, (void)argv;
	uart_write(uart_msg, sizeof(uart_msg) - 1);
	printf("hello from the guest, through the console hypercall\n");
	return 0;
}

/* What a trap costs against a hypercall, measured with hv's clock. */
int cmd_exitcost(const struct hv_boot_info *bi, int argc, char **argv)
{
	enum { N = 2000 };
	uint64_t t0, t1, t2, i;
	volatile uint8_t sink;

	(void)bi, (void)argc, (void)argv;
	t0 = hv_time_ns();
	for (i = 0; i < N; i++)
		hv_call0(HV_HC_VERSION);
	t1 = hv_time_ns();
	for (i = 0; i < N; i++) {
		uint8_t v;
		asm volatile("inb %1, %0" : "=a"(v) : "Nd"((uint16_t)(HV_UART_PORT + 7)));
		sink = v;
	}
	t2 = hv_time_ns();
	(void)sink;
	printf("exitcost: hypercall %lu ns/call, trapped UART register read %lu ns/access (%d each)\n",
	       (t1 - t0) / N, (t2 - t1) / N, N);
	return 0;
}

/* The default: exit status is the self-test's failures. */
int cmd_demo(const struct hv_boot_info *bi, int argc, char **argv)
{
	int failed = cmd_selftest(bi, argc, argv);

	cmd_hello(bi, argc, argv);
	cmd_exitcost(bi, argc, argv);
	return failed;
}
