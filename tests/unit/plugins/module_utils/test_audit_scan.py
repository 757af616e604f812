"""Incremental scans of log files and the kernel ring buffer: cursors, rotation, copies, throttling.

The record lines are the ones this machine's kernel printed (tests/data/audit/kmsg.txt), written
into logs the way rsyslog and the kernel put them there."""

import json
import os
import time

import pytest

from ansible_collections.k8s.seccomp_default.plugins.module_utils import audit_scan

DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(__file__)))), "data", "audit")
RECORDS = open(os.path.join(DATA, "kmsg.txt")).read().splitlines()
NOISE = "Nov 23 10:00:00 node-1 kernel: [ 1.000000] eth0: link up\n"


def syslog(lines):
    return "".join("Nov 23 10:00:01 node-1 kernel: [20508.45] %s\n" % line for line in lines)


def host(_pid, _timestamp):
    return dict(attribution="host")


def run_scan(sources, cursors, start="beginning", attribute=host):
    return audit_scan.scan(sources, cursors, start, attribute)


def total(result):
    return sum(entry["count"] for entry in result["entries"])


def test_a_log_is_read_once_and_then_only_what_is_appended(tmp_path):
    log = tmp_path / "kern.log"
    log.write_text(NOISE * 100 + syslog(RECORDS[:30]) + NOISE)
    result, cursors = run_scan([("syslog", str(log))], {})
    assert result["records"] == total(result) == 30 and result["complete"]
    size = log.stat().st_size
    with open(log, "a") as handle:
        handle.write(syslog(RECORDS[30:40]) + NOISE)
    result, cursors = run_scan([("syslog", str(log))], cursors)
    assert result["records"] == 10
    assert result["sources"][0]["bytes"] == log.stat().st_size - size
    result, _cursors = run_scan([("syslog", str(log))], cursors)
    assert result["records"] == 0 and result["sources"][0]["bytes"] == 0


def test_rotation_reads_the_rest_of_the_old_file_then_the_new_one(tmp_path):
    log = tmp_path / "audit.log"
    auditd = ["type=SECCOMP msg=%s" % line.split("audit: type=1326 ", 1)[1].replace("audit(", "audit(", 1)
              for line in RECORDS]
    log.write_text("\n".join(auditd[:20]) + "\n")
    _result, cursors = run_scan([("auditd", str(log))], {})
    with open(log, "a") as handle:
        handle.write("\n".join(auditd[20:25]) + "\n")
    os.rename(log, str(log) + ".1")  # what auditd's num_logs rotation does
    log.write_text("\n".join(auditd[25:31]) + "\n")
    result, cursors = run_scan([("auditd", str(log))], cursors)
    assert result["records"] == 11 and result["sources"][0]["rotated_from"].endswith("audit.log.1")
    # rotated, then rotated on and compressed: the file that held the cursor cannot be read on
    os.rename(log, str(log) + ".2.gz")
    log.write_text("\n".join(auditd[31:33]) + "\n")
    result, _cursors = run_scan([("auditd", str(log))], cursors)
    assert result["records"] == 2 and result["complete"] is False
    assert "rotated more than once" in result["sources"][0]["notes"][0]


def test_a_line_still_being_written_waits_for_its_end(tmp_path):
    log = tmp_path / "kern.log"
    text = syslog(RECORDS[:2])
    log.write_text(text[:-40])
    result, cursors = run_scan([("syslog", str(log))], {})
    assert result["records"] == 1
    with open(log, "a") as handle:
        handle.write(text[-40:])
    result, _cursors = run_scan([("syslog", str(log))], cursors)
    assert result["records"] == 1


def test_start_at_end_sets_the_cursor_without_reading(tmp_path):
    log = tmp_path / "kern.log"
    log.write_text(syslog(RECORDS))
    result, cursors = run_scan([("syslog", str(log))], {}, start="end")
    assert result["records"] == 0 and cursors["syslog:%s" % log]["offset"] == log.stat().st_size


def test_a_record_in_two_sources_is_counted_once(tmp_path):
    kern, messages = tmp_path / "kern.log", tmp_path / "syslog"
    kern.write_text(syslog(RECORDS[:10]))
    messages.write_text(syslog(RECORDS[5:15]))
    result, cursors = run_scan([("syslog", str(kern)), ("syslog", str(messages))], {})
    assert result["records"] == 15 and result["duplicates"] == 5
    with open(messages, "a") as handle:  # a copy arriving in the next scan is still a copy
        handle.write(syslog(RECORDS[9:10]))
    result, _cursors = run_scan([("syslog", str(kern)), ("syslog", str(messages))], cursors)
    assert result["records"] == 0 and result["duplicates"] == 1


def test_records_fold_by_executable_syscall_and_action(tmp_path):
    log = tmp_path / "kern.log"
    log.write_text(syslog(RECORDS))
    result, _cursors = run_scan([("syslog", str(log))], {})
    busybox = [entry for entry in result["entries"] if entry["exe"].startswith("/bin/busybox-") and entry["syscall_nr"] == 12]
    assert len(busybox) == 1 and busybox[0]["count"] == sum(
        1 for line in RECORDS if 'exe="/bin/busybox-' in line and " syscall=12 " in line and "0x7ffc0000" in line)
    unshare = busybox
    assert unshare[0]["first"] <= unshare[0]["last"] and unshare[0]["attribution"] == "host"
    assert total(result) == len(RECORDS) == result["records"]


def test_memory_is_bounded_by_distinct_behaviours(tmp_path):
    log = tmp_path / "kern.log"
    log.write_text(syslog(RECORDS))
    result = audit_scan.scan([("syslog", str(log))], {}, "beginning", host, max_entries=3)[0]
    assert len(result["entries"]) == 3 and result["overflow"] > 0 and result["complete"] is False


def test_throttling_makes_counts_lower_bounds(tmp_path):
    log = tmp_path / "kern.log"
    log.write_text(syslog(RECORDS[:3]) + "Nov 23 10:00:02 node-1 kernel: [20509.1] kauditd_printk_skb: 147 callbacks "
                   "suppressed\n" + syslog(RECORDS[3:4]))
    result, _cursors = run_scan([("syslog", str(log))], {})
    assert result["throttling"]["suppressed"] == 147 and result["complete"] is False
    assert "kernel.printk_ratelimit=0" in result["throttling"]["remedy"]
    log.write_text("[  5.1] audit: audit_lost=12 audit_rate_limit=0 audit_backlog_limit=64\n")
    result, _cursors = run_scan([("syslog", str(log))], {})
    assert result["throttling"]["audit_lost"] == 12 and "auditctl" in result["throttling"]["remedy"]


def test_journald_entries_become_the_record_line_again():
    # The fields journald stores for an audit record (systemd src/journal/journald-audit.c)
    entry = {"_TRANSPORT": "audit", "_AUDIT_TYPE": "1326", "_AUDIT_TYPE_NAME": "SECCOMP", "_AUDIT_ID": "21298137",
             "_SOURCE_REALTIME_TIMESTAMP": "1795444107756000",
             "MESSAGE": "SECCOMP " + RECORDS[14].split("): ", 1)[1]}
    line = audit_scan.journal_line(entry)
    assert line.startswith("type=SECCOMP msg=audit(1795444107.756:21298137): auid=")
    kernel_copy = {"_TRANSPORT": "kernel", "MESSAGE": RECORDS[14]}
    aggregate = audit_scan.Aggregate(host)
    stats = audit_scan._stats("journald")
    aggregate.add_line(line, stats)
    aggregate.add_line(audit_scan.journal_line(kernel_copy), stats)
    assert aggregate.records == 1 and aggregate.duplicates == 1


def test_the_process_table_says_exited_for_gone_or_recycled_pids():
    table = audit_scan.ProcessTable()
    assert table(os.getpid(), time.time())["attribution"] in ("host", "container")
    assert table(os.getpid(), 1.0)["attribution"] == "exited"  # this process started after 1970
    assert table(2 ** 22 + 7, time.time())["attribution"] == "exited"


def test_kmsg_cursor_reads_only_new_messages():
    if not os.access("/dev/kmsg", os.W_OK):
        pytest.skip("needs root to write to /dev/kmsg")
    result, cursors = run_scan([("kmsg", "/dev/kmsg")], {}, start="end")
    assert result["records"] == 0
    marker = "audit: type=1326 audit(%.3f:%d): %s" % (time.time(), os.getpid(), RECORDS[14].split("): ", 1)[1])
    with open("/dev/kmsg", "w") as handle:
        handle.write(marker + "\n")
    result, cursors = run_scan([("kmsg", "/dev/kmsg")], cursors)
    assert result["records"] == 1 and result["entries"][0]["comm"] == "unshare"
    result, _cursors = run_scan([("kmsg", "/dev/kmsg")], cursors)
    assert result["records"] == 0


def test_a_corrupt_cursor_file_is_named(tmp_path):
    path = tmp_path / "cursors.json"
    path.write_text("[1, 2")
    with pytest.raises(audit_scan.ScanError, match="cursors.json is not JSON.*reset: true"):
        audit_scan.load_cursors(str(path))
    path.write_text(json.dumps([1]))
    with pytest.raises(audit_scan.ScanError, match="holds list, not an object"):
        audit_scan.load_cursors(str(path))


def test_the_in_place_reader_and_the_full_parser_agree(tmp_path):
    """Lines in the kernel's field order are read straight from the bytes; the result must be what parse_line gives."""
    auditd = ["type=SECCOMP msg=" + line.split("audit: type=1326 ", 1)[1] for line in RECORDS]
    hexed = [line.replace('comm="unshare"', "comm=6D792070726F67") for line in RECORDS]
    lines = RECORDS + auditd + hexed
    log = tmp_path / "mixed.log"
    log.write_text("".join("Nov 23 10:00:01 node-1 kernel: %s\n" % line for line in lines))
    scanned, _cursors = run_scan([("syslog", str(log))], {})
    slow = audit_scan.Aggregate(host)
    stats = audit_scan._stats("lines")
    for line in lines:
        slow.add_line(line, stats)
    assert scanned["entries"] == slow.result()["entries"] and scanned["records"] == len(RECORDS)
    assert scanned["duplicates"] == 2 * len(RECORDS)  # the same (timestamp, serial) three times


def test_mutated_logs_never_make_a_scan_fail(tmp_path):
    import random
    rng = random.Random(3)
    text = syslog(RECORDS).encode()
    for round_number in range(300):
        data = bytearray(text)
        for _index in range(rng.randint(1, 40)):
            position = rng.randrange(len(data))
            choice = rng.random()
            if choice < 0.4:
                data[position] = rng.randrange(256)
            elif choice < 0.7:
                del data[position:position + rng.randint(1, 30)]
            else:
                data[position:position] = rng.choice([b"\n", b'"', b"\x1d", b"type=1326 ", b"audit(", b"=", b" "])
        log = tmp_path / ("m%d.log" % round_number)
        log.write_bytes(bytes(data))
        result, _cursors = run_scan([("syslog", str(log))], {})
        assert result["records"] <= len(RECORDS) + 40


def test_the_kernels_lost_counter_growing_between_scans_is_throttling(tmp_path):
    log = tmp_path / "audit.log"
    log.write_text("")
    counters = iter(["enabled 1\nlost 7\nbacklog 0\n", "enabled 1\nlost 19\nbacklog 0\n"])

    def auditctl(argv):
        assert argv == ["auditctl", "-s"]
        return 0, next(counters), ""
    first, cursors = audit_scan.scan([("auditd", str(log))], {}, "beginning", host, run=auditctl)
    assert first["throttling"]["detected"] is False and cursors["kernel_lost"] == 7
    second, cursors = audit_scan.scan([("auditd", str(log))], cursors, "beginning", host, run=auditctl)
    assert second["throttling"]["audit_lost"] == 12 and second["complete"] is False
    assert "auditctl -r 0" in second["throttling"]["remedy"]


def test_only_the_kernel_log_device_is_a_kmsg_source(tmp_path):
    """kind links /dev/kmsg to /dev/console when the node has none; a file or another device holds no records."""
    dev = tmp_path / "dev"
    dev.mkdir()
    (dev / "kmsg").write_text("not a device\n")
    assert audit_scan.available_sources(str(tmp_path)) == []
    (dev / "kmsg").unlink()
    os.symlink("/dev/null", str(dev / "kmsg"))
    assert audit_scan.available_sources(str(tmp_path)) == []
    if os.path.exists("/dev/kmsg"):
        (dev / "kmsg").unlink()
        os.symlink("/dev/kmsg", str(dev / "kmsg"))
        assert audit_scan.available_sources(str(tmp_path)) == [("kmsg", "/dev/kmsg")]
