"""audit_scan given broken input: a cursor file or owners_from file that is not one it can use, a log that is
not a regular readable file, bad options. Each fails naming the file (and the field and value), through
errors.run_module, with the tree byte-for-byte unchanged: no cursor written, no temporary file left. A cursor
past the end of a rotated or truncated log is normal and read on; a hostile log line is skipped and counted.
The module runs as Ansible runs it (tests/lib/badinput), without crictl (attribute: false)."""

import json
import os

import pytest
from lib.badinput import assert_refused, run_module, snapshot

RECORD = ('Nov 23 10:00:01 node-1 kernel: [20508.45] audit: type=1326 audit(1795444107.816:%d): auid=4294967295 uid=0 '
          'gid=0 ses=4294967295 pid=7131 comm="unshare" exe="/bin/busybox" sig=0 arch=c000003e syscall=272 compat=0 '
          'ip=0x4815c7 code=0x7ffc0000\n')


def node(tmp_path):
    """A node's log and state directory: (root, log, state_dir, cursor file)."""
    root = tmp_path / "node"
    (root / "log").mkdir(parents=True)
    (root / "state").mkdir()
    log = root / "log" / "kern.log"
    log.write_text(RECORD % 1 + RECORD % 2)
    return root, log, root / "state", root / "state" / "c.json"


def scan(tmp_path, log, state, **args):
    options = dict(sources=["syslog"], syslog_log=str(log), state_dir=str(state), cursor_name="c", start="beginning",
                   attribute=False)
    options.update(args)
    return run_module("audit_scan", options, tmp_path)


def write(content):
    def setup(path):
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content if isinstance(content, str) else json.dumps(content))
    return setup


def unreadable(path):
    path.write_text("{}")
    os.chmod(str(path), 0)


LOG_KEY = "syslog:{log}"
CURSORS = {
    "not-json": (write("{\"syslog:"), ["c.json", "is not JSON", "reset: true"]),
    "a-list": (write([1, 2]), ["c.json", "holds list, not an object"]),
    "file-cursor-a-string": (write({LOG_KEY: "end"}), ["c.json", "kern.log", "'end'", "inode and offset"]),
    "offset-a-string": (write({LOG_KEY: {"inode": 1, "offset": "10"}}), ["c.json", "kern.log", "inode and offset"]),
    "offset-negative": (write({LOG_KEY: {"inode": 1, "offset": -5}}), ["c.json", "kern.log", "-5"]),
    "offset-a-float": (write({LOG_KEY: {"inode": 1, "offset": 1.5}}), ["c.json", "kern.log", "1.5"]),
    "inode-a-boolean": (write({LOG_KEY: {"inode": True, "offset": 0}}), ["c.json", "kern.log", "True"]),
    "seen-a-string": (write({"seen": "abc"}), ["c.json", "seen", "'abc'", "[timestamp, serial] pairs"]),
    "seen-pair-short": (write({"seen": [[1.5]]}), ["c.json", "seen", "[timestamp, serial] pairs"]),
    "seen-pair-of-lists": (write({"seen": [[[1], {}]]}), ["c.json", "seen"]),
    "kernel-lost-negative": (write({"kernel_lost": -1}), ["c.json", "kernel_lost", "-1", "a count"]),
    "kmsg-seq-a-string": (write({"kmsg:/dev/kmsg": {"boot_id": "b", "seq": "7"}}), ["c.json", "kmsg:/dev/kmsg", "seq"]),
    "journald-a-number": (write({"journald:journald": 5}), ["c.json", "journald:journald", "journal's cursor"]),
    "a-number-past-int-limit": (write('{"kernel_lost": %s}' % ("9" * 5000)), ["c.json", "is not JSON"]),
    "nested-too-deep": (write("[" * 100000), ["c.json", "is not JSON"]),
    "not-utf-8": (write(b'{"seen": "\xff"}'), ["c.json", "not UTF-8"]),
    "a-directory": (lambda path: path.mkdir(), ["c.json", "is a directory"]),
    "a-fifo": (lambda path: os.mkfifo(str(path)), ["c.json", "not a regular file"]),
    "unreadable": (unreadable, ["c.json", "not readable"]),
    "a-symlink-loop": (lambda path: os.symlink(path.name, str(path)), ["c.json", "symlink loop"]),
}


@pytest.mark.parametrize("case", sorted(CURSORS))
def test_a_cursor_file_it_cannot_use_is_named_and_nothing_changes(tmp_path, case):
    setup, words = CURSORS[case]
    root, log, state, cursor = node(tmp_path)
    setup(cursor)
    if cursor.is_file() and not os.path.islink(str(cursor)) and os.access(str(cursor), os.R_OK):
        cursor.write_bytes(cursor.read_bytes().replace(b"{log}", str(log).encode()))
    before = snapshot(root)
    assert_refused(scan(tmp_path, log, state), *words)
    assert snapshot(root) == before


def test_reset_ignores_a_corrupt_cursor_but_not_one_it_cannot_replace(tmp_path):
    root, log, state, cursor = node(tmp_path)
    cursor.write_text("{\"syslog:")
    result = scan(tmp_path, log, state, reset=True)
    assert not result.get("failed") and result["records"] == 2, result
    cursor.unlink()
    cursor.mkdir()
    before = snapshot(root)
    assert_refused(scan(tmp_path, log, state, reset=True), "c.json", "is a directory")
    assert snapshot(root) == before


def _log_fifo(path):
    path.unlink()
    os.mkfifo(str(path))


def _log_directory(path):
    path.unlink()
    path.mkdir()


def _log_unreadable(path):
    os.chmod(str(path), 0)


LOGS = {
    "a-directory": (_log_directory, ["kern.log", "is a directory"]),
    "a-fifo": (_log_fifo, ["kern.log", "not a regular file"]),
    "unreadable": (_log_unreadable, ["kern.log", "not readable"]),
}


@pytest.mark.parametrize("case", sorted(LOGS))
def test_a_log_it_cannot_read_is_named_and_no_cursor_is_written(tmp_path, case):
    setup, words = LOGS[case]
    root, log, state, _cursor = node(tmp_path)
    setup(log)
    before = snapshot(root)
    assert_refused(scan(tmp_path, log, state), *words)
    assert snapshot(root) == before


def test_a_log_behind_a_path_through_a_file_is_named(tmp_path):
    root, log, state, _cursor = node(tmp_path)
    before = snapshot(root)
    assert_refused(scan(tmp_path, str(log) + "/kern.log", state), "kern.log/kern.log", "not a directory")
    assert snapshot(root) == before


OWNERS = {
    "not-json": ("{", ["tracer.json", "is not JSON"]),
    "a-list": ("[]", ["tracer.json", "not a syscall_trace state file"]),
    "processes-a-list": (json.dumps({"processes": [1]}), ["tracer.json", "processes", "[1]"]),
    "process-a-string": (json.dumps({"processes": {"12": "x"}}), ["tracer.json", "processes.12", "'x'", "seen"]),
    "seen-a-string": (json.dumps({"processes": {"12": {"seen": "now"}}}), ["tracer.json", "processes.12"]),
    "container-id-a-number": (json.dumps({"processes": {"12": {"seen": 1.0, "container_id": 5}}}),
                              ["tracer.json", "processes.12.container_id", "5"]),
}


@pytest.mark.parametrize("case", sorted(OWNERS))
def test_an_owners_file_it_cannot_use_is_named(tmp_path, case):
    content, words = OWNERS[case]
    root, log, state, _cursor = node(tmp_path)
    owners = root / "tracer.json"
    owners.write_text(content)
    before = snapshot(root)
    assert_refused(scan(tmp_path, log, state, attribute=True, owners_from=str(owners)), *words)
    assert snapshot(root) == before


@pytest.mark.parametrize("args, words", [
    (dict(cursor_name="../escape"), ["cursor_name", "../escape", ".."]),
    (dict(max_entries=0), ["max_entries", "0"]),
    (dict(state_dir="{root}/log/kern.log"), ["state_dir", "kern.log", "not a directory"]),
], ids=["cursor-name-escapes", "max-entries-zero", "state-dir-a-file"])
def test_a_bad_option_is_named(tmp_path, args, words):
    root, log, state, _cursor = node(tmp_path)
    args = dict((key, value.replace("{root}", str(root)) if isinstance(value, str) else value) for key, value in args.items())
    before = snapshot(root)
    assert_refused(scan(tmp_path, log, state, **args), *words)
    assert snapshot(root) == before


def test_a_cursor_past_the_end_of_a_rotated_log_reads_on(tmp_path):
    """Normal, not an error: the log was rotated (and the old file shortened, as copytruncate does) since the scan."""
    root, log, state, cursor = node(tmp_path)
    os.rename(str(log), str(log) + ".1")
    old = os.stat(str(log) + ".1")
    log.write_text(RECORD % 3 + RECORD % 5)
    cursor.write_text(json.dumps({"syslog:%s" % log: {"inode": old.st_ino, "offset": old.st_size + 4096}}))
    result = scan(tmp_path, log, state)
    assert not result.get("failed") and result["records"] == 2, result
    assert json.loads(cursor.read_text())["syslog:%s" % log] == dict(inode=log.stat().st_ino, offset=log.stat().st_size)
    log.write_text(RECORD % 4)  # truncated in place: the cursor is past its end, read from its start
    result = scan(tmp_path, log, state)
    assert result["records"] == 1 and "truncated" in result["sources"][0]["notes"][0]


def test_a_hostile_line_is_skipped_counted_and_warned_about(tmp_path):
    """One line a local user can write with `logger`: a serial of 5000 digits. Before, every later scan failed on it."""
    root, log, state, cursor = node(tmp_path)
    with open(str(log), "a") as handle:
        handle.write(RECORD.replace("%d", "9" * 5000) + RECORD % 3)
    result = scan(tmp_path, log, state)
    assert not result.get("failed"), result
    assert (result["records"], result["unparsed"]) == (3, 1)
    assert "1 line(s) that looked like seccomp records" in json.dumps(result.get("warnings")), result.get("warnings")
    assert json.loads(cursor.read_text())["syslog:%s" % log]["offset"] == log.stat().st_size
    assert scan(tmp_path, log, state)["records"] == 0
