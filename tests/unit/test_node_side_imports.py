"""Node-side code - plugins/modules and plugins/module_utils, which Ansible ships to the node - imports nothing but
Python's standard library, Ansible and this collection: stock nodes (Debian, Ubuntu, RHEL 9) have nothing else, and
PEP 668 or missing packages keep users from adding it. Controller code (plugins/filter, plugins/action,
plugins/plugin_utils) may use what the execution environment declares (requirements.txt)."""

import ast
import glob
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ALLOWED_ROOTS = set(sys.stdlib_module_names) | {"__future__", "ansible"}
OWN_PACKAGE = "ansible_collections.k8s.seccomp_default"


def outside_imports(path):
    """(line, module) for every import of ``path`` that a stock node cannot satisfy, guarded or not: a module that
    imports a library inside try/except still behaves differently on the node than where it was tested."""
    with open(path) as handle:
        tree = ast.parse(handle.read(), path)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""] if node.level == 0 else []
        else:
            continue
        for name in names:
            root = name.split(".")[0]
            if root == "ansible_collections":
                if name != OWN_PACKAGE and not name.startswith(OWN_PACKAGE + ".plugins.module_utils"):
                    found.append((node.lineno, name))
            elif root not in ALLOWED_ROOTS:
                found.append((node.lineno, name))
    return sorted(found)


def node_side_files():
    return sorted(glob.glob(os.path.join(ROOT, "plugins", "modules", "*.py")) +
                  glob.glob(os.path.join(ROOT, "plugins", "module_utils", "**", "*.py"), recursive=True))


def test_node_side_code_imports_only_the_standard_library_and_ansible():
    files = node_side_files()
    assert len(files) > 20
    offenders = ["%s:%d imports %s" % (os.path.relpath(path, ROOT), line, name)
                 for path in files for line, name in outside_imports(path)]
    assert offenders == []


def test_the_check_catches_a_module_that_imports_a_library(tmp_path):
    module = tmp_path / "module.py"
    module.write_text(
        "import json\n"
        "from ansible.module_utils.basic import AnsibleModule\n"
        "from ansible_collections.k8s.seccomp_default.plugins.module_utils import files\n"
        "try:\n"
        "    from ruamel.yaml import YAML\n"
        "except ImportError:\n"
        "    YAML = None\n"
        "import yaml\n"
        "from ansible_collections.k8s.seccomp_default.plugins.plugin_utils import kubelet_yaml\n"
        "from ansible_collections.community.general.plugins.module_utils import ini\n")
    assert outside_imports(str(module)) == [
        (5, "ruamel.yaml"), (8, "yaml"), (9, "ansible_collections.k8s.seccomp_default.plugins.plugin_utils"),
        (10, "ansible_collections.community.general.plugins.module_utils")]
