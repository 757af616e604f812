"""syscall_trace's collector: which traced calls are the workload's.

Lines are bpftrace's: pid, generation (exits of that pid), image (execs of that process), syscall, first
argument, command name.
"""

import pytest

from ansible_collections.k8s.seccomp_default.plugins.module_utils import syscall_trace

IN_CONTAINER = {"attribution": "container", "container_id": "c1"}


def collector_with(tmp_path, owners):
    collector = syscall_trace.Collector(str(tmp_path / "state.json"), [])
    collector.owner = lambda pid, generation=0: owners[pid]
    return collector


def traced(collector):
    return sorted((entry["exe"], entry["syscall_nr"], entry["processes"]) for entry in collector.entries.values())


def test_the_runtime_setting_a_container_up_is_not_its_workload(tmp_path):
    """A process found running runc itself, and runc's named init stages, are not the workload."""
    collector = collector_with(tmp_path, {101: (IN_CONTAINER, "/usr/sbin/runc"), 102: (IN_CONTAINER, "/bin/busybox")})
    collector.add("101 0 0 165 0 runc")       # mount, by runc before it renamed itself
    collector.add("102 0 1 272 0 unshare")    # unshare, by the workload
    collector.add("103 0 0 165 0 runc:[2:INIT]")
    assert traced(collector) == [("/bin/busybox", 272, 1)]


# runc 1.1: `/proc/self/exe init` ("exe", image 1) bind-mounts and unmounts a sealed copy of itself, re-executes
# it (image 2) and names itself runc:[0:PARENT]. Looked up late, it is in the container's cgroup and its exe
# reads "/" (the copy's mount is gone); bpftrace's per-CPU buffers may hand its lines over in either order.
RUNC_INIT = ["101 0 1 165 0 exe", "101 0 1 166 0 exe", "101 0 2 56 0 runc:[0:PARENT]"]


@pytest.mark.parametrize("order", ["as made", "rename first"])
def test_what_runc_init_did_before_it_named_itself_is_taken_out(tmp_path, order):
    collector = collector_with(tmp_path, {101: (IN_CONTAINER, "/"), 102: (IN_CONTAINER, "/bin/busybox")})
    lines = RUNC_INIT if order == "as made" else RUNC_INIT[-1:] + RUNC_INIT[:-1]
    collector.add("102 0 1 165 0 mount")      # the workload's own mount stays
    for line in lines:
        collector.add(line)
    collector.add("102 0 1 272 0 unshare")
    assert traced(collector) == [("/bin/busybox", 165, 1), ("/bin/busybox", 272, 1)]


def test_a_container_process_that_execs_keeps_what_each_of_its_images_did(tmp_path):
    """Only runc's own re-exec is taken out: a workload that execs, or names itself, keeps its calls, and a call
    the runtime and the workload both made stays the workload's."""
    collector = collector_with(tmp_path, {101: (IN_CONTAINER, "/"), 102: (IN_CONTAINER, "/"),
                                          103: (IN_CONTAINER, "/bin/busybox")})
    for line in ["102 0 0 165 0 sh", "102 0 1 165 0 mount", "102 0 1 166 0 worker",
                 "101 0 1 165 0 exe", "101 0 2 56 0 runc:[0:PARENT]", "103 0 1 165 0 mount"]:
        collector.add(line)
    assert traced(collector) == [("/", 165, 1), ("/", 166, 1), ("/bin/busybox", 165, 1)]


def test_a_reused_pid_is_not_runc_for_its_earlier_generation(tmp_path):
    """runc's init that got a pid names itself in its own generation: the pid's earlier process keeps its calls."""
    collector = collector_with(tmp_path, {101: (IN_CONTAINER, "/")})
    collector.add("101 0 1 165 0 mount")      # an earlier process with pid 101, since exited
    collector.add("101 1 1 166 0 exe")
    collector.add("101 1 2 56 0 runc:[0:PARENT]")
    assert traced(collector) == [("/", 165, 1)]
