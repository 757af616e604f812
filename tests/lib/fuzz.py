"""Seeded random and mutated input for the parsers' fuzz tests and for benchmarks/parser_fuzz.py.

The same seed gives the same lines, so a failure found by the benchmark's million lines is found again by
running its generator with that seed. Lines start from what real nodes wrote (tests/data/audit: the kernel
log through /dev/kmsg and dmesg, rsyslog's kern.log, auditd's ENRICHED audit.log, `journalctl -o json`) and
from the other messages the audit readers recognise (throttling, `auditctl -s`), and are then mutated the way a
hostile or broken log is: runs of 1 to 10000 digits (past Python's 4300-digit int() limit) in place of a
number, truncation, flipped bytes, inserted `=`, quotes, NUL, invalid UTF-8, non-ASCII digits, markers, and
huge fields. No line holds a newline: each is one line of a log.

``audit_lines(name, count, seed)`` yields ``count`` byte lines of format ``name`` (one of AUDIT_FORMATS);
``known_good(name, index)`` is a valid seccomp record in that format with its own (timestamp, serial) and
executable KNOWN_EXE, to mix into the noise and find again. ``audit_parser(name)`` is what reads a line of that
format on a node: the seccomp_audit_records filter and audit_scan's reader (the block reader behind every log
file, the /dev/kmsg record reader, the journalctl reader, the `auditctl -s` reader).
"""

import itertools
import json
import os
import random
import re

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "audit")

AUDIT_FORMATS = ("kmsg text", "dmesg", "/dev/kmsg record", "syslog", "syslog rfc3339", "auditd raw", "auditd enriched",
                 "journald json", "throttling", "auditctl -s")
# The formats whose lines a log file holds (audit_scan reads them through a file and its cursor).
FILE_FORMATS = ("kmsg text", "dmesg", "syslog", "syslog rfc3339", "auditd raw", "auditd enriched", "throttling")
# Formats that carry seccomp records, so known_good() has one of each.
RECORD_FORMATS = ("kmsg text", "dmesg", "/dev/kmsg record", "syslog", "syslog rfc3339", "auditd raw", "auditd enriched",
                  "journald json")

KNOWN_EXE = "/fuzz/known-good"
KNOWN_SERIAL = 4000000000
KNOWN_BODY = ('auid=4294967295 uid=0 gid=0 ses=4294967295 pid=4242 comm="good" exe="%s" sig=0 arch=c000003e '
              'syscall=272 compat=0 ip=0x4815c7 code=0x7ffc0000' % KNOWN_EXE)
ENRICHED = '\x1dAUID="unset" UID="root" GID="root" ARCH=x86_64 SYSCALL=unshare'

TOKENS = [b"=", b'"', b"\x00", b"\x1d", b"\r", b" ", b"(", b")", b":", b";", b",", b".", b"0x", b"-",
          b"\xff", b"\xfe", b"\xc3", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xe2\x98",  # invalid UTF-8
          "\u00b2".encode(), "\u0663".encode(), "\uff15".encode(), "\u2603".encode(),  # digits int() and isdigit() disagree on
          b"type=1326 ", b"type=SECCOMP ", b"audit(", b"audit: type=1326 audit(", b"msg=audit(", b"audit_lost=",
          b"kauditd_printk_skb: ", b" callbacks suppressed", b"hold queue overflow", b"backlog limit exceeded",
          b"comm=", b"exe=", b"arch=", b"syscall=", b"code=0x", b"pid=", b'\\"', b"%s", b"{", b"}", b"[", b"]"]
JSON_VALUES = [None, True, 5, -1, 1.5, 1e308, float("inf"), float("nan"), [], [1, 2], {}, {"a": 1}, "", "x",
               "9" * 20, "9" * 21, "9" * 4301, "1" * 10000, "-1", "1.5", "0x10", "\u0663", [256, -1, "a", 97]]


def _read(name):
    with open(os.path.join(DATA, name), "rb") as handle:
        return [line for line in handle.read().split(b"\n") if line]


def _kernel_text():
    return _read("kmsg.txt")


def _seeds(name):
    kernel = _kernel_text()
    if name == "kmsg text":
        return kernel
    if name == "dmesg":
        return _read("dmesg.txt")
    if name == "/dev/kmsg record":
        return [b"%d,%d,%d,-;%s" % (4 + index % 3, 21298123 + index, 20508452585 + index * 1000, line)
                for index, line in enumerate(kernel)] + [b"6,339,5123456,-,caller=T1;" + kernel[0]]
    if name == "syslog":
        return [b"Nov 23 10:00:01 node-1 kernel: [20508.452585] " + line for line in kernel] + [
            b"Nov 23 10:00:00 node-1 kernel: [ 1.000000] eth0: link up",
            b"Nov 23 10:00:00 node-1 kernel: [ 2.0] audit: type=1300 audit(1795444107.816:21298177): arch=c000003e "
            b"syscall=59 success=yes exit=0 pid=7131 comm=\"runc\" exe=\"/usr/bin/runc\""]
    if name == "syslog rfc3339":
        return _read("kern.log")
    if name == "auditd raw":
        return [line.split(b"\x1d", 1)[0] for line in _read("audit.log")]
    if name == "auditd enriched":
        return _read("audit.log")
    if name == "journald json":
        return _read("journal.json")
    if name == "throttling":
        return [b"[20509.100000] kauditd_printk_skb: 147 callbacks suppressed",
                b"Nov 23 10:00:02 node-1 kernel: [20509.1] kauditd_printk_skb: 7 callbacks suppressed",
                b"2026-11-23T16:59:32.066422+00:00 vm kernel: [29572.75] kauditd_printk_skb: 12 callbacks suppressed",
                b"[    5.100000] audit: audit_lost=12 audit_rate_limit=0 audit_backlog_limit=64",
                b"Nov 23 10:00:02 node-1 kernel: audit: audit_lost=3 audit_rate_limit=100 audit_backlog_limit=8192",
                b"[    5.100001] audit: kauditd hold queue overflow",
                b"[    5.100002] audit: backlog limit exceeded",
                b"[    5.100003] audit: audit_backlog=8193 > audit_backlog_limit=8192",
                b"6,340,5123457,-;audit: audit_lost=1 audit_rate_limit=0 audit_backlog_limit=64",
                b"[20509.2] net_ratelimit: 3 callbacks suppressed"]
    if name == "auditctl -s":
        return [b"enabled 1", b"failure 1", b"pid 612", b"rate_limit 0", b"backlog_limit 8192", b"lost 0",
                b"backlog 0", b"backlog_wait_time 60000", b"backlog_wait_time_actual 0",
                b"loginuid_immutable 0 unlocked", b"lost 18446744073709551615"]
    raise KeyError(name)


def known_good(name, index):
    """(line, (timestamp, serial)): a seccomp record in format ``name`` with executable KNOWN_EXE."""
    serial = KNOWN_SERIAL + index
    time_text = "2000000000.%03d" % (index % 1000)
    kernel = "audit: type=1326 audit(%s:%d): %s" % (time_text, serial, KNOWN_BODY)
    auditd = "type=SECCOMP msg=audit(%s:%d): %s" % (time_text, serial, KNOWN_BODY)
    lines = {
        "kmsg text": kernel,
        "dmesg": "[20508.452585] " + kernel,
        "/dev/kmsg record": "6,%d,20508452585,-;%s" % (serial, kernel),
        "syslog": "Nov 23 10:00:01 node-1 kernel: [20508.452585] " + kernel,
        "syslog rfc3339": "2026-11-23T16:59:32.066422+00:00 vm kernel: [29572.756119] " + kernel,
        "auditd raw": auditd,
        "auditd enriched": auditd + ENRICHED,
        "journald json": json.dumps({"_TRANSPORT": "audit", "_AUDIT_TYPE": "1326", "_AUDIT_TYPE_NAME": "SECCOMP",
                                     "_AUDIT_ID": str(serial), "__CURSOR": "s=fuzz;i=%x" % serial,
                                     "_SOURCE_REALTIME_TIMESTAMP": "2000000000%03d000" % (index % 1000),
                                     "MESSAGE": "SECCOMP " + KNOWN_BODY}),
    }
    return lines[name].encode(), (float(time_text), serial)


DIGITS = bytes(random.Random(4300).choices(b"0123456789", k=1 << 16))


def digit_run(rng):
    """1 to 10000 digits, most often around the lengths that matter: a u64's 20 and int()'s 4300."""
    roll = rng.random()
    length = rng.randint(1, 25) if roll < 0.7 else rng.randint(4290, 4310) if roll < 0.85 else rng.randint(1, 10000)
    start = rng.randrange(len(DIGITS) - length)
    return b"123456789"[rng.randrange(9):][:1] + DIGITS[start:start + length - 1]


DIGIT_SPAN = re.compile(rb"[0-9]+")


def mutate(data, rng):
    """``data`` with one mutation."""
    kind = rng.random()
    at = rng.randint(0, len(data))
    if kind < 0.30:
        spans = [match.span() for match in DIGIT_SPAN.finditer(data)]
        if spans:
            start, end = rng.choice(spans)
            return data[:start] + digit_run(rng) + data[end:]
        return data[:at] + digit_run(rng) + data[at:]
    if kind < 0.40:
        return data[:at]
    if kind < 0.55:
        flipped = bytearray(data)
        for _flip in range(rng.randint(1, 4)):
            if flipped:
                flipped[rng.randrange(len(flipped))] = rng.randrange(256)
        return bytes(flipped)
    if kind < 0.75:
        return data[:at] + b"".join(rng.choice(TOKENS) for _token in range(rng.randint(1, 3))) + data[at:]
    if kind < 0.82:
        return data[:at] + data[at + rng.randint(1, 40):]
    if kind < 0.88:
        end = min(len(data), at + rng.randint(1, 60))
        return data[:end] + data[at:end] * rng.randint(1, 4) + data[end:]
    if kind < 0.89:
        filler = rng.choice([b"A", b"9", b"6D", b'"', b"=", b"\xff"])
        field = rng.choice([b" exe=", b" comm=", b" arch=", b" x=", b" pid=", b" "])
        return data[:at] + field + filler * (rng.randint(1000, 100000) // len(filler)) + data[at:]
    if kind < 0.94 and data[:1] == b"{":
        return _mutate_json(data, rng)
    equals = data.find(b"=", at)
    if equals == -1:
        return data + rng.choice(TOKENS)
    return data[:equals + 1] + rng.choice([b"", b'"', b'""', b"-1", b"(null)", b"0x", digit_run(rng)]) + data[equals + 1:]


def _mutate_json(data, rng):
    """A journal entry with one field of another type or size (what text mutations seldom make)."""
    try:
        entry = json.loads(data.decode("utf-8"))
    except ValueError:
        return data
    if not isinstance(entry, dict) or not entry:
        return data
    key = rng.choice(sorted(entry))
    entry[key] = rng.choice(JSON_VALUES)
    shape = rng.random()
    if shape < 0.05:
        return json.dumps([entry]).encode()
    if shape < 0.08:
        return b"[" * rng.randint(1, 5000)
    return json.dumps(entry).encode()


def random_line(rng):
    alphabet = b"audit:type=1326SECCOMPmsg()\":\x1d 0123456789abcdefx\\\x00\xff="
    return bytes(rng.choices(alphabet, k=rng.randint(0, 300)))


def audit_lines(name, count, seed=0, pristine=0.1, noise=0.05):
    """``count`` lines (None: without end) of format ``name``: a share ``pristine`` as the node wrote them,
    ``noise`` random bytes, the rest mutated 1 to 4 times."""
    rng = random.Random("%s/%s" % (name, seed))
    seeds = _seeds(name)
    for _index in (range(count) if count is not None else itertools.count()):
        roll = rng.random()
        if roll < noise:
            line = random_line(rng)
        else:
            line = rng.choice(seeds)
            if roll >= noise + pristine:
                for _mutation in range(rng.randint(1, 4)):
                    line = mutate(line, rng)
        yield line.replace(b"\n", b" ")


def mixed_stream(seed=0, good_every=50, formats=FILE_FORMATS):
    """(line, stamp) without end: mutated lines of ``formats``, and every ``good_every`` lines a known-good record
    of one of the record formats among them, whose (timestamp, serial) is ``stamp`` (None for the others)."""
    rng = random.Random("mixed/%s" % seed)
    streams = dict((name, audit_lines(name, None, seed)) for name in formats)
    records = [name for name in formats if name in RECORD_FORMATS]
    good = 0
    index = 0
    while True:
        index += 1
        if good_every and index % good_every == 0:
            line, stamp = known_good(records[good % len(records)], good)
            good += 1
            yield line, stamp
        else:
            yield next(streams[rng.choice(formats)], None), None  # the streams are endless


def mixed_lines(count, seed=0, good_every=50, formats=FILE_FORMATS):
    """(lines, known): ``count`` lines of mixed_stream and the (timestamp, serial) of the known-good ones."""
    lines, known = [], []
    for line, stamp in itertools.islice(mixed_stream(seed, good_every, formats), count):
        lines.append(line)
        if stamp is not None:
            known.append(stamp)
    return lines, known


def audit_parser(name):
    """A function that reads one line of format ``name`` with every parser of the collection that reads it."""
    from ansible_collections.k8s.seccomp_default.plugins.filter.seccomp_audit_records import seccomp_audit_records
    from ansible_collections.k8s.seccomp_default.plugins.module_utils import audit_scan

    aggregate = audit_scan.Aggregate(lambda _pid, _timestamp: dict(attribution="host"))
    stats = audit_scan._stats(name)

    def run(text):
        return lambda _argv: (0, text, "")

    if name == "/dev/kmsg record":
        def parse(line):
            seq, text = audit_scan.kmsg_record(line)
            if seq is not None:
                seccomp_audit_records([text])
                aggregate.add_line(text, stats)
    elif name == "journald json":
        def parse(line):
            audit_scan.scan_journald("s=before", aggregate, "beginning", run(line.decode("utf-8", "replace")))
    elif name == "auditctl -s":
        def parse(line):
            audit_scan.audit_status(run(line.decode("utf-8", "replace")))
    else:
        def parse(line):
            seccomp_audit_records(line.decode("utf-8", "surrogateescape"))
            audit_scan._feed_block(line + b"\n", len(line) + 1, aggregate, stats)
    parse.aggregate = aggregate
    parse.refuses = ()  # a line is read or skipped; no line may make a reader raise, not even InputError
    return parse


def host(_pid, _timestamp):
    return dict(attribution="host")


BLOCK = 1000


def log_blocks(seed, count):
    """``count`` blocks of BLOCK mixed log lines (every file format, a known-good record every 50 lines)."""
    stream = mixed_stream(seed)
    for _block in range(count):
        yield [line for line, _stamp in itertools.islice(stream, BLOCK)]


def read_log_block(lines):
    """What audit_scan does with a log on a node: half the lines written, scanned, the cursor stored as JSON and
    loaded back, the rest appended and scanned from it. The cursor must end at the end of the file, and every
    known-good record must be counted."""
    import tempfile

    from ansible_collections.k8s.seccomp_default.plugins.module_utils import audit_scan

    with tempfile.TemporaryDirectory(prefix="audit-fuzz-") as directory:
        log, cursor_file = os.path.join(directory, "kern.log"), os.path.join(directory, "cursors.json")
        found = 0
        for part in (lines[:len(lines) // 2], lines[len(lines) // 2:]):
            with open(log, "ab") as handle:
                handle.write(b"".join(line + b"\n" for line in part))
            result, cursors = audit_scan.scan([("syslog", log)], audit_scan.load_cursors(cursor_file), "beginning", host)
            with open(cursor_file, "w") as handle:
                json.dump(cursors, handle)
            found += sum(entry["count"] for entry in result["entries"] if entry["exe"] == KNOWN_EXE)
            offset, size = cursors["syslog:%s" % log]["offset"], os.path.getsize(log)
            if offset != size:
                raise AssertionError("the cursor stopped at byte %d of %d" % (offset, size))
        expected = sum(1 for line in lines if KNOWN_EXE.encode() in line)
        if found != expected:
            raise AssertionError("%d of the %d known-good records were found" % (found, expected))


read_log_block.refuses = ()


def generator(name):
    """generator(seed, count), the shape the benchmark's table takes."""
    return lambda seed, count: audit_lines(name, count, seed)


# (name, generator(seed, count), parse(input)[, lines per input]): the rows benchmarks/parser_fuzz.py runs.
FORMATS = [(name, generator(name), audit_parser(name)) for name in AUDIT_FORMATS] + [
    ("audit_scan log file and cursor (blocks of %d mixed lines)" % BLOCK, log_blocks, read_log_block, BLOCK)]
