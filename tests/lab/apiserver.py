"""The lab's API server: the few calls the collection and kubernetes.core's k8s_drain make, over HTTPS with
authentication by client certificate, as a real API server answers them.

- GET /version, /api, /apis, /api/v1: discovery (the kubernetes client reads it before any call).
- GET /api/v1/pods?fieldSelector=spec.nodeName=N: the pods bound to node N - for system:node:N (the Node
  authorizer lets a kubelet list its own pods) and for system:masters. The pods are what N's kubelet runs
  (its /pods, read through the kubelet's API with the API server's kubelet client certificate).
- GET /api/v1/nodes/N/proxy/configz: the kubelet's /configz through the API server's proxy (nodes/proxy:
  system:masters only; a node's own credentials are refused, as RBAC refuses them).
- GET and PATCH /api/v1/nodes/N (cordon: spec.unschedulable), GET /api/v1/namespaces/NS/pods/P.
- POST /api/v1/namespaces/NS/pods/P/eviction: refused with 429 while a PodDisruptionBudget of the fleet
  description (namespace, selector matchLabels, maxUnavailable 0) covers the pod, as the eviction API refuses
  it; otherwise the pod is evicted: its manifest leaves the node's manifest directory (the kubelet stops it)
  and comes back when the node is uncordoned (its ReplicaSet would start it again).

The lab's workloads are static pods on the nodes; here they are shown as the ReplicaSet pods they stand for
(no kubernetes.io/config.mirror annotation), so that a drain evicts them.

One process serves the controller on 127.0.0.1 and every node on ADDRESS inside the node's network namespace:
each listening socket is made in its node's namespace (setns), as a node reaches its control plane over the
network. Run by tests/lab/fleet.py: python3 apiserver.py FLEET_DIR.
"""

import ctypes
import http.server
import json
import os
import shutil
import socket
import ssl
import sys
import threading
import time
import urllib.parse

CLONE_NEWNET = 0x40000000
ADDRESS = "192.0.2.1"  # TEST-NET-1 (RFC 5737): a documentation address, on each node's loopback
PORT = 6443
MIRROR = "kubernetes.io/config.mirror"


def setns(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        if ctypes.CDLL(None, use_errno=True).setns(fd, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "setns %s" % path)
    finally:
        os.close(fd)


class State:
    """Cordons and evictions, kept in the fleet directory so that they outlive a restart of the server."""

    def __init__(self, fleet_dir, description, nodes, pki, kubelet_hosts):
        self.fleet_dir, self.description, self.nodes, self.pki = fleet_dir, description, nodes, pki
        self.kubelet_hosts = kubelet_hosts
        self.path = os.path.join(fleet_dir, "apiserver-state.json")
        self.lock = threading.Lock()
        self.host_netns = os.open("/proc/self/ns/net", os.O_RDONLY)

    def load(self):
        try:
            with open(self.path) as handle:
                return json.load(handle)
        except (OSError, ValueError):
            return {"unschedulable": {}, "evicted": {}}

    def save(self, state):
        with open(self.path + ".tmp", "w") as handle:
            json.dump(state, handle)
        os.rename(self.path + ".tmp", self.path)

    def node(self, name):
        return next((n for n in self.description["nodes"] if n["name"] == name), None)

    def manifests_dir(self, name):
        return os.path.join(self.fleet_dir, "nodes", name, "fs", "etc-kubernetes", "manifests")

    def kubelet(self, name, path):
        """GET ``path`` of node ``name``'s kubelet, from inside the node's network namespace."""
        context = ssl.create_default_context()
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        context.load_cert_chain(os.path.join(self.pki, "client.crt"), os.path.join(self.pki, "client.key"))
        with self.lock:  # setns changes this thread only; the socket keeps the namespace it was made in
            setns("/proc/%d/ns/net" % self.nodes[name])
            try:
                raw = socket.create_connection((self.kubelet_hosts.get(name) or "127.0.0.1", 10250), timeout=10)
            finally:
                _setns_fd(self.host_netns)
        with context.wrap_socket(raw) as conn:
            conn.sendall(("GET %s HTTP/1.1\r\nHost: kubelet\r\nConnection: close\r\n\r\n" % path).encode())
            data = b""
            while True:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                data += chunk
        head, _sep, body = data.partition(b"\r\n\r\n")
        status = int(head.split()[1])
        return status, body

    def pods(self, name):
        status, body = self.kubelet(name, "/pods")
        if status != 200:
            return []
        evicted = self.load()["evicted"].get(name, {})
        items = []
        for pod in json.loads(body.decode())["items"]:
            meta = dict(pod["metadata"])
            if (meta.get("namespace"), meta.get("name")) in [tuple(k.split("/", 1)) for k in evicted]:
                continue
            annotations = dict(meta.get("annotations") or {})
            annotations.pop(MIRROR, None)
            meta.update(annotations=annotations, ownerReferences=[{
                "apiVersion": "apps/v1", "kind": "ReplicaSet", "name": meta["name"] + "-rs", "uid": "rs-" + meta["uid"],
                "controller": True}])
            items.append(dict(pod, metadata=meta, status=dict(pod.get("status") or {}, phase="Running")))
        return items


def _setns_fd(fd):
    if ctypes.CDLL(None, use_errno=True).setns(fd, CLONE_NEWNET) != 0:
        raise OSError(ctypes.get_errno(), "setns back")


def identity(handler):
    cert = handler.connection.getpeercert()
    subject = dict(item[0] for item in cert.get("subject", ()))
    groups = [value for part in cert.get("subject", ()) for key, value in part if key == "organizationName"]
    return subject.get("commonName", ""), groups


def status(code, reason, message):
    return code, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message,
                  "reason": reason, "code": code}


class Handler(http.server.BaseHTTPRequestHandler):
    state = None
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s\n" % (time.strftime("%H:%M:%S"), fmt % args))

    def do_GET(self):
        self.answer("GET")

    def do_PATCH(self):
        self.answer("PATCH")

    def do_POST(self):
        self.answer("POST")

    def answer(self, verb):
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length).decode() or "null") if length else None
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        user, groups = identity(self)
        try:
            code, document = self.route(verb, url.path.rstrip("/"), query, body, user, groups)
        except Exception as exc:  # the lab's own bug: a 500 with its text, as an API server would
            code, document = status(500, "InternalError", "%s: %s" % (type(exc).__name__, exc))
        data = json.dumps(document).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def route(self, verb, path, query, body, user, groups):
        admin = "system:masters" in groups
        parts = path.strip("/").split("/")
        if path == "/version":
            return 200, {"major": "1", "minor": "33", "gitVersion": "v1.33.5", "platform": "linux/amd64"}
        if path == "/api":
            return 200, {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []}
        if path == "/apis":
            return 200, {"kind": "APIGroupList", "apiVersion": "v1", "groups": []}
        if path == "/api/v1":
            return 200, {"kind": "APIResourceList", "groupVersion": "v1", "resources": [
                {"name": "pods", "singularName": "pod", "namespaced": True, "kind": "Pod", "verbs": ["get", "list"]},
                {"name": "pods/eviction", "singularName": "", "namespaced": True, "kind": "Eviction", "verbs": ["create"],
                 "group": "policy", "version": "v1"},
                {"name": "nodes", "singularName": "node", "namespaced": False, "kind": "Node", "verbs": ["get", "list", "patch"]},
                {"name": "nodes/proxy", "singularName": "", "namespaced": False, "kind": "NodeProxyOptions", "verbs": ["get"]}]}
        if path == "/api/v1/pods" and verb == "GET":
            selector = query.get("fieldSelector", "")
            if not selector.startswith("spec.nodeName="):
                return (200, {"kind": "PodList", "apiVersion": "v1", "metadata": {}, "items": [
                    p for n in self.state.nodes for p in self.state.pods(n)]}) if admin else status(
                    403, "Forbidden", 'pods is forbidden: User "%s" cannot list resource "pods" at the cluster scope' % user)
            node = selector.split("=", 1)[1]
            if not admin and user != "system:node:" + node:
                return status(403, "Forbidden", 'pods is forbidden: User "%s" cannot list resource "pods" on node %s' % (user, node))
            if node not in self.state.nodes:
                return 200, {"kind": "PodList", "apiVersion": "v1", "metadata": {}, "items": []}
            return 200, {"kind": "PodList", "apiVersion": "v1", "metadata": {}, "items": self.state.pods(node)}
        if len(parts) >= 4 and parts[:3] == ["api", "v1", "nodes"]:
            name = parts[3]
            if name not in self.state.nodes:
                return status(404, "NotFound", 'nodes "%s" not found' % name)
            if parts[4:] == ["proxy", "configz"]:
                if not admin:
                    return status(403, "Forbidden", 'nodes "%s" is forbidden: User "%s" cannot get resource "nodes/proxy"'
                                  % (name, user))
                code, data = self.state.kubelet(name, "/configz")
                return code, json.loads(data.decode()) if code == 200 else status(code, "ServiceUnavailable", data.decode())
            if len(parts) == 4:
                if not admin and user != "system:node:" + name:
                    return status(403, "Forbidden", 'nodes "%s" is forbidden: User "%s" cannot %s it' % (name, user, verb.lower()))
                if verb == "PATCH":
                    if not admin:
                        return status(403, "Forbidden", "only an admin cordons a node here")
                    unschedulable = bool(((body or {}).get("spec") or {}).get("unschedulable"))
                    self.set_unschedulable(name, unschedulable)
                return 200, self.node_object(name)
        if len(parts) >= 6 and parts[:3] == ["api", "v1", "namespaces"] and parts[4] == "pods":
            namespace, pod = parts[3], parts[5]
            node = next((n for n in self.state.nodes for p in self.state.pods(n)
                         if p["metadata"]["namespace"] == namespace and p["metadata"]["name"] == pod), None)
            if node is None:
                return status(404, "NotFound", 'pods "%s" not found' % pod)
            if not admin:
                return status(403, "Forbidden", 'pods "%s" is forbidden: User "%s"' % (pod, user))
            if parts[6:] == ["eviction"] and verb == "POST":
                return self.evict(node, namespace, pod)
            if len(parts) == 6 and verb == "GET":
                return 200, next(p for p in self.state.pods(node) if p["metadata"]["name"] == pod)
        return status(404, "NotFound", "the server could not find the requested resource (%s %s)" % (verb, path))

    def node_object(self, name):
        unschedulable = self.state.load()["unschedulable"].get(name, False)
        return {"kind": "Node", "apiVersion": "v1", "metadata": {"name": name, "uid": "node-" + name, "labels": {
            "kubernetes.io/hostname": name}}, "spec": {"unschedulable": unschedulable} if unschedulable else {},
            "status": {"conditions": [{"type": "Ready", "status": "True"}]}}

    def set_unschedulable(self, name, unschedulable):
        with self.state.lock:
            state = self.state.load()
            state["unschedulable"][name] = unschedulable
            evicted = state["evicted"].pop(name, {}) if not unschedulable else {}
            self.state.save(state)
        # Uncordoned: the evicted pods' controllers start them again on the node.
        for key, manifest in evicted.items():
            shutil.move(manifest, os.path.join(self.state.manifests_dir(name), os.path.basename(manifest)))

    def evict(self, node, namespace, pod):
        found = next(p for p in self.state.pods(node) if p["metadata"]["name"] == pod)
        labels = found["metadata"].get("labels") or {}
        for budget in self.state.description.get("pdbs") or []:
            selector = budget.get("selector") or {}
            if budget.get("namespace", "default") == namespace and all(labels.get(k) == v for k, v in selector.items()):
                if int(budget.get("maxUnavailable", 1)) == 0:
                    return status(429, "TooManyRequests", "Cannot evict pod as it would violate the pod's disruption "
                                  "budget.")
        manifests = self.state.manifests_dir(node)
        source = (found["metadata"].get("annotations") or {}).get("kubernetes.io/config.source")
        name = next((f for f in os.listdir(manifests) if _manifest_pod(os.path.join(manifests, f)) == found["metadata"]
                     ["name"].rsplit("-" + node, 1)[0]), None)
        if name is None or source not in (None, "file"):
            return status(500, "InternalError", "no manifest for %s/%s on %s" % (namespace, pod, node))
        parked = os.path.join(self.state.fleet_dir, "evicted", node)
        os.makedirs(parked, exist_ok=True)
        shutil.move(os.path.join(manifests, name), os.path.join(parked, name))
        with self.state.lock:
            state = self.state.load()
            state["evicted"].setdefault(node, {})["%s/%s" % (namespace, pod)] = os.path.join(parked, name)
            self.state.save(state)
        return 201, {"kind": "Status", "apiVersion": "v1", "status": "Success", "code": 201}


def _manifest_pod(path):
    try:
        import yaml
        with open(path) as handle:
            return (yaml.safe_load(handle).get("metadata") or {}).get("name")
    except (OSError, ValueError, AttributeError):
        return None


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, sock, context):
        http.server.ThreadingHTTPServer.__init__(self, sock.getsockname()[:2], Handler, bind_and_activate=False)
        self.socket.close()
        self.socket = context.wrap_socket(sock, server_side=True)


def listen(netns, address, port):
    """A listening socket in the network namespace ``netns`` (None: this process's own)."""
    if netns:
        host = os.open("/proc/self/ns/net", os.O_RDONLY)
        setns(netns)
    try:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((address, port))
        sock.listen(64)
    finally:
        if netns:
            _setns_fd(host)
            os.close(host)
    return sock


def main(fleet_dir):
    with open(os.path.join(fleet_dir, "apiserver.json")) as handle:
        config = json.load(handle)
    pki = config["pki"]
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(config["serving_cert"], config["serving_key"])
    context.load_verify_locations(os.path.join(pki, "ca.crt"))
    context.verify_mode = ssl.CERT_REQUIRED
    Handler.state = State(fleet_dir, config["description"], config["nodes"], pki, config["kubelet_hosts"])
    sockets = [listen(None, "127.0.0.1", config["port"])]
    sockets += [listen("/proc/%d/ns/net" % pid, ADDRESS, PORT) for pid in config["nodes"].values()]
    servers = [Server(sock, context) for sock in sockets]
    for server in servers[1:]:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    with open(os.path.join(fleet_dir, "apiserver.ready"), "w") as handle:
        handle.write("%d\n" % os.getpid())
    servers[0].serve_forever()


if __name__ == "__main__":
    main(sys.argv[1])
