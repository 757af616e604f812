"""restart_containers on a lab node: a container restarted twice within the kubelet's back-off window (the audit's
restart, then enforcement's) gets its successor without a CrashLoopBackOff, because the stopped instance is removed
(the kubelet backs off only while an exited instance exists); with remove_stopped=false the kubelet backs off."""

import json

import yaml

from lib.ansible_run import run_playbook

NODE = {"name": "restart", "nodes": [{"name": "restart-01", "version": "1.30.14", "runtime": "containerd",
                                      "layout": "dropin", "workloads": ["common"]}]}


def restart_twice(tmp_path, inventory, remove_stopped):
    results = tmp_path / ("results-%s.json" % remove_stopped)
    playbook = [{"hosts": "all", "gather_facts": False, "tasks": [
        {"ansible.builtin.command": "crictl ps -o json", "register": "ps", "changed_when": False},
        {"ansible.builtin.set_fact": {"targets": "{{ (ps.stdout | from_json).containers | map(attribute='labels') | list }}"}},
        {"ansible.builtin.set_fact": {"wanted": "{{ wanted | default([]) + [{'pod_uid': item['io.kubernetes.pod.uid'], "
                                                "'container': item['io.kubernetes.container.name']}] }}"},
         "loop": "{{ targets }}"},
        {"k8s.seccomp_default.restart_containers": {"containers": "{{ wanted }}", "remove_stopped": remove_stopped},
         "register": "first"},
        {"k8s.seccomp_default.restart_containers": {"containers": "{{ wanted }}", "remove_stopped": remove_stopped},
         "register": "second"},
        {"ansible.builtin.command": "crictl ps -a -o json", "register": "after", "changed_when": False},
        {"ansible.builtin.command": "journalctl -u kubelet --no-pager", "register": "journal", "changed_when": False},
        {"ansible.builtin.copy": {"dest": str(results), "content": "{{ {'first': first, 'second': second, "
                                  "'after': after.stdout | from_json, 'journal': journal.stdout} | to_json }}"},
         "delegate_to": "localhost"},
    ]}]
    path = tmp_path / ("restart-%s.yml" % remove_stopped)
    path.write_text(yaml.safe_dump(playbook))
    run = run_playbook(str(path), inventory, tmp_path)
    assert run.returncode == 0, run.stdout[-3000:]
    return json.loads(results.read_text())


def test_a_second_restart_does_not_wait_out_the_back_off(make_fleet, tmp_path):
    state = make_fleet(NODE)
    seen = restart_twice(tmp_path, state["inventory"], True)
    first, second = seen["first"], seen["second"]
    assert first["restarted"] and len(second["restarted"]) == len(first["restarted"])
    # The instances that were stopped are gone; their successors run.
    stopped = set(entry["old_id"] for entry in first["restarted"] + second["restarted"])
    assert set(second["removed"]) == set(entry["old_id"] for entry in second["restarted"])
    left = set(container["id"] for container in seen["after"]["containers"])
    assert not stopped & left
    assert set(entry["new_id"] for entry in second["restarted"]) <= left
    # The kubelet never backed off: it had no exited instance to back off from.
    assert "CrashLoopBackOff" not in seen["journal"]

    kept = restart_twice(tmp_path, state["inventory"], False)
    assert kept["second"]["removed"] == []
    assert set(entry["old_id"] for entry in kept["second"]["restarted"]) <= set(c["id"] for c in kept["after"]["containers"])
    # Kept, the stopped instance makes the kubelet back off before the second successor starts.
    assert "CrashLoopBackOff" in kept["journal"]
