"""Every module hands its work to errors.run_module and every filter function is wrapped in filter_errors, so no
bare exception of ours reaches Ansible: on ansible-core 2.16-2.18 a module's traceback reaches the user as a bare
"MODULE FAILURE", and a filter's as "'str' object has no attribute 'get'" with no object or field named."""

import ast
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODULES = sorted(name for name in os.listdir(os.path.join(ROOT, "plugins", "modules")) if name.endswith(".py"))
FILTERS = sorted(name for name in os.listdir(os.path.join(ROOT, "plugins", "filter")) if name.endswith(".py"))


def tree(*parts):
    with open(os.path.join(ROOT, "plugins", *parts)) as handle:
        return ast.parse(handle.read())


def calls(node):
    return {ast.unparse(call.func) for call in ast.walk(node) if isinstance(call, ast.Call)}


@pytest.mark.parametrize("name", MODULES)
def test_module_main_runs_its_worker_through_run_module(name):
    main = [node for node in tree("modules", name).body if isinstance(node, ast.FunctionDef) and node.name == "main"]
    assert main, "%s has no main()" % name
    assert {"errors.run_module", "run_module"} & calls(main[0]), "%s: main() does not call errors.run_module" % name


@pytest.mark.parametrize("name", FILTERS)
def test_every_filter_function_is_wrapped_in_filter_errors(name):
    module = tree("filter", name)
    filter_module = [node for node in module.body if isinstance(node, ast.ClassDef) and node.name == "FilterModule"]
    returned = [node for node in ast.walk(filter_module[0]) if isinstance(node, ast.Dict)][0]
    functions = {node.name: node for node in module.body if isinstance(node, ast.FunctionDef)}
    for value in returned.values:
        function = functions.get(ast.unparse(value))
        assert function is not None, "%s: %s is not a function of the file" % (name, ast.unparse(value))
        decorators = [ast.unparse(decorator) for decorator in function.decorator_list]
        assert any(decorator.startswith("filter_errors(") for decorator in decorators), \
            "%s: %s is not decorated with filter_errors" % (name, function.name)
