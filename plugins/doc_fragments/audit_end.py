# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # The option audit of the modules whose step goes on only where the audit passed (kubelet_switch,
    # enforce_containers): module_utils/audit_options.CLOSE_SPEC, run by module_utils/audit_window.
    DOCUMENTATION = r"""
options:
  audit:
    description:
      - End the audit first, and go on only where it passed. Before anything else - as the audit's own step before
        this one would - the audit's window is closed and the audit decided, as M(k8s.seccomp_default.audit_window)
        does with C(state=stopped) and C(pods), with the same code and files, so that its tracer is stopped whatever
        this task then finds. This saves the rollout a step where nothing has to come between the audit's end and
        this task's step (no drain, no steps of the site's).
      - Where the audit did not pass (C(decision.passed) of RV(audit) is false), or could not be ended (RV(audit) has
        C(failed) and C(msg)), nothing else is done - RV(switched) is false - and the task does not fail, so that the
        audit's result can be recorded. Where this task fails after the audit passed, RV(audit) comes with the failure.
      - The window's tracer, the kernel's records and C(crictl) are as M(k8s.seccomp_default.audit_window) uses them;
        O(crictl) and O(runtime_endpoint) are this module's.
    type: dict
    suboptions:
      mode:
        description: The audit's mode - V(observe) (a trace), or V(complain) (the kernel's records).
        type: str
        choices: [observe, complain]
        required: true
      profile:
        description: The profile the containers get (kubernetes/default.json), which the trace is judged against.
        type: path
        required: true
      state_dir:
        description: The rollout's state directory on the node, where the window's files are, as
          O(k8s.seccomp_default.audit_window#module:state_dir).
        type: path
        default: /var/lib/k8s-seccomp-default
      pods:
        description: The node's pods (a C(PodList)), which decide whose calls count, as
          O(k8s.seccomp_default.audit_window#module:pods).
        type: dict
        required: true
      kubelet_root_dir:
        description: The kubelet's root directory, where its Localhost profiles are.
        type: path
        default: /var/lib/kubelet
"""
