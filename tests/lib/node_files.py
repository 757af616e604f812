"""What a lab node holds on disk, as digests: to show that a run changed none of a node's files."""

import hashlib
import os

from tests.lab import fleet

# A node's run state, logs and scratch space (flattened top-level directories of the node's root); overlayfs's own
# work directories end in ".work".
SKIPPED = ("run", "var-log", "tmp")
# What any kubelet writes for itself as it runs: its pods' directories and the self-signed serving pair it makes at
# start when no tlsCertFile is set. Neither is configuration, and no rollout writes there.
KUBELET_OWN = ("/var/lib/kubelet/pods", "/var/lib/kubelet/pki")


def fingerprint(state):
    """{"<node>/fs/<path in the node's directory>": sha256} of every regular file of every node of the fleet."""
    digests = {}
    base = os.path.join(fleet.fleet_dir(state["name"]), "nodes")
    for node in sorted(state["nodes"]):
        fs = os.path.join(base, node, "fs")
        own = tuple(fleet.fs_path(fs, path) for path in KUBELET_OWN)
        for root, dirs, files in os.walk(fs):
            relative = os.path.relpath(root, fs)
            top = relative.split(os.sep, maxsplit=1)[0]
            if top in SKIPPED or top.endswith(".work") or root.startswith(own):
                dirs[:] = []
                continue
            for name in files:
                path = os.path.join(root, name)
                if os.path.isfile(path) and not os.path.islink(path):
                    with open(path, "rb") as handle:
                        digests[os.path.relpath(path, base)] = hashlib.sha256(handle.read()).hexdigest()
    return digests
