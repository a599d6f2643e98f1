/*
 * Fuzz target: hypercall argument handling on a whole machine (a PV disk, a
 * read-only PV disk on an image file, a trap disk, a PV NIC and a trap NIC),
 * with guest RAM of the input's content.  The input is a guest program:
 * hypercalls of any number with any five arguments (steered to device
 * indices, addresses in and around RAM, lengths at the bounds), port I/O to
 * the UART, the hypercall port and the notify ports at every width, MMIO
 * anywhere in the device windows, queue attach and detach of every PV
 * queue with setups the input builds, RAM writes, turns of the I/O thread.
 * Oracles: ASan and UBSan, the backend checkers (fuzz_vm.h), and every
 * hypercall answers a value the ABI allows: >= 0 or one of the HV_E* codes.
 */
#include <stdio.h>
#include <stdlib.h>

#include "hv_net.h"
#include "fuzz_guest.h"
#include "pv/pvblk_back.h"
#include "pv/pvnet_back.h"
#include "trap/trapblk_dev.h"
#include "trap/trapnet_dev.h"

#define RAM (256u << 10)

static const struct fuzz_dev devs[] = {
	{ &pvblk_back_kind, "null:65536" },
	{ &pvblk_back_kind, "memfd:65536,ro" },
	{ &trapblk_dev_kind, "null:65536" },
	{ &pvnet_back_kind, "loop" },
	{ &trapnet_dev_kind, "loop" },
};

static void no_entry(struct fuzz_vm *f, struct fuzz_in *in, void *entry, uint32_t esize)
{
	(void)f;
	fi_bytes(in, entry, esize); /* raw bytes: the device targets build structured ones */
}

static bool abi_result(int64_t rc)
{
	static const int64_t codes[] = { HV_ENOENT, HV_EIO, HV_EAGAIN, HV_ENOMEM, HV_E2BIG,
					 HV_EFAULT, HV_EBUSY, HV_EINVAL, HV_ENOSPC, HV_EROFS,
					 HV_ENOSYS };
	unsigned i;

	for (i = 0; rc < 0 && i < sizeof(codes) / sizeof(codes[0]); i++)
		if (rc == -codes[i])
			return true;
	return rc >= 0;
}

static void hypercall(struct fuzz_vm *f, struct fuzz_in *in)
{
	uint64_t nr = fuzz_val(in, HV_HC_MAX + 1), a[HC_NARGS];
	int64_t rc;
	unsigned i;

	for (i = 0; i < HC_NARGS; i++)
		a[i] = fuzz_val(in, RAM);
	rc = fuzz_vm_hypercall(f, nr, a);
	if (!abi_result(rc)) {
		fprintf(stderr, "fuzz: hypercall %llu answered %lld, no HV_E* code\n",
			(unsigned long long)nr, (long long)rc);
		abort();
	}
}

static void pio(struct fuzz_vm *f, struct fuzz_in *in)
{
	static const uint64_t ports[] = { HV_UART_PORT, HV_UART_PORT + 5, HV_HC_PORT,
					  HV_NOTIFY_PORT_BASE, HV_NOTIFY_PORT_BASE + 4,
					  HV_NOTIFY_PORT_BASE + 8, HV_NOTIFY_PORT_BASE + 12 };
	static const unsigned sizes[] = { 1, 2, 4, 4 };
	uint8_t t = fi_u8(in);
	uint16_t port = (uint16_t)(fuzz_choose(in, ports, sizeof(ports) / sizeof(ports[0]), 0x700) +
				   (t >> 3 & 7));
	uint64_t v = fuzz_val(in, 256);

	fuzz_vm_pio(f, port, t & 4, &v, sizes[t & 3]);
}

static void mmio(struct fuzz_vm *f, struct fuzz_in *in)
{
	static const unsigned sizes[] = { 1, 2, 4, 8 };
	uint8_t t = fi_u8(in);
	uint64_t v = fuzz_val(in, RAM), addr = HV_MMIO_BASE + fuzz_val(in, 0x2000);

	fuzz_vm_mmio(f, addr, t & 4, &v, sizes[t & 3]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	struct fuzz_ring rings[4];
	struct pvnet_back *n;
	struct fuzz_vm f;
	unsigned i;

	fuzz_vm_init(&f, RAM, devs, sizeof(devs) / sizeof(devs[0]));
	n = fuzz_vm_dev(&f, &pvnet_back_kind, 0);
	for (i = 0; i < 2; i++)
		rings[i] = (struct fuzz_ring){ &f, fuzz_vm_dev_index(&f, &pvblk_back_kind, i), 0,
					       fuzz_vm_queue(&f, &pvblk_back_kind, i, 0), no_entry };
	rings[2] = (struct fuzz_ring){ &f, fuzz_vm_dev_index(&f, &pvnet_back_kind, 0), HV_NET_Q_RX,
				       &n->rxq, no_entry };
	rings[3] = (struct fuzz_ring){ &f, fuzz_vm_dev_index(&f, &pvnet_back_kind, 0), HV_NET_Q_TX,
				       &n->txq, no_entry };
	while (fi_left(&in)) {
		uint8_t op = fi_u8(&in);

		switch (op % 8) {
		case 0:
		case 1:
			hypercall(&f, &in);
			break;
		case 2:
			pio(&f, &in);
			break;
		case 3:
			mmio(&f, &in);
			break;
		case 4:
			fuzz_ram_write(&f, &in);
			break;
		case 5:
			fuzz_vm_io(&f);
			break;
		default:
			fuzz_ring_step(&rings[(op >> 3) % 4], (uint8_t)(op >> 5), &in);
			break;
		}
	}
	fuzz_vm_io(&f);
	fuzz_vm_destroy(&f);
	return 0;
}
