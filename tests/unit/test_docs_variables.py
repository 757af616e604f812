"""docs/variables.md is what the roles' argument specs say (one source of truth: the specs)."""

import importlib.util
import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_the_variables_page_matches_the_argument_specs():
    spec = importlib.util.spec_from_file_location("role_variables", os.path.join(ROOT, "tools", "role_variables.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with open(os.path.join(ROOT, "docs", "variables.md")) as handle:
        assert handle.read() == module.render(), "docs/variables.md is out of date: run python tools/role_variables.py"


def test_every_role_variable_default_matches_the_spec():
    """A default in defaults/main.yml that the spec documents differently would make the page lie."""
    import yaml
    for role in os.listdir(os.path.join(ROOT, "roles")):
        defaults_path = os.path.join(ROOT, "roles", role, "defaults", "main.yml")
        if not os.path.exists(defaults_path):
            continue
        with open(defaults_path) as handle:
            defaults = yaml.safe_load(handle) or {}
        with open(os.path.join(ROOT, "roles", role, "meta", "argument_specs.yml")) as handle:
            options = {}
            for entry in yaml.safe_load(handle)["argument_specs"].values():  # main and the shared task files
                options.update(entry.get("options") or {})
        for name, value in defaults.items():
            assert name in options, "%s: %s has a default but is not in meta/argument_specs.yml" % (role, name)
            if "default" in options[name] and not (isinstance(value, str) and "{{" in value):
                assert options[name]["default"] == value, "%s: %s defaults to %r, the spec says %r" % (
                    role, name, value, options[name]["default"])
