/* One line per check of a hostile program, and the count of failures (tally.h). */
#include "tally.h"

#include "lib.h"

void tally_status(struct tally *t, const char *what, uint32_t got, uint32_t want,
		  const char *(*name)(uint32_t status))
{
	printf("%s: %-44s %s (%s)\n", t->prog, what, got == want ? "ok" : "FAIL", name(got));
	t->failures += got != want;
}

void tally_true(struct tally *t, const char *what, bool ok)
{
	printf("%s: %-44s %s\n", t->prog, what, ok ? "ok" : "FAIL");
	t->failures += !ok;
}
