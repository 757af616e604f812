"""Create, list and destroy a lab fleet: N nodes on this machine, each in its own mount, UTS, PID,
IPC and network namespaces, laid out like a production node, reachable by Ansible through
community.docker.nsenter.
"""

import base64
import glob
import hashlib
import json
import os
import platform
import re
import shlex
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
LAB_ROOT = os.environ.get("SECCOMP_LAB_ROOT", "/var/tmp/seccomp-lab")
IMAGES = os.path.join(LAB_ROOT, "images")
RUNTIME_DEFAULTS = os.path.join(LAB_ROOT, "runtime-defaults")
PKI = os.path.join(LAB_ROOT, "pki")
HOST_MOUNTPOINTS = ("/etc/kubernetes", "/var/lib/kubelet", "/etc/containerd", "/etc/crio", "/var/lib/k8s-seccomp-default",
                    "/etc/sysconfig", "/etc/eks", "/etc/openshift", "/srv/kubernetes")
NODE_FILES = os.path.join(REPO, "tests", "data", "nodes")
# Lab node kinds that copy a real distribution's files (tests/data/nodes/<kind>, sources in its SOURCES.md):
# kind -> (the kubelet binary its unit starts, its kubelet config file, the runtime it was published with).
REAL_LAYOUTS = {
    "kubeadm-deb": ("/usr/bin/kubelet", "/var/lib/kubelet/config.yaml", "containerd"),
    "kubeadm-rpm": ("/usr/bin/kubelet", "/var/lib/kubelet/config.yaml", "containerd"),
    "kind": ("/usr/bin/kubelet", "/var/lib/kubelet/config.yaml", "containerd"),
    "kubespray": ("/usr/local/bin/kubelet", "/etc/kubernetes/kubelet-config.yaml", "containerd"),
    "eks-al2": ("/usr/bin/kubelet", "/etc/kubernetes/kubelet/kubelet-config.json", "containerd"),
    "eks-al2023": ("/usr/bin/kubelet", "/etc/kubernetes/kubelet/config.json", "containerd"),
    "kops": ("/usr/local/bin/kubelet", "/var/lib/kubelet/kubelet.conf", "containerd"),
    "openshift": ("/usr/bin/kubelet", "/etc/kubernetes/kubelet.conf", "crio"),
}
CONTAINERD_ENDPOINTS = ("unix:///var/run/containerd/containerd.sock", "unix:///run/containerd/containerd.sock")
# The lab's own stand-ins (kubelet, crictl, systemctl...) run with the machine's Python and its packages.
NODE_PYTHON = "/usr/bin/python3"
# The collection's modules run with MODULE_PYTHON: a venv without pip or site packages, so that it sees the standard
# library only, as a stock node's Python does (Debian and Ubuntu ship no ruamel or tomlkit; RHEL 9's Python is 3.9).
# The oldest Python the collection supports on nodes (3.9) when pyenv has it; else the machine's python3.
MODULE_PYTHON_DIR = os.path.join(LAB_ROOT, "module-python")
MODULE_PYTHON = os.path.join(MODULE_PYTHON_DIR, "bin", "python")
MODULE_PYTHON_BASES = ("/root/.pyenv/versions/3.9.18/bin/python3.9", "python3.9", NODE_PYTHON)
CONTAINERD_SOCKET = "unix:///run/containerd/containerd.sock"
CRIO_SOCKET = "unix:///var/run/crio/crio.sock"
CRIO_VERSION = {22: "1.22.5", 23: "1.23.5", 24: "1.24.6", 25: "1.25.4", 26: "1.26.4", 27: "1.27.8", 28: "1.28.11",
                29: "1.29.10", 30: "1.30.14", 31: "1.31.11", 32: "1.32.8", 33: "1.33.5", 34: "1.34.1"}

DEFAULT_DESCRIPTION = {
    "name": "lab",
    "nodes": [
        {"name": "node-1", "version": "1.23.17", "runtime": "containerd", "layout": "kubeadm"},
        {"name": "node-2", "version": "1.26.15", "runtime": "crio", "layout": "flags"},
        {"name": "node-3", "version": "1.28.15", "runtime": "containerd", "layout": "dropin"},
        {"name": "node-4", "version": "1.30.14", "runtime": "containerd", "layout": "dropin",
         # Upgraded from 1.28 with the gate still in its config: this kubelet refuses to start until stage 1.
         "base_config": {"featureGates": {"SeccompDefault": True}}, "expect_down": True},
        {"name": "node-5", "version": "1.33.5", "runtime": "crio", "layout": "kubeadm"},
        {"name": "node-6", "version": "1.33.5", "runtime": "containerd", "layout": "dropin"},
    ],
}

WORKLOADS = {
    # name: (image entrypoint script, pod securityContext, container securityContext)
    "common": ("while true; do cat /proc/self/status >/dev/null; echo tick >/dev/null; sleep 2; done", None, None),
    "needs-unshare": ("while true; do unshare -U true || exit 1; sleep 2; done", None, None),
    "privileged": ("while true; do unshare -U true || exit 1; sleep 2; done", None, {"privileged": True}),
    "localhost-pod": ("while true; do cat /proc/self/status >/dev/null; sleep 2; done",
                      {"seccompProfile": {"type": "Localhost", "localhostProfile": "lab/custom.json"}}, None),
    "unconfined": ("while true; do unshare -U true || exit 1; sleep 2; done", None,
                   {"seccompProfile": {"type": "Unconfined"}}),
}


def log(message):
    sys.stderr.write("lab: %s\n" % message)


# --- shared parts: images, captured runtime default, PKI ---

def build_images():
    busybox = "/usr/bin/busybox"
    for name, (script, _pod, _ctr) in WORKLOADS.items():
        rootfs = os.path.join(IMAGES, "%s_1" % name)
        if os.path.exists(os.path.join(rootfs, "entrypoint.sh")):
            continue
        os.makedirs(os.path.join(rootfs, "bin"), exist_ok=True)
        for sub in ("proc", "dev", "sys", "tmp", "etc"):
            os.makedirs(os.path.join(rootfs, sub), exist_ok=True)
        shutil.copy2(busybox, os.path.join(rootfs, "bin", "busybox"))
        for applet in ("sh", "true", "unshare", "echo", "cat", "sleep", "ls", "date"):
            link = os.path.join(rootfs, "bin", applet)
            if not os.path.lexists(link):
                os.symlink("busybox", link)
        with open(os.path.join(rootfs, "entrypoint.sh"), "w") as handle:
            handle.write("#!/bin/sh\n%s\n" % script)
        os.chmod(os.path.join(rootfs, "entrypoint.sh"), 0o755)


def make_module_python():
    """MODULE_PYTHON, made once: a venv of the oldest supported Python that sees nothing but its standard library."""
    if os.path.exists(MODULE_PYTHON):
        return MODULE_PYTHON
    base = next(found for found in (shutil.which(candidate) for candidate in MODULE_PYTHON_BASES) if found)
    building = MODULE_PYTHON_DIR + ".%d" % os.getpid()
    shutil.rmtree(building, ignore_errors=True)
    subprocess.run([base, "-m", "venv", "--without-pip", building], check=True)
    # A venv records its own path in pyvenv.cfg and scripts only; the interpreter finds its prefix from where it runs.
    try:
        os.rename(building, MODULE_PYTHON_DIR)
    except OSError:  # another fleet made it first
        shutil.rmtree(building, ignore_errors=True)
    log("module interpreter: %s (%s)" % (MODULE_PYTHON, subprocess.run(
        [MODULE_PYTHON, "--version"], capture_output=True, text=True, check=True).stdout.strip()))
    return MODULE_PYTHON


def capture_containerd_default():
    path = os.path.join(RUNTIME_DEFAULTS, "containerd.json")
    if os.path.exists(path):
        return path
    os.makedirs(RUNTIME_DEFAULTS, exist_ok=True)
    sys.path.insert(0, os.path.join(REPO, "tests"))
    from lib.containerd import capture_runtime_default
    profile = capture_runtime_default()
    with open(path + ".tmp", "w") as handle:
        json.dump(profile, handle, indent=1)
    os.rename(path + ".tmp", path)
    return path


def make_pki():
    ca = os.path.join(PKI, "ca.crt")
    if os.path.exists(os.path.join(PKI, "client.crt")) and b"Certificate Sign" in subprocess.run(
            ["openssl", "x509", "-in", ca, "-noout", "-ext", "keyUsage"], capture_output=True, check=False).stdout:
        return
    shutil.rmtree(PKI, ignore_errors=True)  # made before the CA carried kubeadm's key usage: made again
    os.makedirs(PKI, exist_ok=True)

    def openssl(*args):
        subprocess.run(["openssl"] + list(args), check=True, capture_output=True, cwd=PKI)
    # As kubeadm makes its CA (certs/pkiutil NewSelfSignedCACert): CA, key usage digital signature, key
    # encipherment and certificate signing, which strict verifiers (Python 3.13's, the kubernetes client's) require.
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3650", "-subj", "/CN=kubernetes",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,digitalSignature,keyEncipherment,keyCertSign",
            "-keyout", "ca.key", "-out", "ca.crt")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/O=system:masters/CN=kube-apiserver-kubelet-client",
            "-keyout", "client.key", "-out", "client.csr")
    openssl("x509", "-req", "-in", "client.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
            "-days", "3650", "-out", "client.crt")


# --- one node ---

def base_config(node):
    config = {
        "apiVersion": "kubelet.config.k8s.io/v1beta1",
        "kind": "KubeletConfiguration",
        "authentication": {"anonymous": {"enabled": False}, "webhook": {"enabled": True},
                           "x509": {"clientCAFile": "/etc/kubernetes/pki/ca.crt"}},
        "authorization": {"mode": "Webhook"},
        "cgroupDriver": "cgroupfs",
        "healthzBindAddress": "127.0.0.1",
        "healthzPort": 10248,
        "staticPodPath": "/etc/kubernetes/manifests",
        "rotateCertificates": True,
    }
    for key, value in (node.get("base_config") or {}).items():
        config[key] = value
    return config


KUBEADM_DROPIN = """# Note: This dropin only works with kubeadm and kubelet v1.11+
[Service]
Environment="KUBELET_KUBECONFIG_ARGS=--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf --kubeconfig=/etc/kubernetes/kubelet.conf"
Environment="KUBELET_CONFIG_ARGS=--config=/var/lib/kubelet/config.yaml"
# This is a file that "kubeadm init" and "kubeadm join" generates at runtime, populating the KUBELET_KUBEADM_ARGS variable dynamically
EnvironmentFile=-/var/lib/kubelet/kubeadm-flags.env
# This is a file that the user can use for overrides of the kubelet args as a last resort. Preferably, the user should use
# the .NodeRegistration.KubeletExtraArgs object in the configuration files instead. KUBELET_EXTRA_ARGS should be sourced from this file.
EnvironmentFile=-/etc/default/kubelet
ExecStart=
ExecStart=/usr/local/bin/kubelet $KUBELET_KUBECONFIG_ARGS $KUBELET_CONFIG_ARGS $KUBELET_KUBEADM_ARGS $KUBELET_EXTRA_ARGS
"""

UNIT = """[Unit]
Description=kubelet: The Kubernetes Node Agent
Documentation=https://kubernetes.io/docs/
Wants=network-online.target
After=network-online.target

[Service]
%s
Restart=always
StartLimitInterval=0
RestartSec=%s

[Install]
WantedBy=multi-user.target
"""


def write(path, text, mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as handle:
        handle.write(text)
    os.chmod(path, mode)


def real_layout_files(node):
    """The files of a real distribution's node (tests/data/nodes/<layout>), with what the lab needs added: its
    CA where the config says clientCAFile is, staticPodPath where the config has none (the lab's workloads are
    static pods), and CRI-O's socket for the endpoint when the node runs CRI-O instead."""
    layout = node["layout"]
    _binary, config_path, _runtime = REAL_LAYOUTS[layout]
    top = os.path.join(NODE_FILES, layout)
    files = {}
    for directory, _dirs, names in os.walk(top):
        for name in names:
            path = "/" + os.path.relpath(os.path.join(directory, name), top)
            if path == "/SOURCES.md":
                continue
            path = "/usr" + path if path.startswith("/lib/") else path  # /lib is /usr/lib on merged-/usr systems
            with open(os.path.join(directory, name)) as handle:
                text = handle.read()
            if node["runtime"] == "crio":
                for endpoint in CONTAINERD_ENDPOINTS:
                    text = text.replace(endpoint, CRIO_SOCKET)
            files[path] = text
    config_text = files[config_path]
    config = yaml.safe_load(config_text)
    added = dict(node.get("base_config") or {})  # fault injection: keys an operator left in the config
    if not config.get("staticPodPath"):
        added["staticPodPath"] = "/etc/kubernetes/manifests"
    if added and config_text.lstrip().startswith("{"):
        for key, value in added.items():
            config[key] = dict(config.get(key) or {}, **value) if isinstance(value, dict) else value
        indent = re.search(r"\n([ \t]+)\S", config_text)
        files[config_path] = json.dumps(config, indent=indent.group(1) if indent else None) + "\n"
    elif added:
        files[config_path] = config_text.rstrip("\n") + "\n" + yaml.safe_dump(added, sort_keys=False)
    ca = ((config.get("authentication") or {}).get("x509") or {}).get("clientCAFile")
    if ca:
        files[ca] = open(os.path.join(PKI, "ca.crt")).read()
    if config.get("tlsCertFile") and config.get("tlsPrivateKeyFile"):
        # The serving pair the installer put there (kops: /srv/kubernetes/kubelet-server.*), made by the lab CA.
        files[config["tlsCertFile"]], files[config["tlsPrivateKeyFile"]] = serving_pair(node["name"])
    return files


def serving_pair(name):
    """A kubelet serving certificate and key for ``name`` (127.0.0.1 and the lab's node addresses)."""
    work = os.path.join(PKI, "serving-" + name)
    os.makedirs(work, exist_ok=True)
    cert, key = os.path.join(work, "kubelet.crt"), os.path.join(work, "kubelet.key")
    if not os.path.exists(cert):
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "365", "-subj",
                        "/CN=%s" % name, "-keyout", key, "-out", cert, "-addext", "subjectAltName=IP:127.0.0.1"],
                       check=True, capture_output=True)
    return open(cert).read(), open(key).read()


def node_addresses(node):
    """The address the node's kubelet config binds to, when it names one (kubespray: the node IP): the lab node
    gets it on its loopback, as the real node has it on its interface; and the lab API server's address, where the
    node reaches its control plane."""
    extra = [APISERVER_ADDRESS] if node.get("api_server") else []
    return kubelet_addresses(node) + extra


def kubelet_addresses(node):
    if node["layout"] not in REAL_LAYOUTS:
        return []
    with open(os.path.join(NODE_FILES, node["layout"], REAL_LAYOUTS[node["layout"]][1].lstrip("/"))) as handle:
        config = yaml.safe_load(handle)
    address = config.get("address")
    return [address] if address and address not in ("0.0.0.0", "::") else []


def node_files(node, fs, restart_sec):
    """The node's files, keyed by their production path."""
    version = node["version"]
    minor = int(version.split(".")[1])
    runtime = node["runtime"]
    endpoint = CONTAINERD_SOCKET if runtime == "containerd" else CRIO_SOCKET
    files = {}
    config = base_config(node)
    extra = " ".join(node.get("flags") or [])
    layout = node["layout"]
    kubelet_binary = "/usr/local/bin/kubelet"
    if layout in REAL_LAYOUTS:
        files.update(real_layout_files(node))
        kubelet_binary = REAL_LAYOUTS[layout][0]
    elif layout == "kubeadm":
        files["/etc/systemd/system/kubelet.service"] = UNIT % ("ExecStart=/usr/local/bin/kubelet", restart_sec)
        files["/etc/systemd/system/kubelet.service.d/10-kubeadm.conf"] = KUBEADM_DROPIN
        files["/var/lib/kubelet/kubeadm-flags.env"] = (
            'KUBELET_KUBEADM_ARGS="--container-runtime-endpoint=%s --pod-infra-container-image=registry.k8s.io/pause:3.9"\n'
            % endpoint)
        files["/etc/default/kubelet"] = 'KUBELET_EXTRA_ARGS="%s"\n' % extra
        files["/var/lib/kubelet/config.yaml"] = yaml.safe_dump(config, sort_keys=True)
    else:
        config_path = "/etc/kubernetes/kubelet-config.yaml"
        command = "/usr/local/bin/kubelet --config=%s" % config_path
        env = ""
        if layout == "dropin":
            command += " --config-dir=/etc/kubernetes/kubelet.conf.d"
            if minor in (28, 29):
                env = "Environment=\"KUBELET_CONFIG_DROPIN_DIR_ALPHA=on\"\n"
            os.makedirs(os.path.join(fs, "etc-kubernetes", "kubelet.conf.d"), exist_ok=True)
            for name, document in (node.get("drop_ins") or {}).items():
                files["/etc/kubernetes/kubelet.conf.d/" + name] = yaml.safe_dump(document, sort_keys=False)
        command += " --container-runtime-endpoint=%s $KUBELET_EXTRA_ARGS" % endpoint
        files["/etc/systemd/system/kubelet.service"] = UNIT % (
            "%sEnvironmentFile=-/etc/default/kubelet\nExecStart=%s" % (env, command), restart_sec)
        files["/etc/default/kubelet"] = 'KUBELET_EXTRA_ARGS="--v=2 %s"\n' % extra
        files[config_path] = (
            "# Kubelet configuration of %s (written by the operator; comments and order are kept by edits)\n"
            % node["name"] + yaml.safe_dump(config, sort_keys=False))
    files["/etc/kubernetes/pki/ca.crt"] = open(os.path.join(PKI, "ca.crt")).read()
    if node.get("admin_cert", True):  # kubeadm puts it on control-plane nodes only; a worker has none
        files["/etc/kubernetes/pki/apiserver-kubelet-client.crt"] = open(os.path.join(PKI, "client.crt")).read()
        files["/etc/kubernetes/pki/apiserver-kubelet-client.key"] = open(os.path.join(PKI, "client.key")).read()
    files["/var/lib/kubelet/seccomp/lab/custom.json"] = json.dumps(
        {"defaultAction": "SCMP_ACT_LOG", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]
         if platform.machine() == "x86_64" else ["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"], "syscalls": []}, indent=1) + "\n"
    if runtime == "containerd" and "/etc/containerd/config.toml" not in files:
        files["/etc/containerd/config.toml"] = (
            'version = 2\n\n[plugins."io.containerd.grpc.v1.cri"]\n  sandbox_image = "registry.k8s.io/pause:3.9"\n'
            '[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]\n  runtime_type = "io.containerd.runc.v2"\n')
    elif runtime == "crio" and "/etc/crio/crio.conf" not in files:
        files["/etc/crio/crio.conf"] = (
            "# CRI-O configuration (lab node %s)\n[crio]\n\n[crio.runtime]\n"
            "# seccomp_profile = \"\"  (empty: CRI-O's built-in default)\ncgroup_manager = \"cgroupfs\"\n"
            "conmon_cgroup = \"pod\"\n\n[crio.image]\npause_image = \"registry.k8s.io/pause:3.9\"\n" % node["name"])
    if runtime == "crio":
        os.makedirs(os.path.join(fs, "etc-crio", "crio.conf.d"), exist_ok=True)
    if node.get("api_server"):
        files.update(node_credentials(node, files))
    for path, text in (node.get("files") or {}).items():
        files[path] = text
    for workload in node.get("workloads", list(WORKLOADS)):
        files["/etc/kubernetes/manifests/%s.yaml" % workload] = yaml.safe_dump(manifest(workload), sort_keys=False)
    files[kubelet_binary] = (
        "#!/bin/sh\n# Lab stand-in for the kubelet binary (tests/lab/kubelet.py)\n"
        "export LAB_KUBELET_VERSION=%s LAB_IMAGES=%s LAB_RUNTIME_DEFAULTS=%s\n%s"
        "exec %s %s/kubelet.py \"$@\"\n" % (
            version, IMAGES, RUNTIME_DEFAULTS,
            "export LAB_KUBELET_REFUSE_CHANGE=%s\n" % shlex.quote(node["refuse_config_change"])
            if node.get("refuse_config_change") else "", NODE_PYTHON, HERE))
    files["/usr/local/bin/crictl"] = "#!/bin/sh\nexec %s %s/crictl.py \"$@\"\n" % (NODE_PYTHON, HERE)
    if runtime == "crio":
        files["/usr/local/bin/crio"] = (
            "#!/bin/sh\n# Lab stand-in for the crio binary (tests/lab/crio.py)\nexport LAB_CRIO_VERSION=%s\n"
            "exec %s %s/crio.py \"$@\"\n" % (CRIO_VERSION.get(minor, "1.%d.0" % minor), NODE_PYTHON, HERE))
        files["/etc/systemd/system/crio.service"] = (
            "[Unit]\nDescription=Container Runtime Interface for OCI (CRI-O)\n\n[Service]\n"
            "ExecStart=/usr/local/bin/crio\nExecReload=/bin/kill -s HUP $MAINPID\nRestart=on-failure\n"
            "RestartSec=1\n\n[Install]\nWantedBy=multi-user.target\n")
    return files


def manifest(workload):
    _script, pod_sc, ctr_sc = WORKLOADS[workload]
    container = {"name": workload, "image": "lab/%s:1" % workload, "command": ["/bin/sh", "/entrypoint.sh"]}
    if ctr_sc:
        container["securityContext"] = ctr_sc
    spec = {"containers": [container], "restartPolicy": "Always"}
    if pod_sc:
        spec["securityContext"] = pod_sc
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": workload, "namespace": "default", "labels": {"app": workload}}, "spec": spec}


BIND_DIRS = [("/etc/kubernetes", "etc-kubernetes"), ("/var/lib/kubelet", "var-lib-kubelet"),
             ("/var/lib/k8s-seccomp-default", "var-lib-k8s-seccomp-default"),
             ("/etc/containerd", "etc-containerd"), ("/etc/crio", "etc-crio"), ("/var/log", "var-log"),
             ("/run", "run"), ("/etc/systemd/system", "etc-systemd-system"), ("/usr/local/bin", "usr-local-bin"),
             ("/etc/sysconfig", "etc-sysconfig"), ("/etc/eks", "etc-eks"), ("/etc/openshift", "etc-openshift"),
             ("/srv/kubernetes", "srv-kubernetes")]
# /tmp stays the host's: the lab's own code may live there (a CI clone), and the node runs it. The host's
# /usr/bin and unit directory stay visible under the node's own files (packages put the kubelet there).
OVERLAYS = [("/etc/default", "etc-default"), ("/usr/bin", "usr-bin"),
            ("/usr/lib/systemd/system", "usr-lib-systemd-system")]


def fs_path(fs, production_path):
    for target, source in BIND_DIRS + OVERLAYS:
        if production_path == target or production_path.startswith(target + "/"):
            return os.path.join(fs, source, os.path.relpath(production_path, target))
    raise ValueError("%s is not under a node directory" % production_path)


# --- the lab API server (tests/lab/apiserver.py), for fleets described with "api_server": true ---

APISERVER_ADDRESS = "192.0.2.1"  # as tests/lab/apiserver.py ADDRESS
KUBELET_CLIENT_PEM = "/var/lib/kubelet/pki/kubelet-client-current.pem"


def issue(name, subject, key_usage="clientAuth", san=None):
    """A certificate and key signed by the lab CA (PKI/<name>.crt, .key)."""
    cert, key = os.path.join(PKI, name + ".crt"), os.path.join(PKI, name + ".key")
    if not os.path.exists(cert):
        csr = os.path.join(PKI, name + ".csr")
        subprocess.run(["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", subject, "-keyout", key, "-out", csr],
                       check=True, capture_output=True)
        extensions = os.path.join(PKI, name + ".ext")
        with open(extensions, "w") as handle:
            handle.write("extendedKeyUsage=%s\n%s" % (key_usage, "subjectAltName=%s\n" % san if san else ""))
        subprocess.run(["openssl", "x509", "-req", "-in", csr, "-CA", os.path.join(PKI, "ca.crt"), "-CAkey",
                        os.path.join(PKI, "ca.key"), "-CAcreateserial", "-days", "3650", "-out", cert,
                        "-extfile", extensions], check=True, capture_output=True)
    return cert, key


def kubeconfig(server, user, cert, key):
    """A kubeconfig as kubeadm writes one (kubelet.conf after TLS bootstrap: one PEM for certificate and key)."""
    with open(os.path.join(PKI, "ca.crt"), "rb") as handle:
        ca = base64.b64encode(handle.read()).decode()
    return yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "preferences": {}, "current-context": "%s@kubernetes" % user,
        "clusters": [{"name": "kubernetes", "cluster": {"server": server, "certificate-authority-data": ca}}],
        "contexts": [{"name": "%s@kubernetes" % user, "context": {"cluster": "kubernetes", "user": user}}],
        "users": [{"name": user, "user": {"client-certificate": cert, "client-key": key}}]}, sort_keys=True)


def node_credentials(node, files):
    """The kubelet's own kubeconfig, where its unit's --kubeconfig names it, and its client certificate
    (system:node:<name>, group system:nodes), as kubeadm's TLS bootstrap leaves them."""
    texts = "\n".join(files.values())
    found = re.search(r"--kubeconfig[= ](\S+?)[\"' ]?(?:\s|$)", texts)
    path = found.group(1) if found else "/etc/kubernetes/kubelet.conf"
    cert, key = issue("node-" + node["name"], "/O=system:nodes/CN=system:node:%s" % node["name"])
    return {path: kubeconfig("https://%s:6443" % APISERVER_ADDRESS, "system:node:" + node["name"], KUBELET_CLIENT_PEM,
                             KUBELET_CLIENT_PEM),
            KUBELET_CLIENT_PEM: open(cert).read() + open(key).read()}


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_apiserver(directory, description, nodes):
    """The lab API server for the fleet: the controller's kubeconfig (system:masters) and the server's pid."""
    cert, key = issue("apiserver", "/CN=kube-apiserver", "serverAuth", "IP:127.0.0.1,IP:%s" % APISERVER_ADDRESS)
    port = free_port()
    hosts = dict((node["name"], (kubelet_addresses(node) or ["127.0.0.1"])[0]) for node in description["nodes"])
    with open(os.path.join(directory, "apiserver.json"), "w") as handle:
        json.dump({"pki": PKI, "serving_cert": cert, "serving_key": key, "port": port, "nodes": nodes,
                   "kubelet_hosts": hosts, "description": description}, handle, indent=1)
    log_file = open(os.path.join(directory, "apiserver.log"), "ab")
    process = subprocess.Popen([NODE_PYTHON, os.path.join(HERE, "apiserver.py"), directory], stdin=subprocess.DEVNULL,
                               stdout=log_file, stderr=log_file, start_new_session=True)
    deadline = time.time() + 20
    while not os.path.exists(os.path.join(directory, "apiserver.ready")):
        if process.poll() is not None or time.time() > deadline:
            raise RuntimeError("the lab API server did not start; see %s" % os.path.join(directory, "apiserver.log"))
        time.sleep(0.05)
    admin = os.path.join(directory, "admin.kubeconfig")
    with open(admin, "w") as handle:
        handle.write(kubeconfig("https://127.0.0.1:%d" % port, "kubernetes-admin", os.path.join(PKI, "client.crt"),
                                os.path.join(PKI, "client.key")))
    return {"pid": process.pid, "port": port, "kubeconfig": admin}


# Fault injection: "hide" takes a node's tool or device away, as a node that never had it. A tool in an overlaid
# directory gets an overlayfs whiteout; /dev/kmsg gets /dev/null over it (kind links /dev/kmsg to /dev/console when
# a node has none: something is there, but not the kernel's log).
HIDDEN_DEVICES = {"/dev/kmsg": "/dev/null"}


def hide_files(node, fs):
    for path in node.get("hide") or []:
        if path in HIDDEN_DEVICES:
            continue
        if not any(path.startswith(target + "/") for target, _upper in OVERLAYS):
            raise ValueError("hide: %s is not in an overlaid directory (%s)" % (path, ", ".join(t for t, _u in OVERLAYS)))
        whiteout = fs_path(fs, path)
        os.makedirs(os.path.dirname(whiteout), exist_ok=True)
        if not os.path.lexists(whiteout):
            os.mknod(whiteout, stat.S_IFCHR | 0o000, os.makedev(0, 0))


def hidden_devices(node):
    return [(path, HIDDEN_DEVICES[path]) for path in node.get("hide") or [] if path in HIDDEN_DEVICES]


def create_node(fleet_dir, node, restart_sec):
    node_dir = os.path.join(fleet_dir, "nodes", node["name"])
    fs = os.path.join(node_dir, "fs")
    for _target, source in BIND_DIRS:
        os.makedirs(os.path.join(fs, source), exist_ok=True)
    for _target, upper in OVERLAYS:
        os.makedirs(os.path.join(fs, upper), exist_ok=True)
        os.makedirs(os.path.join(fs, upper + ".work"), exist_ok=True)
    # The runtime is a service of its own: crictl reaches it whether the kubelet runs or not.
    os.makedirs(os.path.join(fs, "run", "containerd" if node["runtime"] == "containerd" else "crio", "lab-cri"),
                exist_ok=True)
    # The host's /var/log has the dpkg and apt logs a node would have; the journal and pods are its own.
    for path, text in node_files(node, fs, restart_sec).items():
        try:
            target = fs_path(fs, path)
        except ValueError:
            continue  # a file of the real layout outside the node's own directories (/etc/crictl.yaml)
        write(target, text, 0o755 if path.startswith(("/usr/local/bin/", "/usr/bin/")) else
              (0o600 if path.endswith(".key") else 0o644))
    hide_files(node, fs)
    wants = os.path.join(fs, "etc-systemd-system", "multi-user.target.wants")
    os.makedirs(wants, exist_ok=True)
    for unit in ("kubelet.service", "crio.service") if node["runtime"] == "crio" else ("kubelet.service",):
        if not os.path.lexists(os.path.join(wants, unit)):
            os.symlink("/etc/systemd/system/" + unit, os.path.join(wants, unit))
    description = {
        "hostname": node["name"],
        "binds": BIND_DIRS,
        "overlays": OVERLAYS,
        "file_binds": [("/usr/bin/%s" % tool, os.path.join(node_dir, "bin", tool)) for tool in ("systemctl", "journalctl")]
        + hidden_devices(node),
        "addresses": node_addresses(node),
        "node": node,
    }
    for tool in ("systemctl", "journalctl"):
        # Bind-mounted over /usr/bin/<tool> in the node, where $0 no longer says where the lab is.
        write(os.path.join(node_dir, "bin", tool), "#!/bin/sh\nexec %s -I %s %s \"$@\"\n"
              % (NODE_PYTHON, os.path.join(HERE, "systemctl.py"), tool), 0o755)
    with open(os.path.join(node_dir, "node.json"), "w") as handle:
        json.dump(description, handle, indent=1)
    console = open(os.path.join(node_dir, "console.log"), "ab")
    # No PID namespace: on a real node the kubelet, the runtime and whoever reads the kernel's audit
    # records share the host's PIDs, and a record's pid= must find its /proc/<pid>/cgroup.
    process = subprocess.Popen(
        ["unshare", "--mount", "--uts", "--ipc", "--net", "--fork", "--kill-child=SIGKILL",
         NODE_PYTHON, "-I", os.path.join(HERE, "node.py"), node_dir],
        stdin=subprocess.DEVNULL, stdout=console, stderr=console, start_new_session=True)
    init_pid = wait_for_child(process.pid)
    with open(os.path.join(node_dir, "pid"), "w") as handle:
        handle.write("%d\n%d\n" % (init_pid, process.pid))
    namespaces = {}
    for kind in ("mnt", "uts", "ipc", "net"):
        namespaces[kind] = os.readlink("/proc/%d/ns/%s" % (init_pid, kind))
    with open(os.path.join(node_dir, "namespaces.json"), "w") as handle:
        json.dump(namespaces, handle)
    return init_pid


def wait_for_child(pid, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with open("/proc/%d/task/%d/children" % (pid, pid)) as handle:
                children = handle.read().split()
        except OSError:
            children = []
        if children:
            return int(children[0])
        time.sleep(0.02)
    raise RuntimeError("the node's init did not start (unshare pid %d)" % pid)


# --- the fleet ---

def fleet_dir(name):
    return os.path.join(LAB_ROOT, "fleets", name)


def create(description, restart_sec=2, wait=True):
    name = description.get("name", "lab")
    directory = fleet_dir(name)
    if os.path.exists(directory):
        destroy(name)
    os.makedirs(directory)
    build_images()
    make_module_python()
    capture_containerd_default()
    make_pki()
    created = []
    for path in HOST_MOUNTPOINTS:
        if not os.path.exists(path):
            os.makedirs(path)
            created.append(path)
    nodes = {}
    for node in description["nodes"]:
        nodes[node["name"]] = create_node(directory, dict(node, api_server=bool(description.get("api_server"))),
                                          restart_sec)
    state = {"name": name, "description": description, "created_mountpoints": created, "nodes": nodes,
             "doors": dict((node, open_door(pid)) for node, pid in nodes.items()),
             "inventory": os.path.join(directory, "inventory.yml")}
    if description.get("api_server"):
        state["api_server"] = start_apiserver(directory, description, nodes)
    with open(os.path.join(directory, "fleet.json"), "w") as handle:
        json.dump(state, handle, indent=1)
    write_inventory(state)
    if wait:
        wait_healthy(state, expect_down=[n["name"] for n in description["nodes"] if n.get("expect_down")])
    return state


def write_inventory(state):
    hosts = {}
    for node in state["description"]["nodes"]:
        hosts[node["name"]] = {
            "ansible_connection": "community.docker.nsenter",
            "ansible_nsenter_pid": state.get("doors", state["nodes"])[node["name"]],
            "ansible_python_interpreter": MODULE_PYTHON,
            "lab_kubelet_version": node["version"],
            "lab_runtime": node["runtime"],
            "lab_layout": node["layout"],
        }
    inventory = {"all": {"children": {"kube_node": {"hosts": hosts}}, "vars": {
        # The kubelet's /configz needs a client certificate that its authorizer accepts; on the lab
        # nodes it is where kubeadm puts the API server's kubelet client certificate.
        "seccomp_configz_client_cert": "/etc/kubernetes/pki/apiserver-kubelet-client.crt",
        "seccomp_configz_client_key": "/etc/kubernetes/pki/apiserver-kubelet-client.key",
    }}}
    if state.get("api_server"):
        # The controller's kubeconfig (system:masters): the drain, and /configz through the API server's proxy.
        inventory["all"]["vars"]["seccomp_kubeconfig"] = state["api_server"]["kubeconfig"]
    with open(state["inventory"], "w") as handle:
        handle.write("# Lab fleet %s, written by tests/lab; nodes are reached with nsenter (run as root).\n" % state["name"])
        yaml.safe_dump(inventory, handle, sort_keys=False)


# --- the controller's way in: the inventory reaches each node through a "door", a process of its own in the
# node's namespaces. Closing it makes the node unreachable to Ansible (nsenter fails, the task is UNREACHABLE)
# while the node itself - kubelet, runtime, workloads - goes on running, as when a network link goes down.

def open_door(init_pid):
    door = subprocess.Popen(["nsenter", "--target", str(init_pid), "--mount", "--uts", "--ipc", "--net", "--", "sleep", "infinity"],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.time() + 5
    while time.time() < deadline and os.readlink("/proc/%d/ns/mnt" % door.pid) != os.readlink("/proc/%d/ns/mnt" % init_pid):
        time.sleep(0.01)
    return door.pid


def _save(state):
    with open(os.path.join(fleet_dir(state["name"]), "fleet.json"), "w") as handle:
        json.dump(state, handle, indent=1)


def partition(name, node):
    """Make ``node`` unreachable to Ansible: its door closes; everything on the node keeps running."""
    state = load_state(name)
    pid = state["doors"][node]
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    deadline = time.time() + 5
    while time.time() < deadline and os.path.exists("/proc/%d" % pid) and not _zombie(pid):
        time.sleep(0.01)
    return state


def reconnect(name, node):
    """Open a new door into ``node`` and rewrite the inventory, as when the link comes back with a new address."""
    state = load_state(name)
    state["doors"][node] = open_door(state["nodes"][node])
    _save(state)
    write_inventory(state)
    return state


def _zombie(pid):
    try:
        with open("/proc/%d/stat" % pid) as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return False


# What a rollout may change on a node and must give back byte for byte when it rolls back.
CONFIG_PATHS = ("/etc/kubernetes", "/etc/default", "/etc/crio", "/etc/containerd", "/etc/systemd/system",
                "/var/lib/kubelet/config.yaml", "/var/lib/kubelet/kubeadm-flags.env", "/var/lib/kubelet/kubelet.conf",
                "/etc/sysconfig", "/etc/eks", "/etc/openshift", "/usr/lib/systemd/system")


def snapshot(name):
    """Per node: sha256 of every configuration file a rollout may touch (backups listed apart), the kubelet's main
    PID, and health."""
    state = load_state(name)
    result = {}
    for node, pid in state["nodes"].items():
        fs = os.path.join(fleet_dir(name), "nodes", node, "fs")
        files, backups = {}, []
        for path in CONFIG_PATHS:
            top = fs_path(fs, path)
            found = [top] if os.path.isfile(top) else [os.path.join(root, entry) for root, _dirs, entries in os.walk(top)
                                                       for entry in entries]
            for real in found:
                if real.endswith("~"):  # the backups Ansible modules keep beside a file they replace
                    backups.append(path + real[len(top):])
                elif os.path.isfile(real) and not os.path.islink(real):
                    with open(real, "rb") as handle:
                        files[path + real[len(top):]] = hashlib.sha256(handle.read()).hexdigest()
        main_pid = in_node(pid, ["systemctl", "show", "kubelet", "--property=MainPID", "--value"]).stdout.strip()
        result[node] = {"files": files, "backups": sorted(backups), "kubelet_pid": int(main_pid or 0), "healthy": healthz(pid)}
    return result


def in_node(pid, argv, timeout=30):
    return subprocess.run(["nsenter", "--target", str(pid), "--mount", "--uts", "--ipc", "--net", "--"] + argv,
                          capture_output=True, text=True, timeout=timeout, check=False)


def healthz(pid, port=10248):
    result = in_node(pid, [NODE_PYTHON, "-c", "import urllib.request,sys;"
                           "print(urllib.request.urlopen('http://127.0.0.1:%d/healthz', timeout=2).read().decode())" % port])
    return result.returncode == 0 and result.stdout.strip() == "ok"


def wait_healthy(state, expect_down=(), timeout=60):
    deadline = time.time() + timeout
    pending = [name for name in state["nodes"] if name not in expect_down]
    while pending and time.time() < deadline:
        pending = [name for name in pending if not healthz(state["nodes"][name])]
        if pending:
            time.sleep(0.3)
    if pending:
        raise RuntimeError("lab nodes whose kubelet did not become healthy: %s" % ", ".join(pending))


def load_state(name):
    with open(os.path.join(fleet_dir(name), "fleet.json")) as handle:
        return json.load(handle)


def listing(name):
    state = load_state(name)
    rows = []
    for node in state["description"]["nodes"]:
        pid = state["nodes"][node["name"]]
        alive = os.path.exists("/proc/%d" % pid)
        rows.append(dict(name=node["name"], version=node["version"], runtime=node["runtime"], layout=node["layout"],
                         pid=pid, running=alive, healthy=alive and healthz(pid)))
    return rows


def destroy(name):
    directory = fleet_dir(name)
    try:
        state = load_state(name)
    except OSError:
        state = {"nodes": {}, "created_mountpoints": []}
    left = {"processes": [], "mounts": [], "cgroups": []}
    server = (state.get("api_server") or {}).get("pid")
    if server:
        try:
            os.kill(server, signal.SIGKILL)
            _wait_gone(server)
        except ProcessLookupError:
            pass
    for node_name in os.listdir(os.path.join(directory, "nodes")) if os.path.isdir(os.path.join(directory, "nodes")) else []:
        pid_file = os.path.join(directory, "nodes", node_name, "pid")
        try:
            pids = [int(line) for line in open(pid_file).read().split()]
        except (OSError, ValueError):
            continue
        try:
            with open(os.path.join(directory, "nodes", node_name, "namespaces.json")) as handle:
                namespaces = set(json.load(handle).values())
        except (OSError, ValueError):
            namespaces = set()
        node_run = os.path.join(directory, "nodes", node_name, "fs", "run")
        # The node has no PID namespace to take everything down with it: kill its service manager,
        # every process in its namespaces (shims, kubelet) and every process in its pod cgroups.
        deadline = time.time() + 10
        while True:
            victims = set(pids) | set(_holders(namespaces)) | set(_pod_cgroup_pids(node_run))
            victims = {pid for pid in victims if os.path.exists("/proc/%d" % pid)}
            if not victims or time.time() > deadline:
                break
            for pid in victims:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.05)
        for pid in pids:
            _wait_gone(pid)
        left["processes"].extend(_holders(namespaces))
        remove_cgroups(os.path.join(directory, "nodes", node_name, "fs", "run"), left)
    for path in state.get("created_mountpoints", []):
        if not any(os.path.exists(os.path.join(fleet_dir(other), "fleet.json")) for other in list_fleets() if other != name):
            try:
                os.rmdir(path)
            except OSError:
                pass
    shutil.rmtree(directory, ignore_errors=True)
    with open("/proc/self/mountinfo") as handle:
        left["mounts"] = [line.strip() for line in handle if directory in line]
    return left


def _wait_gone(pid, timeout=10):
    deadline = time.time() + timeout
    while os.path.exists("/proc/%d" % pid) and time.time() < deadline:
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        time.sleep(0.05)


def _node_pod_uids(node_run):
    uids = set()
    for root, _dirs, files in os.walk(node_run):
        if "cri.json" in files:
            try:
                with open(os.path.join(root, "cri.json")) as handle:
                    uids.add(json.load(handle)["labels"]["io.kubernetes.pod.uid"])
            except (OSError, ValueError, KeyError):
                pass
    return uids


def _pod_cgroup_pids(node_run):
    pids = set()
    for uid in _node_pod_uids(node_run):
        for pod_dir in _glob_cgroups("kubepods/besteffort/pod%s" % uid):
            for root, _dirs, files in os.walk(pod_dir):
                if "cgroup.procs" in files:
                    try:
                        with open(os.path.join(root, "cgroup.procs")) as handle:
                            pids.update(int(line) for line in handle if line.strip())
                    except (OSError, ValueError):
                        pass
    return pids


def remove_cgroups(node_run, left):
    """runc's cgroups of the node's containers (the kernel removes processes, not cgroup directories)."""
    for uid in _node_pod_uids(node_run):
        for pod_dir in _glob_cgroups("kubepods/besteffort/pod%s" % uid):
            for root, dirs, _files in os.walk(pod_dir, topdown=False):
                for sub in dirs:
                    _rmdir_retry(os.path.join(root, sub))
            _rmdir_retry(pod_dir)
            if os.path.exists(pod_dir):
                left["cgroups"].append(pod_dir)


def _glob_cgroups(relative):
    return glob.glob("/sys/fs/cgroup/*/%s" % relative) + glob.glob("/sys/fs/cgroup/%s" % relative)


def _rmdir_retry(path):
    for _attempt in range(50):
        try:
            os.rmdir(path)
            return
        except FileNotFoundError:
            return
        except OSError:
            time.sleep(0.1)


def list_fleets():
    root = os.path.join(LAB_ROOT, "fleets")
    return sorted(os.listdir(root)) if os.path.isdir(root) else []


def leftovers():
    """What destroyed fleets left behind, when no fleet is up: processes, mounts, cgroups."""
    if list_fleets():
        raise RuntimeError("fleets are up (%s); destroy them first" % ", ".join(list_fleets()))
    processes = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            cmdline = open("/proc/%s/cmdline" % entry, "rb").read().replace(b"\0", b" ").decode("utf-8", "replace")
            cgroup = open("/proc/%s/cgroup" % entry).read()
        except OSError:
            continue
        if LAB_ROOT in cmdline or HERE in cmdline or "/kubepods/" in cgroup:
            processes.append("%s %s" % (entry, cmdline.strip()))
    with open("/proc/self/mountinfo") as handle:
        mounts = [line.strip() for line in handle if LAB_ROOT in line]
    return {"processes": processes, "mounts": mounts, "cgroups": glob.glob("/sys/fs/cgroup/*/kubepods/besteffort/pod*")}


def _holders(namespaces):
    """PIDs of processes that are in any of ``namespaces`` (ns link texts such as 'mnt:[4026532396]')."""
    holders = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        for kind in ("mnt", "uts", "ipc", "net"):
            try:
                if os.readlink("/proc/%s/ns/%s" % (entry, kind)) in namespaces:
                    holders.append(int(entry))
                    break
            except OSError:
                break
    return holders


def fetch_configz(pid, port=10250):
    """/configz as an admin would read it (client certificate of system:masters)."""
    code = ("import ssl,urllib.request,json;c=ssl.create_default_context();c.check_hostname=False;"
            "c.verify_mode=ssl.CERT_NONE;c.load_cert_chain('%s','%s');"
            "print(urllib.request.urlopen('https://127.0.0.1:%d/configz',context=c,timeout=5).read().decode())"
            % (os.path.join(PKI, "client.crt"), os.path.join(PKI, "client.key"), port))
    result = in_node(pid, [NODE_PYTHON, "-c", code])
    if result.returncode != 0:
        raise RuntimeError(result.stderr)
    return json.loads(result.stdout)["kubeletconfig"]
