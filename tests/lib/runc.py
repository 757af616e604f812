"""Run real processes in runc containers (Debian's runc, a busybox-static rootfs built here)."""

import json
import os
import shutil
import subprocess
import uuid

BUSYBOX = "/usr/bin/busybox"
APPLETS = ("sh", "true", "unshare", "echo", "cat", "ls")


def runc_available():
    return os.geteuid() == 0 and shutil.which("runc") is not None and os.path.exists(BUSYBOX)


class Bundle:
    """An OCI bundle with a read-only busybox rootfs.

    Busybox is installed under a unique name (busybox-<token>, which busybox still treats as
    itself), so kernel records of this bundle's processes can be told apart by their exe= path.
    """

    def __init__(self, directory, extra_files=None):
        self.directory = str(directory)
        self.token = uuid.uuid4().hex[:12]
        self.exe = "/bin/busybox-" + self.token
        self.rootfs = os.path.join(self.directory, "rootfs")
        self.state = os.path.join(self.directory, "runc-state")
        os.makedirs(os.path.join(self.rootfs, "bin"))
        for sub in ("proc", "dev", "sys", "tmp"):
            os.makedirs(os.path.join(self.rootfs, sub))
        shutil.copy2(BUSYBOX, self.rootfs + self.exe)
        for applet in APPLETS:
            os.symlink(os.path.basename(self.exe), os.path.join(self.rootfs, "bin", applet))
        for path, source in (extra_files or {}).items():
            shutil.copy2(source, self.rootfs + path)
        subprocess.run(["runc", "spec", "--bundle", self.directory], check=True)
        self._spec_path = os.path.join(self.directory, "config.json")

    def run(self, args, seccomp=None, timeout=300):
        """Run ``args`` (argv inside the container) under ``seccomp`` (OCI object or None)."""
        with open(self._spec_path) as handle:
            spec = json.load(handle)
        spec["process"]["terminal"] = False
        spec["process"]["args"] = list(args)
        spec["root"]["readonly"] = True
        spec["hostname"] = "seccomp-test"
        if seccomp is None:
            spec["linux"].pop("seccomp", None)
        else:
            spec["linux"]["seccomp"] = seccomp
        with open(self._spec_path, "w") as handle:
            json.dump(spec, handle)
        container_id = "seccomp-test-" + uuid.uuid4().hex[:12]
        try:
            return subprocess.run(
                ["runc", "--root", self.state, "run", "--bundle", self.directory, container_id],
                stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout, check=False,
            )
        finally:
            subprocess.run(["runc", "--root", self.state, "delete", "--force", container_id], capture_output=True, check=False)
