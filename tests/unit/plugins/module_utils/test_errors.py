"""errors: the messages a user reads for bad input, and run_module's promise that no traceback reaches them."""

import errno
import os

import pytest

from ansible_collections.k8s.seccomp_default.plugins.module_utils import errors


@pytest.fixture
def odd_files(tmp_path):
    (tmp_path / "dir").mkdir()
    (tmp_path / "latin1").write_bytes(b"caf\xe9\n")
    (tmp_path / "big").write_bytes(b"x" * 2048)
    (tmp_path / "file").write_text("text\n")
    os.mkfifo(str(tmp_path / "fifo"))
    return tmp_path


@pytest.mark.parametrize("name, words", [
    ("dir", ["is a directory"]),
    ("latin1", ["is not UTF-8 text", "byte 3"]),
    ("big", ["2048 bytes", "larger than the 1024"]),
    ("fifo", ["not a regular file"]),  # would block forever if it were opened
    ("file/below", ["runs through something that is not a directory"]),
    ("missing", ["does not exist"]),
], ids=lambda value: value if isinstance(value, str) else None)
def test_read_file_names_the_file_and_what_is_wrong(odd_files, name, words):
    path = str(odd_files / name)
    with pytest.raises(errors.InputError) as raised:
        errors.read_file(path, limit=1024)
    assert str(raised.value).startswith(path + ": ")
    for word in words:
        assert word in str(raised.value)


def test_read_file_missing_ok_and_bytes(odd_files):
    assert errors.read_file(str(odd_files / "missing"), missing_ok=True) is None
    assert errors.read_file(str(odd_files / "latin1"), encoding=None) == b"caf\xe9\n"


def test_an_unreadable_file_is_named_as_such():
    message = str(errors.os_error(OSError(errno.EACCES, "Permission denied"), "/etc/kubernetes/kubelet.conf"))
    assert message == "/etc/kubernetes/kubelet.conf: is not readable by this user"


@pytest.mark.parametrize("value, kinds, text", [
    ("ptrace", list, "default/web: spec.syscalls: is not a list (found string 'ptrace')"),
    (True, int, "default/web: spec.syscalls: is not a number (found boolean True)"),
    (None, dict, "default/web: spec.syscalls: is not a mapping (found null)"),
    ("x" * 500, dict, "default/web: spec.syscalls: is not a mapping (found string '" + "x" * 76 + "...)"),
])
def test_expect_type_names_object_field_and_value(value, kinds, text):
    with pytest.raises(errors.InputError) as raised:
        errors.expect_type(value, kinds, "spec.syscalls", path="default/web")
    assert str(raised.value) == text


def test_expect_type_returns_what_fits():
    assert errors.expect_type([], (list, type(None)), "x") == []
    assert errors.expect_type(None, (list, type(None)), "x") is None
    assert errors.expect_type(False, bool, "x") is False


class Failed(Exception):
    pass


class Module:
    """What run_module uses of AnsibleModule: fail_json, which exits (here: raises) with its arguments."""
    _name = "k8s.seccomp_default.example"

    def fail_json(self, **result):
        raise Failed(result)


def fails_with(worker):
    with pytest.raises(Failed) as failed:
        errors.run_module(Module(), worker)
    return failed.value.args[0]


def test_run_module_turns_input_errors_into_their_message_and_details():
    def worker(module):
        raise errors.InputError("is not a list", path="/var/lib/x.json", field="syscalls", value="ptrace", expected="a list of names")
    result = fails_with(worker)
    assert result["msg"] == "/var/lib/x.json: syscalls: is not a list (found string 'ptrace'); expected a list of names"
    assert result["error"]["field"] == "syscalls"
    assert "exception" not in result


def test_run_module_names_the_file_of_an_os_error_nobody_named(tmp_path):
    def worker(module):
        open(str(tmp_path))
    assert fails_with(worker)["msg"] == "%s: is a directory, not a file" % tmp_path


def test_run_module_calls_anything_else_a_bug_and_keeps_the_traceback_for_verbose_output():
    def worker(module):
        return {}["missing"]
    result = fails_with(worker)
    assert result["msg"].startswith("k8s.seccomp_default.example: KeyError: 'missing' (this is a bug")
    assert "Traceback" in result["exception"]


def test_run_module_returns_what_the_worker_returns():
    assert errors.run_module(Module(), lambda module, value: value * 2, 21) == 42
