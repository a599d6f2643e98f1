/* Dropping what hv no longer needs: root directory, identity, capabilities. */
#include "sandbox/sandbox_jail.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/util.h"

/* "not permitted" says what would permit it; other errors speak for themselves. */
static int fail(int rc, char *err, size_t errlen, const char *step, const char *need)
{
	if (rc == -EPERM)
		return err_msg(rc, err, errlen, "%s: not permitted (needs %s)", step, need);
	return err_msg(rc, err, errlen, "%s: %s", step, strerror(-rc));
}

static int enter_chroot(const char *dir, char *err, size_t errlen)
{
	/* chdir first: a root directory hv sits outside of is no jail. */
	if (chdir(dir) < 0)
		return err_msg(-errno, err, errlen, "--chroot %s: %s", dir, strerror(errno));
	if (chroot(".") < 0)
		return fail(-errno, err, errlen, "--chroot", "root or CAP_SYS_CHROOT");
	if (chdir("/") < 0)
		return err_msg(-errno, err, errlen, "--chroot %s: %s", dir, strerror(errno));
	return 0;
}

static int become(uint32_t uid, uint32_t gid, char *err, size_t errlen)
{
	/* Groups and gid while still privileged; the uid last, as it ends that. */
	if (setgroups(0, NULL) < 0)
		return fail(-errno, err, errlen, "--uid: dropping supplementary groups",
			    "root or CAP_SETGID");
	if (setresgid(gid, gid, gid) < 0)
		return fail(-errno, err, errlen, "--uid: setting the group", "root or CAP_SETGID");
	if (setresuid(uid, uid, uid) < 0)
		return fail(-errno, err, errlen, "--uid: setting the user", "root or CAP_SETUID");
	return 0;
}

/* Empty effective, permitted, inheritable and ambient sets: root keeps only its uid. */
static int drop_capabilities(char *err, size_t errlen)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];

	memset(d, 0, sizeof(d));
	/* Ambient capabilities exist from Linux 4.3; EINVAL before means there are none. */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return err_msg(-errno, err, errlen, "dropping ambient capabilities: %s",
			       strerror(errno));
	if (syscall(SYS_capset, &h, d) < 0)
		return err_msg(-errno, err, errlen, "dropping capabilities: %s", strerror(errno));
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return err_msg(-errno, err, errlen, "setting no_new_privs: %s", strerror(errno));
	return 0;
}

int sandbox_jail(const struct sandbox_jail *j, char *err, size_t errlen)
{
	int rc = 0;

	if (j->chroot_dir)
		rc = enter_chroot(j->chroot_dir, err, errlen);
	if (!rc && j->set_ids)
		rc = become(j->uid, j->gid, err, errlen);
	if (!rc && j->drop_all)
		rc = drop_capabilities(err, errlen);
	return rc;
}
