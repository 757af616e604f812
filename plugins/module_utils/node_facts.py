# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""What a node is, read from the node itself: its kubelet, container runtime, kernel and logs.

Everything comes from the places an operator would look: the kubelet process (/proc), its systemd
unit and environment files, its configuration files, the runtime's binaries and configuration,
/proc/sys and the log files. Commands are run through ``run`` (argv -> (rc, stdout, stderr)) so
that the module decides how.

Files that cannot be read are treated by what they decide. The kubelet's unit, drop-ins, environment files,
--config file and --config-dir drop-ins decide what the kubelet runs with: one that exists but cannot be read
(a directory, a FIFO, unreadable, not UTF-8, oversized) raises ``errors.InputError`` naming it, as facts
without it would describe another kubelet. The runtime's configuration is reported under ``runtime.problems``
and through ``warn``; /proc and /sys files are informational and read as absent when they cannot be read.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re
import stat

from ansible_collections.k8s.seccomp_default.plugins.module_utils import (audit_scan, errors, files, kubelet, kubelet_config,
                                                                          libseccomp, node_layouts, runtimes, systemd)
# Where the node's facts are gathered they include the kubelet's health; the code lives apart (module_utils/health), so
# that the modules that only watch the kubelet do not compile the facts' readers on every run.
from ansible_collections.k8s.seccomp_default.plugins.module_utils.health import health, unit_state

ENV_FILE_CANDIDATES = ("/var/lib/kubelet/kubeadm-flags.env", "/etc/default/kubelet", "/etc/sysconfig/kubelet")
KUBEADM_DROP_IN = "10-kubeadm.conf"
RUNTIME_DEFAULT_ENDPOINT = "unix:///run/containerd/containerd.sock"
# SCMP_ACT_LOG needs all three (docs/kubernetes-facts.md#log-action-requirements).
LOG_REQUIREMENTS = {"kernel": (4, 14), "libseccomp": (2, 4, 0), "runc": (1, 0, 0)}


def read_text(path, limit=1024 * 1024):
    """A /proc or /sys file's text (undecodable bytes replaced), or None when it cannot be read: informational.

    errors.read_file reads in small chunks (/proc/sys answers one large read() with ENOMEM) and never opens
    anything but a regular file (a FIFO would block).
    """
    try:
        return errors.read_file(path, limit, encoding=None).decode("utf-8", "replace")
    except errors.InputError:
        return None


def ignore(message):
    """The default ``warn``: what is worth a warning is also in the facts (``problems``)."""


def config_text(path):
    """A file that decides what the kubelet runs with: its text, None when missing, else an error naming it."""
    return errors.read_file(path, missing_ok=True)


def unit_reader(warn):
    """``reader`` for systemd.read_unit: a drop-in entry that is not a regular file is skipped, as systemd skips it;
    the unit file and a regular drop-in that cannot be read are refused by name."""
    def read(path):
        try:
            info = os.stat(path)
        except OSError:
            info = None
        is_drop_in = os.path.basename(os.path.dirname(path)).endswith(".d")
        if is_drop_in and info is not None and not stat.S_ISREG(info.st_mode):
            warn("%s: is a %s, not a unit drop-in file; skipped, as systemd skips it"
                 % (path, "directory" if stat.S_ISDIR(info.st_mode) else "special file (FIFO, socket or device)"))
            return None
        return config_text(path)
    return read


# --- the kubelet process and unit ---

def kubelet_processes():
    """PIDs whose command name is kubelet (comm, or argv[0]'s basename), in this mount namespace.

    Kubelets of nested nodes (kind, k3d, a lab) share the host's PIDs but not its files; theirs are
    not this node's kubelet.
    """
    pids = []
    own_mounts = _readlink("/proc/self/ns/mnt")
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or _readlink("/proc/%s/ns/mnt" % entry) != own_mounts:
            continue
        comm = (read_text("/proc/%s/comm" % entry) or "").strip()
        argv = process_argv(int(entry))
        if comm == "kubelet" or (argv and os.path.basename(argv[0]) == "kubelet"):
            pids.append(int(entry))
    return sorted(pids)


def _readlink(path):
    try:
        return os.readlink(path)
    except OSError:
        return None


def process_argv(pid):
    text = read_text("/proc/%d/cmdline" % pid)
    return [word for word in (text or "").split("\0") if word]


def process_environment(pid):
    text = read_text("/proc/%d/environ" % pid) or ""
    return dict(item.split("=", 1) for item in text.split("\0") if "=" in item)


def kubelet_command(argv):
    """The kubelet's own argv in ``argv``: a wrapper in front of it (OpenShift's kubenswrapper, env, nice...) is
    dropped; [] when no word names a kubelet."""
    for index, word in enumerate(argv):
        if os.path.basename(word) == "kubelet":
            return argv[index:]
    return []


def read_unit(root="/", name="kubelet.service", warn=ignore):
    """The unit as systemd assembles it, with the environment and argv a start would give the kubelet now."""
    unit = systemd.read_unit(name, root=root, reader=unit_reader(warn))
    environment, problems = systemd.unit_environment(unit, root=root, reader=config_text)
    command = systemd.expand_command(unit["exec_start"], environment) if unit["exec_start"] else []
    unit.update(service_environment=environment, problems=problems, command=command, argv=kubelet_command(command))
    return unit


def env_files_of(unit, root="/"):
    paths = [path for path, _optional in unit.get("environment_files", [])]
    for path in ENV_FILE_CANDIDATES:
        if path not in paths:
            paths.append(path)
    return [path for path in paths if os.path.exists(files.rooted(root, path))]


def version_of(binary, run):
    if not binary:
        return None, "no kubelet binary found"
    rc, out, err = run([binary, "--version"])
    if rc != 0:
        return None, "%s --version: %s" % (binary, (err or out).strip() or "exit code %d" % rc)
    try:
        return kubelet.format_version(out), None
    except kubelet.KubeletConfigError:
        return None, "unexpected output of %s --version: %r" % (binary, out.strip())


def _kubeadm_version(run, root="/"):
    """`kubeadm version -o short` (it decides which kubeadm patch targets exist), or None."""
    binary = None
    for path in ("/usr/bin/kubeadm", "/usr/local/bin/kubeadm", "/opt/bin/kubeadm"):
        if os.path.exists(files.rooted(root, path)):
            binary = path
            break
    if binary is None:
        return None
    rc, out, _err = run([files.rooted(root, binary), "version", "-o", "short"])
    try:
        return kubelet.format_version(out) if rc == 0 else None
    except kubelet.KubeletConfigError:
        return None


def kubelet_binary(pid, running_argv, planned_argv, root="/"):
    """The kubelet executable: the running process's own file, else what its argv or the unit names."""
    if pid:
        exe = _readlink("/proc/%d/exe" % pid)
        if exe and os.path.basename(exe) == "kubelet":
            return exe
    for argv in (running_argv, planned_argv):
        if argv and argv[0].startswith("/") and os.path.exists(files.rooted(root, argv[0])):
            return argv[0]
    return None


# --- config files ---

def config_layout(flags, version, environment, root_dir, root="/"):
    """Paths and texts of the kubelet's configuration, in the shape kubelet_config.plan reads.

    The kubelet reads every *.conf under --config-dir and stops on one it cannot read: ``unreadable`` keeps why
    each could not be read, for _merged_config to refuse when this kubelet reads the directory.
    """
    config = flags.get("--config")
    config_dir = flags.get("--config-dir")
    drop_ins = []
    unreadable = {}
    if config_dir:
        directory = files.rooted(root, config_dir)
        if os.path.lexists(directory) and not os.path.isdir(directory):
            raise errors.InputError("is not a directory", path=directory, field="the kubelet's --config-dir",
                                    expected="a directory of *.conf drop-ins")

        def read(path):
            try:
                return errors.read_file(path)
            except errors.InputError as exc:
                unreadable[os.path.relpath(path, directory)] = exc
                return None
        drop_ins = kubelet.list_drop_in_dir(directory, read)
    return dict(version=version, config=config, config_text=config_text(files.rooted(root, config)) if config else None,
                config_dir=config_dir, drop_ins=drop_ins, environment=environment, root_dir=root_dir,
                unreadable=unreadable)


def drop_ins_read(version, environment, config_dir, running):
    """Whether the kubelet merges --config-dir: by its version's rules, or - version unknown - because it runs
    with the flag (a kubelet that did not know the flag would not have started); None when it cannot be told."""
    if not config_dir:
        return False
    if version is not None:
        return kubelet.drop_ins_supported(version, environment)
    return True if running else None


def gather_kubelet(run, root="/", processes=True, warn=ignore):
    """The kubelet as it runs, or as its unit would start it; what the files decide is read even when no binary
    answers, and ``unknown`` says what could not be told."""
    pids = kubelet_processes() if processes else []
    pid = pids[0] if pids else None
    unit = read_unit(root, warn=warn)
    running_argv = kubelet_command(process_argv(pid)) if pid else []
    planned_argv = unit["argv"]
    argv = running_argv or planned_argv
    flags = kubelet.parse_flags(argv[1:])
    environment = process_environment(pid) if pid else dict(unit["service_environment"])
    binary = kubelet_binary(pid, running_argv, planned_argv, root)
    version, version_error = version_of(files.rooted(root, binary) if binary else None, run)
    root_dir = flags.get("--root-dir", kubelet.DEFAULT_ROOT_DIR)
    facts = dict(
        running=pid is not None, pid=pid, pids=pids, argv=running_argv, unit_argv=planned_argv,
        restart_changes_argv=bool(running_argv and planned_argv and running_argv[1:] != planned_argv[1:]),
        flags=flags, binary=binary, version=version, version_error=version_error,
        wrapper=(unit["command"][:len(unit["command"]) - len(planned_argv)] if planned_argv else []),
        unit=dict(fragment=unit["fragment"], drop_ins=unit["drop_ins"], exec_start=unit["exec_start"],
                  masked=unit["masked"]),
        env_files=env_files_of(unit, root), root_dir=root_dir, config=flags.get("--config"),
        config_dir=flags.get("--config-dir"),
        drop_in_alpha_env=kubelet.DROP_IN_ALPHA_ENV in environment,
        kubeadm=any(os.path.basename(path) == KUBEADM_DROP_IN for path in unit["drop_ins"])
        or os.path.exists(files.rooted(root, "/var/lib/kubelet/kubeadm-flags.env")),
        problems=list(unit["problems"]), unknown=[],
    )
    facts["environment"] = dict((key, value) for key, value in environment.items() if key.startswith("KUBELET"))
    facts["layout"] = node_layouts.describe(*node_layouts.detect(
        unit, unit["command"] or running_argv, unit["service_environment"],
        lambda path: os.path.lexists(files.rooted(root, path))))
    if facts["layout"]["managed"]:
        facts["problems"].append("this node's kubelet is managed by %s: %s; set SeccompDefault there with %s"
                                 % (facts["layout"]["title"], facts["layout"]["rewritten_by"], facts["layout"]["keep_with"]))
    facts["kubeadm_version"] = _kubeadm_version(run, root) if facts["kubeadm"] else None
    if not argv:
        facts["problems"].append("no kubelet found: no kubelet process runs and no kubelet.service names a kubelet "
                                 "binary (%s)" % (unit["fragment"] or "no kubelet.service unit"))
    if version is None:
        # Everything else below is still read from the files; the rollout itself needs the version.
        facts["unknown"].append("kubelet version (%s)" % version_error)
        facts["problems"].append("kubelet version unknown: %s" % version_error)
    layout = config_layout(flags, version, environment, root_dir, root)
    drop_ins = drop_ins_read(version, environment, layout["config_dir"], pid is not None)
    if drop_ins is None:
        facts["unknown"].append("whether the kubelet reads --config-dir %s (its version decides)" % layout["config_dir"])
    merged = _merged_config(layout, drop_ins is not False, facts["problems"], warn)
    flag_gates = {}
    try:
        flag_gates = kubelet.parse_feature_gates(flags.get(kubelet.FEATURE_GATES_FLAG))
    except kubelet.KubeletConfigError as exc:
        facts["problems"].append(str(exc))
    config_gate = (merged.get("featureGates") or {}).get(kubelet.GATE) if isinstance(merged.get("featureGates"), dict) else None
    flag_seccomp = kubelet.flag_is_true(flags.get(kubelet.SECCOMP_DEFAULT_FLAG))
    config_seccomp = merged.get("seccompDefault") is True
    problems = facts["problems"]
    healthz_address = _setting(merged, "healthzBindAddress", str, kubelet.DEFAULT_HEALTHZ[0], problems, warn, "an IP address") \
        or kubelet.DEFAULT_HEALTHZ[0]
    healthz_port = _setting(merged, "healthzPort", int, kubelet.DEFAULT_HEALTHZ[1], problems, warn, "a port number")
    endpoint = _setting(merged, "containerRuntimeEndpoint", str, None, problems, warn, "a unix:// endpoint")
    host = "[%s]" % healthz_address if ":" in healthz_address else healthz_address
    config_files = [path for path in [layout["config"]] if path]
    if drop_ins is not False:
        config_files += [os.path.join(layout["config_dir"], name)
                         for name in kubelet.drop_in_names([name for name, _text in layout["drop_ins"]])]
    facts.update(
        config_files=config_files,
        seccomp_default=dict(effective=flag_seccomp or config_seccomp, flag=flag_seccomp, config=config_seccomp),
        healthz=dict(address=healthz_address, port=healthz_port,
                     url="http://%s:%s/healthz" % (host, healthz_port) if healthz_port else None),
        port=_setting(merged, "port", int, kubelet.DEFAULT_PORT, problems, warn, "a port number"),
        # Where this node's own kubelet API answers: its `address`, unless that is every address (kubespray binds
        # the node IP only, where 127.0.0.1 is refused).
        api_host=_api_host(_setting(merged, "address", str, None, problems, warn, "an IP address")),
        static_pod_path=_setting(merged, "staticPodPath", str, None, problems, warn, "a path"),
        # The kubelet's own credentials (system:node:<name>): they list the node's pods from the API server.
        kubeconfig=flags.get("--kubeconfig"),
        container_runtime_endpoint=flags.get("--container-runtime-endpoint")
        or endpoint or RUNTIME_DEFAULT_ENDPOINT,
        container_runtime_endpoint_source="flag" if flags.get("--container-runtime-endpoint") else (
            "config" if endpoint else "default"),
        drop_ins_supported=drop_ins,
        feature_gate=dict(stage=None, default=None, locked=None, value=flag_gates.get(kubelet.GATE, config_gate),
                          in_flags=kubelet.GATE in flag_gates, in_config=config_gate is not None, problem=None),
    )
    if version is None:
        return facts
    try:
        stage = kubelet.gate_stage(version)
    except kubelet.KubeletConfigError as exc:
        facts["problems"].append(str(exc))
        stage = dict(stage="unsupported", default=None, locked=False, exists=False)
    gate_problem = None
    if stage["stage"] != "unsupported":
        if kubelet.GATE in flag_gates:
            gate_problem = kubelet.gate_error(version, flag_gates[kubelet.GATE], False, source="flag")
        gate_problem = gate_problem or kubelet.gate_error(version, config_gate, flag_seccomp or config_seccomp)
    facts["feature_gate"].update(stage=stage["stage"], default=stage["default"], locked=stage["locked"],
                                 problem=gate_problem)
    return facts


def _api_host(address):
    if not address or address in ("0.0.0.0", "::"):
        return "127.0.0.1"
    return "[%s]" % address if ":" in address else address


def _merged_config(layout, read_drop_ins, problems, warn=ignore):
    """The configuration the kubelet runs with. A file that is not a KubeletConfiguration map is left out of the
    merge (the kubelet would refuse to start on it) and named under ``problems``, as is any field of the wrong type."""
    base = None
    drop_ins = []
    found = []
    try:
        if layout["config"]:
            if layout["config_text"] is None:
                problems.append("%s: the kubelet's --config file does not exist" % layout["config"])
            else:
                base = kubelet_config.load_plain(layout["config"], layout["config_text"])
        if layout["config_dir"] and read_drop_ins:
            texts = dict(layout["drop_ins"])
            for name in kubelet.drop_in_names(list(texts)):
                path = os.path.join(layout["config_dir"], name)
                if texts[name] is None:
                    if name in layout.get("unreadable", {}):
                        raise layout["unreadable"][name]
                    problems.append("%s: a drop-in the kubelet reads cannot be read" % path)
                    continue
                document = kubelet_config.load_plain(path, texts[name])
                if document is not None:
                    drop_ins.append((path, document))
    except kubelet.KubeletConfigError as exc:
        found.append(str(exc))
    for path, document in ([(layout["config"], base)] if base is not None else []) + drop_ins:
        found.extend(kubelet.config_problems(document, path))
    for problem in found:
        warn(problem)
    problems.extend(found)
    return kubelet.merged_config(base if isinstance(base, dict) else None,
                                 [(path, document) for path, document in drop_ins if isinstance(document, dict)])


def _setting(merged, key, kind, default, problems, warn, expected):
    """A merged setting of the type the kubelet reads, else ``default`` and a problem saying which value was ignored."""
    value = merged.get(key)
    if value is None:
        return default
    if isinstance(value, kind) and not isinstance(value, bool):
        return value
    problem = ("the kubelet's configuration: %s is %s; expected %s (the kubelet would not start with it; %r is reported)"
               % (key, errors.short_repr(value), expected, default))
    if not any(": %s is " % key in item for item in problems):  # config_problems named it already
        problems.append(problem)
        warn(problem)
    return default


# --- container runtime ---

def runtime_name(endpoint):
    if "containerd" in endpoint:
        return "containerd"
    if "crio" in endpoint:
        return "cri-o"
    return "unknown"


def gather_runtime(endpoint, run, root="/", warn=ignore):
    """The runtime the kubelet's endpoint names, and what its configuration decides about seccomp.

    Its files are informational here: one that cannot be read or is not what the runtime reads is reported under
    ``problems`` (readiness refuses such a node) and through ``warn``, and the facts it would give stay unknown.
    """
    name = runtime_name(endpoint)
    facts = dict(name=name, endpoint=endpoint, version=None, config_files=[], seccomp_profile=None,
                 seccomp_profile_source=None, problems=[])
    facts["seccomp"] = None

    def read(path):
        return runtimes.read_config(files.rooted(root, path))
    try:
        if name == "containerd":
            facts["version"] = _first_version(run(["containerd", "--version"]))
            config = files.rooted(root, runtimes.CONTAINERD_CONFIG)
            facts["config_files"] = [runtimes.CONTAINERD_CONFIG] if os.path.lexists(config) else []
            facts["seccomp"] = runtimes.containerd_seccomp_settings(config, runtimes.read_config(config), read=read)
            facts["seccomp"]["config"] = _node_path(root, facts["seccomp"]["config"]) if facts["seccomp"]["config"] else None
        elif name == "cri-o":
            facts["version"] = _first_version(run(["crio", "--version"]))
            paths = runtimes.crio_config_files(files.rooted(root, runtimes.CRIO_CONFIG), files.rooted(root, runtimes.CRIO_DROP_IN_DIR))
            facts["config_files"] = [_node_path(root, path) for path in paths]
            facts["seccomp_profile"], source = runtimes.crio_seccomp_profile(paths)
            facts["seccomp_profile_source"] = _node_path(root, source) if source else None
            facts["seccomp"] = runtimes.crio_seccomp_settings(paths)
    except errors.InputError as exc:
        facts["problems"] = [str(exc)]
        warn("container runtime %s: %s" % (name, exc))
    return facts


def _node_path(root, path):
    """The node's own name for ``path`` read under ``root``."""
    if root in ("/", "", None):
        return path
    return "/" + os.path.relpath(path, root)


def _first_version(result):
    rc, out, _err = result
    if rc != 0:
        return None
    match = re.search(r"(?:version\s+|Version:\s+|\s)v?(\d+\.\d+\.\d+)", out)
    return match.group(1) if match else None


# --- kernel, libseccomp, runc, logs ---

def gather_kernel():
    release = os.uname()[2]
    avail = (read_text("/proc/sys/kernel/seccomp/actions_avail") or "").split()
    logged = (read_text("/proc/sys/kernel/seccomp/actions_logged") or "").split()
    numbers = tuple(int(part) for part in re.findall(r"\d+", release)[:2])
    return dict(release=release, version=".".join(str(n) for n in numbers), seccomp_actions_avail=avail,
                seccomp_actions_logged=logged, seccomp_mode_available=os.path.exists("/proc/sys/kernel/seccomp"),
                supports_log=numbers >= LOG_REQUIREMENTS["kernel"] and "log" in avail)


def gather_runc(run):
    rc, out, _err = run(["runc", "--version"])
    if rc != 0:
        return dict(version=None, libseccomp=None)
    version = re.search(r"runc version\s+v?([0-9][^\s+~]*)", out)
    linked = re.search(r"libseccomp:\s*([0-9.]+)", out)
    return dict(version=version.group(1) if version else None, libseccomp=linked.group(1) if linked else None)


def version_tuple(text):
    parts = re.findall(r"\d+", text or "")
    return tuple(int(part) for part in parts[:3]) if parts else None


def log_support(kernel, libseccomp, runc):
    """Whether SCMP_ACT_LOG works end to end, and what is missing."""
    missing = []
    if not kernel["supports_log"]:
        missing.append("kernel %s has no seccomp 'log' action (needs 4.14+)" % kernel["release"])
    version = version_tuple(libseccomp)
    if version is None or version < LOG_REQUIREMENTS["libseccomp"]:
        missing.append("libseccomp %s is older than 2.4.0" % (libseccomp or "unknown"))
    runc_version = runc.get("version")
    if runc_version is not None and version_tuple(runc_version) < LOG_REQUIREMENTS["runc"]:
        missing.append("runc %s is older than 1.0.0-rc9" % runc_version)
    return dict(supported=not missing, missing=missing)


def gather_with_health(run, timeout=5, root="/", warn=ignore):
    """gather(), and whether the kubelet answers healthy now, with its unit's state (None for a copy under ``root``)."""
    facts = gather(run, root=root, warn=warn)
    kubelet = facts["kubelet"]
    url = (kubelet.get("healthz") or {}).get("url")
    kubelet["healthy"], kubelet["health_error"] = health(url, timeout) if kubelet["running"] else (
        False, "no kubelet process is running")
    kubelet["service"] = unit_state(run) if root in ("/", "", None) else None
    return facts


def gather_audit_sources():
    syslog = [path for path in audit_scan.DEFAULT_PATHS["syslog"] if os.path.isfile(path)]
    auditd = audit_scan.DEFAULT_PATHS["auditd"]
    return dict(
        auditd_log=auditd if os.path.isfile(auditd) else None,
        journald=os.path.exists("/run/systemd/journal/socket"),
        kmsg=os.access("/dev/kmsg", os.R_OK),
        syslog=syslog,
        printk_ratelimit=_int(read_text("/proc/sys/kernel/printk_ratelimit")),
        printk_ratelimit_burst=_int(read_text("/proc/sys/kernel/printk_ratelimit_burst")),
    )


def _int(text):
    try:
        return int((text or "").strip())
    except ValueError:
        return None


def gather(run, root="/", warn=ignore):
    """Everything node_facts reports. With ``root`` (a copy of a node's files) the kubelet's and the runtime's files
    are read under it and no process is looked for; the kernel, libraries and logs are still this machine's."""
    facts = dict(kubelet=gather_kubelet(run, root=root, processes=root in ("/", "", None), warn=warn))
    facts["runtime"] = gather_runtime(facts["kubelet"].get("container_runtime_endpoint") or RUNTIME_DEFAULT_ENDPOINT, run,
                                      root=root, warn=warn)
    facts["kernel"] = gather_kernel()
    facts["libseccomp"] = dict(version=libseccomp.version())
    facts["runc"] = gather_runc(run)
    facts["seccomp_log"] = log_support(facts["kernel"], facts["runc"].get("libseccomp") or facts["libseccomp"]["version"],
                                       facts["runc"])
    facts["audit_sources"] = gather_audit_sources()
    return facts
