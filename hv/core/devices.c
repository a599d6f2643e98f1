/*
 * The device table: every kind of device hv offers, in --help order.  Adding
 * a device means writing its module and one line here; the core (CLI,
 * machine setup, --verbose, --stats) only walks this table.
 */
#include "core/device.h"

#include <string.h>

#include "pv/pvblk_back.h"
#include "pv/pvnet_back.h"
#include "trap/trapblk_dev.h"
#include "trap/trapnet_dev.h"
#include "trap/uart.h"
#include "core/util.h"
#include "pci/pci.h"

const struct device_kind *const device_kinds[] = {
	&uart_kind, /* no option: every machine has one, device 0 */
	&pvblk_back_kind,
	&trapblk_dev_kind,
	&pvnet_back_kind,
	&trapnet_dev_kind,
};
const unsigned device_kinds_count = ARRAY_SIZE(device_kinds);

const struct device_kind *device_kind_by_option(const char *opt)
{
	unsigned i;

	for (i = 0; i < device_kinds_count; i++)
		if (device_kinds[i]->option && !strcmp(device_kinds[i]->option, opt))
			return device_kinds[i];
	return NULL;
}

/* Queues name an entry of their device's table (pvq_check_setup checks which). */
static void pvblk_bind(void *dev, struct msix *m)
{
	struct pvblk_back *b = dev;

	b->q.msix = m;
}

/* pvnet_back calls it whenever HV_DEV_F_LINK_UP changes (the guest rereads its descriptor). */
static void pvnet_link_event(void *ctx)
{
	msix_signal(ctx, HV_NET_MSIX_LINK);
}

static void pvnet_bind(void *dev, struct msix *m)
{
	struct pvnet_back *n = dev;

	n->rxq.msix = n->txq.msix = m;
	n->link_ctx = m;
	n->link_event = pvnet_link_event;
}

static const struct device_pci device_pcis[] = {
	{ &pvblk_back_kind, HV_PCI_DEV_PVBLK, PCI_CLASS_STORAGE_OTHER, 1, pvblk_bind },
	{ &pvnet_back_kind, HV_PCI_DEV_PVNET, PCI_CLASS_ETHERNET, HV_NET_MSIX_ENTRIES,
	  pvnet_bind },
};

const struct device_pci *device_pci_of(const struct device_kind *kind)
{
	unsigned i;

	for (i = 0; i < ARRAY_SIZE(device_pcis); i++)
		if (device_pcis[i].kind == kind)
			return &device_pcis[i];
	return NULL;
}
