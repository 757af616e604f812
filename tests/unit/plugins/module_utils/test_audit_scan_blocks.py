"""The log file reader's block path: markers found a window of a block at a time (libc's strstr through ctypes,
or bytes.find), a record in the kernel's order read in place, everything else line by line.

Whatever the block size, the window size and the search, a scan must give exactly what reading the file line by
line gives (the oracle below is what the reader did with each line before it read blocks): the same entries in
the same order (an entry keeps the comm and the first pids of its first record, and max_entries keeps the first
entries), the same counts, unparsed lines and throttling, and a cursor at the end of the last whole line.
"""

import json
import os
import random

import pytest

from ansible_collections.k8s.seccomp_default.plugins.module_utils import audit_scan
from lib import fuzz

DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(__file__)))), "data", "audit")
with open(os.path.join(DATA, "kmsg.txt"), "rb") as _handle:
    BODY = _handle.read().splitlines()[14].split(b"): ", 1)[1]  # unshare's record, syscall 12 (brk), log


def owner(pid, _timestamp):
    """Attribution that depends on the pid, so that entries split by container as they do on a node."""
    if pid is None or pid % 3 == 0:
        return dict(attribution="host")
    return dict(attribution="container", container_id="%064x" % (pid % 3), pod_uid=None)


def line_by_line(lines, max_entries=audit_scan.MAX_ENTRIES):
    """The oracle: each line fed on its own (the reader's per-line step), as the reader read one line before it read
    blocks; what is under test is finding the lines in blocks and windows."""
    aggregate = audit_scan.Aggregate(owner, max_entries)
    stats = audit_scan._stats("lines")
    for line in lines:
        audit_scan._feed_line(line, aggregate, stats)  # a line without a marker adds nothing
    return aggregate.result(), stats


def scanned(path, max_entries=audit_scan.MAX_ENTRIES, cursors=None):
    result, after = audit_scan.scan([("syslog", str(path))], cursors or {}, "beginning", owner, max_entries)
    return result, after["syslog:%s" % path]


def comparable(result, stats):
    """What must be the same: all of the result but the per-source notes, and the source's counts."""
    kept = dict((key, value) for key, value in result.items() if key != "sources")
    return json.loads(json.dumps(kept)), dict((key, stats[key]) for key in ("records", "unparsed", "suppressed",
                                                                            "lost", "throttle_messages"))


def kernel(serial, body=BODY, time_text="2000000000.5"):
    return b"audit: type=1326 audit(%s:%d): %s" % (time_text.encode(), serial, body)


def auditd(serial, body=BODY, time_text="2000000000.5"):
    return b"type=SECCOMP msg=audit(%s:%d): %s" % (time_text.encode(), serial, body)


# Lines the fuzz generator seldom writes: several markers in one line, a marker inside a record, the same record
# twice, records of one behaviour that differ in comm and pid (the first seen names the entry), throttling
# messages with more than one marker, and markers at both ends of a line.
CRAFTED = [
    kernel(1) + b" " + kernel(2),
    kernel(3).replace(b'comm="unshare"', b'comm="type=SECCOMP x"'),
    kernel(4).replace(b'comm="unshare"', b'comm="type=1326 x"'),
    kernel(5) + b" hold queue overflow",
    b"kauditd_printk_skb: 7 callbacks suppressed audit_lost=3 backlog limit exceeded",
    b"kauditd_printk_skb: 7 callbacks suppressed " + kernel(6),
    auditd(7).replace(b"pid=", b"pid=1") + fuzz.ENRICHED.encode(),
    kernel(8).replace(b"pid=", b"pid=2").replace(b'comm="unshare"', b'comm="second"'),
    kernel(8),
    auditd(9),
    kernel(9),
    b"type=1326 ",
    b"type=SECCOMP ",
    b"hold queue overflow",
    b"backlog limit exceeded" + b" " * 300 + b"audit_lost=1",
    b"x" * 5000 + kernel(10) + b"y" * 5000,
    kernel(11).replace(b"code=0x7ffc0000", b"code=0x" + b"7" * 30),
]


def mixed_log(seed, count):
    lines, _known = fuzz.mixed_lines(count, seed, good_every=7)
    rng = random.Random(seed)
    for line in CRAFTED * 3:
        lines.insert(rng.randrange(len(lines)), line)
    return lines


def write(path, lines, tail=b""):
    with open(path, "wb") as handle:
        handle.write(b"".join(line + b"\n" for line in lines) + tail)
    return path


LAYOUTS = [
    # (CHUNK, WINDOW): blocks and windows that cut lines and markers everywhere, and the defaults
    (audit_scan.CHUNK, audit_scan.WINDOW),
    (4096, 256),
    (1000, 97),
    (65536, 61),
    (777, 4096),
]


@pytest.fixture(params=["strstr", "bytes.find"])
def search(request, monkeypatch):
    """Both ways of finding markers: libc's strstr (where ctypes reaches it) and bytes.find."""
    if request.param == "strstr":
        if audit_scan._strstr() is None:
            pytest.skip("no strstr reachable through ctypes")
    else:
        monkeypatch.setattr(audit_scan, "_STRSTR", [None])
    return request.param


@pytest.mark.parametrize("chunk, window", LAYOUTS, ids=["%d-%d" % layout for layout in LAYOUTS])
@pytest.mark.parametrize("seed", [1, 2])
def test_reading_blocks_gives_what_reading_line_by_line_gives(tmp_path, monkeypatch, search, chunk, window, seed):
    monkeypatch.setattr(audit_scan, "CHUNK", chunk)
    monkeypatch.setattr(audit_scan, "WINDOW", window)
    lines = mixed_log(seed, 2000)
    log = write(tmp_path / "kern.log", lines, tail=kernel(99))  # a last line still being written
    for max_entries in (audit_scan.MAX_ENTRIES, 4):
        result, cursor = scanned(log, max_entries)
        assert comparable(result, result["sources"][0]) == comparable(*line_by_line(lines, max_entries))
        assert cursor["offset"] == os.path.getsize(log) - len(kernel(99))
        assert result["sources"][0]["bytes"] == cursor["offset"]
    assert result["records"] > 200 and result["unparsed"] > 50 and result["throttling"]["detected"]


def test_the_oracle_tells_an_order_of_lines_from_another():
    """The comparison above would see lines read out of order: the first record of a behaviour names its entry."""
    first, second = auditd(1).replace(b"pid=7098", b"pid=7101"), kernel(2).replace(b'comm="unshare"', b'comm="other"')
    one = line_by_line([first, second])[0]
    other = line_by_line([second, first])[0]
    assert len(one["entries"]) == len(other["entries"]) == 1
    assert one["entries"][0]["comm"] == "unshare" and other["entries"][0]["comm"] == "other"
    assert one["entries"][0]["pids"] != other["entries"][0]["pids"]


@pytest.mark.parametrize("chunk, window", LAYOUTS + [(100, 100), (333, 1)], ids=["%d-%d" % layout for layout in
                                                                                 LAYOUTS + [(100, 100), (333, 1)]])
def test_records_cut_by_block_and_window_boundaries_are_read_once(tmp_path, monkeypatch, search, chunk, window):
    """Every record line straddles some block or window boundary here; each is read once, in kernel and auditd form,
    and appending in parts (each read from the cursor the part before left) changes nothing."""
    monkeypatch.setattr(audit_scan, "CHUNK", chunk)
    monkeypatch.setattr(audit_scan, "WINDOW", window)
    lines = [(kernel if serial % 2 else auditd)(serial) + b" " * (serial % 17) for serial in range(1, 401)]
    noise = b"Nov 23 10:00:00 node-1 kernel: [ 1.000000] eth0: link up"
    lines = [line for pair in zip(lines, [noise] * len(lines)) for line in pair]
    log = tmp_path / "kern.log"
    result, cursor = scanned(write(log, lines))
    assert (result["records"], result["duplicates"], result["unparsed"]) == (400, 0, 0)
    assert cursor["offset"] == os.path.getsize(log)
    assert comparable(result, result["sources"][0]) == comparable(*line_by_line(lines))
    log.write_bytes(b"")
    cursors, total = {}, 0
    for part in range(7):
        with open(log, "ab") as handle:
            handle.write(b"".join(line + b"\n" for line in lines[part * len(lines) // 7:(part + 1) * len(lines) // 7]))
        result, cursors = audit_scan.scan([("syslog", str(log))], cursors, "beginning", owner)
        total += result["records"]
        assert result["duplicates"] == 0
    assert total == 400 and cursors["syslog:%s" % log]["offset"] == os.path.getsize(log)


def test_an_unfinished_line_longer_than_a_block_waits_for_its_end(tmp_path, monkeypatch, search):
    """An unfinished line is moved to the front of the buffer read after read (up to MAX_LINE), then read whole."""
    monkeypatch.setattr(audit_scan, "CHUNK", 1000)
    record = kernel(7, body=BODY.replace(b'comm="unshare"', b'comm="%s"' % (b"c" * 20000)))
    log = tmp_path / "kern.log"
    write(log, [kernel(1)], tail=record[:15000])
    result, cursors = audit_scan.scan([("syslog", str(log))], {}, "beginning", owner)
    assert result["records"] == 1 and cursors["syslog:%s" % log]["offset"] == len(kernel(1)) + 1
    with open(log, "ab") as handle:
        handle.write(record[15000:] + b"\n" + kernel(8) + b"\n")
    result, cursors = audit_scan.scan([("syslog", str(log))], cursors, "beginning", owner)
    assert result["records"] == 2 and [entry["comm"] for entry in result["entries"]] == ["c" * 20000]
    assert cursors["syslog:%s" % log]["offset"] == os.path.getsize(log)


def test_a_line_longer_than_max_line_is_skipped_from_a_small_block(tmp_path, monkeypatch, search):
    monkeypatch.setattr(audit_scan, "CHUNK", 4096)
    monkeypatch.setattr(audit_scan, "MAX_LINE", 10000)
    log = tmp_path / "kern.log"
    write(log, [kernel(1), b"type=1326 " + b"A" * 30000, kernel(2)], tail=b"B" * 20000)
    result, cursors = audit_scan.scan([("syslog", str(log))], {}, "beginning", owner)
    assert result["records"] == 2 and result["unparsed"] == 2
    assert cursors["syslog:%s" % log]["offset"] == os.path.getsize(log)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_strstr_finds_what_bytes_find_finds(seed):
    """The ctypes search and bytes.find, in every window of a buffer: empty windows, the very end, markers cut by a
    window's end or by the buffer's, NUL bytes anywhere (strstr stops at each), and the byte it borrows put back."""
    if audit_scan._strstr() is None:
        pytest.skip("no strstr reachable through ctypes")
    rng = random.Random(seed)
    pieces = list(audit_scan.SEARCHED) + [b"type=", b"hold queue", b"x", b"\n", b"\x00", b"\x00" * 3, b" "]
    data = b"".join(rng.choice(pieces) for _index in range(200)) + b"\x00type=1326 "
    block = bytearray(data + b"!")  # a byte after the data, for the NUL
    fast = audit_scan._searcher(block)
    slow = audit_scan._searcher(bytes(block))
    everything = [(position, kind) for kind, marker in enumerate(audit_scan.SEARCHED)
                  for position in range(len(data)) if data.startswith(marker, position)]
    for window in list(range(0, len(data) + 1, 23)) + [len(data) - 1]:
        for stop in list(range(window, len(data) + 1, 29)) + [len(data)]:
            for end in sorted({stop, min(len(data), stop + 9), len(data)}):
                expected = sorted(position * 8 + kind for position, kind in everything if window <= position < stop
                                  and position + len(audit_scan.SEARCHED[kind]) <= end)
                assert sorted(fast(window, stop, end)) == sorted(slow(window, stop, end)) == expected, (window, stop, end)
    assert bytes(block) == data + b"!"


def test_a_block_of_bytes_is_read_too():
    """What the fuzz reader (tests/lib/fuzz.py) hands over: bytes, which strstr is not used on."""
    aggregate = audit_scan.Aggregate(owner)
    stats = audit_scan._stats("block")
    block = b"noise\n" + kernel(1) + b"\n" + b"audit_lost=4\n"
    audit_scan._feed_block(block, len(block), aggregate, stats)
    assert aggregate.records == 1 and aggregate.lost == 4


def test_the_names_of_many_kinds_of_record_are_worked_out_again_past_the_bound(monkeypatch):
    """The per-kind cache of a scan is bounded; past the bound it starts again, and the results are the same."""
    lines = [kernel(serial, BODY.replace(b"syscall=12", b"syscall=%d" % (serial % 9))) for serial in range(1, 200)]
    expected = line_by_line(lines)[0]
    monkeypatch.setattr(audit_scan, "KINDS_KEPT", 2)
    aggregate = audit_scan.Aggregate(owner)
    stats = audit_scan._stats("lines")
    block = b"".join(line + b"\n" for line in lines)
    audit_scan._feed_block(block, len(block), aggregate, stats)
    assert len(aggregate.kinds) <= 2
    assert json.loads(json.dumps(aggregate.result())) == json.loads(json.dumps(expected))
