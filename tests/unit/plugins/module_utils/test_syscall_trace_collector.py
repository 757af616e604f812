"""syscall_trace's collector: which traced calls are the workload's."""

from ansible_collections.k8s.seccomp_default.plugins.module_utils import syscall_trace


def test_the_runtime_setting_a_container_up_is_not_its_workload(tmp_path):
    """runc 1.1's `runc init` bind-mounts and unmounts a sealed copy of itself before it names itself runc:[0:PARENT],
    sometimes inside the container's cgroup: its mount and umount2 are not the workload's (seen in the demo)."""
    collector = syscall_trace.Collector(str(tmp_path / "state.json"), [])
    owners = {101: ({"attribution": "container", "container_id": "c1"}, "/usr/sbin/runc"),
              102: ({"attribution": "container", "container_id": "c1"}, "/bin/busybox")}
    collector.owner = lambda pid, generation=0: owners[pid]
    collector.add("101 0 165 0 runc")       # mount, by runc before it renamed itself
    collector.add("101 0 166 0 exe")        # umount2
    collector.add("102 0 272 0 unshare")    # unshare, by the workload
    collector.add("103 0 165 0 runc:[2:INIT]")
    assert [(entry["exe"], entry["syscall_nr"]) for entry in collector.entries.values()] == [("/bin/busybox", 272)]
