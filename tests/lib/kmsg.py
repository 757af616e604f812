"""Read the kernel's seccomp audit records from /dev/kmsg, starting from 'now'."""

import contextlib
import errno
import os

from ansible_collections.k8s.seccomp_default.plugins.module_utils.audit_records import parse_line

PRINTK_RATELIMIT = "/proc/sys/kernel/printk_ratelimit"


class KernelLog:
    """Opened at the end of the ring buffer: ``seccomp_records()`` returns only what came after."""

    def __init__(self):
        self.fd = os.open("/dev/kmsg", os.O_RDONLY | os.O_NONBLOCK)
        os.lseek(self.fd, 0, os.SEEK_END)

    def close(self):
        os.close(self.fd)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def messages(self):
        out = []
        while True:
            try:
                record = os.read(self.fd, 8192)
            except OSError as exc:
                if exc.errno == errno.EAGAIN:
                    return out
                if exc.errno == errno.EPIPE:  # overwritten while we read; keep going
                    continue
                raise
            text = record.decode("utf-8", "replace").partition(";")[2]
            out.append(text.split("\n", 1)[0])

    def seccomp_records(self):
        records = []
        for message in self.messages():
            record = parse_line(message)
            if record is not None:
                record["raw"] = message
                records.append(record)
        return records


@contextlib.contextmanager
def printk_unthrottled():
    """Lift the printk rate limit that thins audit records printed to the kernel log
    (docs/kubernetes-facts.md#delivery-and-rate-limits)."""
    with open(PRINTK_RATELIMIT) as handle:
        before = handle.read()
    with open(PRINTK_RATELIMIT, "w") as handle:
        handle.write("0\n")
    try:
        yield
    finally:
        with open(PRINTK_RATELIMIT, "w") as handle:
            handle.write(before)
