"""A stand-in kubelet for the lab (test infrastructure: no kubelet binary can be installed here).

It behaves as docs/kubernetes-facts.md#seccompdefault-gate-lifecycle, docs/kubernetes-facts.md#kubelet-config-files-and-drop-ins
and docs/kubernetes-facts.md#effective-profile-rules document for the version it is given (LAB_KUBELET_VERSION):
flags and their parse errors, --config, --config-dir drop-ins (*.conf, lexical order, RFC 7386
merge patch; the 1.28-1.29 alpha environment variable), --root-dir, --seccomp-default ORed with
the config field, the SeccompDefault gate per version with the kubelet's error texts, /healthz on
healthzBindAddress:healthzPort, /configz on the authenticated port, and static pods run as runc
containers with the effective seccomp profile of section 3.

It deliberately does not import the collection's kubelet code: it is the oracle the collection is
tested against, written from the facts, not from the code under test.
"""

import ctypes
import datetime
import hashlib
import http.server
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time

import yaml

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
from tests.lab import runtime as lab_runtime  # noqa: E402

GATE = "SeccompDefault"
API_VERSION = "kubelet.config.k8s.io/v1beta1"
DEFAULTS = {
    "apiVersion": API_VERSION, "kind": "KubeletConfiguration",
    "address": "0.0.0.0", "port": 10250, "healthzBindAddress": "127.0.0.1", "healthzPort": 10248,
    "seccompDefault": False, "cgroupDriver": "cgroupfs", "staticPodPath": "",
    "authentication": {"anonymous": {"enabled": False}, "webhook": {"enabled": True, "cacheTTL": "2m0s"},
                       "x509": {}},
    "authorization": {"mode": "Webhook", "webhook": {"cacheAuthorizedTTL": "5m0s", "cacheUnauthorizedTTL": "30s"}},
    "featureGates": {},
}
COMMON_FLAGS = {"--config", "--root-dir", "--seccomp-default", "--feature-gates", "--kubeconfig",
                "--bootstrap-kubeconfig", "--container-runtime-endpoint", "--hostname-override", "--node-ip",
                "--v", "--pod-infra-container-image", "--node-labels", "--register-node", "--cgroup-driver",
                "--version", "--help"}
# Flags the installers' units pass (tests/data/nodes): accepted, not acted on.
COMMON_FLAGS |= {"--runtime-cgroups", "--cloud-provider", "--image-credential-provider-config",
                 "--image-credential-provider-bin-dir", "--register-schedulable", "--runtime-request-timeout",
                 "--provider-id", "--minimum-container-ttl-duration", "--volume-plugin-dir", "--logtostderr"}
BOOL_FLAGS = {"--seccomp-default", "--register-node", "--version", "--help", "--register-schedulable", "--logtostderr"}


class Fatal(Exception):
    pass


def version():
    text = os.environ.get("LAB_KUBELET_VERSION", "")
    parts = text.lstrip("v").split(".")
    return int(parts[0]), int(parts[1]), int(parts[2]) if len(parts) > 2 else 0


def gate_stage(minor):
    if minor <= 24:
        return "alpha"
    if minor <= 26:
        return "beta"
    if minor <= 28:
        return "ga"
    return "removed"


def klog(level, message, **fields):
    now = datetime.datetime.now()
    suffix = "".join(' %s="%s"' % (key, str(value).replace('"', '\\"')) for key, value in fields.items())
    sys.stderr.write('%s%s %s %7d kubelet.go:0] "%s"%s\n' % (
        level, now.strftime("%m%d"), now.strftime("%H:%M:%S.%f"), os.getpid(), message, suffix))
    sys.stderr.flush()


def parse_args(argv, minor):
    known = set(COMMON_FLAGS)
    if minor >= 28:
        known.add("--config-dir")
    if minor < 27:
        known.add("--container-runtime")
    flags = {}
    items = list(argv)
    while items:
        item = items.pop(0)
        if not item.startswith("--"):
            continue  # positional words (the interpreter's script path) are not flags
        name, has_value, value = item.partition("=")
        if name not in known:
            raise Fatal("unknown flag: %s" % name)
        if not has_value:
            if name in BOOL_FLAGS:
                value = "true"
            elif items:
                value = items.pop(0)
            else:
                raise Fatal("flag needs an argument: %s" % name)
        if name == "--feature-gates" and name in flags:
            value = flags[name] + "," + value
        flags[name] = value
    return flags


def set_gates(gates, minor, origin):
    """component-base SetFromMap for the one gate that matters here; other gates are accepted."""
    stage = gate_stage(minor)
    value = gates.get(GATE)
    if GATE in gates and stage == "removed":
        return "unrecognized feature gate: %s" % GATE
    if value is False and stage == "ga":
        return "cannot set feature gate %s to false, feature is locked to true" % GATE
    if value is True and stage == "ga":
        klog("W", "Setting GA feature gate %s=true. It will be removed in a future release." % GATE)
    return None


def parse_gate_flag(text, minor):
    gates = {}
    for item in (text or "").split(","):
        if not item.strip():
            continue
        key, _sep, value = item.partition("=")
        if value.strip().lower() not in ("true", "false"):
            raise Fatal('failed to parse kubelet flag: invalid argument "%s" for "--feature-gates" flag: '
                        'invalid value of %s=%s, err: strconv.ParseBool: parsing "%s": invalid syntax'
                        % (text, key, value, value))
        gates[key.strip()] = value.strip().lower() == "true"
    problem = set_gates(gates, minor, "flag")
    if problem:
        raise Fatal('failed to parse kubelet flag: invalid argument "%s" for "--feature-gates" flag: %s' % (text, problem))
    return gates


def merge_patch(target, patch):
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def load_file(path, what):
    try:
        with open(path) as handle:
            text = handle.read()
    except OSError as exc:
        reason = exc.strerror.lower() if exc.strerror else exc
        raise Fatal("failed to load kubelet config file, path: %s, error: failed to load Kubelet config file %s, "
                    "error failed to read kubelet config file \"%s\", error: %s" % (path, path, path, reason))
    try:
        document = yaml.safe_load(text) if text.strip() else {}
    except yaml.YAMLError as exc:
        raise Fatal("failed to load kubelet config file, path: %s, error: failed to decode %s: %s"
                    % (path, what, " ".join(str(exc).split())))
    if not isinstance(document, dict):
        raise Fatal("failed to load kubelet config file, path: %s, error: failed to decode: couldn't get version/kind; "
                    "json parse error" % path)
    if document.get("apiVersion") != API_VERSION or document.get("kind") != "KubeletConfiguration":
        raise Fatal('failed to load kubelet config file, path: %s, error: failed to decode: no kind "%s" is registered '
                    'for version "%s" in scheme "pkg/kubelet/apis/config/scheme/scheme.go:33"'
                    % (path, document.get("kind"), document.get("apiVersion")))
    return document


def check_types(config, path):
    for key, kind in (("seccompDefault", bool), ("healthzPort", int), ("port", int), ("featureGates", dict)):
        if key in config and not isinstance(config[key], kind):
            raise Fatal('failed to load kubelet config file, path: %s, error: failed to decode: json: cannot unmarshal '
                        '%s into Go struct field KubeletConfiguration.%s' % (path, type(config[key]).__name__, key))
    for gate, value in (config.get("featureGates") or {}).items():
        if not isinstance(value, bool):
            raise Fatal('failed to load kubelet config file, path: %s, error: failed to decode: json: cannot unmarshal '
                        '%s into Go struct field KubeletConfiguration.featureGates of type bool' % (path, type(value).__name__))


def load_config(flags, minor):
    config = json.loads(json.dumps(DEFAULTS))
    path = flags.get("--config")
    if path:
        config = merge_patch(config, load_file(path, "config file"))
    dropin_dir = flags.get("--config-dir")
    if dropin_dir:
        if minor <= 29 and "KUBELET_CONFIG_DROPIN_DIR_ALPHA" not in os.environ:
            raise Fatal("flag %s specified but environment variable KUBELET_CONFIG_DROPIN_DIR_ALPHA not set, "
                        "cannot start kubelet" % dropin_dir)
        names = []
        for root, _dirs, files in os.walk(dropin_dir):
            names.extend(os.path.join(root, name) for name in files if os.path.splitext(name)[1] == ".conf")
        for dropin in sorted(names):
            config = merge_patch(config, load_file(dropin, "drop-in"))
        check_types(config, dropin_dir)
    elif path:
        check_types(config, path)
    return config


def start(argv):
    minor = version()[1]
    flags = parse_args(argv, minor)
    if "--version" in flags:
        sys.stdout.write("Kubernetes v%d.%d.%d\n" % version())
        sys.exit(0)
    flag_gates = parse_gate_flag(flags.get("--feature-gates"), minor)
    config = load_config(flags, minor)
    gates = dict(flag_gates)
    gates.update(config.get("featureGates") or {})
    problem = set_gates(config.get("featureGates") or {}, minor, "config")
    if problem:
        raise Fatal("failed to set feature gates from initial flags-based config: %s" % problem)
    stage = gate_stage(minor)
    gate_on = gates.get(GATE, stage != "alpha") if stage != "removed" else True
    flag_seccomp = str(flags.get("--seccomp-default", "false")).lower() in ("true", "1", "t")
    if flag_seccomp and not gate_on:
        raise Fatal("the SeccompDefault feature gate must be enabled in order to use the --seccomp-default flag")
    if config.get("seccompDefault") and not gate_on:
        raise Fatal("the SeccompDefault feature gate must be enabled in order to use the SeccompDefault configuration")
    effective = dict(config)
    effective["featureGates"] = gates
    refuse_changes(flags, effective)
    return flags, effective, flag_seccomp or bool(config.get("seccompDefault"))


def refuse_changes(flags, config):
    """Fault injection for tests: with LAB_KUBELET_REFUSE_CHANGE set, this kubelet accepts only the
    configuration it first started with and refuses any other with that text, as a kubelet refuses a
    configuration it finds invalid."""
    text = os.environ.get("LAB_KUBELET_REFUSE_CHANGE")
    if not text:
        return
    path = os.path.join(flags.get("--root-dir", "/var/lib/kubelet"), "lab-accepted-config.json")
    current = json.dumps(config, sort_keys=True)
    try:
        with open(path) as handle:
            accepted = handle.read()
    except OSError:
        with open(path, "w") as handle:
            handle.write(current)
        return
    if accepted != current:
        raise Fatal("failed to validate kubelet configuration, error: %s, path: &TypeMeta{Kind:KubeletConfiguration,"
                    "APIVersion:kubelet.config.k8s.io/v1beta1}" % text)


class Handler(http.server.BaseHTTPRequestHandler):
    kubelet = None
    secure = False

    def log_message(self, *_args):
        pass

    def do_GET(self):
        path = self.path.split("?")[0]
        if path == "/healthz":
            return self.reply(200, "ok", "text/plain")
        if not self.secure:
            return self.reply(404, "404 page not found\n", "text/plain")
        user = self.authenticate()
        if user is None:
            return self.reply(401, "Unauthorized", "text/plain")
        if not self.kubelet.authorized(user):
            return self.reply(403, "Forbidden (user=%s, verb=get, resource=nodes, subresource(s)=[%s])\n"
                              % (user[0], path.strip("/")), "text/plain")
        if path == "/configz":
            return self.reply(200, json.dumps({"kubeletconfig": self.kubelet.configz()}), "application/json")
        if path == "/pods":
            return self.reply(200, json.dumps(self.kubelet.pod_list()), "application/json")
        return self.reply(404, "404 page not found\n", "text/plain")

    def authenticate(self):
        cert = self.connection.getpeercert() if hasattr(self.connection, "getpeercert") else None
        if cert:
            subject = dict(item[0] for item in cert.get("subject", ()))
            groups = [value for part in cert.get("subject", ()) for key, value in part if key == "organizationName"]
            return subject.get("commonName", ""), groups
        if self.kubelet.config["authentication"]["anonymous"].get("enabled"):
            return "system:anonymous", ["system:unauthenticated"]
        return None

    def reply(self, code, body, content_type):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, handler):
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        super().__init__(address, handler)


class Kubelet:
    def __init__(self, flags, config, seccomp_default):
        self.flags = flags
        self.config = config
        self.seccomp_default = seccomp_default
        self.root_dir = flags.get("--root-dir", "/var/lib/kubelet")
        self.node_name = flags.get("--hostname-override") or socket.gethostname()
        endpoint = flags.get("--container-runtime-endpoint") or config.get("containerRuntimeEndpoint") or \
            "unix:///run/containerd/containerd.sock"
        self.runtime = lab_runtime.for_endpoint(endpoint)
        self.lock = threading.Lock()
        self.last_manifests = {}
        # The kubelet's container back-off, in memory as in the kubelet (a restart forgets it).
        self.backoff = {}

    def configz(self):
        shown = dict(self.config)
        shown.pop("apiVersion", None)
        shown.pop("kind", None)
        return shown

    def authorized(self, user):
        mode = self.config["authorization"].get("mode", "Webhook")
        if mode == "AlwaysAllow":
            return True
        # Webhook authorization asks the API server (SubjectAccessReview). There is none in the lab:
        # members of system:masters are allowed, as the API server's RBAC would allow them.
        return "system:masters" in user[1]

    def serve(self):
        # The serving pair first, as the kubelet makes it (cmd/kubelet/app/server.go: UnsecuredDependencies calls
        # InitializeTLS) before any of its servers listens: a healthy kubelet has already written it.
        cert, key = self.serving_certificate()
        address = self.config.get("healthzBindAddress") or "127.0.0.1"
        port = int(self.config.get("healthzPort", 10248))
        if port > 0:
            healthz = Server((address, port), Handler)
            threading.Thread(target=healthz.serve_forever, daemon=True).start()
        secure_handler = type("SecureHandler", (Handler,), {"secure": True})
        secure = Server((self.config.get("address") or "0.0.0.0", int(self.config.get("port", 10250))), secure_handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        client_ca = (self.config["authentication"].get("x509") or {}).get("clientCAFile")
        if client_ca:
            context.load_verify_locations(client_ca)
            context.verify_mode = ssl.CERT_OPTIONAL
        secure.socket = context.wrap_socket(secure.socket, server_side=True)
        Handler.kubelet = self
        threading.Thread(target=secure.serve_forever, daemon=True).start()

    def serving_certificate(self):
        cert = self.config.get("tlsCertFile")
        key = self.config.get("tlsPrivateKeyFile")
        if cert and key:
            return cert, key
        # As the kubelet does without tlsCertFile: a self-signed pair under <root-dir>/pki.
        pki = os.path.join(self.root_dir, "pki")
        cert, key = os.path.join(pki, "kubelet.crt"), os.path.join(pki, "kubelet.key")
        if not os.path.exists(cert):
            os.makedirs(pki, exist_ok=True)
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "365",
                            "-subj", "/CN=%s@%d" % (self.node_name, int(time.time())), "-keyout", key, "-out", cert,
                            "-addext", "subjectAltName=DNS:%s,IP:127.0.0.1" % self.node_name],
                           check=True, capture_output=True)
        return cert, key

    # --- static pods ---

    def manifests(self):
        directory = self.config.get("staticPodPath")
        pods = {}
        if not directory or not os.path.isdir(directory):
            return pods
        for name in sorted(os.listdir(directory)):
            if name.startswith(".") or not name.endswith((".yaml", ".yml", ".json")):
                continue
            path = os.path.join(directory, name)
            try:
                with open(path, "rb") as handle:
                    data = handle.read()
                pod = yaml.safe_load(data)
            except (OSError, yaml.YAMLError) as exc:
                klog("E", "Could not process manifest file", path=path, err=exc)
                continue
            if not isinstance(pod, dict) or pod.get("kind") != "Pod":
                continue
            # Static pod UIDs are a hash of the manifest and the node: an edited manifest is a new pod.
            uid = hashlib.md5(data + self.node_name.encode()).hexdigest()
            uid = "%s-%s-%s-%s-%s" % (uid[:8], uid[8:12], uid[12:16], uid[16:20], uid[20:32])
            pods[uid] = pod
        return pods

    def sync_forever(self):
        while True:
            try:
                self.sync()
            except Exception as exc:  # keep syncing, as the kubelet does
                klog("E", "Error syncing pods", err=exc)
            time.sleep(1)

    def sync(self):
        pods = self.manifests()
        for uid in self.runtime.pod_uids():
            if uid not in pods:
                self.runtime.remove_pod(uid)
        for uid, pod in pods.items():
            self.sync_pod(uid, pod)

    def sync_pod(self, uid, pod):
        meta = pod.get("metadata") or {}
        name = "%s-%s" % (meta.get("name", "pod"), self.node_name)
        namespace = meta.get("namespace", "default")
        spec = pod.get("spec") or {}
        policy = spec.get("restartPolicy", "Always")
        for kind, key in (("init", "initContainers"), ("regular", "containers")):
            for container in spec.get(key) or []:
                record = self.runtime.latest(uid, container["name"])
                if record is None:
                    self.create(uid, name, namespace, pod, container, attempt=0)
                elif record["state"] == "CONTAINER_EXITED" or record.get("create_error"):
                    if kind == "init" and record.get("exitCode") == 0:
                        continue
                    if policy == "Never" or (policy == "OnFailure" and record.get("exitCode") == 0):
                        continue
                    finished = record.get("finishedAt", record["createdAt"]) / 1e9
                    key = (uid, container["name"])
                    if not self.in_backoff_since(key, finished):
                        self.next_backoff(key, finished)
                        self.create(uid, name, namespace, pod, container, attempt=record["attempt"] + 1)
                    else:
                        # pod_workers.go logs each sync that the back-off skips.
                        klog("E", "Error syncing pod, skipping", err='failed to "StartContainer" for "%s" with CrashLoopBackOff: '
                             '"back-off %ds restarting failed container=%s pod=%s_%s(%s)"' % (
                                 container["name"], self.backoff[key][0], container["name"], name, namespace, uid),
                             pod="%s/%s" % (namespace, name), podUID=uid)
                if kind == "init":
                    latest = self.runtime.latest(uid, container["name"])
                    if latest is None or latest["state"] != "CONTAINER_EXITED" or latest.get("exitCode") != 0:
                        return  # init containers run one at a time, to completion, before the others

    # kuberuntime_manager.go doBackOff with client-go's flowcontrol.Backoff (initial 10 s, max 300 s): a container
    # that exits for the first time is started again at once; while it keeps exiting, each restart waits twice as
    # long after it finished; an entry not updated for 2 x max is forgotten.
    def in_backoff_since(self, key, finished):
        entry = self.backoff.get(key)
        if entry is None or finished - entry[1] > 2 * lab_runtime.BACKOFF_MAX:
            return False
        return time.time() - finished < entry[0]

    def next_backoff(self, key, finished):
        entry = self.backoff.get(key)
        if entry is None or finished - entry[1] > 2 * lab_runtime.BACKOFF_MAX:
            self.backoff[key] = (lab_runtime.BACKOFF_INITIAL, time.time())
        else:
            self.backoff[key] = (min(entry[0] * 2, lab_runtime.BACKOFF_MAX), time.time())

    def create(self, uid, name, namespace, pod, container, attempt):
        profile = effective_profile(pod, container, self.seccomp_default, self.root_dir)
        self.runtime.create_and_start(
            uid=uid, pod_name=name, namespace=namespace, pod=pod, container=container, attempt=attempt,
            security_profile=profile)

    def pod_list(self):
        """/pods: static pods as the kubelet holds them - named <name>-<node>, bound to this node (config/common.go)."""
        items = []
        for uid, pod in self.manifests().items():
            meta = pod.get("metadata") or {}
            items.append(dict(pod, metadata=dict(meta, uid=uid, name="%s-%s" % (meta.get("name", "pod"), self.node_name),
                                                 namespace=meta.get("namespace") or "default"),
                              spec=dict(pod.get("spec") or {}, nodeName=self.node_name)))
        return {"kind": "PodList", "apiVersion": "v1", "items": items}


def effective_profile(pod, container, seccomp_default, root_dir):
    """What the kubelet sends over CRI (docs/kubernetes-facts.md#kubelet-precedence): container field, pod field, then
    the node default."""
    container_sp = (container.get("securityContext") or {}).get("seccompProfile")
    pod_sp = ((pod.get("spec") or {}).get("securityContext") or {}).get("seccompProfile")
    chosen = container_sp if container_sp is not None else pod_sp
    if chosen is None:
        return {"profile_type": "RuntimeDefault" if seccomp_default else "Unconfined"}
    kind = chosen.get("type")
    if kind == "RuntimeDefault":
        return {"profile_type": "RuntimeDefault"}
    if kind == "Localhost":
        name = chosen.get("localhostProfile")
        if not name:
            return {"error": "localhostProfile must be set if seccompProfile type is Localhost."}
        return {"profile_type": "Localhost", "localhost_ref": os.path.normpath(os.path.join(root_dir, "seccomp", name))}
    return {"profile_type": "Unconfined"}


def set_process_name(name):
    libc = ctypes.CDLL(None)
    libc.prctl(15, ctypes.c_char_p(name.encode()), 0, 0, 0)  # PR_SET_NAME: ps and /proc/<pid>/comm show "kubelet"


def main(argv):
    set_process_name("kubelet")
    try:
        flags, config, seccomp_default = start(argv)
    except Fatal as exc:
        if str(exc).startswith("unknown flag") or str(exc).startswith("flag needs"):
            sys.stderr.write("Error: %s\n" % exc)
        klog("E", "command failed", err=str(exc))
        return 1
    klog("I", "Kubelet version", kubeletVersion="v%d.%d.%d" % version())
    klog("I", "SeccompDefault", enabled=seccomp_default)
    kubelet = Kubelet(flags, config, seccomp_default)
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    try:
        kubelet.serve()
    except OSError as exc:
        klog("E", "command failed", err="failed to listen: %s" % exc)
        return 1
    kubelet.sync_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
