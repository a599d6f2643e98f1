/* The driver table: every driver the kernel probes at boot; a new device kind is one line. */
#include "drivers.h"

#include "lib.h"
#include "pvblk_glue.h"
#include "pvnet_glue.h"
#include "trapblk_drv.h"
#include "trapnet_drv.h"

/* Each finds its devices in the boot info and registers them with its layer. */
static void (*const probes[])(const struct boot_args *b) = {
	pvblk_glue_probe, /* first: blkinfo lists devices in registration order */
	trapblk_drv_probe,
	pvnet_glue_probe, /* first: the first NIC registered is the default for ip= */
	trapnet_drv_probe,
};

void drivers_probe(const struct boot_args *b)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(probes); i++)
		probes[i](b);
}
