"""A real HTTPS server on localhost for the modules that read the API server or the kubelet (certificates made by
openssl): ``serve(pki, answer)`` answers each GET with ``answer(path)`` -> (status, body bytes)."""

import contextlib
import http.server
import ssl
import subprocess
import threading
from urllib.parse import unquote


def certificates(pki):
    """A CA and a server certificate for 127.0.0.1 in ``pki`` (a directory)."""
    def openssl(*args):
        subprocess.run(["openssl"] + list(args), cwd=str(pki), check=True, capture_output=True)
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=test-ca", "-keyout", "ca.key",
            "-out", "ca.crt")
    (pki / "server.ext").write_text("extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1\n")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-keyout", "server.key", "-out", "server.csr")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2",
            "-out", "server.crt", "-extfile", "server.ext")


@contextlib.contextmanager
def serve(pki, answer):
    """The server's URL while it runs."""
    certificates(pki)

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            status, body = answer(unquote(self.path))
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(pki / "server.crt"), str(pki / "server.key"))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield "https://127.0.0.1:%d" % httpd.server_address[1]
    finally:
        httpd.shutdown()
