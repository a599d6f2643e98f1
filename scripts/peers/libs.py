#!/usr/bin/env python3
"""Puts Debian programs and exactly the shared libraries they load into an
initramfs tree, from packages fetched with apt-get download (never installed).

  libs.py PKGDIR ROOT PACKAGE:/PATH/IN/PACKAGE...

Each PACKAGE is unpacked under PKGDIR/PACKAGE/ (kept: a rebuild fetches
nothing again) and its /PATH copied to ROOT/bin/.  Then the DT_NEEDED closure
of those programs: a library name not found in the packages unpacked so far
makes the package that needs it fetch its own Depends (Debian's shlibs make
every direct library need a direct Depends), and is an error if it is still
missing after that.  Libraries go to ROOT/lib/x86_64-linux-gnu/, the dynamic
loader (the programs' PT_INTERP) to its own path.  Fetching only what the
closure asks for keeps fio's huge Depends (ceph, gluster, rdma...) down to
the libraries fio really loads."""
import os
import re
import shutil
import subprocess
import sys

LIBDIR = "lib/x86_64-linux-gnu"


def die(msg):
    sys.exit("libs.py: " + msg)


def run(*cmd, cwd=None):
    r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if r.returncode != 0:
        die("%s failed: %s" % (" ".join(cmd), (r.stderr or r.stdout).strip()[-400:]))
    return r.stdout


class Packages:
    def __init__(self, top):
        self.top = top
        self.debs = os.path.join(top, "debs")
        os.makedirs(self.debs, exist_ok=True)
        self.index = None  # file name -> [(package, path in its tree)]

    def tree(self, pkg):
        return os.path.join(self.top, "tree", pkg)

    def fetch(self, pkg):
        t = self.tree(pkg)
        if os.path.exists(t + ".ok"):
            return
        for f in os.listdir(self.debs):
            if f.startswith(pkg + "_"):
                os.unlink(os.path.join(self.debs, f))
        print("libs.py: fetching %s (apt-get download)" % pkg, file=sys.stderr)
        run("apt-get", "download", "-q", pkg, cwd=self.debs)
        deb = [f for f in os.listdir(self.debs) if f.startswith(pkg + "_") and f.endswith(".deb")]
        if len(deb) != 1:
            die("apt-get download %s left %d .deb files" % (pkg, len(deb)))
        shutil.rmtree(t, ignore_errors=True)
        os.makedirs(t)
        run("dpkg-deb", "-x", os.path.join(self.debs, deb[0]), t)
        open(t + ".ok", "w").close()
        self.index = None

    def depends(self, pkg):
        """The library packages PKG depends on (first of each alternative)."""
        out, take = [], True
        for line in run("apt-cache", "depends", "--no-recommends", "--no-suggests", pkg).splitlines():
            m = re.match(r"\s+(\|?)(Pre)?Depends: (\S+)", line)
            if not m:
                continue
            name = m.group(3)
            # "|Depends: A" then "Depends: B": A or B; take A only.
            if take and not name.startswith("<") and "lib" in name:  # zlib1g too; not python3
                out.append(name)
            take = m.group(1) != "|"
        return out

    def find(self, name):
        if self.index is None:
            self.index = {}
            troot = os.path.join(self.top, "tree")
            for pkg in sorted(os.listdir(troot)) if os.path.isdir(troot) else []:
                if pkg.endswith(".ok"):
                    continue
                base = os.path.join(troot, pkg)
                for d, _, files in os.walk(base):
                    for f in files:
                        if ".so" in f:
                            self.index.setdefault(f, []).append((pkg, os.path.join(d, f)))
        return self.index.get(name, [])

    def resolve(self, pkg, path):
        """PATH's real file: symlinks followed inside PKG's tree, then by name."""
        base = self.tree(pkg)
        for _ in range(16):
            if not os.path.islink(path):
                if os.path.isfile(path):
                    return path
                break
            t = os.readlink(path)
            path = os.path.join(base, t.lstrip("/")) if t.startswith("/") else \
                os.path.join(os.path.dirname(path), t)
        for p, f in self.find(os.path.basename(path)):
            if not os.path.islink(f):
                return f
        die("%s: a link to a file no fetched package has" % path)


def elf_info(path):
    """(DT_NEEDED names, PT_INTERP or None) of an ELF file."""
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", run("readelf", "-d", path))
    m = re.search(r"Requesting program interpreter: ([^\]]+)\]", run("readelf", "-l", path))
    return needed, m.group(1) if m else None


def main():
    if len(sys.argv) < 4:
        die("usage: libs.py PKGDIR ROOT PACKAGE:/PATH...")
    pk, root = Packages(sys.argv[1]), sys.argv[2]
    todo, interps, done = [], set(), {}
    for spec in sys.argv[3:]:
        pkg, _, path = spec.partition(":")
        if not path.startswith("/"):
            die("'%s' is not PACKAGE:/PATH" % spec)
        pk.fetch(pkg)
        f = os.path.join(pk.tree(pkg), path.lstrip("/"))
        if not os.path.isfile(f):
            die("package %s has no %s" % (pkg, path))
        os.makedirs(os.path.join(root, "bin"), exist_ok=True)
        shutil.copy(f, os.path.join(root, "bin", os.path.basename(path)))
        todo.append((pkg, f))
    while todo:
        pkg, f = todo.pop()
        needed, interp = elf_info(f)
        if interp:
            interps.add(interp)
        for name in needed:
            if name in done:
                continue
            hits = pk.find(name)
            if not hits:
                for d in pk.depends(pkg):
                    pk.fetch(d)
                hits = pk.find(name)
            if not hits:
                die("%s (from %s) needs %s, which none of its Depends has" % (f, pkg, name))
            owner, path = hits[0]
            real = pk.resolve(owner, path)
            dst = os.path.join(root, LIBDIR, name)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            shutil.copy(real, dst)
            done[name] = owner
            todo.append((owner, real))
    for interp in interps:
        hits = pk.find(os.path.basename(interp))
        if not hits:
            die("no fetched package has the dynamic loader %s" % interp)
        dst = os.path.join(root, interp.lstrip("/"))
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copy(pk.resolve(*hits[0]), dst)
    print("libs.py: %d libraries from %s" % (len(done), " ".join(sorted(set(done.values())))),
          file=sys.stderr)


main()
