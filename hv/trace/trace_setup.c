/* --trace and --pcap from the configuration: the files, and the NIC by hv's name for it. */
#include "trace/trace_setup.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/cli.h"
#include "core/device.h"
#include "core/util.h"
#include "core/vm.h"

/* The kinds whose frames can be captured: the PV and the trapped NIC. */
static bool is_nic(const struct device_kind *k)
{
	return !strcmp(k->name, "pvnet") || !strcmp(k->name, "trapnet");
}

/* The device hv calls nic ("pvnet0": kind and index, as --stats and GET /vm say). */
static const void *find_nic(const struct vm *vm, const char *nic, char *names, size_t len)
{
	size_t used = 0;
	unsigned i;

	names[0] = '\0';
	for (i = 0; i < vm->nr_dev; i++) {
		const struct vm_device *d = &vm->dev[i];
		char name[32];

		if (!d->kind || !is_nic(d->kind))
			continue;
		snprintf(name, sizeof(name), "%s%u", d->kind->name, d->index);
		if (!strcmp(name, nic))
			return d->dev;
		if (used + strlen(name) + 3 < len)
			used += (size_t)snprintf(names + used, len - used, "%s%s", used ? ", " : "",
						 name);
	}
	return NULL;
}

int trace_setup(struct trace *t, const struct hv_config *cfg, const struct vm *vm,
		char *err, size_t errlen)
{
	const char *pcap_file = NULL;
	char names[128];
	int rc;

	if (!cfg->trace_path && !cfg->pcap)
		return 0;
	if (cfg->pcap) {
		if (trace_pcap_split(cfg->pcap, t->pcap_nic, &pcap_file))
			return err_msg(-EINVAL, err, errlen, "--pcap: '%s' is not NIC:FILE", cfg->pcap);
		t->pcap_dev = find_nic(vm, t->pcap_nic, names, sizeof(names));
		if (!t->pcap_dev)
			return err_msg(-ENOENT, err, errlen, "--pcap: no NIC '%s' (NICs: %s)",
				       t->pcap_nic, names[0] ? names : "none");
	}
	rc = trace_open(t, cfg->trace_path, pcap_file, err, errlen);
	return rc;
}
