# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Is a node ready for the stages asked for? Every check reads; nothing here changes the node.

Each check answers with a row: its name, a status - ``ok``, ``blocker`` (the rollout must not touch the node),
``warning`` (it may go, with less certainty), ``repair`` (something wrong that the feature gate stage puts right) or
``n/a`` (no stage asked for needs it) - what was seen, and for anything but ``ok`` the fix. The checks are chosen by what the
stages will do on that node: the audit traces containerd nodes with bpftrace and reads the kernel's seccomp records
on CRI-O nodes; enforcement compiles profiles with libseccomp and, when it watches the kernel, reads records too.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import sys

from ansible_collections.k8s.seccomp_default.plugins.module_utils import (audit_scan, cri, kube_api, libseccomp,
                                                                          syscall_trace, tools)

CHECKS = ("python", "kubelet", "kubelet_health", "runtime", "crictl", "log_action", "libseccomp", "records",
          "bpftrace", "credentials", "disk")
MIN_PYTHON = (3, 9)
STATUSES = ("ok", "blocker", "warning", "repair", "n/a")


def row(check, status, detail, fix=None):
    return dict(check=check, status=status, detail=detail, fix=fix if status != "ok" else None)


def audit_mode(facts, mode):
    """observe (bpftrace) or complain (CRI-O's default profile logs): what the audit will do on this node."""
    if mode in ("observe", "complain"):
        return mode
    return "complain" if facts["runtime"]["name"] == "cri-o" else "observe"


def check_python(version=None):
    version = tuple(version or sys.version_info[:3])
    text = ".".join(str(part) for part in version)
    if version[:2] < MIN_PYTHON:
        return row("python", "blocker", "Python %s" % text,
                   "run the modules with Python 3.9 or newer (ansible_python_interpreter)")
    return row("python", "ok", "Python %s, standard library only" % text)


def check_kubelet(facts, supported_versions=(1, 22)):
    kubelet = facts["kubelet"]
    problems = [p for p in kubelet.get("problems") or [] if p != (kubelet.get("feature_gate") or {}).get("problem")]
    if problems:
        return row("kubelet", "blocker", "; ".join(problems),
                   "fix what is named; a node whose kubelet is managed by a distribution's operator (OpenShift, k3s, "
                   "RKE2, MicroK8s) is left out on purpose")
    version = kubelet.get("version") or "unknown version"
    where = kubelet.get("config") or "no config file (flags only)"
    if kubelet.get("config_dir"):
        where += " + drop-ins in %s" % kubelet["config_dir"]
    return row("kubelet", "ok", "%s, %s" % (version, where))


def check_kubelet_health(facts, repair_stale_gate):
    kubelet = facts["kubelet"]
    gate_problem = (kubelet.get("feature_gate") or {}).get("problem")
    if gate_problem:
        if repair_stale_gate:
            return row("kubelet_health", "repair", gate_problem, "the feature gate stage removes the stale SeccompDefault gate entry")
        return row("kubelet_health", "blocker", gate_problem,
                   "remove the SeccompDefault gate entry, or set seccomp_repair_stale_gate: true")
    if kubelet.get("healthy"):
        return row("kubelet_health", "ok", "healthz ok")
    return row("kubelet_health", "blocker", kubelet.get("health_error") or "not healthy",
               "bring the kubelet back to health first (journalctl -u kubelet)")


def check_runtime(facts, supported):
    runtime = facts["runtime"]
    name = "%s %s" % (runtime["name"], runtime.get("version") or "")
    if runtime["name"] not in supported:
        return row("runtime", "blocker", "%s behind %s" % (name.strip(), runtime["endpoint"]),
                   "supported runtimes: %s" % ", ".join(supported))
    if runtime.get("problems"):
        return row("runtime", "blocker", "; ".join(runtime["problems"]), "fix the runtime's configuration")
    return row("runtime", "ok", "%s at %s" % (name.strip(), runtime["endpoint"]))


def check_crictl(run, crictl, endpoint):
    try:
        client = cri.Crictl(run, crictl, endpoint)
    except tools.ToolNotFound as exc:
        return row("crictl", "blocker", str(exc), "install cri-tools, or set seccomp_crictl to crictl's path")
    try:
        count = len(client.containers())
    except cri.CriError as exc:
        return row("crictl", "blocker", str(exc), "make crictl reach the kubelet's runtime (seccomp_runtime_endpoint, "
                                                  "/etc/crictl.yaml)")
    return row("crictl", "ok", "%s, %d containers" % (client.path, count))


def check_log_action(facts, needed):
    if not needed:
        return row("log_action", "n/a", "the audit is not asked for")
    log = facts["seccomp_log"]
    if log.get("supported"):
        return row("log_action", "ok", "SCMP_ACT_LOG works (kernel %s)" % facts["kernel"]["release"])
    return row("log_action", "blocker", "; ".join(log.get("missing") or ["SCMP_ACT_LOG is not available"]),
               "kernel 4.14+, libseccomp 2.4+ and runc 1.0.0-rc9+ are needed to log instead of block")


def check_libseccomp(needed):
    if not needed:
        return row("libseccomp", "n/a", "no stage asked for compiles profiles or names syscalls")
    if libseccomp.library() is None:
        return row("libseccomp", "blocker", libseccomp.load_error(),
                   "install libseccomp2 (Debian, Ubuntu) or libseccomp (RHEL)")
    number = libseccomp.resolve_name(libseccomp.native_arch(), "read")
    if number < 0:
        return row("libseccomp", "blocker", "libseccomp %s does not resolve syscall names" % libseccomp.version(),
                   "install a working libseccomp 2.4 or newer")
    return row("libseccomp", "ok", "libseccomp %s resolves syscall names" % libseccomp.version())


def check_records(facts, needed, run, sources=None):
    if not needed:
        return row("records", "n/a", "no stage asked for reads the kernel's seccomp records on this node")
    sources = audit_scan.available_sources() if sources is None else sources
    if not sources:
        return row("records", "blocker", "no source of the kernel's seccomp records: no audit log, /dev/kmsg, syslog "
                                         "file or journald", "run auditd, or make /dev/kmsg readable")
    names = ", ".join(kind for kind, _path in sources)
    kinds = set(kind for kind, _path in sources)
    audit = facts.get("audit_sources") or {}
    if "auditd" in kinds:
        rate = audit_scan.audit_status(run).get("rate_limit")
        if rate:
            return row("records", "warning", "%s; auditd's rate limit is %d records/s, so records can be lost"
                       % (names, rate), audit_scan.REMEDY_AUDIT)
    elif audit.get("printk_ratelimit"):
        why = "%s; without auditd the kernel prints records through printk_ratelimit (%s s, burst %s), which drops them" % (
            names, audit.get("printk_ratelimit"), audit.get("printk_ratelimit_burst"))
        return row("records", "warning", why, audit_scan.REMEDY_PRINTK)
    return row("records", "ok", names)


def check_bpftrace(needed, bpftrace):
    if not needed:
        return row("bpftrace", "n/a", "the audit does not trace this node")
    try:
        path = tools.find_tool("bpftrace", bpftrace)
    except tools.ToolNotFound as exc:
        return row("bpftrace", "blocker", str(exc), "install bpftrace, or set seccomp_bpftrace to its path")
    for mount in syscall_trace.TRACEFS:
        if os.path.isdir(os.path.join(mount, "events", "raw_syscalls")):
            return row("bpftrace", "ok", "%s; tracefs at %s" % (path, mount))
    if _kernel_has("tracefs"):
        return row("bpftrace", "ok", "%s; tracefs not mounted (the audit mounts it at %s)" % (path, syscall_trace.TRACEFS[0]))
    return row("bpftrace", "blocker", "%s, but the kernel has no tracefs" % path,
               "a kernel with CONFIG_FTRACE_SYSCALLS and tracefs is needed to trace syscalls")


def _kernel_has(filesystem):
    try:
        with open("/proc/filesystems") as handle:
            return any(line.split()[-1] == filesystem for line in handle if line.strip())
    except (IOError, OSError):
        return False


def access(cert, key, kubeconfig, controller_kubeconfig):
    """How the node's pods and the kubelet's /configz will be read: ``kubelet`` (its API, with a client certificate
    that has nodes/proxy), ``api_server`` (pods with the kubelet's own credentials; /configz through the API
    server's proxy with the controller's kubeconfig) or None (no way), and why."""
    problem = kube_api.unreadable(cert) or kube_api.unreadable(key)
    if not problem:
        return dict(pods="kubelet", configz="kubelet", why="kubelet API with %s" % cert)
    notes = [problem]
    pods = None
    if kubeconfig:
        try:
            found = kube_api.load_kubeconfig(kubeconfig)  # an exec plugin is left unrun: a check runs nothing
            pods = "api_server"
            notes.append("pods from the API server as %s (%s)" % (found.user, kubeconfig))
        except kube_api.KubeApiError as exc:
            notes.append(str(exc))
    else:
        notes.append("the kubelet has no --kubeconfig")
    configz = "api_server" if controller_kubeconfig else None
    notes.append("/configz through the API server's proxy (%s)" % controller_kubeconfig if configz else
                 "no controller kubeconfig for /configz through the API server (seccomp_kubeconfig)")
    return dict(pods=pods, configz=configz, why="; ".join(notes))


def check_credentials(found):
    if found["pods"] and found["configz"]:
        return row("credentials", "ok", found["why"])
    return row("credentials", "blocker", "cannot read the node's %s: %s" % (
        " and ".join(what for what in ("pods", "/configz") if not found[what.strip("/")]), found["why"]),
        "give the node a client certificate the kubelet authorizes for nodes/proxy (seccomp_configz_client_cert, "
        "seccomp_configz_client_key), or the controller a kubeconfig with nodes/proxy (seccomp_kubeconfig) and "
        "the kubelet its own kubeconfig (--kubeconfig)")


def check_disk(paths, min_free_mb):
    tight = []
    for path in paths:
        existing = path
        while existing and not os.path.exists(existing):
            existing = os.path.dirname(existing)
        try:
            stat = os.statvfs(existing or "/")
        except OSError:
            continue
        free_mb = stat.f_bavail * stat.f_frsize // (1024 * 1024)
        if free_mb < min_free_mb:
            tight.append("%s has %d MiB free" % (path, free_mb))
    if tight:
        return row("disk", "blocker", "; ".join(tight),
                   "free at least %d MiB there for backups and state (seccomp_min_free_mb)" % min_free_mb)
    return row("disk", "ok", "at least %d MiB free for backups and state" % min_free_mb)


def assess(facts, run, stages, options, found_access=None):
    """The rows for one node, in CHECKS order; ``found_access`` is access() for the node."""
    audit = "audit" in stages
    enforce = "enforce" in stages
    mode = audit_mode(facts, options.get("audit_mode"))
    kubelet = facts["kubelet"]
    config_dirs = [os.path.dirname(path) for path in [kubelet.get("config")] if path] + (
        [kubelet["config_dir"]] if kubelet.get("config_dir") else [])
    return [
        check_python(options.get("python_version")),
        check_kubelet(facts),
        check_kubelet_health(facts, options.get("repair_stale_gate", True)),
        check_runtime(facts, options.get("supported_runtimes") or ("containerd", "cri-o")),
        check_crictl(run, options.get("crictl"), options.get("runtime_endpoint") or facts["runtime"]["endpoint"]),
        check_log_action(facts, audit and options.get("require_log_action", True)),
        check_libseccomp(audit or enforce),
        check_records(facts, (audit and mode == "complain") or (enforce and options.get("watch_kernel", True)), run),
        check_bpftrace(audit and mode == "observe", options.get("bpftrace")),
        check_credentials(found_access or access(options.get("client_cert"), options.get("client_key"),
                                                 kubelet.get("kubeconfig"), options.get("controller_kubeconfig"))),
        check_disk([options.get("state_dir") or "/var/lib/k8s-seccomp-default"] + config_dirs,
                   options.get("min_free_mb", 64)),
    ]


def blockers(rows):
    return ["%s: %s" % (r["check"], r["detail"]) for r in rows if r["status"] == "blocker"]
