# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: seccomp_stage_records
short_description: A rollout stage's records for the run's report and the node's state, from the variables the roles registered
version_added: 0.6.0
description:
  - Builds what a stage of the rollout records about a node - its record in the run's report
    (M(k8s.seccomp_default.rollout_report), C(docs/rollout-report.schema.json)) and its entries in the node's state
    (M(k8s.seccomp_default.rollout_state) C(records)) - from the variables the roles registered, given by their names
    in O(facts). The roles pass C(seccomp_record_facts) (roles/core/vars/main.yml), which gathers them all.
  - A variable that is absent or null in O(facts) counts as not set; where the stage can do without it, the value a
    record gets is the one the roles always gave (C(restarted) is V([]) without C(seccomp_audit_restarted), C(error) is
    null without C(seccomp_enforce_error)).
  - Values have the types the report's schema requires - booleans, integers, lists and null, not their text - and
    every record is checked as the report will read it. A variable the stage needs that is not set, or a value of the
    wrong shape, fails naming the variable's field and the value found.
positional: _input, facts, what
options:
  _input:
    description: The stage.
    type: str
    choices: [preflight, feature_gate, audit, enforce]
    required: true
  facts:
    description:
      - The variables, by their names - C(inventory_hostname), C(ansible_check_mode), C(seccomp_node),
        C(seccomp_node_state) (with its C(plan)), C(seccomp_node_pods), the settings C(seccomp_report_dir),
        C(seccomp_audit_soak), C(seccomp_enforce_watch), C(seccomp_enforce_watch_kernel), C(seccomp_enforce_recreate),
        and the task results and facts of the stages - C(seccomp_preflight_problems); C(seccomp_feature_gate),
        C(seccomp_feature_gate_error), C(seccomp_feature_gate_restore), C(seccomp_kubelet_healthy); C(seccomp_switch),
        C(seccomp_recovered), C(seccomp_recovered_crio); C(seccomp_audit_record), C(seccomp_audit_handover),
        C(seccomp_audit_restarted), C(seccomp_audit_scan), C(seccomp_audit_trace), C(seccomp_audit_crio_restore),
        C(seccomp_audit_kubelet_restore); C(seccomp_enforce_error), C(seccomp_enforce_restarted)
        (M(k8s.seccomp_default.enforce_containers)), C(seccomp_enforce_watched), C(seccomp_enforce_restore).
      - The audit's decision's own variables C(_decision) (the result of P(k8s.seccomp_default.seccomp_audit_gate#filter),
        or RV(k8s.seccomp_default.audit_window#module:decision)), C(_error), C(_held) and C(_handover) - the audit's
        record is built from them where C(seccomp_audit_record) is not given.
    type: dict
    required: true
  what:
    description:
      - V(record) - the stage's record of what it did (for C(preflight), why the node is stopped).
      - V(report) - the records the stage writes into the report, with those of the stages before it that were not
        written yet (for the audit the feature gate's; for enforcement the feature gate's and the audit's); an item
        is null where there is no record.
      - V(state) - the entries it records in the node's state.
      - V(plan) - the record the plan alone decides, or null - the feature gate done before, already right or written
        with the switch; the audit done before; enforcement done before or not retried.
      - V(plan_state) - for C(feature_gate), the state entries the plan alone decides (a gate already right).
      - C(preflight) builds V(record) and V(report) only; V(plan_state) is C(feature_gate)'s alone.
    type: str
    choices: [record, report, state, plan, plan_state]
    default: report
seealso:
  - module: k8s.seccomp_default.rollout_report
  - module: k8s.seccomp_default.rollout_state
author:
  - k8s.seccomp_default contributors (@k8s-seccomp-default)
"""

EXAMPLES = r"""
- name: Record what enforcement did on this node (with the feature gate's and the audit's records)
  k8s.seccomp_default.rollout_report:
    dir: "{{ seccomp_report_dir }}"
    host: "{{ inventory_hostname }}"
    batch: "{{ ansible_play_batch }}"
    records: "{{ 'enforce' | k8s.seccomp_default.seccomp_stage_records(seccomp_record_facts) | select | list }}"
  delegate_to: localhost
  check_mode: false

- name: Remember on the node what enforcement did
  k8s.seccomp_default.rollout_state:
    path: "{{ seccomp_state_dir }}/rollout-state.json"
    records: "{{ 'enforce' | k8s.seccomp_default.seccomp_stage_records(seccomp_record_facts, 'state') }}"

- name: The audit's record, from its decision
  ansible.builtin.debug:
    msg: >-
      {{ 'audit' | k8s.seccomp_default.seccomp_stage_records(seccomp_record_facts | combine(
           {'_decision': _decision, '_error': _error, '_held': _held, '_handover': _handover}), 'record') }}
"""

RETURN = r"""
_value:
  description:
    - For V(record) and V(plan), one record (null for a V(plan) that decides none); for V(report), a list of records
      and nulls; for V(state) and V(plan_state), a list of state entries (C(stage), C(result), C(details)).
    - Every record has C(host), C(stage), C(check_mode) and C(result), and the fields of its stage - see
      C(docs/rollout.md) and C(docs/rollout-report.schema.json). The report adds C(recorded_at) and C(batch).
  type: raw
"""

from ansible_collections.k8s.seccomp_default.plugins.module_utils.rollout_records import stage_records
from ansible_collections.k8s.seccomp_default.plugins.plugin_utils.filters import filter_errors


@filter_errors("seccomp_stage_records")
def seccomp_stage_records(stage, facts, what="report"):
    return stage_records(stage, facts, what)


class FilterModule(object):
    def filters(self):
        return {"seccomp_stage_records": seccomp_stage_records}
