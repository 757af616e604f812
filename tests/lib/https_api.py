"""A real HTTPS server on localhost for the modules that read the API server or the kubelet (certificates made by
openssl): ``serve(pki, answer)`` answers each GET with ``answer(request)`` -> (status, body bytes), where ``request``
is the handler (its ``path``, ``headers``, and ``client`` - the client certificate's common name, or None)."""

import contextlib
import http.server
import ssl
import subprocess
import threading


def openssl(pki, *args):
    subprocess.run(["openssl"] + list(args), cwd=str(pki), check=True, capture_output=True)


def certificates(pki, clients=()):
    """In ``pki`` (a directory): a CA, a server certificate for 127.0.0.1, and a client certificate <name>.crt and
    .key for each (name, subject) of ``clients``."""
    openssl(pki, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=test-ca", "-keyout", "ca.key",
            "-out", "ca.crt")
    for name, subject, ext in [("server", "/CN=localhost", "extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1\n")] + [
            (name, subject, "extendedKeyUsage=clientAuth\n") for name, subject in clients]:
        (pki / (name + ".ext")).write_text(ext)
        openssl(pki, "req", "-newkey", "rsa:2048", "-nodes", "-subj", subject, "-keyout", name + ".key", "-out", name + ".csr")
        openssl(pki, "x509", "-req", "-in", name + ".csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2",
                "-out", name + ".crt", "-extfile", name + ".ext")


@contextlib.contextmanager
def serve(pki, answer, verify_clients=False, content_length=True):
    """The server's URL while it runs, with the certificates of ``pki`` (``certificates`` made them); client
    certificates signed by its CA are asked for, not required, with ``verify_clients``. Without ``content_length`` the
    answers have no Content-Length: the body ends where the connection does (HTTP/1.0)."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            cert = self.connection.getpeercert() or {}
            self.client = dict(item[0] for item in cert.get("subject", ())).get("commonName")
            status, body = answer(self)
            self.send_response(status)
            if content_length:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(pki / "server.crt"), str(pki / "server.key"))
    if verify_clients:
        context.load_verify_locations(str(pki / "ca.crt"))
        context.verify_mode = ssl.CERT_OPTIONAL
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield "https://127.0.0.1:%d" % httpd.server_address[1]
    finally:
        httpd.shutdown()
