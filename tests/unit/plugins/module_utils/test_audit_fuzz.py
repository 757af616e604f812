"""Fuzz: no log line makes the seccomp record parsers raise, the reader's cursor always reaches the end of the
log, and the good records among the noise are all still found (issue 16, class 3).

A slice of benchmarks/parser_fuzz.py (which runs 1,000,000 lines per format), from the same generator
(tests/lib/fuzz.py): 3,000 lines of each of the 10 formats the collection reads (30,000); 20,000 mixed lines of
every log-file format through a real file, the real cursor (stored as JSON, loaded back through load_cursors)
and three appends; 5,000 through the filter as a list and as one text; 3,000 journal entries through the
journalctl reader: 58,000 lines with runs of up to 10,000 digits, truncations, flipped bytes, `=`, quotes, NUL,
invalid UTF-8 and 100 kB fields, plus one 20 MiB line. Measured: 4.5 s for the whole file on a 2-core VM with
Python 3.13 (the ten formats 2 s, the file reader 1.3 s, the filter 0.5 s).
"""

import json
import os

import pytest

from ansible_collections.k8s.seccomp_default.plugins.filter.seccomp_audit_records import seccomp_audit_records
from ansible_collections.k8s.seccomp_default.plugins.module_utils import audit_records, audit_scan
from lib import fuzz

SEED = 16


def host(_pid, _timestamp):
    return dict(attribution="host")


@pytest.mark.parametrize("name", fuzz.AUDIT_FORMATS)
def test_no_line_of_any_format_makes_a_parser_raise(name):
    parse = fuzz.audit_parser(name)
    failures = []
    for line in fuzz.audit_lines(name, 3000, SEED):
        try:
            parse(line)
        except Exception as exc:  # pylint: disable=broad-except
            failures.append("%s: %s for %r" % (type(exc).__name__, str(exc)[:100], line[:160]))
    assert not failures, "%d of 3000 %s lines raised, first: %s" % (len(failures), name, failures[:3])


def known_found(records):
    return sorted((record["timestamp"], record["serial"]) for record in records if record["exe"] == fuzz.KNOWN_EXE)


def test_the_filter_finds_every_good_record_among_the_noise():
    formats = tuple(name for name in fuzz.AUDIT_FORMATS if name not in ("journald json", "auditctl -s"))
    lines, known = fuzz.mixed_lines(5000, SEED, good_every=25, formats=formats)
    assert len(known) == 200
    as_bytes = seccomp_audit_records(lines)
    as_text = seccomp_audit_records(b"\n".join(lines).decode("utf-8", "replace"))
    assert known_found(as_bytes) == known_found(as_text) == sorted(known)
    assert all(record["action"] == "log" and record["pid"] == 4242 for record in as_bytes if record["exe"] == fuzz.KNOWN_EXE)


def test_the_reader_reads_every_line_and_moves_its_cursor_to_the_end(tmp_path):
    lines, known = fuzz.mixed_lines(20000, SEED, good_every=40)
    log, cursor_file = tmp_path / "kern.log", tmp_path / "cursors.json"
    log.write_bytes(b"")
    sources = [("syslog", str(log))]
    found, unparsed = 0, 0
    for part in range(3):  # written in three parts, each read from the cursor the part before left
        with open(log, "ab") as handle:
            handle.write(b"".join(line + b"\n" for line in lines[part * len(lines) // 3:(part + 1) * len(lines) // 3]))
        result, cursors = audit_scan.scan(sources, audit_scan.load_cursors(str(cursor_file)), "beginning", host)
        cursor_file.write_text(json.dumps(cursors))
        assert cursors["syslog:%s" % log] == dict(inode=log.stat().st_ino, offset=log.stat().st_size)
        found += sum(entry["count"] for entry in result["entries"] if entry["exe"] == fuzz.KNOWN_EXE)
        unparsed += result["unparsed"]
    assert found == len(known) == 500
    assert unparsed > 100  # the lines that looked like records but were not are counted, not silently lost
    again, _cursors = audit_scan.scan(sources, audit_scan.load_cursors(str(cursor_file)), "beginning", host)
    assert again["records"] == 0 and again["sources"][0]["bytes"] == 0


def test_journalctl_output_moves_the_journal_cursor_to_its_last_entry():
    lines, known = fuzz.mixed_lines(3000, SEED, good_every=30, formats=("journald json",))
    output = "\n".join(line.decode("utf-8", "replace") for line in lines)
    aggregate = audit_scan.Aggregate(host)
    cursor, stats = audit_scan.scan_journald("s=before", aggregate, "beginning", lambda _argv: (0, output, ""))
    assert cursor == "s=fuzz;i=%x" % known[-1][1]  # the last good entry comes last
    result = aggregate.result()
    assert sum(entry["count"] for entry in result["entries"] if entry["exe"] == fuzz.KNOWN_EXE) == len(known) == 100
    assert stats["unparsed"] > 0


# One line per number the readers convert, each with more digits than int() converts (4300) and more than a
# u64 holds: before, each raised ValueError in the filter and in the reader, and the cursor never passed it.
LONG = "7" * 5000
RECORD = ('audit: type=1326 audit(1795444107.816:21298176): auid=4294967295 uid=0 gid=0 ses=4294967295 pid=7131 '
          'comm="unshare" exe="/bin/busybox" sig=0 arch=c000003e syscall=272 compat=0 ip=0x4815c7 code=0x7ffc0000')
HUGE_NUMBERS = [
    ("time", RECORD.replace("1795444107.816", LONG + ".816")),
    ("time-fraction", RECORD.replace(".816:", "." + LONG + ":")),
    ("serial", RECORD.replace("21298176", LONG)),
    ("auditd-serial", RECORD.replace("21298176", LONG).replace("audit: type=1326 audit", "type=SECCOMP msg=audit")),
    ("pid", RECORD.replace("pid=7131", "pid=" + LONG)),
    ("uid", RECORD.replace("uid=0", "uid=" + LONG, 1)),
    ("auid", RECORD.replace("auid=4294967295", "auid=" + LONG)),
    ("ses", RECORD.replace("ses=4294967295", "ses=" + LONG)),
    ("sig", RECORD.replace("sig=0", "sig=" + LONG)),
    ("syscall", RECORD.replace("syscall=272", "syscall=" + LONG)),
    ("compat", RECORD.replace("compat=0", "compat=" + LONG)),
    ("arch", RECORD.replace("arch=c000003e", "arch=" + "c" * 5000)),
    ("code", RECORD.replace("code=0x7ffc0000", "code=0x" + "7" * 5000)),
    ("ip", RECORD.replace("ip=0x4815c7", "ip=0x" + LONG)),
    ("callbacks-suppressed", "kauditd_printk_skb: %s callbacks suppressed" % LONG),
    ("audit_lost", "audit: audit_lost=%s audit_rate_limit=0 audit_backlog_limit=64" % LONG),
]


@pytest.mark.parametrize("line", [line for _name, line in HUGE_NUMBERS], ids=[name for name, _line in HUGE_NUMBERS])
def test_a_number_longer_than_the_kernel_prints_is_skipped_and_the_next_record_read(tmp_path, line):
    assert seccomp_audit_records([line, RECORD])[-1]["serial"] == 21298176
    record = audit_records.parse_line(line)
    assert record is None or record["serial"] == 21298176  # a field it cannot read is null, not a crash
    log = tmp_path / "kern.log"
    good = RECORD.replace("21298176", "21298177")
    log.write_text("Nov 23 10:00:01 node-1 kernel: %s\nNov 23 10:00:01 node-1 kernel: %s\n" % (line, good))
    result, cursors = audit_scan.scan([("syslog", str(log))], {}, "beginning", host)
    assert cursors["syslog:%s" % log]["offset"] == log.stat().st_size
    assert result["records"] + result["unparsed"] == 2  # each line read as a record or counted as skipped
    assert any(7131 in entry["pids"] and entry["syscall_nr"] == 272 for entry in result["entries"])


def test_a_line_longer_than_any_log_line_is_skipped_without_being_held(tmp_path):
    """A 20 MiB line (three of the reader's 8 MiB chunks) with a record marker, then a record: the long line
    is counted and skipped, and an unfinished one at the end of the log moves the cursor past it too."""
    log = tmp_path / "kern.log"
    with open(log, "wb") as handle:
        handle.write(b"audit: type=1326 " + b"A" * (20 << 20) + b"\n" + RECORD.encode() + b"\n" + b"B" * (2 << 20))
    result, cursors = audit_scan.scan([("syslog", str(log))], {}, "beginning", host)
    assert result["records"] == 1 and result["unparsed"] == 2
    assert cursors["syslog:%s" % log]["offset"] == os.path.getsize(log)
