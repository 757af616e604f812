"""What an execution environment (AWX/AAP, ansible-navigator) gets from the collection alone: ansible-builder reads
meta/execution-environment.yml and lists the controller's Python and system dependencies."""

import os
import re
import subprocess
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COLLECTIONS = os.path.join(ROOT, ".build", "collections")


def requirement_names(path):
    names = []
    with open(path) as handle:
        for line in handle:
            line = line.split("#", 1)[0].strip()
            if line and not line.startswith("-"):
                names.append(re.split(r"[<>=!~;\[ ]", line, maxsplit=1)[0].lower())
    return names


def test_ansible_builder_lists_exactly_the_controller_dependencies():
    builder = os.path.join(os.path.dirname(sys.executable), "ansible-builder")
    out = subprocess.run([builder, "introspect", COLLECTIONS], capture_output=True, text=True, check=True).stdout
    found = yaml.safe_load(out.split("---", 1)[1])
    assert found == {
        "python": ["kubernetes>=24.2.0  # from collection k8s.seccomp_default"],
        "system": ["libseccomp2 [platform:dpkg]  # from collection k8s.seccomp_default",
                   "libseccomp [platform:rpm]  # from collection k8s.seccomp_default"],
    }


def test_the_execution_environment_requirements_are_unpinned_and_ci_pins_each_of_them():
    with open(os.path.join(ROOT, "requirements.txt")) as handle:
        lines = [line.split("#", 1)[0].strip() for line in handle]
    assert not [line for line in lines if "==" in line], "requirements.txt is for ansible-builder: ranges, not pins"
    pinned = requirement_names(os.path.join(ROOT, "test-requirements.txt"))
    assert set(requirement_names(os.path.join(ROOT, "requirements.txt"))) <= set(pinned)
