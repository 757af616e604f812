"""`ansible-doc` renders every module and filter of the collection (their DOCUMENTATION, EXAMPLES, RETURN)."""

import json
import os
import subprocess
import sys

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)


def plugins(kind):
    directory = os.path.join(ROOT, "plugins", kind)
    return sorted(name[:-3] for name in os.listdir(directory) if name.endswith(".py") and name != "__init__.py")


def documentation(kind, name):
    with open(os.path.join(ROOT, "plugins", kind, name + ".py")) as handle:
        source = handle.read()
    text = source.split('DOCUMENTATION = r"""', 1)[1].split('"""', 1)[0]
    return yaml.safe_load(text)


@pytest.mark.parametrize("kind, doc_type, name", [("filter", "filter", name) for name in plugins("filter")]
                         + [("modules", "module", name) for name in plugins("modules")])
def test_ansible_doc_renders(kind, doc_type, name):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".build", "collections"), ANSIBLE_NOCOLOR="1")
    fqcn = "k8s.seccomp_default." + name
    text = subprocess.run([os.path.join(BIN, "ansible-doc"), "-t", doc_type, fqcn],
                          capture_output=True, text=True, env=env, check=False, timeout=120)
    assert text.returncode == 0 and not text.stderr.strip(), text.stderr
    assert documentation(kind, name)["description"][0].split()[0] in text.stdout
    rendered = subprocess.run([os.path.join(BIN, "ansible-doc"), "--json", "-t", doc_type, fqcn],
                              capture_output=True, text=True, env=env, check=False, timeout=120)
    doc = json.loads(rendered.stdout)[fqcn]
    assert doc["doc"]["short_description"] == documentation(kind, name)["short_description"]
    assert doc["examples"].strip() and doc["return"], "EXAMPLES and RETURN must render"
