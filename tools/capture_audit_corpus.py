"""Capture real seccomp audit record lines from this machine's kernel, for the parser's corpus.

Runs busybox in runc under profiles that make the kernel log (SCMP_ACT_LOG, ERRNO/TRAP with
SECCOMP_FILTER_FLAG_LOG, KILL_PROCESS), including a program whose name has a space so that the
kernel hex-encodes comm= and exe=; writes the records as /dev/kmsg gives them and as `dmesg` prints them.
On this machine (runc 1.1.5, libseccomp 2.5.4, kernel 6.18) the ERRNO and TRAP cases produced no record:
only the LOG and KILL_PROCESS actions are in the corpus.
Run as root from the project root:  python tools/capture_audit_corpus.py tests/data/audit
"""

import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests"))

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


def main(out_dir):
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
    finally:
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1])
