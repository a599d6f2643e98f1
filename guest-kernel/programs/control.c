/* exit, divzero and spin: the three ways a guest ends (a status, a fatal exception, --timeout). */
#include "lib.h"
#include "programs.h"

int cmd_exit(const struct hv_boot_info *bi, int argc, char **argv)
{
	uint64_t status;

	(void)bi;
	if (argc != 2 || parse_u64(argv[1], &status) || status > 255) {
		printf("exit: want one status, 0..255\n");
		return 2;
	}
	return (int)status;
}

int cmd_divzero(const struct hv_boot_info *bi, int argc, char **argv)
{
	uint32_t q, r;

	(void)bi, (void)argc, (void)argv;
	printf("divzero: dividing by zero; expect a divide-error report\n");
	/* In asm: the compiler turns 1 / x into compares and never divides. */
	asm volatile("divl %2" : "=a"(q), "=d"(r) : "r"(0u), "a"(1u), "d"(0u));
	return (int)(q + r);
}

int cmd_spin(const struct hv_boot_info *bi, int argc, char **argv)
{
	(void)bi, (void)argc, (void)argv;
	printf("spin: looping forever\n");
	for (;;)
		asm volatile("pause");
	__builtin_unreachable();
}
