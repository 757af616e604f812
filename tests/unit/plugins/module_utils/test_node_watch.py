"""Stage 3's watch: which containers count as restarted or stopped, and which kernel records stop a workload."""

from ansible_collections.k8s.seccomp_default.plugins.module_utils import node_watch

SINCE = 1_700_000_000_000_000_000


def container(cid, created, state="CONTAINER_RUNNING", pod="web", name="app"):
    return {"id": cid, "createdAt": str(created), "state": state, "metadata": {"name": name},
            "labels": {"io.kubernetes.pod.namespace": "default", "io.kubernetes.pod.name": pod,
                       "io.kubernetes.container.name": name}}


def test_recreated_and_verified_containers_are_the_baseline():
    listing = [container("old", SINCE - 5, state="CONTAINER_EXITED"), container("new", SINCE + 5)]
    assert not node_watch.restarted(listing, SINCE, ["new"])


def test_a_container_the_kubelet_started_again_counts():
    listing = [container("new", SINCE + 5, state="CONTAINER_EXITED"), container("again", SINCE + 9)]
    assert node_watch.restarted(listing, SINCE, ["new"]) == ["default/web/app"]


def test_a_container_that_crashed_before_it_was_verified_counts():
    listing = [container("crashed", SINCE + 5, state="CONTAINER_EXITED", pod="db", name="pg")]
    assert node_watch.restarted(listing, SINCE, []) == ["default/db/pg"]


def test_containers_older_than_the_watch_that_are_not_watched_are_left_alone():
    listing = [container("done-job", SINCE - 100, state="CONTAINER_EXITED", pod="job"), container("keep", SINCE - 50)]
    assert not node_watch.restarted(listing, SINCE, ["keep"])


def test_only_a_containers_stopped_or_unlogged_syscall_is_a_stop():
    entries = [dict(attribution="container", action="log", namespace="default", pod="web", container="app", syscall="read"),
               dict(attribution="container", action="kill_process", namespace="default", pod="web", container="app",
                    syscall="unshare"),
               dict(attribution="host", action="kill_process", syscall="ptrace")]
    stops = node_watch.kernel_stops(entries)
    assert [entry["syscall"] for entry in stops] == ["unshare"]
    assert node_watch.describe_stops(stops) == "default/web/app unshare kill_process"


def test_running_is_any_state_module_utils_cri_calls_running():
    listing = [container("kept", SINCE + 5, state="RUNNING"), container("gone", SINCE + 5, state="CONTAINER_EXITED", pod="db")]
    assert node_watch.restarted(listing, SINCE, ["kept", "gone"]) == ["default/db/app"]
