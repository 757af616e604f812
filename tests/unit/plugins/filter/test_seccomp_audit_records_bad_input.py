"""seccomp_audit_records given what is not log lines, and log lines no kernel wrote.

Input that is not log lines (a whole registered command result, null, a number, a list holding something other
than text) is refused with an AnsibleFilterError naming the filter, the item and its value - before, it silently
gave no records. Lines are never refused: a line that cannot be read is skipped, however long its numbers (before,
one number of more than 4300 digits raised ValueError), and the records around it are still found. Each case goes
through the FilterModule().filters() mapping Ansible uses."""

import time

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.k8s.seccomp_default.plugins.filter.seccomp_audit_records import FilterModule

RECORDS = FilterModule().filters()["seccomp_audit_records"]
RECORD = ('audit: type=1326 audit(1795444107.816:21298176): auid=4294967295 uid=0 gid=0 ses=4294967295 pid=7131 '
          'comm="unshare" exe="/bin/busybox" sig=0 arch=c000003e syscall=272 compat=0 ip=0x4815c7 code=0x7ffc0000')
NEXT = RECORD.replace("21298176", "21298177")


@pytest.mark.parametrize("value, words", [
    (None, ["input", "is not log lines", "null"]),
    ({"rc": 0, "stdout": RECORD, "stdout_lines": [RECORD]}, ["input", "holds them under stdout", "'rc': 0"]),
    ({"MESSAGE": RECORD}, ["input", "is not log lines", "mapping"]),
    (5, ["input", "is not log lines", "number 5"]),
    (1.5, ["input", "number 1.5"]),
    (True, ["input", "boolean True"]),
    ([RECORD, None], ["input[1]", "is not a line of text", "null"]),
    ([RECORD, NEXT, {"MESSAGE": RECORD}], ["input[2]", "mapping"]),
    ([[RECORD]], ["input[0]", "list"]),
    ([7], ["input[0]", "number 7"]),
], ids=["null", "a-command-result", "a-journal-entry", "a-number", "a-float", "a-boolean", "null-line",
        "a-mapping-line", "a-nested-list", "a-number-line"])
def test_what_is_not_log_lines_is_refused_naming_the_item(value, words):
    with pytest.raises(AnsibleFilterError) as caught:
        RECORDS(value)
    message = str(caught.value)
    assert message.startswith("k8s.seccomp_default.seccomp_audit_records: ") and "this is a bug" not in message, message
    for word in words:
        assert word in message, "%r not in: %s" % (word, message)


@pytest.mark.parametrize("value", [[], (), "", b"", iter([RECORD, NEXT]), (line for line in [RECORD, NEXT]), {RECORD},
                                   [RECORD.encode(), NEXT], RECORD + "\r\n" + NEXT],
                         ids=["empty-list", "empty-tuple", "empty-text", "empty-bytes", "an-iterator", "a-generator", "a-set",
                              "bytes-and-text", "crlf-text"])
def test_every_shape_of_log_lines_is_read(value):
    records = RECORDS(value)
    assert [record["serial"] for record in records] in ([], [21298176], [21298176, 21298177])


DIGITS = "9" * 5000
HOSTILE = {
    "serial": (RECORD.replace("21298176", DIGITS), None),
    "time": (RECORD.replace("1795444107", DIGITS), None),
    "auditd-serial": (RECORD.replace("21298176", DIGITS).replace("audit: type=1326 audit", "type=SECCOMP msg=audit"), None),
    "pid": (RECORD.replace("pid=7131", "pid=" + DIGITS), "pid"),
    "uid": (RECORD.replace(" uid=0", " uid=" + DIGITS), "uid"),
    "gid": (RECORD.replace("gid=0", "gid=" + DIGITS), "gid"),
    "auid": (RECORD.replace("auid=4294967295", "auid=" + DIGITS), "auid"),
    "sig": (RECORD.replace("sig=0", "sig=" + DIGITS), "sig"),
    "syscall": (RECORD.replace("syscall=272", "syscall=" + DIGITS), "syscall_nr"),
    "compat": (RECORD.replace("compat=0", "compat=" + DIGITS), "compat"),
    "code": (RECORD.replace("code=0x7ffc0000", "code=0x" + "7" * 5000), "action"),
    "arch": (RECORD.replace("arch=c000003e", "arch=" + "c" * 5000), "syscall"),
    "negative-pid": (RECORD.replace("pid=7131", "pid=-7131"), "pid"),
    "non-ascii-digits": (RECORD.replace("pid=7131", "pid=\u0663\u0663"), "pid"),
    "underscored-number": (RECORD.replace("pid=7131", "pid=7_131"), "pid"),
    "a-100-kB-field": (RECORD.replace("exe=", "x=" + "A" * 100000 + " exe="), ""),
    "a-100-kB-word": (RECORD.replace("exe=", "A" * 100000 + " exe="), ""),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_line_no_kernel_wrote_is_skipped_or_read_without_the_field(case):
    """A line whose time or serial cannot be read is no record; another field that cannot be read is null."""
    line, field = HOSTILE[case]
    started = time.process_time()
    records = RECORDS([RECORD, line, NEXT])
    # Before, `\w+=` searched from inside a long run of letters backtracked through it at every position: minutes.
    assert time.process_time() - started < 5
    assert records[0]["serial"] == 21298176 and records[-1]["serial"] == 21298177
    if field is None:
        assert len(records) == 2
    else:
        assert len(records) == 3 and records[1]["exe"] == "/bin/busybox"
        if field == "pid":
            assert records[1]["pid"] in (None, -7131)
        elif field:
            assert records[1][field] is None
    assert len(RECORDS("\n".join([RECORD, line, NEXT]).encode())) == len(records)
