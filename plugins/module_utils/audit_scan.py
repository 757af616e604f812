# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Read what is new in a node's kernel seccomp records, and say whose they are (docs/kubernetes-facts.md#kernel-seccomp-record-formats).

Sources: auditd's audit.log and syslog/kern.log (files: a cursor of inode and offset that follows
rotation), the kernel ring buffer /dev/kmsg (cursor: boot id and sequence number) and journald
(cursor: the journal's own). Each record is read once: a record that reaches two sources (kmsg and
syslog, or journald's audit and kernel copies) is the same (timestamp, serial) and counted once.

A log file is read in large blocks, and only the lines that hold a marker are cut out and parsed, in the order
of the file: the markers are found with the C library's strstr through ctypes (with bytes.find where ctypes
cannot reach it), so that a scan spends its time where grep does.

Records are folded into one entry per (container, executable, syscall, action) with counts and
first/last times, so memory grows with distinct behaviours, not with the log. A record's pid is
looked up in /proc while the process lives (its cgroup names the pod UID and the container ID);
when it is gone, or a newer process has its pid, the entry says "exited".

Throttling makes every count a lower bound: the printk fallback's `kauditd_printk_skb: N callbacks
suppressed`, the kernel's `audit_lost=` and hold-queue/backlog messages, and kmsg sequence gaps are
counted and reported with the setting that lifts the limit; with auditd, so is the growth of the kernel's
own lost counter (`auditctl -s`) between two scans.

No line stops a scan: a line that holds a record marker or a throttling message but cannot be read (any local
user can write one to syslog) is skipped and counted as ``unparsed``, and the cursor moves past it. What does
stop a scan is a source or cursor file that cannot be used; the error names it and no cursor is written.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ctypes
import errno
import glob
import json
import math
import os
import re
import stat

from ansible_collections.k8s.seccomp_default.plugins.module_utils import audit_records, errors, files, tools

SOURCES = ("auditd", "journald", "kmsg", "syslog")
DEFAULT_PATHS = {"auditd": "/var/log/audit/audit.log", "syslog": ["/var/log/kern.log", "/var/log/syslog",
                                                                  "/var/log/messages"]}
RECORD_MARKERS = (b"type=1326 ", b"type=SECCOMP ")
# Digits unbounded here on purpose: a run longer than a u64 is found, then counted as unparsed.
SUPPRESSED = re.compile(r"kauditd_printk_skb: ([0-9]+) callbacks suppressed")
AUDIT_LOST = re.compile(r"audit_lost=([0-9]+)")
THROTTLE_MARKERS = (b"callbacks suppressed", b"audit_lost=", b"hold queue overflow", b"backlog limit exceeded")
CONTAINER_ID = re.compile(r"[0-9a-f]{64}")
POD_UID = re.compile(r"pod([0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12})")
CHUNK = 8 << 20
# The kernel's audit records are at most 8970 bytes (MAX_AUDIT_MESSAGE_LENGTH) and syslog lines shorter still;
# a longer line is skipped rather than held in memory until its end.
MAX_LINE = 1 << 20
MAX_ENTRIES = 20000
# Where the kernel's seccomp records are read, for every module that reads them (audit_scan, audit_window; the doc
# fragment kernel_records documents them).
SOURCE_ARGUMENT_SPEC = dict(
    sources=dict(type="list", elements="str", default=["auto"], choices=["auto"] + list(SOURCES)),
    auditd_log=dict(type="path", default=DEFAULT_PATHS["auditd"]),
    syslog_log=dict(type="path"),
    max_entries=dict(type="int", default=MAX_ENTRIES),
)
KINDS_KEPT = 1 << 16  # distinct (comm, exe, arch, syscall, code) of kernel-order records whose names are kept
SEEN_KEEP = 4096  # (timestamp, serial) pairs kept in the cursor to drop copies that straddle two scans
SEEN_MAX = 200000  # pairs held while scanning; past it the oldest half is forgotten (memory stays bounded)
KMSG_MAX_READ = 1 << 16
REMEDY_PRINTK = ("sysctl -w kernel.printk_ratelimit=0 (and kernel.printk_ratelimit_burst=0), or run auditd: "
                 "records printed to the kernel log are rate-limited by printk_ratelimit()")
REMEDY_AUDIT = "auditctl -r 0 -b 8192 (audit_rate_limit and audit_backlog_limit)"


class ScanError(errors.InputError):
    """A source or cursor file that cannot be used; ``path`` names it."""

    def __str__(self):
        text = super(ScanError, self).__str__()
        named = "%s: " % self.path
        # Some messages name the file inside the sentence ("cursor file X is not JSON"): once is enough.
        if self.path and self.path in str(self.problem) and text.startswith(named):
            return text[len(named):]
        return text


class Aggregate:
    """Records folded by (container or host, executable, syscall, action), with a bounded size."""

    def __init__(self, attribute, max_entries=MAX_ENTRIES):
        self.attribute = attribute
        self.max_entries = max_entries
        self.entries = {}
        self.seen = set()
        self.records = 0
        self.duplicates = 0
        self.overflow = 0
        self.suppressed = 0
        self.lost = 0
        self.throttle_messages = 0
        self.unparsed = 0
        self.kinds = {}

    def add_line(self, line, source_stats):
        record = audit_records.parse_line(line)
        if record is None:
            if not self.note_throttling(line, source_stats) and _holds_record_marker(line):
                self.skip(source_stats)
            return
        self.add(record["timestamp"], record["serial"], record["pid"], record["comm"], record["exe"], record["arch"],
                 record["syscall_nr"], record["syscall"], record["action"], record["code"], source_stats)

    def add_kernel_order(self, match, source_stats):
        """A record read by audit_records.KERNEL_ORDER (or KERNEL_RECORD)."""
        self.add_kernel_orders((match,), source_stats)

    def add_kernel_orders(self, matches, source_stats):
        """Records read by audit_records.KERNEL_ORDER (or KERNEL_RECORD), in their order: what the fields name is
        worked out once per distinct (comm, exe, arch, syscall, code), for at most KINDS_KEPT of them at a time."""
        kinds = self.kinds
        rows = []
        for match in matches:
            timestamp, serial, pid, comm, exe, arch_hex, number, code_hex = match.groups()
            kind = (comm, exe, arch_hex, number, code_hex)
            fields = kinds.get(kind)
            if fields is None:
                syscall_nr = int(number)
                arch, syscall = audit_records.arch_and_syscall(int(arch_hex, 16), syscall_nr)
                if len(kinds) >= KINDS_KEPT:
                    kinds.clear()
                fields = kinds[kind] = (
                    audit_records.untrusted(comm.decode("utf-8", "replace")),
                    audit_records.untrusted(exe.decode("utf-8", "replace")), arch or arch_hex.decode(), syscall_nr,
                    syscall, audit_records.ACTIONS.get(int(code_hex, 16)), "0x" + code_hex.decode())
            rows.append((float(timestamp), int(serial), int(pid), fields))
        self.fold(rows, source_stats)

    def add(self, timestamp, serial, pid, comm, exe, arch, syscall_nr, syscall, action, code, source_stats):
        self.fold(((timestamp, serial, pid, (comm, exe, arch, syscall_nr, syscall, action, code)),), source_stats)

    def fold(self, rows, source_stats):
        """Count each of ``rows`` ((timestamp, serial, pid, (comm, exe, arch, syscall_nr, syscall, action, code)))
        once per (timestamp, serial), in its entry."""
        seen, entries, attribute = self.seen, self.entries, self.attribute
        records = duplicates = overflow = 0
        try:
            for timestamp, serial, pid, (comm, exe, arch, syscall_nr, syscall, action, code) in rows:
                stamp = (timestamp, serial)
                if stamp in seen:
                    duplicates += 1
                    continue
                seen.add(stamp)
                if len(seen) > SEEN_MAX:
                    seen = self.seen = set(sorted(seen)[SEEN_MAX // 2:])
                records += 1
                owner = attribute(pid, timestamp)
                key = (owner.get("container_id") or owner["attribution"], exe, syscall or syscall_nr, arch, action)
                entry = entries.get(key)
                if entry is None:
                    if len(entries) >= self.max_entries:
                        overflow += 1
                        continue
                    entry = entries[key] = dict(owner, exe=exe, comm=comm, syscall=syscall, syscall_nr=syscall_nr,
                                                arch=arch, action=action, code=code, count=0, first=timestamp,
                                                last=timestamp, pids=[])
                entry["count"] += 1
                if timestamp < entry["first"]:
                    entry["first"] = timestamp
                if timestamp > entry["last"]:
                    entry["last"] = timestamp
                pids = entry["pids"]
                if len(pids) < 8 and pid not in pids:
                    pids.append(pid)
        finally:
            self.records += records
            self.duplicates += duplicates
            self.overflow += overflow
            source_stats["records"] += records

    def skip(self, source_stats):
        """A line that looked like ours and could not be read."""
        self.unparsed += 1
        source_stats["unparsed"] += 1

    def note_throttling(self, line, source_stats):
        """Count a throttling message; whether ``line`` was one (read or skipped)."""
        if isinstance(line, bytes):
            line = line.decode("utf-8", "replace")
        for pattern, kind in ((SUPPRESSED, "suppressed"), (AUDIT_LOST, "lost")):
            match = pattern.search(line)
            if not match:
                continue
            if len(match.group(1)) > audit_records.MAX_DIGITS:
                self.skip(source_stats)  # no kernel prints that number
            elif kind == "suppressed":
                self.suppressed += int(match.group(1))
                source_stats["suppressed"] += int(match.group(1))
            else:
                self.lost = max(self.lost, int(match.group(1)))
                source_stats["lost"] = max(source_stats["lost"], int(match.group(1)))
            return True
        if "hold queue overflow" in line or "backlog limit exceeded" in line:
            self.throttle_messages += 1
            source_stats["throttle_messages"] += 1
            return True
        return False

    def result(self):
        entries = sorted(self.entries.values(), key=lambda entry: (-entry["count"], entry["first"]))
        throttled = bool(self.suppressed or self.lost or self.throttle_messages)
        return dict(
            entries=entries, records=self.records, duplicates=self.duplicates, overflow=self.overflow,
            unparsed=self.unparsed,
            throttling=dict(detected=throttled, suppressed=self.suppressed, audit_lost=self.lost,
                            queue_messages=self.throttle_messages,
                            remedy=(REMEDY_AUDIT if self.lost or self.throttle_messages else REMEDY_PRINTK)
                            if throttled else None),
            complete=not throttled and not self.overflow,
        )


# --- whose record is it ---

class ProcessTable:
    """pid -> pod UID and container ID from /proc/<pid>/cgroup, checked against the record's time."""

    def __init__(self, proc="/proc", containers=None, seen_processes=None):
        self.proc = proc
        self.containers = containers or {}
        # pid -> owner as a tracer saw it while the process lived ({"owner fields", "seen": time})
        self.seen_processes = seen_processes or {}
        self.cache = {}
        self.boot_time = _boot_time(proc)
        self.ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

    def __call__(self, pid, timestamp):
        if pid is None:
            return dict(attribution="exited")
        known = self.cache.get(pid)
        if known is None:
            known = self.cache[pid] = self.lookup(pid)
        started, owner = known
        # A process that started after the record is a newer one with a recycled pid.
        if started is None or (self.boot_time is not None and started > timestamp + 1.0):
            return self.seen_owner(pid, timestamp) if self.seen_processes else dict(attribution="exited")
        return owner

    def seen_owner(self, pid, timestamp):
        seen = self.seen_processes.get(str(pid))
        if not isinstance(seen, dict) or not _is_number(seen.get("seen", 0)) or seen.get("seen", 0) > timestamp + 5.0:
            return dict(attribution="exited")
        owner = dict((key, value) for key, value in seen.items() if key not in ("seen", "exe"))
        known = self.containers.get(owner.get("container_id"))
        if known:
            owner.update(known)
        elif self.containers:
            owner["attribution"] = "unmanaged"
        return owner

    def lookup(self, pid):
        stat = _read("%s/%d/stat" % (self.proc, pid))
        cgroup = _read("%s/%d/cgroup" % (self.proc, pid))
        if stat is None or cgroup is None:
            return None, None
        try:
            start_ticks = int(stat.rsplit(")", 1)[1].split()[19])
        except (IndexError, ValueError):
            return None, None
        started = self.boot_time + start_ticks / float(self.ticks) if self.boot_time is not None else 0.0
        container_ids = CONTAINER_ID.findall(cgroup)
        pod = POD_UID.search(cgroup)
        if not container_ids and not pod:
            return started, dict(attribution="host")
        owner = dict(attribution="container", container_id=container_ids[-1] if container_ids else None,
                     pod_uid=pod.group(1).replace("_", "-") if pod else None)
        known = self.containers.get(owner["container_id"])
        if known:
            owner.update(known)
        elif self.containers:
            # Not a container of this node's CRI runtime (another runtime, or a nested node's): not ours to judge.
            owner["attribution"] = "unmanaged"
        return started, owner


# --- sources ---

def scan_file(path, cursor, aggregate, start):
    """New lines of a log file since ``cursor`` ({inode, offset}), following rotation; new cursor, stats."""
    stats = _stats(path)
    try:
        status = os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            stats["notes"].append("%s does not exist" % path)
            return cursor, stats
        raise _log_error(exc, path)
    _check_log_file(path, status)
    if cursor is None and start == "end":
        stats["notes"].append("cursor set at the end of %s; records before it are not read" % path)
        return dict(inode=status.st_ino, offset=status.st_size), stats
    offset = 0
    if cursor is not None:
        if cursor.get("inode") == status.st_ino:
            offset = cursor.get("offset", 0)
            if offset > status.st_size:
                stats["notes"].append("%s was truncated: read from its start" % path)
                offset = 0
        else:
            rotated = _rotated_file(path, cursor.get("inode"))
            if rotated:
                stats["rotated_from"] = rotated
                _read_lines(rotated, cursor.get("offset", 0), aggregate, stats)
            else:
                stats["notes"].append("%s was rotated more than once since the last scan; records in between "
                                      "were not read" % path)
                stats["gap"] = True
    offset = _read_lines(path, offset, aggregate, stats)
    return dict(inode=status.st_ino, offset=offset), stats


def _rotated_file(path, inode):
    """The file that was ``path`` when it had ``inode``: path.1, path-20240101 and the like (not compressed)."""
    candidates = glob.glob(glob.escape(path) + ".*") + glob.glob(glob.escape(path) + "-*")
    for candidate in sorted(candidates):
        if candidate.endswith((".gz", ".xz", ".bz2", ".zst")):
            continue
        try:
            if os.stat(candidate).st_ino == inode:
                return candidate
        except OSError:
            continue
    return None


def _check_log_file(path, status):
    if stat.S_ISDIR(status.st_mode):
        raise ScanError("is a directory, not a log file", path=path, expected="a log file")
    if not stat.S_ISREG(status.st_mode):
        raise ScanError("is not a regular file (a device, socket or FIFO), so it is not a log to read with a cursor",
                        path=path, expected="a log file")


def _log_error(exc, path):
    named = errors.os_error(exc, path)
    return ScanError(named.problem, path=path)


def _open_log(path):
    """``path`` opened for reading; never blocks on a FIFO put there since it was looked at."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise _log_error(exc, path)
    try:
        _check_log_file(path, os.fstat(descriptor))
    except ScanError:
        os.close(descriptor)
        raise
    return os.fdopen(descriptor, "rb")


def _read_lines(path, offset, aggregate, stats):
    """Feed the complete lines of ``path`` after ``offset`` that can hold a record; the offset after them.

    The file is read CHUNK bytes at a time into one buffer, reused: an unfinished last line is moved to its
    front to wait for the next read, and only the lines the marker search finds are copied out of it.
    A line longer than MAX_LINE is not one the kernel wrote: it is skipped (counted as unparsed) without
    being held in memory, up to its end."""
    buffer = bytearray(MAX_LINE + CHUNK + 1)  # and a byte for the searcher's NUL
    with _open_log(path) as handle, memoryview(buffer) as view:
        handle.seek(offset)
        search = _searcher(buffer)
        carry = 0  # bytes of an unfinished line at the front of the buffer
        skipping = False
        while True:
            read = handle.readinto(view[carry:carry + CHUNK])
            if not read:
                break
            start, stop = 0, carry + read
            if skipping:
                newline = buffer.find(b"\n", 0, stop)
                if newline == -1:
                    offset += read
                    stats["bytes"] += read
                    continue
                offset += newline + 1
                stats["bytes"] += newline + 1
                start = newline + 1
                skipping = False
            end = max(start, buffer.rfind(b"\n", start, stop) + 1)
            _feed_block(buffer, end, aggregate, stats, start, search)
            stats["bytes"] += end - start
            offset += end - start
            carry = stop - end
            if carry > MAX_LINE:
                aggregate.skip(stats)
                stats["bytes"] += carry
                offset += carry
                carry = 0
                skipping = True
            elif carry and end:
                buffer[:carry] = view[end:stop].tobytes()  # to the front (the two may overlap)
    return offset


# Finding the few lines to read is what a scan spends its time on: a log is mostly other messages. The markers
# are looked for in one WINDOW of the block at a time, one after the other (the window stays in the CPU's cache),
# with the C library's strstr through ctypes - several times as fast as bytes.find, the fallback - on the window
# made a C string for the time of the search (a NUL after it; a NUL inside it ends a part of it).
SEARCHED = RECORD_MARKERS + THROTTLE_MARKERS
RECORD_KINDS = len(RECORD_MARKERS)
LONGEST = max(len(marker) for marker in SEARCHED)
WINDOW = 1 << 20
KERNEL_RECORD = audit_records.KERNEL_RECORD


def _strstr():
    """The C library's strstr through ctypes, or None."""
    try:
        function = ctypes.CDLL(None).strstr
    except (OSError, AttributeError):
        return None
    function.restype = ctypes.c_void_p
    function.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
    return function


_STRSTR = []


def _searcher(block):
    """search(window, stop, end): [position * 8 + index in SEARCHED] of every marker that starts in [window, stop)
    and ends by ``end``, marker by marker. With strstr when ``block`` is a bytearray with a byte past the window
    free for the NUL (which is put back; its memory cannot move while the searcher holds it), else bytes.find."""
    if not _STRSTR:
        _STRSTR.append(_strstr())
    strstr = _STRSTR[0]
    held = (ctypes.c_char * len(block)).from_buffer(block) if strstr and isinstance(block, bytearray) and block else None
    base = ctypes.addressof(held) if held is not None else 0

    def search(window, stop, end):
        hits = []
        limit = min(stop + LONGEST - 1, end)
        if held is None or limit >= len(block):
            for kind, marker in enumerate(SEARCHED):
                last = min(stop + len(marker) - 1, end)
                found = block.find(marker, window, last)
                while found != -1:
                    hits.append(found * 8 + kind)
                    found = block.find(marker, found + 1, last)
            return hits
        saved = block[limit]
        block[limit] = 0
        try:
            first_nul = block.find(b"\0", window, limit)
            for kind, marker in enumerate(SEARCHED):
                at, nul = window, first_nul
                while True:
                    address = strstr(base + at, marker)
                    if address is not None:
                        found = address - base
                        if found >= stop:
                            break
                        hits.append(found * 8 + kind)
                        at = found + 1
                        continue
                    # The C string ended: at the NUL after the window (done) or at one inside it (go on past it).
                    if nul != -1 and nul < at:
                        nul = block.find(b"\0", at, limit)
                    if nul == -1:
                        break
                    at = nul + 1
        finally:
            block[limit] = saved
        return hits
    return search


def _feed_block(block, end, aggregate, stats, start=0, search=None):
    """Feed the lines of ``block[start:end]`` (whole lines: it ends with a newline) that hold one of SEARCHED,
    in their order, each once; ``block`` is bytes or a bytearray, ``search`` a _searcher of it."""
    search = search or _searcher(block)
    done = start  # the lines before it are fed
    for window in range(start, end, WINDOW):
        stop = min(window + WINDOW, end)
        hits = search(window, stop, end)
        if not hits:
            continue
        hits.sort()
        index, count = 0, len(hits)
        matches = []  # records read in place, folded a window (or up to the next other line) at a time
        while index < count:
            hit = hits[index]
            index += 1
            position = hit >> 3
            if position < done:  # in a line already fed
                continue
            line_end = block.find(b"\n", position, end)
            line_end = end if line_end == -1 else line_end
            done = line_end + 1
            if (hit & 7) < RECORD_KINDS and line_end <= stop and (index == count or hits[index] >> 3 > line_end):
                # The line's only marker (one in the part of the line before this window would have fed it
                # there): the usual record line, read in place when it is in the kernel's order.
                match = KERNEL_RECORD.match(block, position, line_end)
                if match:
                    matches.append(match)
                    continue
            if matches:  # the lines before this one first
                aggregate.add_kernel_orders(matches, stats)
                matches = []
            line_start = block.rfind(b"\n", start, position) + 1 or start
            _feed_line(bytes(block[line_start:line_end]), aggregate, stats)
        if matches:
            aggregate.add_kernel_orders(matches, stats)


def _feed_line(line, aggregate, stats):
    """One line (bytes, without its newline) that holds a marker. Records printed in the kernel's own field order
    are read in place; a line with a record marker that is not one is parsed in full (and counted as unparsed when
    it cannot be read); a throttling message is counted once for each of THROTTLE_MARKERS it holds."""
    for marker in RECORD_MARKERS:
        position = line.find(marker)
        while position != -1:
            match = audit_records.KERNEL_ORDER.match(line, position + len(marker))
            if not match:
                aggregate.add_line(line, stats)
                break
            aggregate.add_kernel_order(match, stats)
            position = line.find(marker, match.end())
    for marker in THROTTLE_MARKERS:
        if marker in line:
            aggregate.note_throttling(line, stats)


def scan_kmsg(cursor, aggregate, start, path="/dev/kmsg"):
    """New kernel messages since ``cursor`` ({boot_id, seq}); a gap in sequence numbers is lost messages."""
    stats = _stats(path)
    boot_id = (_read("/proc/sys/kernel/random/boot_id") or "").strip()
    if cursor is not None and cursor.get("boot_id") != boot_id:
        stats["notes"].append("the node rebooted since the last scan: read the ring buffer from its start")
        cursor = None
        start = "beginning"
    after = cursor.get("seq", -1) if cursor else -1
    last = after
    first_new = None
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise _log_error(exc, path)
    try:
        while True:
            try:
                message = os.read(descriptor, KMSG_MAX_READ)
            except OSError as exc:
                if exc.errno == errno.EAGAIN:
                    break
                if exc.errno == errno.EPIPE:  # overwritten while being read: the next read goes on
                    stats["notes"].append("the ring buffer wrapped while it was read")
                    continue
                raise _log_error(exc, path)
            if not message:
                break
            seq, line = kmsg_record(message)
            if seq is None:
                continue
            if seq <= after:
                continue
            if first_new is None:
                first_new = seq
            last = max(last, seq)
            stats["bytes"] += len(message)
            if start == "end" and cursor is None:
                continue
            if any(marker in line for marker in RECORD_MARKERS + THROTTLE_MARKERS):
                aggregate.add_line(line, stats)
    finally:
        os.close(descriptor)
    if cursor is None and start == "end":
        stats["notes"].append("cursor set at the end of the ring buffer; records before it are not read")
        stats["bytes"] = 0
    elif cursor is not None and first_new is not None and first_new > after + 1:
        stats["lost_messages"] = first_new - after - 1
        stats["gap"] = True
        stats["notes"].append("%d kernel messages were overwritten in the ring buffer before they were read"
                              % stats["lost_messages"])
    return dict(boot_id=boot_id, seq=last), stats


KMSG_PREFIX = re.compile(rb"[0-9]{1,3},([0-9]{1,20}),")


def kmsg_record(message):
    """(sequence number, first line of text) of one /dev/kmsg record ("prio,seq,usec,flags;text\n"), or
    (None, None) for anything else (Documentation/ABI/testing/dev-kmsg)."""
    prefix, separator, text = message.partition(b";")
    match = KMSG_PREFIX.match(prefix)
    if not separator or not match:
        return None, None
    return int(match.group(1)), text.split(b"\n", 1)[0]


def scan_journald(cursor, aggregate, start, run):
    """Audit and kernel transport entries after ``cursor`` (the journal's cursor string)."""
    stats = _stats("journald")
    argv = ["journalctl", "--output=json", "--no-pager", "--quiet"]
    if cursor:
        argv.append("--after-cursor=%s" % cursor)
    elif start == "end":
        argv += ["--lines=1"]
    argv += ["_TRANSPORT=audit", "+", "_TRANSPORT=kernel"]
    rc, out, err = run(argv)
    if rc != 0:
        raise ScanError("journalctl failed (rc %d): %s" % (rc, errors.short_repr(err.strip(), 300)), path="journalctl")
    last = cursor
    for text in out.splitlines():
        try:
            entry = json.loads(text)
        except (ValueError, RecursionError):
            aggregate.skip(stats)
            continue
        if not isinstance(entry, dict):
            aggregate.skip(stats)
            continue
        if isinstance(entry.get("__CURSOR"), str) and entry["__CURSOR"]:
            last = entry["__CURSOR"]
        stats["bytes"] += len(text)
        if not cursor and start == "end":
            continue
        line = journal_line(entry)
        if line and (any(marker.decode() in line for marker in RECORD_MARKERS)
                     or any(marker.decode() in line for marker in THROTTLE_MARKERS)):
            aggregate.add_line(line, stats)
    if not cursor and start == "end":
        stats["notes"].append("cursor set at the end of the journal; records before it are not read")
    return last, stats


def journal_line(entry):
    """The log line of a journal entry. journald stores an audit record's text after `audit(T:S): ` as
    MESSAGE, prefixed with its type name, and the time and serial as _SOURCE_REALTIME_TIMESTAMP and
    _AUDIT_ID (systemd src/journal/journald-audit.c); put the `type=... msg=audit(T:S):` form back."""
    message = entry.get("MESSAGE")
    if isinstance(message, list):  # journalctl prints non-UTF-8 fields as byte arrays
        message = bytes(byte for byte in message if isinstance(byte, int) and 0 <= byte < 256).decode("utf-8", "replace")
    if not isinstance(message, str):
        return None
    if entry.get("_TRANSPORT") != "audit":
        return message
    type_name = entry.get("_AUDIT_TYPE_NAME")
    type_name = type_name if isinstance(type_name, str) else ""
    micros = _journal_number(entry.get("_SOURCE_REALTIME_TIMESTAMP") or entry.get("__REALTIME_TIMESTAMP"))
    serial = _journal_number(entry.get("_AUDIT_ID"))
    if micros is None or serial is None:
        return None
    body = message[len(type_name) + 1:] if type_name and message.startswith(type_name + " ") else message
    return "type=%s msg=audit(%d.%03d:%d): %s" % (type_name or "UNKNOWN", micros // 1000000, (micros // 1000) % 1000,
                                                  serial, body)


def _journal_number(value):
    """journald keeps numbers as decimal strings; anything else (a list, a float, 5000 digits) is no number."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 10 ** audit_records.MAX_DIGITS:
        return value
    if isinstance(value, str) and AUDITCTL_NUMBER.match(value):
        return int(value)
    return None


# --- one scan ---

def scan(sources, cursors, start, attribute, max_entries=MAX_ENTRIES, run=None):
    """Read every source after its cursor. ``sources``: [(kind, path)]; returns (result, new cursors)."""
    aggregate = Aggregate(attribute, max_entries)
    aggregate.seen.update(tuple(pair) for pair in cursors.get("seen") or [])
    new_cursors = {}
    source_stats = []
    for kind, path in sources:
        key = "%s:%s" % (kind, path)
        before = cursors.get(key)
        if kind in ("auditd", "syslog"):
            after, stats = scan_file(path, before, aggregate, start)
        elif kind == "kmsg":
            after, stats = scan_kmsg(before, aggregate, start, path)
        elif kind == "journald":
            after, stats = scan_journald(before, aggregate, start, run)
        else:
            raise ScanError("unknown source %r: valid sources are %s" % (kind, ", ".join(SOURCES)))
        stats["source"] = kind
        new_cursors[key] = after
        source_stats.append(stats)
    lost_now = kernel_lost_counter(run) if run is not None and any(kind == "auditd" for kind, _path in sources) else None
    if lost_now is not None:
        # The kernel's count of records it dropped (`auditctl -s`: lost), as of this scan.
        lost_before = cursors.get("kernel_lost")
        new_cursors["kernel_lost"] = lost_now
        if lost_before is not None and lost_now > lost_before:
            aggregate.lost = max(aggregate.lost, lost_now - lost_before)
    result = aggregate.result()
    result["sources"] = source_stats
    if any(stats.get("gap") for stats in source_stats):
        result["complete"] = False
    # Keep the most recent stamps only: copies of one record arrive within moments of each other.
    new_cursors["seen"] = [list(pair) for pair in sorted(aggregate.seen)[-SEEN_KEEP:]]
    return result, new_cursors


def audit_status(run):
    """The numbers `auditctl -s` prints (enabled, rate_limit, backlog_limit, lost, backlog...), {} without auditctl."""
    try:
        rc, out, _err = run(["auditctl", "-s"])
    except (OSError, ValueError):
        return {}
    if rc != 0:
        return {}
    found = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 2 and AUDITCTL_NUMBER.match(parts[1]):
            found[parts[0]] = int(parts[1])
    return found


AUDITCTL_NUMBER = re.compile(r"[0-9]{1,20}\Z")


def kernel_lost_counter(run):
    """`lost` of `auditctl -s` (records the kernel dropped: rate limit, backlog), or None without auditctl."""
    return audit_status(run).get("lost")


KMSG_DEVICE = (1, 11)  # the kernel log's character device (Documentation/admin-guide/devices.txt)


def is_kmsg(path):
    """Whether ``path`` is the kernel's log device: container-based nodes (kind links it to /dev/console when it is
    missing) and hardened ones may have something else there, which holds no kernel records."""
    try:
        found = os.stat(path)
    except OSError:
        return False
    return stat.S_ISCHR(found.st_mode) and (os.major(found.st_rdev), os.minor(found.st_rdev)) == KMSG_DEVICE


def available_sources(root="/"):
    """The sources this node has, in the order they are best read."""
    found = []
    auditd = os.path.join(root, DEFAULT_PATHS["auditd"].lstrip("/"))
    if os.path.exists(auditd):
        found.append(("auditd", DEFAULT_PATHS["auditd"]))
    if is_kmsg(os.path.join(root, "dev/kmsg")):
        found.append(("kmsg", "/dev/kmsg"))
    for path in DEFAULT_PATHS["syslog"]:
        if os.path.exists(os.path.join(root, path.lstrip("/"))):
            found.append(("syslog", path))
            break
    if os.path.isdir(os.path.join(root, "run/systemd/journal")) and os.path.exists(os.path.join(root, "run/systemd/journal/socket")):
        found.append(("journald", "journald"))
    return found


FIX_CURSORS = "remove it or set reset: true"


def load_cursors(path):
    """The cursors stored in ``path`` ({} when there is none yet), each checked: a cursor of the wrong shape
    would read from a wrong place, or fail half-way through a scan."""
    try:
        text = errors.read_file(path, missing_ok=True)
    except errors.InputError as exc:
        raise ScanError("cursor file %s: %s" % (path, exc.problem), path=path)
    if text is None:
        return {}
    try:
        cursors = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ScanError("cursor file %s is not JSON (%s): %s" % (path, errors.short_repr(str(exc), 120), FIX_CURSORS),
                        path=path)
    if not isinstance(cursors, dict):
        raise ScanError("cursor file %s holds %s, not an object: %s" % (path, type(cursors).__name__, FIX_CURSORS),
                        path=path)
    for key, value in cursors.items():
        problem = _cursor_problem(key, value)
        if problem:
            raise ScanError("is not a cursor this module wrote", path=path, field=key, value=value,
                            expected="%s (%s)" % (problem, FIX_CURSORS))
    return cursors


def _cursor_problem(key, value):
    """What a stored cursor of ``key`` must be, when ``value`` is not that; None when it is."""
    kind = key.split(":", 1)[0]
    if key == "seen":
        pairs = isinstance(value, list) and all(
            isinstance(pair, list) and len(pair) == 2 and all(_is_number(part) for part in pair) for pair in value)
        return None if pairs else "a list of [timestamp, serial] pairs"
    if key == "kernel_lost":
        return None if _is_count(value) else "a count (a whole number, 0 or more)"
    if value is None or ":" not in key:
        return None
    if kind in ("auditd", "syslog"):
        shaped = (isinstance(value, dict) and _is_count(value.get("inode", 0)) and _is_count(value.get("offset", 0)))
        return None if shaped else "an object with a file's inode and offset, whole numbers"
    if kind == "kmsg":
        shaped = (isinstance(value, dict) and isinstance(value.get("boot_id", ""), str)
                  and _is_whole(value.get("seq", -1)) and value.get("seq", -1) >= -1)
        return None if shaped else "an object with the boot_id (text) and the seq (a whole number) of the ring buffer"
    if kind == "journald":
        return None if isinstance(value, str) else "the journal's cursor (text)"
    return None


def load_owners(path):
    """pid -> owner of the container processes a syscall_trace saw (its state file, ``processes``); {} when the
    tracer has not run. Each must be an object with the time it was ``seen``: the records' times are compared to it."""
    try:
        text = errors.read_file(path, missing_ok=True)
    except errors.InputError as exc:
        raise ScanError(exc.problem, path=path, field="owners_from")
    if text is None:
        return {}
    try:
        state = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ScanError("is not JSON (%s)" % errors.short_repr(str(exc), 120), path=path,
                        expected="the state file of k8s.seccomp_default.syscall_trace, or no owners_from")
    if not isinstance(state, dict):
        raise ScanError("is not a syscall_trace state file", path=path, value=state, expected="an object")
    processes = state.get("processes") or {}
    if not isinstance(processes, dict):
        raise ScanError("is not an object of processes by pid", path=path, field="processes", value=processes)
    for pid, owner in processes.items():
        if not isinstance(owner, dict) or not _is_number(owner.get("seen")):
            raise ScanError("is not a process as syscall_trace records one", path=path, field="processes.%s" % pid,
                            value=owner, expected="an object with the time it was seen (seen: a number)")
        for name in ("container_id", "pod_uid", "attribution"):
            if owner.get(name) is not None and not isinstance(owner.get(name), str):
                raise ScanError("is not text", path=path, field="processes.%s.%s" % (pid, name), value=owner[name])
    return processes


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _is_whole(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _is_count(value):
    return _is_whole(value) and value >= 0


def _holds_record_marker(line):
    if isinstance(line, str):
        return any(marker.decode() in line for marker in RECORD_MARKERS)
    return isinstance(line, bytes) and any(marker in line for marker in RECORD_MARKERS)


def _stats(path):
    return dict(path=path, bytes=0, records=0, suppressed=0, lost=0, throttle_messages=0, unparsed=0, notes=[])


def _read(path):
    try:
        with open(path) as handle:
            return handle.read()
    except (IOError, OSError):
        return None


def _boot_time(proc):
    for line in (_read("%s/stat" % proc) or "").splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == "btime" and AUDITCTL_NUMBER.match(parts[1]):
            return float(parts[1])
    return None


def read_new(cursor_file, run, attribute, reset=False, sources=None, start="end", max_entries=MAX_ENTRIES, cursors=None):
    """The records of ``sources`` (every source the node has by default) since the cursors in ``cursor_file``
    (or ``cursors``, already loaded), attributed by ``attribute`` (a ProcessTable of the node's containers):
    (cursors before, result, cursors after). A source without a cursor is read from ``start``. The caller stores
    the cursors."""
    if cursors is not None:
        before = cursors
    else:
        before = {} if reset else load_cursors(cursor_file)
    sources = require_sources(available_sources() if sources is None else sources)
    result, after = scan(sources, before, start, attribute, max_entries, run)
    return before, result, after


def require_sources(sources):
    """``sources``, unless there are none."""
    if not sources:
        raise ScanError("no source of kernel seccomp records on this node: none of %s exists, and /dev/kmsg is not "
                        "readable" % ", ".join([DEFAULT_PATHS["auditd"]] + DEFAULT_PATHS["syslog"]))
    return sources


# --- one scan as the modules run it (audit_scan, audit_window), from the audit_scan module's options ---
# ``params`` holds sources, auditd_log, syslog_log, state_dir, cursor_name, start, reset and max_entries.

def unattributed(_pid, _timestamp):
    return dict(attribution="unknown")


def chosen_sources(params):
    """[(kind, path)] of the sources the options choose."""
    wanted = params["sources"]
    found = dict()
    for kind, path in available_sources():
        found.setdefault(kind, path)
    if params["auditd_log"] != DEFAULT_PATHS["auditd"] and os.path.exists(params["auditd_log"]):
        found["auditd"] = params["auditd_log"]
    if params["syslog_log"]:
        found["syslog"] = params["syslog_log"]
    if "auto" in wanted:
        return sorted(found.items(), key=lambda item: SOURCES.index(item[0]))
    chosen = []
    for kind in wanted:
        path = found.get(kind) or dict(auditd=params["auditd_log"], kmsg="/dev/kmsg", journald="journald").get(kind)
        chosen.append((kind, path))
    return chosen


def cursor_path(params):
    problem = files.relative_name_problem(params["cursor_name"] + ".json")
    if problem:
        raise errors.InputError(problem, field="cursor_name", value=params["cursor_name"], expected="a name such as audit")
    if os.path.exists(params["state_dir"]) and not os.path.isdir(params["state_dir"]):
        raise errors.InputError("is not a directory", path=params["state_dir"], field="state_dir")
    return os.path.join(params["state_dir"], params["cursor_name"] + ".json")


def checked_cursors(params):
    """(cursor file, the cursors stored in it): the options and the file checked, before any source is read."""
    if params["max_entries"] < 1:
        raise errors.InputError("must be 1 or more", field="max_entries", value=params["max_entries"])
    cursor_file = cursor_path(params)
    if params["reset"]:
        # reset ignores what the file says, but a directory there could not be replaced by the new cursors
        if os.path.isdir(cursor_file):
            raise errors.InputError("is a directory, not a cursor file", path=cursor_file)
        return cursor_file, {}
    return cursor_file, load_cursors(cursor_file)


def scan_and_store(module, params, cursor_file, before, attribute, sources=None):
    """Read the chosen sources (or ``sources``) after the cursors ``before``, with each record attributed by
    ``attribute``, and store the new cursors in ``cursor_file`` unless in check mode: (changed, result, diff), the
    result as the audit_scan module returns it (without cursor_file). Gaps and unreadable lines are warned about."""
    before, result, after = read_new(cursor_file, tools.runner(module), attribute,
                                     sources=chosen_sources(params) if sources is None else sources,
                                     start=params["start"], max_entries=params["max_entries"], cursors=before)
    for stats in result["sources"]:
        if stats.get("gap"):
            module.warn("%s: %s" % (stats["path"], "; ".join(stats["notes"])))
        if stats.get("unparsed"):
            module.warn("%s: %d line(s) that looked like seccomp records or throttling messages could not be read and "
                        "were skipped" % (stats["path"], stats["unparsed"]))
    before_text = json.dumps(dict((k, v) for k, v in before.items() if k != "seen"), indent=1, sort_keys=True) + "\n"
    after_text = json.dumps(dict((k, v) for k, v in after.items() if k != "seen"), indent=1, sort_keys=True) + "\n"
    changed = before_text != after_text
    if changed and not module.check_mode:
        try:
            files.ensure_directories(cursor_file, 0o700)
            files.atomic_write(cursor_file, (json.dumps(after, sort_keys=True) + "\n").encode(), 0o600)
        except OSError as exc:
            raise errors.os_error(exc, cursor_file, "written")
    result = json.loads(json.dumps(result))
    diff = dict(before=before_text, after=after_text, before_header=cursor_file, after_header=cursor_file)
    return changed, result, diff
