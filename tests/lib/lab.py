"""Whether this machine can run the lab fleet (tests/lab)."""

import os
import shutil

import pytest


def lab_available():
    return os.geteuid() == 0 and all(shutil.which(tool) for tool in ("unshare", "nsenter", "runc", "openssl")) \
        and os.path.exists("/usr/bin/busybox")


needs_lab = pytest.mark.skipif(not lab_available(), reason="the lab fleet needs root, unshare, nsenter, runc, openssl, busybox")
