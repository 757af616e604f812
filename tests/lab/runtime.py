"""The container runtime of a lab node: containerd or CRI-O flavour, running real runc containers.

What reaches runc is what the real runtime would hand it (docs/kubernetes-facts.md#privileged-containers,
docs/kubernetes-facts.md#runtime-default-profiles-and-knobs, docs/kubernetes-facts.md#what-reaches-runc): no seccomp
for privileged containers and Unconfined; the runtime's own default for RuntimeDefault (containerd:
the profile Debian's containerd computes, captured with `ctr run --seccomp` when the lab is made;
CRI-O: `[crio.runtime] seccomp_profile` from crio.conf and every file of crio.conf.d, else its built-in
default); Localhost read at create time (containerd: plain OCI keys only; CRI-O: moby format too).

Each container runs under a shim (`sh` waiting on `runc run`) in its own session, so it outlives
kubelet restarts as it would under containerd-shim or conmon, and the shim records the exit code.
State is kept as files under /run/<runtime>/lab-cri, which `crictl` (tests/lab/crictl.py) reads.
"""

import copy
import glob
import json
import os
import shutil
import subprocess
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
IMAGES = os.environ.get("LAB_IMAGES", "/var/tmp/seccomp-lab/images")
CAPTURED_DEFAULTS = os.environ.get("LAB_RUNTIME_DEFAULTS", "/var/tmp/seccomp-lab/runtime-defaults")
# containerd's defaultUnixCaps (the CRI default capability set); CRI-O's default set is the same 14 minus
# NET_RAW and MKNOD... but the lab keeps one set for both, as the kubelet does not send caps by default.
DEFAULT_CAPS = ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
                "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
                "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"]
BACKOFF_INITIAL = 10.0
BACKOFF_MAX = 300.0
OCI_KEYS = ("defaultAction", "defaultErrnoRet", "architectures", "flags", "listenerPath", "listenerMetadata", "syscalls")
OCI_RULE_KEYS = ("names", "action", "errnoRet", "args")


def for_endpoint(endpoint):
    if "crio" in endpoint:
        return Runtime("crio")
    return Runtime("containerd")


class RuntimeError_(Exception):
    pass


class Runtime:
    def __init__(self, flavour):
        self.flavour = flavour
        self.state_dir = "/run/%s/lab-cri" % flavour
        os.makedirs(self.state_dir, exist_ok=True)
        socket_dir = "/run/containerd" if flavour == "containerd" else "/var/run/crio"
        os.makedirs(socket_dir, exist_ok=True)

    # --- profiles ---

    def runtime_default(self):
        if self.flavour == "containerd":
            with open(os.path.join(CAPTURED_DEFAULTS, "containerd.json")) as handle:
                return json.load(handle)
        configured = crio_seccomp_profile()
        if configured:
            return load_crio_profile(configured, "seccomp_profile")
        return crio_builtin_default()

    def localhost(self, path):
        try:
            with open(path) as handle:
                data = json.load(handle)
        except (OSError, ValueError) as exc:
            if self.flavour == "containerd":
                raise RuntimeError_("failed to generate seccomp spec opts: cannot load seccomp profile %r: %s" % (path, exc))
            raise RuntimeError_("setup seccomp: unable to load local profile %r: %s" % (path, exc))
        if self.flavour == "containerd":
            # json.Unmarshal into specs.LinuxSeccomp: keys outside the OCI type are dropped silently.
            oci = dict((key, data[key]) for key in OCI_KEYS if key in data)
            oci["syscalls"] = [dict((key, rule[key]) for key in OCI_RULE_KEYS if key in rule)
                               for rule in data.get("syscalls") or []]
            return oci
        return load_crio_profile(path, "localhost", data)

    # --- containers ---

    def records(self):
        out = []
        for path in glob.glob(os.path.join(self.state_dir, "*", "cri.json")):
            try:
                with open(path) as handle:
                    record = json.load(handle)
            except (OSError, ValueError):
                continue
            out.append(self.refresh(record))
        return sorted(out, key=lambda record: record["createdAt"])

    def refresh(self, record):
        bundle = os.path.join(self.state_dir, record["id"])
        exit_file = os.path.join(bundle, "exit-code")
        if record["state"] == "CONTAINER_RUNNING" and os.path.exists(exit_file):
            with open(exit_file) as handle:
                text = handle.read().strip()
            if text:
                record["state"] = "CONTAINER_EXITED"
                record["exitCode"] = int(text)
                record["finishedAt"] = int(os.path.getmtime(exit_file) * 1e9)
                self.save(record)
        return record

    def save(self, record):
        # Several crictl calls may refresh the same record at once (a tracer's lookups beside a restart), as
        # several CRI clients do on a real node: each writes its own temporary file.
        path = os.path.join(self.state_dir, record["id"], "cri.json")
        temporary = "%s.%d.tmp" % (path, os.getpid())
        with open(temporary, "w") as handle:
            json.dump(record, handle, indent=1)
        os.rename(temporary, path)

    def pod_uids(self):
        return sorted({record["labels"]["io.kubernetes.pod.uid"] for record in self.records()})

    def latest(self, uid, name):
        matching = [record for record in self.records()
                    if record["labels"]["io.kubernetes.pod.uid"] == uid and record["metadata"]["name"] == name]
        return max(matching, key=lambda record: record["attempt"]) if matching else None

    def create_and_start(self, uid, pod_name, namespace, pod, container, attempt, security_profile):
        container_id = uuid.uuid4().hex + uuid.uuid4().hex
        bundle = os.path.join(self.state_dir, container_id)
        os.makedirs(bundle)
        privileged = bool((container.get("securityContext") or {}).get("privileged"))
        log_dir = "/var/log/pods/%s_%s_%s/%s" % (namespace, pod_name, uid, container["name"])
        os.makedirs(log_dir, exist_ok=True)
        record = {
            "id": container_id, "podSandboxId": uid.replace("-", "") * 2,
            "metadata": {"name": container["name"], "attempt": attempt}, "attempt": attempt,
            "image": {"image": container.get("image", "")}, "imageRef": container.get("image", ""),
            "state": "CONTAINER_CREATED", "createdAt": int(time.time() * 1e9),
            "labels": {"io.kubernetes.pod.name": pod_name, "io.kubernetes.pod.namespace": namespace,
                       "io.kubernetes.pod.uid": uid, "io.kubernetes.container.name": container["name"]},
            "annotations": {"io.kubernetes.container.restartCount": str(attempt)},
            "logPath": "%s/%d.log" % (log_dir, attempt), "requestedSeccomp": security_profile,
            "privileged": privileged,
        }
        try:
            spec = self.spec(uid, container_id, pod, container, privileged, security_profile)
        except RuntimeError_ as exc:
            record.update(state="CONTAINER_EXITED", exitCode=128, create_error=str(exc),
                          reason="CreateContainerError", finishedAt=record["createdAt"])
            self.save(record)
            return record
        with open(os.path.join(bundle, "config.json"), "w") as handle:
            json.dump(spec, handle, indent=1)
        record["runtimeSpec"] = spec
        record["state"] = "CONTAINER_RUNNING"
        record["startedAt"] = int(time.time() * 1e9)
        self.save(record)
        # The shim runs in the background of a shell that exits at once, so it is adopted by the
        # node's init and outlives the kubelet, as containerd-shim and conmon do.
        shim = ('(runc --root /run/runc run --bundle "$1" "$2" >>"$3" 2>&1 </dev/null; '
                'code=$?; runc --root /run/runc delete --force "$2" >/dev/null 2>&1; echo $code > "$1/exit-code") &')
        subprocess.run(["sh", "-c", shim, "shim", bundle, container_id, record["logPath"]],
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       start_new_session=True, close_fds=True, check=False)
        return record

    def spec(self, uid, container_id, pod, container, privileged, security_profile):
        image = container.get("image", "")
        rootfs = os.path.join(IMAGES, image.split("/")[-1].replace(":", "_"))
        if not os.path.isdir(rootfs):
            raise RuntimeError_('failed to pull image "%s": not found in the lab image store' % image)
        spec = runc_spec_template()
        args = list(container.get("command") or []) + list(container.get("args") or [])
        spec["process"]["args"] = args or ["/bin/sh"]
        spec["process"]["env"] = ["PATH=/bin"] + ["%s=%s" % (item["name"], item.get("value", ""))
                                                  for item in container.get("env") or []]
        caps = all_caps() if privileged else list(DEFAULT_CAPS)
        spec["process"]["capabilities"] = dict((key, list(caps)) for key in
                                               ("bounding", "effective", "permitted"))
        spec["root"] = {"path": rootfs, "readonly": True}
        spec["hostname"] = pod["metadata"]["name"]
        cgroup_name = container_id if self.flavour == "containerd" else "crio-" + container_id
        spec["linux"]["cgroupsPath"] = "/kubepods/besteffort/pod%s/%s" % (uid, cgroup_name)
        if privileged:
            spec["linux"].pop("maskedPaths", None)
            spec["linux"].pop("readonlyPaths", None)
        seccomp = None
        if security_profile.get("error"):
            raise RuntimeError_(security_profile["error"])
        kind = security_profile["profile_type"]
        if not privileged:  # both runtimes drop it for privileged containers (docs/kubernetes-facts.md#privileged-containers)
            if kind == "RuntimeDefault":
                seccomp = self.runtime_default()
            elif kind == "Localhost":
                seccomp = self.localhost(security_profile["localhost_ref"])
        if seccomp is not None:
            spec["linux"]["seccomp"] = seccomp
        return spec

    def remove_pod(self, uid):
        for record in self.records():
            if record["labels"]["io.kubernetes.pod.uid"] == uid:
                self.remove(record)

    def remove(self, record):
        subprocess.run(["runc", "--root", "/run/runc", "kill", record["id"], "KILL"], capture_output=True, check=False)
        deadline = time.time() + 10
        bundle = os.path.join(self.state_dir, record["id"])
        while record["state"] == "CONTAINER_RUNNING" and not os.path.exists(os.path.join(bundle, "exit-code")) \
                and time.time() < deadline:
            time.sleep(0.1)
        subprocess.run(["runc", "--root", "/run/runc", "delete", "--force", record["id"]], capture_output=True, check=False)
        shutil.rmtree(bundle, ignore_errors=True)

    def pid(self, container_id):
        result = subprocess.run(["runc", "--root", "/run/runc", "state", container_id], capture_output=True, text=True,
                                check=False)
        if result.returncode != 0:
            return 0
        return json.loads(result.stdout).get("pid", 0)


def runc_spec_template():
    """`runc spec`'s default (rootless off), made once per node."""
    path = "/run/lab-runc-spec.json"
    if not os.path.exists(path):
        directory = "/run/lab-runc-spec"
        os.makedirs(directory, exist_ok=True)
        subprocess.run(["runc", "spec", "--bundle", directory], check=True, capture_output=True)
        os.rename(os.path.join(directory, "config.json"), path)
        os.rmdir(directory)
    with open(path) as handle:
        spec = json.load(handle)
    spec["process"]["terminal"] = False
    return spec


def all_caps():
    names = ["CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID", "SETPCAP",
             "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW", "IPC_LOCK", "IPC_OWNER",
             "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT", "SYS_ADMIN", "SYS_BOOT", "SYS_NICE",
             "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD", "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP",
             "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF",
             "CHECKPOINT_RESTORE"]
    # Privileged containers get every capability the runtime itself holds (containerd's
    # WithAllCurrentCapabilities), which on a restricted host is less than every capability.
    with open("/proc/self/status") as handle:
        bounding = int([line.split()[1] for line in handle if line.startswith("CapBnd:")][0], 16)
    return ["CAP_" + name for bit, name in enumerate(names) if bounding & (1 << bit)]


# --- CRI-O ---

def crio_seccomp_profile():
    """`[crio.runtime] seccomp_profile` as the running CRI-O loaded it (tests/lab/crio.py), or else as
    /etc/crio/crio.conf, then every file of crio.conf.d in order, set it."""
    try:
        with open("/run/crio/lab-config.json") as handle:
            return json.load(handle)["seccomp_profile"]
    except (OSError, ValueError, KeyError):
        pass
    from tests.lab.crio import read_configuration
    return read_configuration()["seccomp_profile"]


def load_crio_profile(path, what, data=None):
    from tests.lab.profiles_bridge import resolve_for_crio
    if data is None:
        try:
            with open(path) as handle:
                data = json.load(handle)
        except (OSError, ValueError) as exc:
            raise RuntimeError_("setup seccomp: unable to load %s profile %r: %s" % (what, path, exc))
    return resolve_for_crio(data)


def crio_builtin_default():
    """containers/common's default with CRI-O's changes (docs/kubernetes-facts.md#cri-o-knobs), resolved for the
    container."""
    with open(os.path.join(HERE, "containers-common-seccomp.json")) as handle:
        profile = json.load(handle)
    profile = copy.deepcopy(profile)
    for rule in profile["syscalls"]:
        if rule.get("action") == "SCMP_ACT_ALLOW" and not rule.get("includes") and not rule.get("excludes"):
            rule["names"] = [name for name in rule["names"] if name not in ("clone", "clone3", "unshare")]
    profile["syscalls"] = [rule for rule in profile["syscalls"] if rule.get("names")]
    profile["syscalls"] += [
        {"names": ["clone", "clone3", "unshare"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN"]}},
        {"names": ["clone"], "action": "SCMP_ACT_ALLOW",
         "args": [{"index": 0, "value": 2114060288, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}],
         "excludes": {"caps": ["CAP_SYS_ADMIN"]}},
        {"names": ["clone"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1,
         "args": [{"index": 0, "value": 2114060288, "valueTwo": 2114060288, "op": "SCMP_CMP_MASKED_EQ"}],
         "excludes": {"caps": ["CAP_SYS_ADMIN"]}},
        {"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38, "excludes": {"caps": ["CAP_SYS_ADMIN"]}},
    ]
    from tests.lab.profiles_bridge import resolve_for_crio
    return resolve_for_crio(profile)
