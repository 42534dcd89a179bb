"""Fetching URLs: SSRF guard, redirects, size and time limits, against a real server on 127.0.0.1."""

from __future__ import annotations

import gzip
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

import factdesk.ingest.url as url_mod
from factdesk.errors import FetchError, InputError, UnsafeURLError
from factdesk.ingest import load
from factdesk.ingest.url import check_url, classify_address, document_from_url, fetch

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"
NEWS = (FIXTURES / "news.html").read_bytes()
PDF = (FIXTURES / "report.pdf").read_bytes()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    seen: list[dict[str, str]] = []
    release = threading.Event()

    def log_message(self, *args):  # keep test output clean
        pass

    def _send(self, status, body=b"", ctype="text/html; charset=utf-8", headers=(), length=True):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        for key, value in headers:
            self.send_header(key, value)
        if length:
            self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):  # noqa: N802 - http.server's name
        Handler.seen.append({"path": self.path, "host": self.headers.get("Host", ""),
                             "agent": self.headers.get("User-Agent", "")})
        port = self.server.server_address[1]
        path = self.path
        if path == "/article":
            self._send(200, NEWS)
        elif path == "/latin1":
            self._send(200, "<html><body><p>Caf\xe9 prices rose in 2024, the board said.</p></body></html>"
                       .encode("latin-1"), ctype="text/html; charset=ISO-8859-1")
        elif path == "/gzip":
            self._send(200, gzip.compress(NEWS), headers=[("Content-Encoding", "gzip")])
        elif path == "/report.pdf":
            self._send(200, PDF, ctype="application/pdf")
        elif path == "/plain":
            self._send(200, b"date 2024-03-01\nThe dam opened in 1998.\n", ctype="text/plain")
        elif path == "/notes.md":
            self._send(200, b"# Notes\n\nThe **dam** opened in 1998.\n", ctype="text/markdown")
        elif path == "/unknown":
            self._send(200, NEWS, ctype="application/octet-stream")
        elif path == "/image":
            self._send(200, b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, ctype="image/png")
        elif path == "/relative-redirect":
            self._send(302, headers=[("Location", "/article")])
        elif path == "/to-loopback":
            self._send(302, headers=[("Location", f"http://127.0.0.1:{port}/article")])
        elif path == "/to-metadata":
            self._send(301, headers=[("Location", "http://169.254.169.254/latest/meta-data/")])
        elif path == "/to-file":
            self._send(302, headers=[("Location", "file:///etc/passwd")])
        elif path.startswith("/loop"):
            self._send(302, headers=[("Location", "/loop" + str(len(path)))])
        elif path == "/missing":
            self._send(404, b"not here")
        elif path == "/broken":
            self._send(500, b"oops")
        elif path == "/big":
            self._send(200, b"<p>" + b"x" * 50_000 + b"</p>")
        elif path == "/big-no-length":  # streamed, no Content-Length: the cap must still hold
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Connection", "close")
            self.end_headers()
            for _ in range(50):
                self.wfile.write(b"y" * 1000)
            self.close_connection = True
        elif path == "/slow":
            Handler.release.wait(3)
            self._send(200, NEWS)
        elif path == "/trickle":  # headers at once, then a byte every 0.1 s
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", "1000")
            self.end_headers()
            for _ in range(1000):
                if Handler.release.wait(0.1):
                    break
                try:
                    self.wfile.write(b"z")
                    self.wfile.flush()
                except OSError:
                    break
        else:
            self._send(404, b"?")


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):  # a client that hung up on purpose
        pass


@pytest.fixture(scope="module")
def server():
    httpd = QuietServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    Handler.release.clear()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    Handler.release.set()
    httpd.shutdown()
    httpd.server_close()


# ------------------------------------------------------------ the SSRF guard

@pytest.mark.parametrize("url, words", [
    ("file:///etc/passwd", "only http:// and https://"),
    ("ftp://ftp.example.org/a.txt", "only http:// and https://"),
    ("gopher://example.org/", "only http:// and https://"),
    ("javascript:alert(1)", "only http:// and https://"),
    ("http://169.254.169.254/latest/meta-data/", "cloud metadata"),
    ("http://[fd00:ec2::254]/latest/", "cloud metadata"),
    ("http://metadata.google.internal/computeMetadata/v1/", "cloud metadata"),
    ("http://127.0.0.1:8080/", "loopback"),
    ("http://localhost/", "loopback"),
    ("http://sub.localhost/", "loopback"),
    ("http://[::1]/", "loopback"),
    ("http://[::ffff:127.0.0.1]/", "loopback"),
    ("http://2130706433/", "loopback"),
    ("http://0x7f.1/", "loopback"),
    ("http://0177.0.0.1/", "loopback"),
    ("http://10.1.2.3/", "private"),
    ("http://192.168.0.1/", "private"),
    ("http://172.16.5.4/", "private"),
    ("http://100.64.0.1/", "shared"),
    ("http://[fe80::1]/", "link-local"),
    ("http://[fc00::1]/", "private"),
    ("http://0.0.0.0/", "unspecified"),
    ("http://224.0.0.1/", "multicast"),
    ("http://240.0.0.1/", "reserved"),
    ("http://user:pw@example.org/", "user name or password"),
])
def test_refused_urls(url, words):
    with pytest.raises(UnsafeURLError) as info:
        check_url(url)
    message = str(info.value)
    assert words in message and "\n" not in message


@pytest.mark.parametrize("url", [
    "http://169.254.169.254/latest/meta-data/", "http://169.254.170.2/v2/credentials",
    "http://[fd00:ec2::254]/", "http://metadata.google.internal/", "http://[::ffff:169.254.169.254]/",
    "http://0.0.0.0/", "http://224.0.0.1/",
])
def test_metadata_and_nonsense_refused_even_with_allow_private(url):
    with pytest.raises(UnsafeURLError):
        check_url(url, allow_private=True)


@pytest.mark.parametrize("url", ["http://127.0.0.1/", "http://10.0.0.5/", "http://[::1]:8080/",
                                 "http://2130706433/", "http://100.64.0.1/"])
def test_private_allowed_with_flag(url):
    assert check_url(url, allow_private=True).addresses


def test_any_bad_address_refuses_the_host(monkeypatch):
    monkeypatch.setattr(url_mod, "resolve", lambda host, port: ["93.184.216.34", "10.0.0.1"])
    with pytest.raises(UnsafeURLError, match=r"news\.example \(10\.0\.0\.1\) is a private address"):
        check_url("https://news.example/a")
    monkeypatch.setattr(url_mod, "resolve", lambda host, port: ["93.184.216.34"])
    checked = check_url("https://news.example:8443/a")
    assert checked.addresses == ("93.184.216.34",) and checked.host_header == "news.example:8443"


def test_classify_address():
    assert classify_address("8.8.8.8") is None
    assert classify_address("2606:4700:4700::1111") is None
    assert classify_address("127.0.0.2") == "loopback"
    assert classify_address("64:ff9b::a00:1") == "private"  # NAT64 of 10.0.0.1


def test_unresolvable_host(monkeypatch):
    def fail(host, port):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(url_mod, "resolve", fail)
    with pytest.raises(FetchError) as info:
        fetch("https://no-such-host.invalid/a")
    assert "cannot resolve host no-such-host.invalid" in str(info.value)
    assert not isinstance(info.value, UnsafeURLError)


def test_load_refuses_other_schemes_without_network():
    with pytest.raises(UnsafeURLError, match="only http:// and https://"):
        load("file:///etc/passwd")


# ------------------------------------------------------ against a real server

def test_fetch_article(server):
    Handler.seen.clear()
    page = fetch(server + "/article", allow_private=True)
    assert page.status == 200 and page.content_type == "text/html" and page.charset == "utf-8"
    assert page.data == NEWS and page.final_url == page.url == server + "/article"
    assert Handler.seen[-1]["agent"] == "factdesk/0.1"
    assert Handler.seen[-1]["host"] == server.removeprefix("http://")


def test_document_from_url_html(server):
    doc = load(server + "/article", allow_private=True)
    assert doc.kind == "html"
    assert doc.title == "Port Aldine dam reopens after repairs"
    assert doc.published == "2024-03-03"
    assert doc.author == "Jane Roe"
    assert "reopened on Sunday" in doc.text and "MUST_NOT_LEAK" not in doc.text
    assert doc.path == server + "/article" and doc.url == server + "/article"


def test_url_refused_without_flag(server):
    with pytest.raises(UnsafeURLError, match="loopback"):
        load(server + "/article")


@pytest.mark.parametrize("path, check", [
    ("/report.pdf", lambda d: d.kind == "pdf" and d.title == "Port Aldine dam report"),
    ("/plain", lambda d: d.kind == "text" and d.published == "2024-03-01" and d.text == "The dam opened in 1998."),
    ("/notes.md", lambda d: d.kind == "markdown" and d.title == "Notes" and "**" not in d.text),
    ("/unknown", lambda d: d.kind == "html" and "reopened on Sunday" in d.text),
    ("/gzip", lambda d: d.kind == "html" and "reopened on Sunday" in d.text),
    ("/latin1", lambda d: "Café prices rose in 2024" in d.text),
    ("/relative-redirect", lambda d: d.url.endswith("/article") and d.path.endswith("/relative-redirect")),
])
def test_content_types(server, path, check):
    assert check(document_from_url(server + path, allow_private=True))


def test_unsupported_content_type(server):
    with pytest.raises(InputError, match="unsupported content type image/png"):
        document_from_url(server + "/image", allow_private=True)


def test_redirect_to_loopback_refused_even_when_first_hop_passes(server, monkeypatch):
    """First hop: a 'public' host name (pinned to the test server); second hop: 127.0.0.1."""
    port = int(server.rsplit(":", 1)[1])
    real_refuse = url_mod._refuse_address

    def refuse(url, host, address, allow_private):
        if host == "news.example":  # pretend the first hop's address is public
            return None
        return real_refuse(url, host, address, allow_private)

    monkeypatch.setattr(url_mod, "resolve", lambda host, p: ["127.0.0.1"] if host == "news.example" else [])
    monkeypatch.setattr(url_mod, "_refuse_address", refuse)
    # the first hop alone works: connected to the checked address, Host header kept
    Handler.seen.clear()
    page = fetch(f"http://news.example:{port}/article")
    assert page.data == NEWS and Handler.seen[-1]["host"] == f"news.example:{port}"
    with pytest.raises(UnsafeURLError) as info:
        fetch(f"http://news.example:{port}/to-loopback")
    assert f"refusing http://127.0.0.1:{port}/article" in str(info.value) and "loopback" in str(info.value)
    with pytest.raises(UnsafeURLError, match="cloud metadata"):
        fetch(f"http://news.example:{port}/to-metadata", allow_private=True)
    with pytest.raises(UnsafeURLError, match="only http:// and https://"):
        fetch(f"http://news.example:{port}/to-file")


def test_redirect_within_private_allowed_with_flag(server):
    page = fetch(server + "/to-loopback", allow_private=True)
    assert page.final_url.endswith("/article") and page.data == NEWS


def test_too_many_redirects(server):
    with pytest.raises(FetchError, match="more than 3 redirects"):
        fetch(server + "/loop", allow_private=True, max_redirects=3)


@pytest.mark.parametrize("path, status", [("/missing", "HTTP 404"), ("/broken", "HTTP 500")])
def test_http_errors(server, path, status):
    with pytest.raises(FetchError) as info:
        fetch(server + path, allow_private=True)
    assert str(info.value).startswith(f"cannot fetch {server}{path}: {status}")


@pytest.mark.parametrize("path", ["/big", "/big-no-length"])
def test_too_large(server, path):
    with pytest.raises(FetchError, match="larger than 10000 bytes"):
        fetch(server + path, allow_private=True, max_bytes=10_000)


def test_connection_refused():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    with pytest.raises(FetchError) as info:
        fetch(f"http://127.0.0.1:{port}/", allow_private=True, timeout=2)
    assert str(info.value) == f"cannot fetch http://127.0.0.1:{port}/: connection refused"


@pytest.mark.parametrize("path", ["/slow", "/trickle"])
def test_timeout_bounds_the_whole_fetch(server, path):
    start = time.monotonic()
    with pytest.raises(FetchError, match="timed out after 0.5 s"):
        fetch(server + path, allow_private=True, timeout=0.5)
    assert time.monotonic() - start < 1.5


# ------------------------------------------------------------------- https

def _self_signed(tmp_path: Path, name: str) -> tuple[Path, Path]:
    import shutil
    import subprocess

    if not shutil.which("openssl"):
        pytest.skip("openssl is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    result = subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", f"/CN={name}",
         "-addext", f"subjectAltName=DNS:{name}"],
        capture_output=True, timeout=20,
    )
    if result.returncode != 0:
        pytest.skip("openssl could not make a test certificate")
    return cert, key


@pytest.fixture()
def tls_server(tmp_path):
    import ssl

    cert, key = _self_signed(tmp_path, "news.example")
    httpd = QuietServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield httpd.server_address[1], ssl.create_default_context(cafile=str(cert))
    httpd.shutdown()
    httpd.server_close()


def test_https_pinned_address_verifies_certificate_for_host_name(tls_server, monkeypatch):
    port, client_context = tls_server
    real_refuse = url_mod._refuse_address
    monkeypatch.setattr(url_mod, "resolve", lambda host, p: ["127.0.0.1"])
    monkeypatch.setattr(url_mod, "_refuse_address",
                        lambda url, host, address, allow: None if host in {"news.example", "other.example"}
                        else real_refuse(url, host, address, allow))
    Handler.seen.clear()
    page = fetch(f"https://news.example:{port}/article", ssl_context=client_context)
    assert page.data == NEWS and Handler.seen[-1]["host"] == f"news.example:{port}"
    # same address, but a host name the certificate does not cover
    with pytest.raises(FetchError, match="TLS certificate problem"):
        fetch(f"https://other.example:{port}/article", ssl_context=client_context)
    # and without trusting the self-signed certificate at all
    with pytest.raises(FetchError, match="TLS certificate problem"):
        fetch(f"https://news.example:{port}/article")


def test_https_to_plain_http_server_is_fetch_error(server):
    with pytest.raises(FetchError, match="TLS"):
        fetch(server.replace("http://", "https://") + "/article", allow_private=True, timeout=2)
