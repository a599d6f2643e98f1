/* The boot info and the command line: checked, copied, split (boot_args.h). */
#include "boot_args.h"

#include "lib.h"

/* Splits s at spaces into at most BOOT_MAX_ARGS - 1 words and a NULL. */
static int split_words(char *s, char **argv)
{
	int argc = 0;

	while (*s && argc < BOOT_MAX_ARGS - 1) {
		while (*s == ' ')
			*s++ = '\0';
		if (!*s)
			break;
		argv[argc++] = s;
		while (*s && *s != ' ')
			s++;
	}
	argv[argc] = NULL;
	return argc;
}

static bool is_param(const char *w)
{
	for (; *w; w++)
		if (*w == '=')
			return true;
	return false;
}

const char *boot_args_take(struct boot_args *b, const struct hv_boot_info *bi)
{
	if (bi->magic != HV_BOOT_MAGIC || bi->version != HV_ABI_VERSION)
		return "bad boot info (magic or version)";
	if (bi->cmdline_len >= HV_CMDLINE_MAX)
		return "bad boot info (command line length)";
	/* Drivers walk dev[nr_dev]: a count past the table would read beyond it. */
	if (bi->nr_dev > HV_BOOT_MAX_DEV)
		return "bad boot info (device count)";
	b->info = *bi;
	memcpy(b->cmdline, (const char *)(uintptr_t)bi->cmdline_gpa, bi->cmdline_len);
	b->cmdline[bi->cmdline_len] = '\0';

	b->argc = split_words(b->cmdline, b->argv);
	b->nparams = 0;
	while (b->argc && b->nparams < BOOT_MAX_PARAMS && is_param(b->argv[0])) {
		b->param[b->nparams++] = b->argv[0];
		b->argc--;
		memmove(b->argv, b->argv + 1, sizeof(b->argv[0]) * (size_t)(b->argc + 1));
	}
	return NULL;
}

const char *boot_args_param(const struct boot_args *b, const char *key)
{
	size_t n = strlen(key);
	unsigned i;

	for (i = 0; i < b->nparams; i++)
		if (!strncmp(b->param[i], key, n) && b->param[i][n] == '=')
			return b->param[i] + n + 1;
	return NULL;
}

bool boot_args_names(const struct boot_args *b, const char *key, const char *name)
{
	const char *p = boot_args_param(b, key);
	size_t n = strlen(name);

	if (!p)
		return false;
	if (!strcmp(p, "all"))
		return true;
	while (*p) {
		if (!strncmp(p, name, n) && (p[n] == ',' || p[n] == '\0'))
			return true;
		while (*p && *p != ',')
			p++;
		if (*p == ',')
			p++;
	}
	return false;
}

const struct hv_dev_desc *boot_args_dev(const struct boot_args *b, uint16_t type,
					 uint32_t *pos)
{
	for (; *pos < b->info.nr_dev; (*pos)++)
		if (b->info.dev[*pos].type == type)
			return &b->info.dev[*pos];
	return NULL;
}

bool boot_args_dev_fits(const struct hv_dev_desc *desc, unsigned have, unsigned max,
			const char *kind, const char *what)
{
	if (have < max && desc->index < max)
		return true;
	printf("%s: %s%u: beyond the %u %s hv offers\n", kind, kind, desc->index, max, what);
	return false;
}
