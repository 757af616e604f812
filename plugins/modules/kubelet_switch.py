#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: kubelet_switch
short_description: Turn seccompDefault on with one kubelet restart, checked, recorded, and put back if anything fails
version_added: 0.6.0
description:
  - Does in one task what the rollout's switch did in five - optionally points CRI-O's RuntimeDefault at
    O(complain_profile) (complain mode, as M(k8s.seccomp_default.crio_default_profile) with C(state=present)), writes
    the kubelet configuration with O(seccomp_default) and the C(SeccompDefault) gate right for the version (as
    M(k8s.seccomp_default.kubelet_config)), records on the node that the stage is C(in progress) with the files'
    backups (as M(k8s.seccomp_default.rollout_state)), restarts the kubelet and waits until C(/healthz) is stable (as
    M(k8s.seccomp_default.kubelet_health) with C(restart=true)), and reads C(/configz) from the kubelet's API to check
    that the kubelet runs with C(seccompDefault) and C(featureGates.SeccompDefault) as written (as
    M(k8s.seccomp_default.kubelet_read) with C(expect)).
  - Everything is read and checked before the first write - the CRI-O files and O(complain_profile), every kubelet file,
    the state file of O(record), and that C(systemctl) is there when CRI-O must be reloaded or the kubelet restarted. Bad
    input fails the task naming the file, the field and the value, with nothing changed.
  - The kubelet is restarted only when a file it reads at start changed (RV(restart_needed)), and C(/configz) is
    checked only after such a restart. Nothing is recorded when nothing changed.
  - When a step fails after the first write - a write, CRI-O's reload, the record, the restart, a kubelet that does not
    become healthy, or a C(/configz) that differs - everything is put back before the task fails. The kubelet files go
    back byte for byte (as M(k8s.seccomp_default.kubelet_config) with C(restore) does), the kubelet is restarted with them and waited
    for when it had been restarted (tolerantly - the result says whether it is healthy again), and CRI-O's drop-in goes
    back exactly as it was (as C(crio_default_profile) with C(state=absent)). The task then fails with RV(files),
    RV(restored), RV(healthy_after_restore) and RV(error); its message names the step that failed, with the
    kubelet's own error text when it was not healthy.
  - With O(restart_containers) (in complain mode, the containers that are to run under the logging profile), those
    containers are restarted with the kubelet - stopped and removed right after its restart, so that the kubelet
    creates them again under the new configuration as it comes up and proves stable - and their successors are waited
    for before the task ends. A successor that exits at once or does not run in time fails the task, and is put
    back like any other failure. After a failure, the containers restarted are restarted once more when everything
    else is back, so that they run as they did. Without a kubelet restart they are restarted after the writes.
  - With O(audit), the audit is ended first (in the rollout, containerd's observe-mode audit), and the switch is made
    only where it passed.
  - The C(in progress) record is left on the node after such a failure, on purpose - the rollout's next run sees it
    (M(k8s.seccomp_default.rollout_state) says C(recover)) and puts back whatever this task could not.
options:
  seccomp_default:
    description:
      - The wanted C(seccompDefault).
    type: bool
    default: true
  complain_profile:
    description:
      - The profile CRI-O's RuntimeDefault should mean during the audit, such as
        C(/var/lib/kubelet/seccomp/kubernetes/default-audit.json). Omit it to leave CRI-O alone (containerd, or
        enforcement).
    type: path
  record:
    description:
      - Where and how to record, when anything changed, that the stage is C(in progress), with the kubelet files'
        backups (RV(files)) and O(record.targets) as its details. Omit it to record nothing.
    type: dict
    suboptions:
      path:
        description: The state file on the node.
        type: path
        default: /var/lib/k8s-seccomp-default/rollout-state.json
      stage:
        description: The stage this switch belongs to.
        type: str
        choices: [feature_gate, audit, enforce]
        required: true
      run_id:
        description: The run that records it.
        type: str
      targets:
        description: The containers to restart or recreate after the switch, kept for a recovery.
        type: list
        elements: dict
        default: []
  url:
    description:
      - The kubelet's health endpoint (the C(seccomp_node.kubelet.healthz.url) fact).
    type: str
    default: http://127.0.0.1:10248/healthz
  timeout:
    description:
      - Seconds to wait for the restarted kubelet in all.
    type: int
    default: 120
  stable_seconds:
    description:
      - Seconds C(/healthz) must keep answering C(ok) after the restart.
    type: int
    default: 3
  unit:
    description:
      - The kubelet's systemd unit.
    type: str
    default: kubelet.service
  verify_configz:
    description:
      - After a restart, read C(/configz) from the kubelet's API with O(client_cert) and check C(seccompDefault) and
        C(featureGates.SeccompDefault). Turn it off on a node without such a certificate, and check through the API
        server instead (M(k8s.seccomp_default.kubelet_read) with C(via=api_server), from the controller).
    type: bool
    default: true
  kubelet_host:
    description:
      - Where the kubelet's API answers.
    type: str
    default: 127.0.0.1
  kubelet_port:
    description:
      - The kubelet's API port.
    type: int
    default: 10250
  ca_path:
    description:
      - CA that signed the kubelet's serving certificate; without it the certificate is not verified.
    type: path
  restart_containers:
    description:
      - Containers to restart once the kubelet runs with what was written - each C(pod_uid) (or C(namespace) and
        C(pod)) and C(container) (its name). Each stopped instance is removed, so that the kubelet does not back off
        (see M(k8s.seccomp_default.restart_containers)); their successors must run within O(timeout). A container
        with no running instance is listed in RV(not_running) and left alone. The C(crictl) listing is read and
        checked before the first write.
    type: list
    elements: dict
    default: []
attributes:
  check_mode:
    support: full
    description: Computes and reports the same changes (RV(files), RV(feature_gate), the diff; C(changed) when
      something would change), and writes, records, reloads and restarts nothing. A O(complain_profile) that does not
      exist yet is a warning, and CRI-O's drop-in is shown as it would be written.
  diff_mode:
    support: full
    description: Shows each kubelet file and the CRI-O drop-in before and after.
notes:
  - The restart, the health wait and the C(/configz) check need a real kubelet; they are covered by the integration
    tests, the rest by the unit tests.
  - After a failure, the C(in progress) record stays on the node; the next run of the rollout recovers from it. What
    this task put back is in RV(restored); a file it could not put back (edited meanwhile) is named in RV(error).
author:
  - k8s.seccomp_default contributors (@k8s-seccomp-default)
extends_documentation_fragment:
  - k8s.seccomp_default.kubelet_layout
  - k8s.seccomp_default.kubelet_client
  - k8s.seccomp_default.crio_complain
  - k8s.seccomp_default.cri
  - k8s.seccomp_default.audit_end
"""

EXAMPLES = r"""
- name: Complain mode on CRI-O - seccompDefault on, RuntimeDefault logging, one restart
  k8s.seccomp_default.kubelet_switch:
    version: "{{ seccomp_node.kubelet.version }}"
    config: "{{ seccomp_node.kubelet.config }}"
    config_dir: "{{ seccomp_node.kubelet.config_dir }}"
    env_files: "{{ seccomp_node.kubelet.env_files }}"
    environment: "{{ seccomp_node.kubelet.environment }}"
    kubeadm: "{{ seccomp_node.kubelet.kubeadm }}"
    complain_profile: "{{ seccomp_node.kubelet.root_dir }}/seccomp/kubernetes/default-audit.json"
    crio_state_dir: /var/lib/k8s-seccomp-default/crio
    url: "{{ seccomp_node.kubelet.healthz.url }}"
    record:
      path: /var/lib/k8s-seccomp-default/rollout-state.json
      stage: audit
      run_id: "{{ seccomp_run_id }}"
      targets: "{{ seccomp_node_pods.targets }}"
  register: seccomp_switch

- name: Enforce on a worker without the kubelet client certificate; /configz is checked through the API server
  k8s.seccomp_default.kubelet_switch:
    version: 1.30.4
    config: /var/lib/kubelet/config.yaml
    kubeadm: true
    verify_configz: false
    record:
      stage: enforce
"""

RETURN = r"""
switched:
  description: Whether the switch was made (or, in check mode, would be) - false only where O(audit) kept it from it.
  returned: always
  type: bool
audit:
  description:
    - What M(k8s.seccomp_default.audit_window) returns with C(state=stopped) in O(audit.mode), with the audit's
      C(decision); with C(failed), C(msg) and C(done) where the audit could not be ended.
  returned: when O(audit) is given
  type: dict
files:
  description:
    - One entry per kubelet file written or left unchanged, as M(k8s.seccomp_default.kubelet_config) returns them (C(path),
      C(state), C(backup), C(before_sha256), C(after_sha256), C(read_by_kubelet), C(mode), C(uid), C(gid)); give it
      to C(kubelet_config)'s C(restore) to put them back.
  returned: always
  type: list
  elements: dict
feature_gate:
  description: The C(SeccompDefault) gate entry (null when absent) before and after, and where it was removed from.
  returned: success
  type: dict
  sample: {before: true, after: null, removed_from: []}
seccomp_default:
  description: The effective C(seccompDefault) before and after, and C(config_after), what C(/configz) shows.
  returned: success
  type: dict
  sample: {before: false, after: true, config_after: true}
method:
  description: The method used for the kubelet files.
  returned: success
  type: str
  sample: drop_in
reason:
  description: Why the method was chosen.
  returned: success
  type: str
lasting:
  description: Whether the change survives what rewrites the kubelet config later (C(survives), C(note)).
  returned: success
  type: dict
restart_needed:
  description: Whether a file the kubelet reads at start changed (and so the kubelet was, or in check mode would be,
    restarted).
  returned: always
  type: bool
restarted_at:
  description: When the kubelet was restarted (UTC), or null.
  returned: success
  type: str
healthy_at:
  description: When the restarted kubelet had been healthy for O(stable_seconds) (UTC), or null.
  returned: success
  type: str
crio:
  description:
    - With O(complain_profile), what was done to CRI-O - C(changed), C(drop_in), C(seccomp_profile) (as CRI-O merges it
      now), C(seccomp_profile_source) and C(reloaded). Null without O(complain_profile).
  returned: success
  type: dict
recorded:
  description: Whether the C(in progress) record was written (or in check mode would be).
  returned: success
  type: bool
configz:
  description:
    - The fields of C(/configz) that were checked (C(expect)), and C(source), where it was read and as whom. Null when
      nothing was checked (no restart, check mode, or O(verify_configz=false)).
  returned: success
  type: dict
  sample: {expect: {seccompDefault: true, featureGates.SeccompDefault: null}, source: "client certificate at https://127.0.0.1:10250"}
restarted:
  description:
    - The containers of O(restart_containers) restarted - C(namespace), C(pod), C(container), C(old_id), C(new_id)
      (null in check mode, or when the task failed before their successors ran).
  returned: always
  type: list
  elements: dict
not_running:
  description: The containers of O(restart_containers) that had no running instance.
  returned: always
  type: list
  elements: dict
restarted_again:
  description: After a failure, the containers restarted once more so that they run as they did.
  returned: on failure, when containers had been restarted
  type: list
  elements: dict
restored:
  description: The paths put back after a failure - kubelet files and the CRI-O drop-in.
  returned: on failure after a write
  type: list
  elements: str
healthy_after_restore:
  description:
    - After a failure, whether the kubelet answers C(/healthz) with what was put back (restarted and waited for when it
      had been restarted, else asked once).
  returned: on failure after a write
  type: bool
error:
  description: What failed, as text, with what could not be put back, if anything.
  returned: on failure
  type: str
journal:
  description: The last lines of the kubelet's journal when it was not healthy after the restart.
  returned: when the kubelet was not healthy
  type: list
  elements: str
differences:
  description: Each field of C(/configz) that differs from what was written.
  returned: when C(/configz) differs
  type: list
  elements: str
"""

import traceback

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.k8s.seccomp_default.plugins.module_utils import (
    audit_options, cri, crio_complain, errors, kube_api, kubelet_configz, kubelet_files, kubelet_service, health, restarts,
    state_file)
from ansible_collections.k8s.seccomp_default.plugins.module_utils.rollout_state import STAGES

RECORD_KEYS = ("path", "stage", "run_id", "targets")


class StepFailed(Exception):
    """A step after the first write failed: ``msg`` says which and why; ``fields`` go into the result."""

    def __init__(self, msg, **fields):
        super(StepFailed, self).__init__(msg)
        self.msg = msg
        self.fields = fields


def check_record(record):
    """The ``record`` option, checked and with its defaults, or None."""
    if record is None:
        return None
    unknown = sorted(set(record) - set(RECORD_KEYS))
    if unknown:
        raise errors.InputError("has keys this module does not take", field="record", value=unknown[0],
                                expected=", ".join(RECORD_KEYS))
    if record.get("stage") not in STAGES:
        raise errors.InputError("is not a stage", field="record.stage", value=record.get("stage"),
                                expected="one of %s" % ", ".join(STAGES))
    path = record.get("path") or state_file.PATH
    if not isinstance(path, str) or not path.startswith("/") or "\0" in path:
        raise errors.InputError("is not an absolute path", field="record.path", value=path, expected="the state file on the node")
    run_id = record.get("run_id")
    if run_id is not None and not isinstance(run_id, str):
        raise errors.InputError("is not a string", field="record.run_id", value=run_id)
    targets = record.get("targets") or []
    if not isinstance(targets, list) or not all(isinstance(target, dict) for target in targets):
        raise errors.InputError("is not a list of mappings", field="record.targets", value=targets,
                                expected="the containers to restart, as kubelet_read's targets")
    return dict(path=path, stage=record["stage"], run_id=run_id, targets=targets)


def audit_window():
    """module_utils/audit_window, imported where the switch ends the audit: only then is it compiled."""
    from ansible_collections.k8s.seccomp_default.plugins.module_utils import audit_window as window
    return window


def check_params(params):
    kubelet_service.check_params(params, ("timeout", "stable_seconds"))
    restarts.wanted_containers(params["restart_containers"], "restart_containers")
    if params["verify_configz"]:
        kubelet_configz.check_host(params["kubelet_host"], params["kubelet_port"])
    return check_record(params["record"])


def crio_params(params):
    return crio_complain.params_from(params, "present", params["complain_profile"])


def systemctl(module):
    path = module.get_bin_path("systemctl")
    if not path:
        raise errors.InputError("systemctl is not on this node's PATH, and the kubelet must be restarted (or CRI-O "
                                "reloaded) for the change to take effect; nothing was changed")
    return path


class Switch:
    """One switch: everything prepared (checked) first, then done step by step, and put back if a step fails."""

    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.record = None  # the record option, checked (check_params)
        self.result = kubelet_files.new_result()
        self.result.update(restarted_at=None, healthy_at=None, crio=None, recorded=False, configz=None, restarted=[],
                           not_running=[], switched=True)
        self.crio = None  # (result, step) of crio_complain.prepare
        self.crio_started = False
        self.restart_tried = False
        self.state = None  # (bytes, state) of the state file
        self.crictl, self.chosen = None, []  # restart_containers: crictl and the running containers to restart
        self.restarting = None  # their restart (restarts.Restart), once begun

    def prepare(self):
        module, params = self.module, self.params
        if params["complain_profile"]:
            self.crio = crio_complain.prepare(module, crio_params(params))
        self.plan, self.steps = kubelet_files.prepare(module, params, params["seccomp_default"])
        if params["restart_containers"]:
            self.crictl = cri.Crictl.for_module(module)
            self.chosen, not_running = restarts.plan(self.crictl, params["restart_containers"])
            self.result.update(restarted=restarts.planned(self.chosen), not_running=not_running)
        crio_changes = bool(self.crio and self.crio[0]["changed"])
        self.changing = kubelet_files.changes(self.steps) or crio_changes
        restarting = any(entry["read_by_kubelet"] and entry["state"] not in ("unchanged", "absent")
                         for entry, _target, _before, _content in self.steps)
        if self.record and self.changing:
            path = self.record["path"]
            before, state, edited = state_file.read_warned(module, path)
            if edited:
                raise state_file.edited_refusal(path, [dict(stage=self.record["stage"], result="in progress")])
            self.state = (before, state)
        if not module.check_mode and (restarting or (crio_changes and params["crio_reload"])):
            systemctl(module)

    def crio_result(self):
        if not self.crio:
            return None
        crio = self.crio[0]
        return dict((key, crio.get(key)) for key in ("changed", "drop_in", "seccomp_profile", "seccomp_profile_source",
                                                     "reloaded"))

    def audit_passed(self):
        """The audit ended (O(audit)): whether it passed. Where it did not, or could not be ended, the result says so
        and nothing else is done."""
        params = self.params
        window = audit_window()
        audit = window.in_step(self.module, window.close, params["audit"]["mode"],
                               dict(params["audit"], crictl=params["crictl"], runtime_endpoint=params["runtime_endpoint"]))
        self.result["audit"] = audit
        if not audit.get("failed") and audit["decision"]["passed"]:
            return True
        self.result.update(changed=audit["changed"], switched=False)
        return False

    def run(self):
        module, result = self.module, self.result
        # The audit ends first, as its own step did before the switch: its tracer is stopped whatever the switch finds.
        if self.params["audit"] is not None and not self.audit_passed():
            module.exit_json(**result)
        try:
            self.record = check_params(self.params)
            self.prepare()
        except errors.InputError as exc:  # with the audit's end, where it was ended here
            ended = {"audit": result["audit"]} if "audit" in result else {}
            module.fail_json(msg=str(exc), error=exc.details(), **ended)
        if module.check_mode:
            kubelet_files.commit(module, self.plan, self.steps, result, self.params["backup"])
            self.finish()
            module.exit_json(**result)
        step = "the first write"
        try:
            if self.crio:
                step = "complain mode on CRI-O"
                self.crio_started = True
                crio_complain.commit(module, *self.crio)
            step = "writing the kubelet configuration"
            kubelet_files.commit(module, self.plan, self.steps, result, self.params["backup"])
            if self.record and self.changing:
                step = "recording the stage in %s" % self.record["path"]
                self.write_record()
            if result["restart_needed"]:
                step = "restarting the kubelet"
                self.restart()
                if self.params["verify_configz"]:
                    step = "checking /configz"
                    self.verify()
            if self.chosen:
                step = "restarting the containers"
                self.restart_containers()
        except StepFailed as exc:
            self.roll_back(exc.msg, exc.fields)
        except kubelet_files.WriteFailed as exc:
            self.roll_back("%s failed: %s" % (step, exc.named), dict(error_details=exc.named.details()))
        except (crio_complain.ReloadFailed, kubelet_service.RestartFailed) as exc:
            self.roll_back("%s failed: %s" % (step, exc.msg), {})
        except restarts.RestartError as exc:
            self.roll_back("%s failed: %s" % (step, exc), dict(error_details=exc.details()))
        except errors.InputError as exc:
            self.roll_back("%s failed: %s" % (step, exc), dict(error_details=exc.details()))
        except Exception as exc:  # pylint: disable=broad-except  # whatever failed after a write, put everything back
            self.roll_back("%s failed: %s: %s" % (step, type(exc).__name__, exc), dict(exception=traceback.format_exc()))
        self.finish()
        module.exit_json(**result)

    def finish(self):
        result = self.result
        crio = self.crio_result()
        if crio and crio["changed"]:
            result["changed"] = True
            result["diff"].append(self.crio[0]["diff"])
        result["crio"] = crio
        result["recorded"] = result["recorded"] or bool(self.module.check_mode and self.record and self.changing)
        result.update(kubelet_files.summary(self.plan))

    def write_record(self):
        before, state = self.state
        details = dict(files=self.result["files"], targets=self.record["targets"])
        writes = [dict(stage=self.record["stage"], result="in progress", details=details)]
        state, changed = state_file.record_all(state, writes, self.record["run_id"], self.record["path"], False)
        if changed:
            state_file.write_state(self.record["path"], before, state_file.dumps(state))
        self.result["recorded"] = changed

    def begin_containers(self, answered):
        """Called at each look at /healthz after the kubelet's restart: the containers are stopped and removed at the
        first look - the kubelet, coming up, creates them again at its first sync - and their successors are looked for
        at each answer after it, while the kubelet proves stable."""
        if not self.chosen:
            return
        if self.restarting is None:
            self.begin_restart()
        elif answered and self.restarting.waiting:
            self.restarting.check()

    def begin_restart(self):
        self.restarting = restarts.Restart(self.crictl, self.chosen)
        self.restarting.begin()

    def restart_containers(self):
        """The successors, waited for (the restart begun while the kubelet proved stable, or now)."""
        if self.restarting is None:
            self.begin_restart()
        self.result.update(self.restarting.wait(self.params["timeout"]))

    def restart(self):
        params, result = self.params, self.result
        self.restart_tried = True
        waited = kubelet_service.restart_and_wait(self.module, params["url"], params["timeout"], params["stable_seconds"],
                                                  params["unit"], each=self.begin_containers)
        result.update(restarted_at=waited["restarted_at"], healthy_at=waited["healthy_at"])
        if not waited["healthy"]:
            raise StepFailed("kubelet is not healthy: %s" % waited["error"], journal=waited["journal"],
                             service=waited["service"])

    def verify(self):
        params = self.params
        expect = {"seccompDefault": self.plan["after"].get("seccompDefault") is True,
                  "featureGates.SeccompDefault": self.plan["gate_after"]}
        credentials = kubelet_configz.kubelet_credentials(params["kubelet_host"], params["kubelet_port"],
                                                          params["client_cert"], params["client_key"], params["ca_path"])
        document = kubelet_configz.read_configz(credentials)
        wrong = kubelet_configz.differences(document, expect)
        if wrong:
            raise StepFailed(kubelet_configz.mismatch_message(wrong), differences=wrong)
        self.result["configz"] = dict(expect=expect, source=credentials.describe())

    def roll_back(self, what, fields):
        """Put everything back after ``what`` failed, and fail the task saying what was and was not put back."""
        module, params = self.module, self.params
        restored, problems, healthy = [], [], None
        undo = kubelet_files.new_result()
        try:
            kubelet_files.restore(module, self.result["files"], undo)
            restored.extend(entry["path"] for entry in undo["files"] if entry["state"] == "restored")
        except kubelet_files.WriteFailed as exc:
            restored.extend(entry["path"] for entry in undo["files"][:-1] if entry["state"] == "restored")
            problems.append("the kubelet files could not all be put back: %s" % exc.msg)
        except Exception as exc:  # pylint: disable=broad-except  # keep putting back what can be
            problems.append("the kubelet files could not be put back: %s" % exc)
        if self.restart_tried and undo["restart_needed"]:
            try:
                waited = kubelet_service.restart_and_wait(module, params["url"], params["timeout"], params["stable_seconds"],
                                                          params["unit"])
                healthy = waited["healthy"]
                if not healthy:
                    problems.append("the kubelet is not healthy with its previous configuration either: %s" % waited["error"])
            except kubelet_service.RestartFailed as exc:
                healthy = False
                problems.append("restarting the kubelet with its previous configuration failed: %s" % exc.msg)
            except Exception as exc:  # pylint: disable=broad-except
                healthy = False
                problems.append("restarting the kubelet with its previous configuration failed: %s" % exc)
        else:
            healthy = health.healthz(params["url"])
        if self.crio_started:
            crio = dict(crio_params(params), state="absent")
            try:
                left = crio_complain.complain_mode(module, crio)
                if left["changed"]:
                    restored.append(crio["drop_in"])
            except crio_complain.ReloadFailed as exc:
                restored.append(crio["drop_in"])
                problems.append("CRI-O's drop-in was put back, but %s" % exc.msg)
            except Exception as exc:  # pylint: disable=broad-except
                problems.append("CRI-O's drop-in could not be put back: %s" % exc)
        again = []
        if self.restarting is not None:
            # They were created again under what was written: once more, so that they run as they did.
            try:
                chosen, _not_running = restarts.plan(self.crictl, [restarts.identity(c) for c in self.chosen])
                again = restarts.restart(self.crictl, chosen, params["timeout"])["restarted"]
            except Exception as exc:  # pylint: disable=broad-except  # crictl's failure or any other: the rest is put back
                problems.append("the containers restarted could not be restarted once more: %s" % exc)
            self.result["restarted_again"] = again
            if self.restarting.restarted:
                self.result["restarted"] = self.restarting.restarted
        error = what + ("; " + "; ".join(problems) if problems else "")
        back = "everything was put back" if not problems else "not everything could be put back"
        if self.record and self.result["recorded"]:
            back += " (the in-progress record in %s stays, for the next run to recover from)" % self.record["path"]
        health_words = "" if healthy is None else ("; the kubelet is healthy" if healthy else "; the kubelet is NOT healthy")
        self.finish()
        result = dict(self.result, restored=restored, healthy_after_restore=bool(healthy), error=error)
        result.update(fields)
        module.fail_json(msg="kubelet_switch: %s; %s%s" % (error, back, health_words), **result)


def switch(module):
    Switch(module).run()


def main():
    module = AnsibleModule(
        argument_spec=dict(
            kubelet_files.LAYOUT_SPEC,
            seccomp_default=dict(type="bool", default=True),
            complain_profile=dict(type="path"),
            record=dict(type="dict", options=dict(
                path=dict(type="path", default=state_file.PATH),
                stage=dict(type="str", choices=list(STAGES), required=True),
                run_id=dict(type="str"),
                targets=dict(type="list", elements="dict", default=[]),
            )),
            url=dict(type="str", default=kubelet_service.URL),
            timeout=dict(type="int", default=120),
            stable_seconds=dict(type="int", default=3),
            unit=dict(type="str", default=kubelet_service.UNIT),
            verify_configz=dict(type="bool", default=True),
            kubelet_host=dict(type="str", default="127.0.0.1"),
            kubelet_port=dict(type="int", default=10250),
            ca_path=dict(type="path"),
            restart_containers=dict(type="list", elements="dict", default=[]),
            audit=dict(type="dict", options=audit_options.CLOSE_SPEC),
            **dict(dict(kube_api.KUBELET_CLIENT_SPEC, **crio_complain.ARGUMENT_SPEC), **cri.ARGUMENT_SPEC)
        ),
        supports_check_mode=True,
    )
    errors.run_module(module, switch)


if __name__ == "__main__":
    main()
