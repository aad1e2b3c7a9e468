"""A small TLS terminator for the oidc-provider tests (mutual TLS, RFC 8705).

It does what oidc-provider's documentation expects of the proxy in front of a deployment that
uses `features.mTLS`: it ends TLS on loopback with its own self-signed server certificate, asks
each client for a certificate, and passes the one presented to the provider in a header
(`x-ssl-client-cert`, the URL-encoded PEM, as nginx's `$ssl_client_escaped_cert`) with
`x-ssl-client-verify: SUCCESS`; whatever a client sent in those headers itself is dropped. The
provider's `getCertificate` reads that header (tests/oidc/server.mjs).

Python's ssl module cannot take any certificate without verifying it (nginx's
`optional_no_ca`), so a test registers each client certificate it will present (`trust`): a
self-signed certificate is then its own anchor. An unregistered certificate fails the handshake.
"""

from __future__ import annotations

import http.client
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from workbench.sandbox.tls import self_signed

_PASSED = ("x-ssl-client-cert", "x-ssl-client-verify")
_HOP = {"connection", "keep-alive", "transfer-encoding", "host", "content-length", *_PASSED}


class TlsTerminator:
    def __init__(self, upstream: str, directory: Path) -> None:
        self.upstream = urlsplit(upstream)
        # A loopback server certificate that is its own CA (the sandbox's maker: SAN 127.0.0.1).
        cert_pem, key_pem = self_signed("test TLS terminator", server=True)
        self.ca_file = directory / "terminator.pem"
        self.ca_file.write_text(cert_pem)
        key_file = directory / "terminator.key"
        key_file.write_text(key_pem)
        key_file.chmod(0o600)
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(self.ca_file, key_file)
        self.context.verify_mode = ssl.CERT_OPTIONAL
        self.seen: list[str | None] = []  # the certificate (PEM) each request presented
        terminator = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                terminator.forward(self)

            do_POST = do_GET

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def get_request(self) -> tuple[Any, Any]:
                conn, address = super().get_request()
                return terminator.context.wrap_socket(
                    conn, server_side=True, do_handshake_on_connect=False
                ), address

            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # a refused certificate, a client that went away

        self.server = Server(("127.0.0.1", 0), Handler)
        self.origin = f"https://127.0.0.1:{self.server.server_port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def trust(self, certificate_pem: str) -> None:
        self.context.load_verify_locations(cadata=certificate_pem)

    def forward(self, handler: BaseHTTPRequestHandler) -> None:
        der = handler.connection.getpeercert(binary_form=True)
        pem = ssl.DER_cert_to_PEM_cert(der) if der else None
        self.seen.append(pem)
        length = int(handler.headers.get("content-length") or 0)
        body = handler.rfile.read(length) if length else None
        headers = {k: v for k, v in handler.headers.items() if k.lower() not in _HOP}
        if pem is not None:
            headers["x-ssl-client-cert"] = quote(pem, safe="")
            headers["x-ssl-client-verify"] = "SUCCESS"
        headers["x-forwarded-proto"] = "https"
        upstream = http.client.HTTPConnection(
            self.upstream.hostname or "127.0.0.1", self.upstream.port, timeout=20
        )
        try:
            upstream.request(handler.command, handler.path, body=body, headers=headers)
            answer = upstream.getresponse()
            data = answer.read()
        finally:
            upstream.close()
        handler.send_response(answer.status)
        for name, value in answer.getheaders():
            if name.lower() not in _HOP:
                handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
