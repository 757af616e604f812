"""`make bench`: scanning a 1 GiB log for seccomp records, against `grep -c` over the same file.

The log is generated once (BENCH_LOG, default /var/tmp/k8s-seccomp-default-bench/kern.log, BENCH_LOG_MIB
MiB, default 1024): syslog lines as a node's kern.log holds them - ordinary kernel messages and audit
records of other types, and about 1% seccomp records (`audit: type=1326`), each with its own timestamp
and serial, from a pool of processes of this machine and pids that no longer exist, with a few
`kauditd_printk_skb: N callbacks suppressed` lines. Each run, in one process: `grep -c` for the record
lines (the baseline), then the same scan the audit_scan module does - markers, parse, libseccomp names,
attribution through /proc, folding and the cursor - from the beginning. Then 10 MiB more are appended and
a second scan from the cursor must read exactly those bytes. Medians of BENCH_SCAN_RUNS runs (default 3), and as
many of the fallback that runs without ctypes (bytes.find), for information.
Target: the scan takes at most 1.5 times grep's time - its time goes where grep's does, into finding the few
lines with a marker (libc's strstr through ctypes, a window of the block at a time), not into Python per line;
the exit status says whether it did.
"""

import os
import random
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, ".build", "collections"))

from ansible_collections.k8s.seccomp_default.plugins.module_utils import audit_scan  # noqa: E402

LOG = os.environ.get("BENCH_LOG", "/var/tmp/k8s-seccomp-default-bench/kern.log")
SIZE = int(os.environ.get("BENCH_LOG_MIB", "1024")) << 20
RUNS = int(os.environ.get("BENCH_SCAN_RUNS", "3"))
APPEND = 10 << 20
TARGET = 1.5
ORDINARY = [
    "kernel: [%(up).6f] eth0: renamed from veth%(n)x",
    "kernel: [%(up).6f] IPv6: ADDRCONF(NETDEV_CHANGE): cali%(n)x: link becomes ready",
    "kernel: [%(up).6f] audit: type=1400 audit(%(t).3f:%(s)d): apparmor=\"STATUS\" operation=\"profile_replace\" "
    "profile=\"unconfined\" name=\"cri-containerd.apparmor.d\" pid=%(pid)d comm=\"apparmor_parser\"",
    "kernel: [%(up).6f] audit: type=1300 audit(%(t).3f:%(s)d): arch=c000003e syscall=59 success=yes exit=0 "
    "a0=55d5 a1=55d6 a2=55d7 a3=0 items=2 ppid=1 pid=%(pid)d auid=4294967295 uid=0 gid=0 comm=\"runc\" exe=\"/usr/bin/runc\"",
    "kernel: [%(up).6f] overlayfs: upper fs does not support RENAME_WHITEOUT.",
    "kernel: [%(up).6f] cni0: port %(port)d(veth%(n)x) entered forwarding state",
    "kernel: [%(up).6f] nf_conntrack: default automatic helper assignment has been turned off for security reasons",
]
SECCOMP = ("kernel: [%(up).6f] audit: type=1326 audit(%(t).3f:%(s)d): auid=4294967295 uid=0 gid=0 ses=4294967295 "
           "pid=%(pid)d comm=\"%(comm)s\" exe=\"%(exe)s\" sig=0 arch=c000003e syscall=%(nr)d compat=0 ip=0x4a4e10 "
           "code=0x7ffc0000")
WORKLOADS = [("unshare", "/bin/busybox", 272), ("nginx", "/usr/sbin/nginx", 165), ("java", "/opt/java/bin/java", 310),
             ("python3", "/usr/bin/python3.11", 250), ("node", "/usr/local/bin/node", 323)]


def generate(path, size, start_serial=1, rng=None):
    """Append ``size`` bytes (whole lines) of kernel log to ``path``; return the seccomp records written."""
    rng = rng or random.Random(7)
    pids = [int(entry) for entry in os.listdir("/proc") if entry.isdigit()][:200] + list(range(4000000, 4000300))
    written, records, serial = 0, 0, start_serial
    now = time.time() - 86400
    with open(path, "a") as handle:
        while written < size:
            lines = []
            for _index in range(2000):
                serial += 1
                values = dict(up=serial / 1000.0, t=now + serial / 1000.0, s=serial, pid=rng.choice(pids),
                              n=serial & 0xffffff, port=serial % 16)
                if rng.random() < 0.01:
                    comm, exe, number = rng.choice(WORKLOADS)
                    values.update(comm=comm, exe=exe, nr=number)
                    lines.append("Nov 23 10:00:00 node-1 " + SECCOMP % values)
                    records += 1
                elif rng.random() < 0.0005:
                    lines.append("Nov 23 10:00:00 node-1 kernel: [%.6f] kauditd_printk_skb: %d callbacks suppressed"
                                 % (values["up"], rng.randint(1, 50)))
                else:
                    lines.append("Nov 23 10:00:00 node-1 " + rng.choice(ORDINARY) % values)
            text = "\n".join(lines) + "\n"
            handle.write(text)
            written += len(text)
    return records, serial


def grep_count(path):
    start = time.perf_counter()
    done = subprocess.run(["grep", "-c", "-e", "audit: type=1326 ", "-e", "type=SECCOMP ", path],
                          capture_output=True, text=True, check=False)
    return time.perf_counter() - start, int(done.stdout.strip() or 0)


def scan(path, cursors):
    table = audit_scan.ProcessTable()
    start = time.perf_counter()
    result, after = audit_scan.scan([("syslog", path)], cursors, "beginning", table)
    return time.perf_counter() - start, result, after


def main():
    os.makedirs(os.path.dirname(LOG), exist_ok=True)
    if not os.path.exists(LOG) or os.path.getsize(LOG) < SIZE:
        if os.path.exists(LOG):
            os.unlink(LOG)
        print("generating %d MiB of kernel log in %s ..." % (SIZE >> 20, LOG), flush=True)
        generate(LOG, SIZE)
    base = LOG + ".run"
    subprocess.run(["cp", "--reflink=auto", LOG, base], check=True)
    try:
        grep_times, scan_times = [], []
        for _run in range(RUNS):
            grep_time, grep_records = grep_count(base)
            scan_time, result, cursors = scan(base, {})
            grep_times.append(grep_time)
            scan_times.append(scan_time)
            assert result["records"] == grep_records, (result["records"], grep_records)
        size = os.path.getsize(base)
        grep_median, scan_median = statistics.median(grep_times), statistics.median(scan_times)
        ratio = scan_median / grep_median
        fallback_times = []
        audit_scan._STRSTR[:] = [None]  # as on a node where ctypes cannot reach the C library: bytes.find
        try:
            for _run in range(RUNS):
                fallback_time, fallback, _cursors = scan(base, {})
                fallback_times.append(fallback_time)
                assert fallback == result, "bytes.find and strstr found different records"
        finally:
            audit_scan._STRSTR[:] = []
        fallback_median = statistics.median(fallback_times)
        added_records, _serial = generate(base, APPEND, start_serial=10 ** 9, rng=random.Random(11))
        appended = os.path.getsize(base) - size
        again_time, again, _cursors = scan(base, cursors)
        print("\n## Scanning a kernel log for seccomp records (%d MiB, %d records, %d distinct entries)\n"
              % (size >> 20, result["records"], len(result["entries"])))
        print("| step | median (s) | MiB/s | ratio to grep -c |")
        print("|---|---|---|---|")
        print("| grep -c (baseline) | %.2f | %.0f | 1.00x |" % (grep_median, (size >> 20) / grep_median))
        print("| audit_scan from the beginning | %.2f | %.0f | **%.2fx** (target <= %.1fx: %s) |"
              % (scan_median, (size >> 20) / scan_median, ratio, TARGET, "met" if ratio <= TARGET else "MISSED"))
        print("| the same with bytes.find (no libc through ctypes; not held to the target) | %.2f | %.0f | %.2fx |"
              % (fallback_median, (size >> 20) / fallback_median, fallback_median / grep_median))
        row = (appended / 1048576.0, again_time, again["sources"][0]["bytes"], appended, again["records"], added_records)
        print("| audit_scan after appending %.1f MiB | %.3f | - | read %d bytes of %d appended, %d new records "
              "(of %d written) |" % row)
        print("\nthrottling seen: %d callbacks suppressed; runs: %d" % (result["throttling"]["suppressed"], RUNS))
        if again["sources"][0]["bytes"] != appended or again["records"] != added_records:
            print("the incremental scan did not read exactly the appended bytes")
            return 1
        return 0 if ratio <= TARGET else 1
    finally:
        os.unlink(base)


if __name__ == "__main__":
    sys.exit(main())
