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
