# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The node's tools (crictl, bpftrace, systemctl, journalctl...): where they are and how they are run.

Installers put them in different places - kubeadm's cri-tools package in /usr/bin, kubespray and manual installs in
/usr/local/bin, Flatcar and some kops images in /opt/bin - and sudo's secure_path on EL leaves /usr/local/bin out
of PATH, so a tool is searched in PATH and then in those directories.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.k8s.seccomp_default.plugins.module_utils.errors import InputError

TOOL_DIRS = ("/usr/local/bin", "/usr/bin", "/opt/bin", "/usr/local/sbin", "/usr/sbin", "/sbin", "/bin")
NOT_FOUND = 127  # the shell's exit status for a command it cannot find


class ToolNotFound(InputError):
    """A tool that is not where it was looked for; the message names every place."""


def find_tool(name, explicit=None, dirs=TOOL_DIRS, path=None):
    """The absolute path of tool ``name``: ``explicit`` when given (a path, or another name to search), else the
    first executable ``name`` in PATH, then in ``dirs``. ToolNotFound names every place it looked."""
    wanted = explicit or name
    if os.sep in wanted:
        if os.path.isfile(wanted) and os.access(wanted, os.X_OK):
            return wanted
        raise ToolNotFound("%s: %s is not an executable file" % (name, wanted))
    searched = []
    for directory in (os.environ.get("PATH", "") if path is None else path).split(os.pathsep) + list(dirs):
        if directory and directory not in searched:
            searched.append(directory)
            candidate = os.path.join(directory, wanted)
            if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
                return candidate
    raise ToolNotFound("%s was not found: looked for %s in %s; install it there or give its path" % (
        name, wanted, ":".join(searched)))


def runner(module):
    """``run(argv)`` -> (rc, stdout, stderr), with argv[0] found as find_tool finds it; a tool that is not there
    answers rc 127 and says so on stderr, the way a shell would, instead of raising."""
    def run(argv):
        try:
            binary = find_tool(argv[0])
        except ToolNotFound as exc:
            return NOT_FOUND, "", str(exc)
        return module.run_command([binary] + list(argv[1:]))
    return run
