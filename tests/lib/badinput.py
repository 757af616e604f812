"""Bad-input tests: run a module the way Ansible does, and prove the tree it was pointed at did not change.

``snapshot`` records every entry under a directory (sha256 of a file's bytes, mode, a symlink's target);
comparing two snapshots shows any file written, removed, re-moded, re-linked, or a temporary file left
behind. ``run_module`` runs a module as a separate process with its arguments in a file, as
ansible-core's AnsiballZ wrapper hands them, and returns the JSON the module printed (or the raw output,
as ``crashed``, when it printed no JSON: a traceback).
"""

import hashlib
import json
import os
import stat
import subprocess
import sys

COLLECTIONS = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".build", "collections"))


def snapshot(root):
    """{relative path: (kind, mode, sha256 or link target)} for ``root`` and everything under it."""
    root = str(root)
    tree = {}
    for directory, dirs, names in os.walk(root):
        for name in sorted(dirs + names):
            path = os.path.join(directory, name)
            info = os.lstat(path)
            relative = os.path.relpath(path, root)
            mode = stat.S_IMODE(info.st_mode)
            if stat.S_ISLNK(info.st_mode):
                tree[relative] = ("link", mode, os.readlink(path))
            elif stat.S_ISDIR(info.st_mode):
                tree[relative] = ("dir", mode, None)
            elif stat.S_ISREG(info.st_mode):
                try:
                    with open(path, "rb") as handle:
                        digest = hashlib.sha256(handle.read()).hexdigest()
                except PermissionError:
                    digest = "unreadable"
                tree[relative] = ("file", mode, digest)
            else:
                tree[relative] = ("other", mode, None)
    return tree


def run_module(name, args, tmp_path, env=None, timeout=120, honour_file_modes=True):
    """Run k8s.seccomp_default.``name`` with ``args``; the parsed result, with ``crashed`` when it printed no JSON.

    CI runs as root, which reads a mode-000 file; with ``honour_file_modes`` the module runs without
    CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH (setpriv drops them from the bounding set), so file modes
    hold for it as they do for a user without those capabilities.
    """
    args = dict(args)
    args_path = os.path.join(str(tmp_path), "module-args-%s.json" % name)
    with open(args_path, "w") as handle:
        json.dump({"ANSIBLE_MODULE_ARGS": dict(args, _ansible_check_mode=args.pop("_ansible_check_mode", False))}, handle)
    module = "ansible_collections.k8s.seccomp_default.plugins.modules.%s" % name
    run_env = dict(os.environ, PYTHONPATH=COLLECTIONS, **(env or {}))
    argv = [sys.executable, "-m", module, args_path]
    if honour_file_modes and os.geteuid() == 0:
        argv = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--inh-caps=-dac_override,-dac_read_search"] + argv
    done = subprocess.run(argv, env=run_env, capture_output=True, text=True,
                          timeout=timeout, check=False)
    os.unlink(args_path)
    for line in reversed(done.stdout.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                break
    return dict(failed=True, crashed=True, msg="no JSON result", stdout=done.stdout, stderr=done.stderr)


def assert_refused(result, *words):
    """The module failed cleanly (no traceback) and its message names each of ``words``."""
    assert not result.get("crashed"), "the module crashed:\n%s\n%s" % (result.get("stdout"), result.get("stderr"))
    assert result.get("failed"), "the module did not fail: %r" % (result,)
    assert "Traceback" not in result.get("msg", ""), result["msg"]
    assert "this is a bug" not in result.get("msg", ""), result["msg"]
    for word in words:
        assert str(word) in result["msg"], "%r not in the message: %s" % (word, result["msg"])


def write(path, data, mode=None):
    """Write ``data`` (bytes, text, or anything JSON) at the pathlib ``path``, making its parents; its path as text."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data if isinstance(data, str) else json.dumps(data))
    if mode is not None:
        os.chmod(str(path), mode)
    return str(path)


def warnings_of(result):
    """The task's warnings as text: ansible-core 2.19+ gives each as a dict with event.msg."""
    return [w if isinstance(w, str) else (w.get("event") or {}).get("msg") or str(w) for w in result.get("warnings") or []]
