"""The seccomp record parser against lines this machine's kernel really printed (tests/data/audit, captured with
tools/capture_audit_corpus.py), the other forms of docs/kubernetes-facts.md#record-layout, and random and mutated
lines."""

import os
import platform
import random

import pytest

from ansible_collections.k8s.seccomp_default.plugins.filter.seccomp_audit_records import seccomp_audit_records
from ansible_collections.k8s.seccomp_default.plugins.module_utils.audit_records import parse_line

DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(__file__)))), "data", "audit")
X86_64 = platform.machine() == "x86_64"


def corpus(name):
    # split at newlines only: str.splitlines would also split at auditd's 0x1d separator
    with open(os.path.join(DATA, name), "rb") as handle:
        return [line for line in handle.read().decode("utf-8").split("\n") if line]


@pytest.mark.parametrize("name", ["kmsg.txt", "dmesg.txt"])
def test_every_captured_line_is_a_record(name):
    lines = corpus(name)
    records = seccomp_audit_records(lines)
    assert len(records) == len(lines) == 59
    assert all(r["format"] == "kernel" and r["auid"] == 4294967295 and r["pid"] > 0 for r in records)
    assert [r["serial"] for r in records] == sorted(r["serial"] for r in records)
    if X86_64:
        assert all(r["arch"] == "x86_64" and r["syscall"] for r in records)  # every number named by libseccomp


def test_the_captured_kill_record():
    (kill,) = [r for r in seccomp_audit_records(corpus("kmsg.txt")) if r["action"] == "kill_process"]
    assert (kill["sig"], kill["code"], kill["comm"], kill["compat"]) == (31, "0x80000000", "unshare", False)
    assert kill["exe"].startswith("/bin/busybox-")
    if X86_64:
        assert (kill["syscall_nr"], kill["syscall"]) == (272, "unshare")


def test_hex_encoded_comm_and_exe_are_decoded():
    """A program named 'my prog': the kernel printed comm=6D792070726F67 exe=2F62696E2F6D792070726F67."""
    hexed = [line for line in corpus("kmsg.txt") if "comm=6D792070726F67" in line]
    assert hexed
    record = parse_line(hexed[0])
    assert (record["comm"], record["exe"], record["action"]) == ("my prog", "/bin/my prog", "log")


KERNEL_LINE = ('audit: type=1326 audit(1795444107.816:21298176): auid=4294967295 uid=0 gid=0 ses=4294967295 '
               'pid=7131 comm="unshare" exe="/bin/busybox" sig=0 arch=c000003e syscall=272 compat=0 ip=0x4815c7 '
               'code=0x7ffc0000')


@pytest.mark.parametrize("line, format_", [
    ("Nov 23 12:00:00 node-1 kernel: [20508.452585] " + KERNEL_LINE, "kernel"),          # syslog / kern.log
    ("6,21298176,20508452585,-;" + KERNEL_LINE, "kernel"),                                 # /dev/kmsg record
    (KERNEL_LINE.replace("audit: type=1326 audit", "type=SECCOMP msg=audit")
     + '\x1dAUID="unset" UID="root" GID="root" ARCH=x86_64 SYSCALL=unshare', "auditd"),   # auditd ENRICHED
    (KERNEL_LINE.replace("audit: type=1326 audit", "type=SECCOMP msg=audit"), "auditd"),  # auditd RAW
])
def test_every_form(line, format_):
    record = parse_line(line)
    assert (record["format"], record["serial"], record["comm"], record["uid"]) == (format_, 21298176, "unshare", 0)
    assert record["timestamp"] == 1795444107.816 and record["action"] == "log"
    if X86_64:
        assert record["syscall"] == "unshare"


def test_x32_and_unknown_values():
    x32 = parse_line(KERNEL_LINE.replace("syscall=272", "syscall=%d" % (0x40000000 | 272)))
    assert x32["arch"] == "x32"
    odd = parse_line(KERNEL_LINE.replace("arch=c000003e", "arch=deadbeef").replace("code=0x7ffc0000", "code=0x12345"))
    assert (odd["arch"], odd["syscall"], odd["action"]) == ("deadbeef", None, None)
    assert parse_line("audit: type=1300 audit(1.2:3): arch=c000003e syscall=1") is None  # SYSCALL, not SECCOMP


def test_a_text_is_split_into_lines_and_other_lines_are_skipped():
    text = "kauditd_printk_skb: 7 callbacks suppressed\n" + KERNEL_LINE + "\nrandom kernel message\n"
    assert [r["serial"] for r in seccomp_audit_records(text)] == [21298176]


def test_no_line_makes_it_raise():
    rng = random.Random(1326)
    seeds = corpus("kmsg.txt")[:10] + [KERNEL_LINE]
    alphabet = 'audit:type=1326SECCOMPmsg()":\x1d 0123456789abcdefx\\\x00\xff\u2603'
    for _round in range(20000):
        line = rng.choice(seeds)
        for _mutation in range(rng.randint(1, 4)):
            at = rng.randint(0, len(line))
            kind = rng.randint(0, 3)
            if kind == 0:
                line = line[:at]
            elif kind == 1:
                line = line[:at] + "".join(rng.choice(alphabet) for _char in range(rng.randint(1, 8))) + line[at:]
            elif kind == 2:
                line = line[:at] + line[at + rng.randint(1, 20):]
            else:
                line = line.replace("=", "=" + str(rng.choice([-1, 2 ** 70, "zz", '"'])), 1)
        parse_line(line)
        parse_line(line.encode("utf-8", "surrogatepass") + b"\xff\xfe")
    for junk in (None, 12, "", "\x1d", b"\x00" * 10, "type=SECCOMP msg=audit(1:2): " + "a=" * 5000):
        parse_line(junk)


def test_auditd_enriched_log_written_by_auditd_here():
    """tests/data/audit/audit.log: what auditd 3.0.9 (log_format = ENRICHED) wrote for the same cases."""
    lines = corpus("audit.log")
    assert lines and all("\x1d" in line for line in lines)
    records = seccomp_audit_records(lines)
    assert len(records) == len(lines) and all(r["format"] == "auditd" for r in records)
    assert {"log", "kill_process"} <= set(r["action"] for r in records)
    assert any(r["comm"] == "my prog" and r["exe"] == "/bin/my prog" for r in records)
    assert all("\x1d" not in (r["exe"] or "") and "AUID" not in (r["exe"] or "") for r in records)
    if X86_64:
        assert all(r["syscall"] for r in records)


def test_syslog_written_by_rsyslog_here():
    """tests/data/audit/kern.log: rsyslog's imklog, RFC 3339 time stamps before the kernel's text."""
    lines = corpus("kern.log")
    records = seccomp_audit_records(lines)
    assert len(records) == len(lines) and all(r["format"] == "kernel" for r in records)
    assert any(r["action"] == "kill_process" and r["sig"] == 31 for r in records)


def test_journald_entries_written_by_journald_here():
    """tests/data/audit/journal.json: `journalctl -o json`; journald keeps each record twice - from the audit
    multicast group (_TRANSPORT=audit) and from the kernel log (_TRANSPORT=kernel) - and both read the same."""
    import json

    from ansible_collections.k8s.seccomp_default.plugins.module_utils.audit_scan import Aggregate, _stats, journal_line
    entries = [json.loads(line) for line in corpus("journal.json")]
    audit = [journal_line(e) for e in entries if e["_TRANSPORT"] == "audit"]
    kernel = [journal_line(e) for e in entries if e["_TRANSPORT"] == "kernel"]
    assert audit and len(audit) == len(kernel)
    from_audit, from_kernel = seccomp_audit_records(audit), seccomp_audit_records(kernel)
    assert len(from_audit) == len(audit) and len(from_kernel) == len(kernel)
    keys = ("serial", "pid", "comm", "exe", "syscall_nr", "action")
    assert sorted(tuple(r[k] for k in keys) for r in from_audit) == sorted(tuple(r[k] for k in keys) for r in from_kernel)
    aggregate = Aggregate(lambda pid, timestamp: dict(attribution="host"))
    stats = _stats("journald")
    for line in audit + kernel:
        aggregate.add_line(line, stats)
    assert aggregate.records == len(audit) and aggregate.duplicates == len(kernel)


def test_kernel_record_is_the_marker_then_kernel_order():
    """KERNEL_RECORD (the block reader's one match from the marker on) reads a line exactly where KERNEL_ORDER reads
    it after a marker: captured lines in both forms, and mutated ones (cut, flipped, digits, markers inside)."""
    from ansible_collections.k8s.seccomp_default.plugins.module_utils.audit_records import KERNEL_ORDER, KERNEL_RECORD
    from lib import fuzz

    captured = [line.encode() for name in ("kmsg.txt", "dmesg.txt", "kern.log", "audit.log") for line in corpus(name)]
    mutated = [line for name in ("kmsg text", "auditd enriched") for line in fuzz.audit_lines(name, 2000, seed=9)]
    checked = matched = 0
    for line in captured + mutated:
        for marker in (b"type=1326 ", b"type=SECCOMP "):
            position = line.find(marker)
            while position != -1:
                whole = KERNEL_RECORD.match(line, position)
                after = KERNEL_ORDER.match(line, position + len(marker))
                assert (whole and (whole.groups(), whole.end())) == (after and (after.groups(), after.end())), line
                checked += 1
                matched += bool(whole)
                position = line.find(marker, position + 1)
    assert matched >= 59 * 3 and checked > matched
