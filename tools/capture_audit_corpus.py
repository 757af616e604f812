"""Capture real seccomp audit record lines from this machine's kernel, for the parser's corpus.

Runs busybox in runc under profiles that make the kernel log (SCMP_ACT_LOG, ERRNO/TRAP with
SECCOMP_FILTER_FLAG_LOG, KILL_PROCESS), including a program whose name has a space so that the
kernel hex-encodes comm= and exe=; writes the records as /dev/kmsg gives them and as `dmesg` prints them.
On this machine (runc 1.1.5, libseccomp 2.5.4, kernel 6.18) the ERRNO and TRAP cases produced no record:
only the LOG and KILL_PROCESS actions are in the corpus.
With --daemons it also starts, for the duration of the capture, the record readers a node may have and
keeps what each wrote: auditd (its ENRICHED audit.log, with the 0x1d suffix), rsyslog's imklog (kern.log)
and systemd-journald (`journalctl -o json`, audit and kernel transports). While auditd runs the kernel
hands records to it instead of printing them, so the kernel-log files are captured without it.
Run as root from the project root:  python tools/capture_audit_corpus.py tests/data/audit [--daemons]
(Debian packages auditd, rsyslog and systemd for --daemons.)
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))
sys.path.insert(0, os.path.join(ROOT, ".build", "collections"))

from lib.kmsg import KernelLog, printk_unthrottled  # noqa: E402
from lib.runc import BUSYBOX, Bundle  # noqa: E402

ARCHES = ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]
CASES = [  # (what, argv, profile)
    ("log", ["/bin/unshare", "-U", "/bin/true"], {"defaultAction": "SCMP_ACT_LOG", "architectures": ARCHES}),
    ("errno-logged", ["/bin/unshare", "-U", "/bin/true"], {
        "defaultAction": "SCMP_ACT_ALLOW", "architectures": ARCHES, "flags": ["SECCOMP_FILTER_FLAG_LOG"],
        "syscalls": [{"names": ["unshare"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}),
    ("kill-process", ["/bin/unshare", "-U", "/bin/true"], {
        "defaultAction": "SCMP_ACT_ALLOW", "architectures": ARCHES,
        "syscalls": [{"names": ["unshare"], "action": "SCMP_ACT_KILL_PROCESS"}]}),
    ("trap-logged", ["/bin/unshare", "-U", "/bin/true"], {
        "defaultAction": "SCMP_ACT_ALLOW", "architectures": ARCHES, "flags": ["SECCOMP_FILTER_FLAG_LOG"],
        "syscalls": [{"names": ["unshare"], "action": "SCMP_ACT_TRAP"}]}),
    ("hex-comm", ["/bin/my prog"], {
        "defaultAction": "SCMP_ACT_ALLOW", "architectures": ARCHES,
        "syscalls": [{"names": ["getpid", "uname", "getuid", "write"], "action": "SCMP_ACT_LOG"}]}),
]


def serial_of(line):
    try:
        return int(line.split("audit(", 1)[1].split(")", 1)[0].split(":")[1])
    except (IndexError, ValueError):
        return -1


def run_cases(bundle):
    for _what, argv, profile in CASES:
        bundle.run(argv, seccomp=profile)


def start(argv, **kwargs):
    process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True, **kwargs)
    time.sleep(2)
    if process.poll() is not None:
        raise SystemExit("%s exited at once (rc %s)" % (argv[0], process.returncode))
    return process


def stop(process):
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()


def capture_daemons(bundle, out_dir, work):
    """audit.log from auditd; then kern.log from rsyslog and the journal's JSON, with auditd stopped."""
    conf = os.path.join(work, "audit")
    os.makedirs(conf)
    with open("/etc/audit/auditd.conf") as handle:
        text = handle.read()
    log = os.path.join(work, "audit.log")
    with open(os.path.join(conf, "auditd.conf"), "w") as handle:
        handle.write(text.replace("log_file = /var/log/audit/audit.log", "log_file = %s" % log)
                     .replace("log_group = adm", "log_group = root"))
    os.chmod(os.path.join(conf, "auditd.conf"), 0o640)
    auditd = start(["auditd", "-n", "-c", conf])
    try:
        with printk_unthrottled():
            run_cases(bundle)
        time.sleep(2)
    finally:
        stop(auditd)
    with open(log, "rb") as handle:
        records = [line for line in handle.read().splitlines() if line.startswith(b"type=SECCOMP ")]
    with open(os.path.join(out_dir, "audit.log"), "wb") as handle:
        handle.write(b"\n".join(records) + b"\n")
    kern = os.path.join(work, "kern.log")
    with open(os.path.join(work, "rsyslog.conf"), "w") as handle:
        handle.write('module(load="imklog")\n$WorkDirectory %s\nkern.* %s\n' % (work, kern))
    journal_marker = time.time()
    rsyslog = start(["rsyslogd", "-n", "-f", os.path.join(work, "rsyslog.conf"), "-i", os.path.join(work, "rsyslog.pid")])
    journald = start(["/lib/systemd/systemd-journald"])
    try:
        with printk_unthrottled():
            run_cases(bundle)
        time.sleep(3)
        journal = subprocess.run(["journalctl", "-o", "json", "--no-pager", "--since", "@%d" % int(journal_marker),
                                  "_TRANSPORT=audit", "+", "_TRANSPORT=kernel"], capture_output=True, text=True,
                                 check=False).stdout
    finally:
        stop(rsyslog)
        stop(journald)
    # rsyslog and journald read the ring buffer from its start: keep only this capture's records.
    first = min(serial_of(line.decode()) for line in records)
    with open(kern) as handle:
        kern_lines = [line for line in handle.read().splitlines() if "type=1326" in line and serial_of(line) >= first]
    with open(os.path.join(out_dir, "kern.log"), "w") as handle:
        handle.write("\n".join(kern_lines) + "\n")
    entries = []
    for line in journal.splitlines():
        entry = json.loads(line)
        if entry.get("_AUDIT_TYPE") == "1326" and int(entry.get("_AUDIT_ID", 0)) >= first:
            entries.append(line)
        elif "type=1326" in str(entry.get("MESSAGE")) and serial_of(entry["MESSAGE"]) >= first:
            entries.append(line)
    with open(os.path.join(out_dir, "journal.json"), "w") as handle:
        handle.write("\n".join(entries) + "\n")
    print("auditd %d, kern.log %d, journal %d lines" % (len(records), len(kern_lines), len(entries)))


def main(out_dir, daemons=False):
    directory = tempfile.mkdtemp()
    try:
        bundle = Bundle(directory, extra_files={"/bin/my prog": BUSYBOX})
        lines = []
        with printk_unthrottled():
            for _what, argv, profile in CASES:
                with KernelLog() as log:
                    bundle.run(argv, seccomp=profile)
                    lines += [r["raw"] for r in log.seccomp_records()]
        with open(os.path.join(out_dir, "kmsg.txt"), "w") as handle:
            handle.write("\n".join(lines) + "\n")
        dmesg = subprocess.run(["dmesg"], capture_output=True, text=True, check=True).stdout.splitlines()
        wanted = set(line.split("audit(", 1)[1].split(")", 1)[0] for line in lines)
        with open(os.path.join(out_dir, "dmesg.txt"), "w") as handle:
            handle.write("\n".join(line for line in dmesg if "audit(" in line
                                   and line.split("audit(", 1)[1].split(")", 1)[0] in wanted) + "\n")
        print("%d records" % len(lines))
        if daemons:
            capture_daemons(bundle, out_dir, directory)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1], "--daemons" in sys.argv[2:])
