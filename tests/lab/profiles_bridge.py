"""CRI-O resolves moby-style profiles (archMap, includes/excludes) for each container at create time.

The lab reuses the collection's moby resolution for that (docs/kubernetes-facts.md#cri-o-knobs:
containers/common follows moby's setupSeccomp, except that it has no minKernel; the two default files used here
have no minKernel either). Only CRI-O's resolution is borrowed: the kubelet rules and the
containerd default are the lab's own.
"""

import os
import platform
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# The collection this lab came with: a checkout (made importable by `make link` under .build/collections), or an
# installed copy (ROOT is then <collections path>/ansible_collections/k8s/seccomp_default).
INSTALLED = os.path.basename(os.path.dirname(os.path.dirname(ROOT))) == "ansible_collections"
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(ROOT))) if INSTALLED else os.path.join(ROOT, ".build", "collections"))

from ansible_collections.k8s.seccomp_default.plugins.module_utils import profiles  # noqa: E402

from tests.lab.runtime import DEFAULT_CAPS  # noqa: E402


def resolve_for_crio(data, capabilities=None):
    fmt = profiles.profile_format(data)
    resolved = profiles.resolve_profile(data, fmt, arch=profiles.native_architecture(platform.machine()),
                                        capabilities=capabilities or DEFAULT_CAPS, kernel=platform.release(),
                                        source="CRI-O seccomp profile")
    return profiles.normalize_oci(resolved)
