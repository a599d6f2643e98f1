/*
 * Fuzz target: the trap-and-emulate NIC (hv/trap/trapnet_dev.c) on the loop
 * backend, through hv's MMIO bus.  The input is a register program:
 * accesses of any width at any offset, whole sends and buffer posts with
 * addresses and lengths at the edges, commands while one runs, interrupt
 * status and enable writes, turns of the I/O thread, RAM rewritten.
 * Oracles: ASan and UBSan, the backend checkers (fuzz_vm.h), and a send
 * never stays busy past a turn of the I/O thread (loop sends at once).
 */
#include <stdio.h>
#include <stdlib.h>

#include "hv_trapnet.h"
#include "fuzz_mmio.h"
#include "trap/trapnet_dev.h"

#define RAM (256u << 10)

static const struct fuzz_reg regs[] = {
	{ HV_TRAPNET_R_MAGIC, 0 },   { HV_TRAPNET_R_VERSION, 0 },   { HV_TRAPNET_R_MAC_LO, 0 },
	{ HV_TRAPNET_R_MAC_HI, 0 },  { HV_TRAPNET_R_MTU, 0 },       { HV_TRAPNET_R_LINK, 0 },
	{ HV_TRAPNET_R_TX_ADDR, RAM }, { HV_TRAPNET_R_TX_LEN, 1515 }, { HV_TRAPNET_R_TX_CMD, 2 },
	{ HV_TRAPNET_R_TX_STATUS, 0 }, { HV_TRAPNET_R_RX_ADDR, RAM }, { HV_TRAPNET_R_RX_LEN, 4096 },
	{ HV_TRAPNET_R_RX_CMD, 2 },  { HV_TRAPNET_R_RX_STATUS, 0 }, { HV_TRAPNET_R_RX_FRAME, 0 },
	{ HV_TRAPNET_R_ISR, 8 },     { HV_TRAPNET_R_IER, 8 },       { HV_TRAPNET_R_VECTOR, 0 },
};

static const uint64_t frame_lens[] = { HV_NET_MIN_FRAME, 60, 1514, 1515, 13, 0 };

/* A send or a buffer post as the guest's driver programs it, then served. */
static void command(struct fuzz_vm *f, const struct fuzz_regs *r, struct fuzz_in *in)
{
	static const uint64_t buf_lens[] = { 1514, 2048, 1513, HV_NET_MAX_FRAME,
					     HV_NET_MAX_FRAME + 1 };
	uint8_t which = fi_u8(in);

	if (which & 1) {
		fuzz_mmio_set(f, r, HV_TRAPNET_R_RX_ADDR, 8, fuzz_val(in, RAM));
		fuzz_mmio_set(f, r, HV_TRAPNET_R_RX_LEN, 4,
			      fuzz_choose(in, buf_lens, sizeof(buf_lens) / sizeof(buf_lens[0]), 4096));
		fuzz_mmio_set(f, r, HV_TRAPNET_R_RX_CMD, 4, HV_TRAPNET_CMD_POST);
	}
	if (which & 2) {
		fuzz_mmio_set(f, r, HV_TRAPNET_R_TX_ADDR, 8, fuzz_val(in, RAM));
		fuzz_mmio_set(f, r, HV_TRAPNET_R_TX_LEN, 4,
			      fuzz_choose(in, frame_lens, sizeof(frame_lens) / sizeof(frame_lens[0]),
					  2048));
		fuzz_mmio_set(f, r, HV_TRAPNET_R_TX_CMD, 4, HV_TRAPNET_CMD_SEND);
	}
	fuzz_vm_io(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct fuzz_dev dev = { &trapnet_dev_kind, "loop" };
	struct fuzz_in in = { data, size };
	struct trapnet_dev *t;
	struct fuzz_regs r;
	struct fuzz_vm f;

	fuzz_vm_init(&f, RAM, &dev, 1);
	t = fuzz_vm_dev(&f, &trapnet_dev_kind, 0);
	r = (struct fuzz_regs){ regs, sizeof(regs) / sizeof(regs[0]), t->tr.base, HV_TRAPNET_WINDOW };
	fuzz_mmio_run(&f, &r, &in, command);
	/* Whatever the guest did, its last command ended within that last turn. */
	if (__atomic_load_n(&t->tr.status[TRAPNET_TX], __ATOMIC_ACQUIRE) & HV_TRAPNET_ST_BUSY) {
		fprintf(stderr, "fuzz: a send stays busy\n");
		abort();
	}
	fuzz_vm_destroy(&f);
	return 0;
}
