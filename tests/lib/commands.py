"""Real executables for tests that need a node's tool (crictl, bpftrace...), and a runner shaped like
module.run_command."""

import os
import subprocess


def executable(directory, name, script):
    """Write ``script`` to ``directory``/``name``, executable; return its path."""
    path = os.path.join(str(directory), name)
    with open(path, "w") as handle:
        handle.write(script)
    os.chmod(path, 0o755)
    return path


def run(argv):
    """(rc, stdout, stderr), as AnsibleModule.run_command returns them."""
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    return done.returncode, done.stdout, done.stderr
