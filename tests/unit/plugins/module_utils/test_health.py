"""The kubelet's /healthz as the modules read it (module_utils/health, which node_facts uses too): a real HTTP server on
this machine."""

import subprocess
import sys
import threading

from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from ansible_collections.k8s.seccomp_default.plugins.module_utils import health, node_facts


class Answer(BaseHTTPRequestHandler):
    status, body, seen = 200, b"ok", []

    def do_GET(self):  # noqa: N802 - http.server's name
        self.seen.append(self.path)
        self.send_response(self.status)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = HTTPServer(("127.0.0.1", 0), Answer)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    Answer.status, Answer.body, Answer.seen = 200, b"ok", []
    yield "http://127.0.0.1:%d/healthz" % httpd.server_address[1]
    httpd.shutdown()
    httpd.server_close()


def test_ok_is_healthy(server):
    assert health.health(server, 2) == (True, None)
    assert health.healthz(server + "?verbose=0") is True
    assert Answer.seen == ["/healthz", "/healthz?verbose=0"]


def test_another_body_is_named(server):
    Answer.body = b"[-]ping failed"
    assert health.health(server, 2) == (False, "%s answered '[-]ping failed'" % server)
    assert health.healthz(server) is False


def test_an_error_status_is_not_healthy_and_says_so(server):
    Answer.status, Answer.body = 500, b"ok"
    healthy, why = health.health(server, 2)
    assert healthy is False and "HTTP Error 500" in why and server in why
    assert health.healthz(server) is False


def test_nothing_listening_is_not_healthy():
    healthy, why = health.health("http://127.0.0.1:9/healthz", 2)
    assert healthy is False and why.startswith("http://127.0.0.1:9/healthz: ")
    assert health.healthz("http://127.0.0.1:9/healthz") is False


def test_a_disabled_endpoint_says_so():
    assert health.health(None, 2) == (False, "the kubelet's healthz endpoint is disabled (healthzPort: 0)")


def test_node_facts_reads_health_the_same_way():
    assert node_facts.health is health.health and node_facts.unit_state is health.unit_state


@pytest.mark.parametrize("module", ["health", "node_facts", "node_watch", "kubelet_service"])
def test_reading_health_does_not_load_ansibles_url_library(module):
    """A module polls /healthz every half second while the kubelet restarts: ansible.module_utils.urls costs its import
    on every module that reads the node's facts, and a new TLS context (the CA bundle read again) per request."""
    code = ("import sys; from ansible_collections.k8s.seccomp_default.plugins.module_utils import %s; "
            "print('ansible.module_utils.urls' in sys.modules)" % module)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "False"


@pytest.mark.parametrize("module", ["node_watch", "kubelet_service"])
def test_watching_the_kubelet_does_not_compile_the_node_facts_readers(module):
    """The modules that watch the kubelet (node_watch, enforce_containers, kubelet_switch, kubelet_health) compile every
    module_utils they import on every run: they read health from module_utils/health, not node_facts."""
    code = ("import sys; from ansible_collections.k8s.seccomp_default.plugins.module_utils import %s; "
            "print(sorted(name.rsplit('.', 1)[1] for name in sys.modules if name.endswith(('.node_facts', '.kubelet_config'))))"
            % module)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"
