"""A generated cluster dump, shaped as `kubectl get pods -A -o json` prints it, with a realistic mix.

Used by the inventory benchmark (100,000 pods) and for the sample dump in examples/ (a few dozen).
The mix is what clusters run: DaemonSets of privileged CNI and proxy pods on every node, kubeadm
control-plane static pods with RuntimeDefault, service-mesh pods with an init container and a sidecar,
apps that set nothing (most of them, which is why SeccompDefault matters), a few restricted-ready apps,
finished Jobs, an explicit Unconfined, a Localhost profile, a legacy annotation, a Windows pod and
pending pods with no node yet.

    python -m lib.cluster --pods 40 --nodes 4 --seed 7 > pods.json    (from tests/)
"""

import argparse
import json
import random
import sys
import uuid

RD = {"type": "RuntimeDefault"}
UNCONFINED = {"type": "Unconfined"}


def container(name, image, port=None, context=None, probes=True):
    body = {
        "name": name, "image": image, "imagePullPolicy": "IfNotPresent",
        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}},
        "env": [{"name": "LOG_LEVEL", "value": "info"},
                {"name": "POD_NAME", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}}}],
        "volumeMounts": [{"name": "kube-api-access", "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
                          "readOnly": True}],
        "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File",
    }
    if port:
        body["ports"] = [{"containerPort": port, "name": "http", "protocol": "TCP"}]
        if probes:
            body["readinessProbe"] = {"httpGet": {"path": "/ready", "port": port, "scheme": "HTTP"},
                                      "periodSeconds": 10, "timeoutSeconds": 1, "failureThreshold": 3}
            body["livenessProbe"] = {"httpGet": {"path": "/healthz", "port": port, "scheme": "HTTP"},
                                     "periodSeconds": 10, "timeoutSeconds": 1, "failureThreshold": 3}
    if context is not None:
        body["securityContext"] = context
    return body


def mesh(app):
    """Istio-style injection: an init container that needs NET_ADMIN and a proxy sidecar."""
    init = container("istio-init", "docker.io/istio/proxyv2:1.22.3", probes=False, context={
        "capabilities": {"add": ["NET_ADMIN", "NET_RAW"], "drop": ["ALL"]}, "runAsUser": 0, "runAsNonRoot": False})
    proxy = container("istio-proxy", "docker.io/istio/proxyv2:1.22.3", 15090, context={
        "allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}, "runAsUser": 1337, "runAsNonRoot": True})
    return dict(app, initContainers=[init] + app.get("initContainers", []), containers=app["containers"] + [proxy])


RESTRICTED = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}, "runAsNonRoot": True}

# (namespace, name, controller kind, weight, spec, annotations, phase). Weights sum to 100.
WORKLOADS = [
    ("kube-system", "kube-proxy", "DaemonSet", 0, {"hostNetwork": True, "containers": [
        container("kube-proxy", "registry.k8s.io/kube-proxy:v1.30.4", context={"privileged": True})]}, None, None),
    ("kube-system", "calico-node", "DaemonSet", 0, {"hostNetwork": True, "initContainers": [
        container("install-cni", "docker.io/calico/cni:v3.28.1", context={"privileged": True}, probes=False),
        container("mount-bpffs", "docker.io/calico/node:v3.28.1", context={"privileged": True}, probes=False)],
        "containers": [container("calico-node", "docker.io/calico/node:v3.28.1", 9099,
                                 context={"privileged": True})]}, None, None),
    ("kube-system", "coredns", "Deployment", 1, {"containers": [
        container("coredns", "registry.k8s.io/coredns/coredns:v1.11.1", 8080, context={
            "allowPrivilegeEscalation": False, "capabilities": {"add": ["NET_BIND_SERVICE"], "drop": ["ALL"]},
            "readOnlyRootFilesystem": True, "seccompProfile": RD})]}, None, None),
    ("kube-system", "kube-apiserver", "Node", 0, {"securityContext": {"seccompProfile": RD}, "containers": [
        container("kube-apiserver", "registry.k8s.io/kube-apiserver:v1.30.4", 6443)]}, None, None),
    ("shop", "web-frontend", "Deployment", 22, mesh({"containers": [
        container("web", "registry.example.com/shop/web:4.2.1", 8080)]}), None, None),
    ("shop", "payments-api", "Deployment", 16, mesh({"containers": [
        container("api", "registry.example.com/shop/payments:2.9.0", 8443),
        container("vault-agent", "docker.io/hashicorp/vault:1.17.2", probes=False)]}), None, None),
    ("shop", "orders", "StatefulSet", 8, mesh({"containers": [
        container("orders", "registry.example.com/shop/orders:1.3.7", 8080)],
        "initContainers": [container("migrate", "registry.example.com/shop/orders:1.3.7", probes=False)]}),
        None, None),
    ("shop", "checkout", "Deployment", 12, mesh({"securityContext": {"seccompProfile": RD, "runAsNonRoot": True},
                                                 "containers": [container("checkout",
                                                                          "registry.example.com/shop/checkout:5.0.2",
                                                                          8080, context=RESTRICTED)]}), None, None),
    ("data", "kafka", "StatefulSet", 6, {"containers": [
        container("kafka", "docker.io/bitnami/kafka:3.7.1", 9092),
        container("jmx-exporter", "docker.io/bitnami/jmx-exporter:1.0.1", 5556)],
        "initContainers": [container("volume-permissions", "docker.io/bitnami/os-shell:12", probes=False,
                                     context={"runAsUser": 0})]}, None, None),
    ("data", "postgres", "StatefulSet", 6, {"securityContext": {"fsGroup": 999}, "containers": [
        container("postgres", "docker.io/library/postgres:16.4", 5432),
        container("metrics", "quay.io/prometheuscommunity/postgres-exporter:v0.15.0", 9187),
        container("backup", "registry.example.com/data/pg-backup:0.8.0", probes=False)]}, None, None),
    ("batch", "nightly-report", "Job", 8, {"restartPolicy": "Never", "containers": [
        container("report", "registry.example.com/batch/report:1.1.0", probes=False),
        container("uploader", "registry.example.com/batch/uploader:0.4.2", probes=False)]}, None, "Succeeded"),
    ("observability", "node-exporter", "DaemonSet", 0, {"hostPID": True, "containers": [
        container("node-exporter", "quay.io/prometheus/node-exporter:v1.8.2", 9100,
                  context={"seccompProfile": UNCONFINED, "readOnlyRootFilesystem": True})]}, None, None),
    ("observability", "fluent-bit", "DaemonSet", 0, {"containers": [
        container("fluent-bit", "cr.fluentbit.io/fluent/fluent-bit:3.1.6", 2020)]}, None, None),
    ("legacy", "billing", "Deployment", 8, {"containers": [
        container("billing", "registry.example.com/legacy/billing:7.7.0", 8080),
        container("sidecar-log", "docker.io/library/busybox:1.36", probes=False),
        container("statsd", "docker.io/prom/statsd-exporter:v0.26.1", 9102)]},
        {"seccomp.security.alpha.kubernetes.io/pod": "runtime/default"}, None),
    ("security", "sandboxed-scanner", "Deployment", 6, {"containers": [
        container("scanner", "registry.example.com/security/scanner:2.0.0", 8080, context={
            "seccompProfile": {"type": "Localhost", "localhostProfile": "profiles/scanner.json"}}),
        container("updater", "registry.example.com/security/db-updater:2.0.0", probes=False, context={
            "seccompProfile": {"type": "Localhost", "localhostProfile": "profiles/scanner.json"}})],
        "initContainers": [container("fetch-db", "registry.example.com/security/db-updater:2.0.0", probes=False)]},
        None, None),
    ("windows-apps", "iis", "Deployment", 1, {"os": {"name": "windows"}, "nodeSelector": {
        "kubernetes.io/os": "windows"}, "containers": [container("iis", "mcr.microsoft.com/windows/servercore/iis", 80)]},
        None, "Pending"),
    ("shop", "search", "Deployment", 1, {"containers": [
        container("search", "registry.example.com/shop/search:0.9.1", 9200),
        container("exporter", "quay.io/prometheuscommunity/elasticsearch-exporter:v1.7.0", 9114)]}, None, "Pending"),
]
DAEMONSETS = [w for w in WORKLOADS if w[2] == "DaemonSet"]
CONTROL_PLANE = [w for w in WORKLOADS if w[2] == "Node"]


def _pod(rng, workload, node, index):
    namespace, name, controller, _weight, spec, annotations, phase = workload
    suffix = "%05x" % rng.getrandbits(20)
    uid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    if controller == "Node":
        pod_name, owner = "%s-%s" % (name, node), {"apiVersion": "v1", "kind": "Node", "name": node}
    elif controller == "DaemonSet":
        pod_name, owner = "%s-%s" % (name, suffix), {"apiVersion": "apps/v1", "kind": "DaemonSet", "name": name}
    elif controller == "StatefulSet":
        pod_name, owner = "%s-%d" % (name, index), {"apiVersion": "apps/v1", "kind": "StatefulSet", "name": name}
    elif controller == "Job":
        pod_name = "%s-%d-%s" % (name, index, suffix)
        owner = {"apiVersion": "batch/v1", "kind": "Job", "name": "%s-%d" % (name, index)}
    else:
        pod_name, owner = "%s-7d9f8c%s-%s" % (name, "%02x" % (index % 256), suffix), {
            "apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "%s-7d9f8c%02x" % (name, index % 256)}
    owner = dict(owner, uid=str(uuid.UUID(int=rng.getrandbits(128), version=4)), controller=True,
                 blockOwnerDeletion=True)
    phase = phase or "Running"
    pod_spec = dict(spec, nodeName=node, serviceAccountName="default", restartPolicy=spec.get("restartPolicy", "Always"),
                    dnsPolicy="ClusterFirst", schedulerName="default-scheduler", terminationGracePeriodSeconds=30,
                    tolerations=[{"key": "node.kubernetes.io/not-ready", "operator": "Exists",
                                  "effect": "NoExecute", "tolerationSeconds": 300}],
                    volumes=[{"name": "kube-api-access", "projected": {"defaultMode": 420, "sources": [
                        {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}}]}}])
    if phase == "Pending":
        pod_spec.pop("nodeName")
    node_number = int(node.rsplit("-", 1)[-1])
    host_ip = "10.0.%d.%d" % (node_number // 200, 10 + node_number % 200)
    statuses = [{"name": c["name"], "image": c["image"],
                 "imageID": "%s@sha256:%064x" % (c["image"].split(":")[0], rng.getrandbits(256)),
                 "containerID": "containerd://%064x" % rng.getrandbits(256), "ready": phase == "Running",
                 "restartCount": rng.choice((0, 0, 0, 1, 2)), "started": phase == "Running",
                 "state": {"running": {"startedAt": "2026-11-20T08:%02d:00Z" % (index % 60)}}
                 if phase == "Running" else {"terminated": {"exitCode": 0, "reason": "Completed"}}}
                for c in spec["containers"]]
    metadata = {"name": pod_name, "namespace": namespace, "uid": uid, "resourceVersion": str(100000 + index),
                "creationTimestamp": "2026-11-20T08:%02d:%02dZ" % (index % 60, index % 59),
                "labels": {"app.kubernetes.io/name": name, "app.kubernetes.io/part-of": namespace,
                           "pod-template-hash": "7d9f8c%02x" % (index % 256)},
                "ownerReferences": [owner]}
    if annotations:
        metadata["annotations"] = dict(annotations)
    status = {"phase": phase, "qosClass": "Burstable", "startTime": metadata["creationTimestamp"],
              "conditions": [{"type": t, "status": "True" if phase == "Running" else "False",
                              "lastTransitionTime": metadata["creationTimestamp"]}
                             for t in ("Initialized", "Ready", "ContainersReady", "PodScheduled")]}
    if phase != "Pending":
        status.update(hostIP=host_ip, podIP="10.244.%d.%d" % (index % 250, index % 251), containerStatuses=statuses)
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": pod_spec, "status": status}


def node_names(count):
    return ["node-%d" % (number + 1) for number in range(count)]


def generate(pods, nodes, seed=7):
    """A v1 List of `pods` pods over `nodes` nodes: per node its DaemonSet and control-plane pods, then apps."""
    rng = random.Random(seed)
    names = node_names(nodes)
    items = []
    for number, node in enumerate(names):
        for workload in DAEMONSETS + (CONTROL_PLANE if number == 0 else []):
            if len(items) < pods:
                items.append(_pod(rng, workload, node, len(items)))
    apps = [w for w in WORKLOADS if w[3]]
    weights = [w[3] for w in apps]
    while len(items) < pods:
        workload = rng.choices(apps, weights)[0]
        items.append(_pod(rng, workload, rng.choice(names), len(items)))
    return {"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}, "items": items}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pods", type=int, default=40)
    parser.add_argument("--nodes", type=int, default=4)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    json.dump(generate(args.pods, args.nodes, args.seed), sys.stdout, indent=4)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
