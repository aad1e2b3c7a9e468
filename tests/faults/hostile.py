"""A hostile provider on loopback: answers too big, answers that drip, redirects, bad TLS.

`HostileServer` is a raw-socket HTTP/1.1 server (one thread per connection), so it can
misbehave in ways a polite framework would not let it: stream 200 MB, send one byte a
second (in the headers or in the body), redirect elsewhere, or speak TLS with a
self-signed certificate. Every request it receives is recorded (method, path, headers),
so a test can prove what was - and was not - sent.

Paths (any method):
    /big/N          200 with a body of N bytes (streamed in 64 KiB chunks, Content-Length set)
    /big-chunked/N  the same with chunked transfer encoding (no length announced)
    /drip-body      200, Content-Length 1000, then one byte every `drip_interval` seconds
    /drip-headers   the status line and headers one byte every `drip_interval` seconds
    /redirect?to=URL  302 to URL
    /json           200 {"access_token": "...", "expires_in": 3600} (a token endpoint that works)
    anything else   200 {"ok": true}
"""

from __future__ import annotations

import datetime
import json
import socket
import ssl
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit


def read_request(conn: socket.socket) -> tuple[str, str, dict[str, str], bytes] | None:
    """One HTTP/1.1 request off `conn`: method, target, lower-cased headers and the body (up to
    its Content-Length); None when the client closed before the head ended."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, target, _version = lines[0].split(" ", 2)
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0") or 0)
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        body += chunk
    return method, target, headers, body


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]


@dataclass
class HostileServer:
    tls: bool = False
    drip_interval: float = 1.0
    received: list[Received] = field(default_factory=list)
    port: int = 0

    def __post_init__(self) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(32)
        self.port = self._sock.getsockname()[1]
        self._stop = threading.Event()
        self._context: ssl.SSLContext | None = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if self.tls:
            self._tmp = tempfile.TemporaryDirectory(prefix="wb-hostile-")
            cert, key = _self_signed(Path(self._tmp.name))
            self._context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self._context.load_cert_chain(cert, key)
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    @property
    def connections(self) -> int:
        return self._connections

    _connections = 0

    def close(self) -> None:
        self._stop.set()
        try:
            # Wake the accept() of the serving thread (a bare close() would leave it blocked and the
            # port bound), then let the thread end before the port is handed out again.
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        try:
            self._sock.close()
        except OSError:
            pass
        self._thread.join(timeout=5)
        if self._tmp is not None:
            self._tmp.cleanup()

    def __enter__(self) -> HostileServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ serving

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            self._connections += 1
            threading.Thread(target=self._handle_safely, args=(conn,), daemon=True).start()

    def _handle_safely(self, conn: socket.socket) -> None:
        try:
            if self._context is not None:
                try:
                    conn = self._context.wrap_socket(conn, server_side=True)
                except (ssl.SSLError, OSError):
                    return  # the client refused our certificate: that is the point
            self._handle(conn)
        except OSError:
            pass
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def _handle(self, conn: socket.socket) -> None:
        request = read_request(conn)
        if request is None:
            return
        method, target, headers, _body = request
        parts = urlsplit(target)
        self.received.append(Received(method, parts.path, headers))
        path = parts.path
        if path.startswith("/big/") or path.startswith("/big-chunked/"):
            self._big(conn, int(path.rsplit("/", 1)[1]), chunked=path.startswith("/big-chunked/"))
        elif path == "/drip-body":
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n")
            self._drip(conn, b"{" + b" " * 998 + b"}")
        elif path == "/drip-headers":
            self._drip(conn, b"HTTP/1.1 200 OK\r\n" + b"X-Slow: " + b"a" * 2000 + b"\r\n\r\n")
        elif path == "/redirect":
            to = parse_qs(parts.query).get("to", ["/"])[0]
            conn.sendall(
                f"HTTP/1.1 302 Found\r\nLocation: {to}\r\nContent-Length: 0\r\n\r\n".encode("latin-1")
            )
        elif path == "/json":
            body = json.dumps({"access_token": "opaque-token-value", "expires_in": 3600}).encode()
            self._send(conn, 200, body)
        else:
            self._send(conn, 200, b'{"ok": true}')

    def _send(self, conn: socket.socket, status: int, body: bytes) -> None:
        head = (
            f"HTTP/1.1 {status} OK\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        )
        conn.sendall(head.encode("latin-1") + body)

    def _big(self, conn: socket.socket, size: int, *, chunked: bool) -> None:
        block = b'{"access_token": "' + b"A" * (64 * 1024 - 18)
        if chunked:
            conn.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
            )
        else:
            head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {size}\r\n\r\n"
            conn.sendall(head.encode("latin-1"))
        sent = 0
        while sent < size and not self._stop.is_set():
            piece = block[: min(len(block), size - sent)]
            if chunked:
                conn.sendall(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            else:
                conn.sendall(piece)
            sent += len(piece)
        if chunked:
            conn.sendall(b"0\r\n\r\n")

    def _drip(self, conn: socket.socket, payload: bytes) -> None:
        for i in range(len(payload)):
            if self._stop.is_set():
                return
            conn.sendall(payload[i : i + 1])
            time.sleep(self.drip_interval)


def _self_signed(directory: Path) -> tuple[str, str]:
    """A throwaway self-signed certificate for 127.0.0.1 (made with `cryptography`)."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hostile.test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .sign(key, hashes.SHA256())
    )
    cert_path = directory / "cert.pem"
    key_path = directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return str(cert_path), str(key_path)
