"""Fetch a web page safely and read it into a Document.

Safety rules (server-side request forgery guard):

* only ``http://`` and ``https://`` URLs; no user name or password in the URL;
* the host is resolved and the request is refused when ANY address is
  loopback, private, link-local, shared (100.64/10), unique-local, reserved,
  multicast or unspecified — unless ``allow_private=True``;
* cloud metadata endpoints (169.254.169.254 and the rest of 169.254/16,
  fd00:ec2::254, 100.100.100.200, metadata.google.internal …), multicast,
  reserved and unspecified addresses are refused EVEN with
  ``allow_private=True``: no legitimate article lives there, and they are
  what an attacker is after;
* the connection goes to the very address that was checked (no second DNS
  lookup, so no DNS rebinding); the Host header and, for https, the TLS
  server name and certificate check use the URL's host name;
* redirects are followed by hand (at most ``max_redirects``) and every hop is
  checked again;
* the body is streamed and capped at ``max_bytes`` (after gzip/deflate
  decoding too); ``timeout`` bounds the whole fetch — connect, headers, body,
  all redirects — not each read (a watchdog closes a socket that a server
  keeps alive by trickling bytes).

Residual limits: the system resolver's own time is not counted against
``timeout`` (getaddrinfo cannot be interrupted); proxies from the
environment are not used.

Example::

    >>> check_url("file:///etc/passwd")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    factdesk.errors.UnsafeURLError: refusing file:///etc/passwd: only http:// and https:// URLs can be fetched (file:// ...)
"""

from __future__ import annotations

import http.client
import ipaddress
import re
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Callable
from urllib.parse import urljoin, urlsplit

from factdesk import __version__
from factdesk.errors import FetchError, InputError, UnsafeURLError
from factdesk.ingest._common import control_ratio, decode_bytes
from factdesk.ingest.html import document_from_html
from factdesk.ingest.pdf import document_from_pdf
from factdesk.ingest.text import document_from_markdown, document_from_text
from factdesk.types import Document

USER_AGENT = "factdesk/" + ".".join(__version__.split(".")[:2])  # factdesk/0.1
DEFAULT_TIMEOUT = 20.0
DEFAULT_MAX_BYTES = 10_000_000
DEFAULT_MAX_REDIRECTS = 5
_CHUNK = 65536
_REDIRECTS = {301, 302, 303, 307, 308}

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

METADATA_HOSTS = frozenset({
    "metadata.google.internal", "metadata.goog", "metadata", "instance-data",
    "instance-data.ec2.internal",
})
METADATA_NETWORKS = tuple(ipaddress.ip_network(n) for n in (
    "169.254.0.0/16",  # IPv4 link-local: AWS/GCP/Azure/OCI metadata, ECS task metadata 169.254.170.2
    "fd00:ec2::254/128",  # AWS IMDS over IPv6
    "100.100.100.200/32",  # Alibaba Cloud metadata
))
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_SHARED = ipaddress.ip_network("100.64.0.0/10")

# The resolver, replaceable in tests: host, port -> addresses.
Resolver = Callable[[str, int], list[str]]


def _system_resolve(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    seen: list[str] = []
    for info in infos:
        address = str(info[4][0]).split("%", 1)[0]  # drop an IPv6 zone id
        if address not in seen:
            seen.append(address)
    return seen


resolve: Resolver = _system_resolve


@dataclass
class FetchedPage:
    url: str  # as asked for
    final_url: str  # after redirects
    status: int
    content_type: str  # media type, lower case, without parameters ("" when absent)
    data: bytes
    charset: str | None = None  # the Content-Type header's charset parameter
    headers: dict[str, str] = field(default_factory=dict)  # the final response's headers, names lower case


@dataclass(frozen=True)
class CheckedURL:
    url: str
    scheme: str
    host: str  # as in the URL, lower case, without brackets
    port: int
    addresses: tuple[str, ...]  # every resolved address, all of them checked

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"


def _embedded_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return ip.ipv4_mapped
        if ip in _NAT64:
            return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if ip.sixtofour is not None:
            return ip.sixtofour
    return None


def classify_address(address: str) -> str | None:
    """Why an address is not public ("loopback", "private", …), or None when it is public."""
    ip: IPAddress = ipaddress.ip_address(address)
    inner = _embedded_ipv4(ip)
    if inner is not None:
        reason = classify_address(str(inner))
        if reason:
            return reason
    if any(ip in net for net in METADATA_NETWORKS if net.version == ip.version):
        return "metadata"
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_loopback:
        return "loopback"
    if ip.is_multicast:
        return "multicast"
    if ip.is_link_local:
        return "link-local"
    if isinstance(ip, ipaddress.IPv4Address) and ip in _SHARED:
        return "shared (carrier-grade NAT)"
    if ip.is_reserved:
        return "reserved"
    if ip.is_private:
        return "private"
    if not ip.is_global:
        return "non-public"
    return None


# Allowed with allow_private=True; everything else non-public is refused always.
_PRIVATE_OK = {"loopback", "private", "link-local", "shared (carrier-grade NAT)", "non-public"}


def _refuse_address(url: str, host: str, address: str, allow_private: bool) -> None:
    reason = classify_address(address)
    if reason is None or (allow_private and reason in _PRIVATE_OK):
        return
    shown = host if host == address else f"{host} ({address})"
    article = "an" if reason[0] in "aeiou" else "a"
    if reason == "metadata":
        raise UnsafeURLError(f"refusing {url}: {shown} is a cloud metadata (link-local) address",
                             hint="factdesk never fetches metadata endpoints")
    if reason in _PRIVATE_OK:
        raise UnsafeURLError(f"refusing {url}: {shown} is {article} {reason} address",
                             hint="pass allow_private=True (--allow-private) to fetch from your own network")
    raise UnsafeURLError(f"refusing {url}: {shown} is {article} {reason} address")


_NUMERIC_HOST = re.compile(r"^(?:0x[0-9a-f]+|[0-9]+)(?:\.(?:0x[0-9a-f]+|[0-9]+)){0,3}$")


def ip_literal(host: str) -> str | None:
    """The address a host name spells as a number, or None.

    Besides ordinary IPv4/IPv6 literals this reads the legacy forms that
    ``inet_aton`` (and so the system resolver) accepts: ``2130706433``,
    ``0x7f.1``, ``0177.0.0.1`` — all 127.0.0.1.
    """
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        mapped = getattr(ip, "ipv4_mapped", None)
        return str(mapped or ip)
    if _NUMERIC_HOST.match(host):
        try:
            return socket.inet_ntoa(socket.inet_aton(host))
        except OSError:
            return None
    return None


def check_url(url: str, *, allow_private: bool = False, resolver: Resolver | None = None) -> CheckedURL:
    """Parse, resolve and vet a URL; UnsafeURLError when it may not be fetched.

    Unresolvable hosts give FetchError.  Returns the addresses to connect to.
    """
    if not isinstance(url, str) or not url.strip():
        raise InputError("empty URL")
    url = url.strip()
    if any(ch in url for ch in "\r\n\t\x00 "):
        raise UnsafeURLError(f"refusing {url!r}: URLs may not contain spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise InputError(f"not a valid URL: {url} ({exc})") from exc
    scheme = parts.scheme.lower()
    if scheme not in {"http", "https"}:
        shown = f"{scheme}://" if scheme else "a URL without http:// or https://"
        raise UnsafeURLError(f"refusing {url}: only http:// and https:// URLs can be fetched",
                             hint=f"{shown} is not supported; for a local file give its path")
    if parts.username is not None or parts.password is not None:
        raise UnsafeURLError(f"refusing {url}: URLs with a user name or password are not supported")
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        raise InputError(f"not a valid URL: {url} (no host name)")
    port = port or (443 if scheme == "https" else 80)

    if host in METADATA_HOSTS:
        raise UnsafeURLError(f"refusing {url}: {host} is a cloud metadata host",
                             hint="factdesk never fetches metadata endpoints")
    if (host == "localhost" or host.endswith(".localhost")) and not allow_private:
        raise UnsafeURLError(f"refusing {url}: {host} is a loopback address",
                             hint="pass allow_private=True (--allow-private) to fetch from your own network")

    literal = ip_literal(host)
    try:
        addresses = [literal] if literal else (resolver or resolve)(host, port)
    except (socket.gaierror, UnicodeError, OSError) as exc:
        raise FetchError(f"cannot fetch {url}: cannot resolve host {host}", hint=_reason(exc)) from exc
    if not addresses:
        raise FetchError(f"cannot fetch {url}: host {host} has no address")
    for address in addresses:
        try:
            _refuse_address(url, host, address, allow_private)
        except ValueError as exc:  # not an IP at all: the resolver is broken
            raise FetchError(f"cannot fetch {url}: bad address {address!r} for {host}") from exc
    return CheckedURL(url=url, scheme=scheme, host=host, port=port, addresses=tuple(addresses))


def _reason(exc: BaseException) -> str:
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return " ".join(str(text).split())[:160]


class _PinnedConnection(http.client.HTTPConnection):
    """An HTTP(S) connection to one already-checked IP address.

    For https the TLS handshake uses the URL's host name (SNI) and the default
    context verifies the certificate against it.
    """

    def __init__(self, address: str, port: int, tls_host: str | None, timeout: float,
                 context: ssl.SSLContext | None) -> None:
        super().__init__(address, port, timeout=timeout)
        self._address = address
        self._tls_host = tls_host
        self._context = context

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), timeout=self.timeout)
        if self._tls_host is not None:
            context = self._context or ssl.create_default_context()
            sock = context.wrap_socket(sock, server_hostname=self._tls_host)
        self.sock = sock


def _shut(sock: socket.socket | None) -> None:
    try:
        if sock is not None:
            sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


class _Deadline:
    def __init__(self, url: str, seconds: float) -> None:
        self.url = url
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def left(self) -> float:
        left = self.end - time.monotonic()
        if left <= 0:
            raise FetchError(f"cannot fetch {self.url}: timed out after {self.seconds:g} s")
        return left


def _media_type(header: str | None) -> tuple[str, str | None]:
    if not header:
        return "", None
    media, _, params = header.partition(";")
    charset = None
    for param in params.split(";"):
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            charset = value.strip().strip("'\"")
    return media.strip().lower(), charset


def _read_body(resp: http.client.HTTPResponse, url: str, max_bytes: int, deadline: _Deadline,
               sock: socket.socket | None) -> bytes:
    too_big = f"cannot fetch {url}: the response is larger than {max_bytes} bytes"
    length = resp.getheader("Content-Length")
    if length and length.strip().isdigit() and int(length) > max_bytes:
        raise FetchError(too_big)
    encoding = (resp.getheader("Content-Encoding") or "identity").strip().lower()
    if encoding in {"gzip", "x-gzip"}:
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    elif encoding == "deflate":
        inflater = zlib.decompressobj()
    elif encoding in {"identity", ""}:
        inflater = None
    else:
        raise FetchError(f"cannot fetch {url}: unsupported content encoding {encoding!r}")
    chunks: list[bytes] = []
    size = 0
    raw_size = 0
    while True:
        if sock is not None:
            sock.settimeout(deadline.left())
        chunk = resp.read1(_CHUNK) if hasattr(resp, "read1") else resp.read(_CHUNK)
        if not chunk:
            break
        raw_size += len(chunk)
        if raw_size > max_bytes:
            raise FetchError(too_big)
        if inflater is not None:
            try:
                chunk = inflater.decompress(chunk, max_bytes + 1 - size)
            except zlib.error as exc:
                raise FetchError(f"cannot fetch {url}: corrupt {encoding} data") from exc
        size += len(chunk)
        if size > max_bytes:
            raise FetchError(too_big)
        chunks.append(chunk)
        deadline.left()
    return b"".join(chunks)


# headers the fetcher sets itself: a caller may not replace them
_OWN_HEADERS = frozenset({"host", "connection", "content-length", "transfer-encoding", "accept-encoding",
                          "user-agent", "te", "upgrade", "proxy-authorization", "proxy-connection"})
_CONDITIONAL = ("if-none-match", "if-modified-since")


def _caller_headers(headers: Mapping[str, str] | None) -> dict[str, str]:
    """The caller's extra request headers, checked: no header the fetcher owns, no control characters."""
    out: dict[str, str] = {}
    for name, value in (headers or {}).items():
        key = str(name).strip()
        if not re.fullmatch(r"[A-Za-z0-9-]+", key) or key.lower() in _OWN_HEADERS:
            raise InputError(f"request header {key!r} cannot be set")
        text = str(value)
        if any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
            raise InputError(f"request header {key!r} has control characters")
        out[key] = text
    return out


def _request(checked: CheckedURL, deadline: _Deadline, max_bytes: int,
             context: ssl.SSLContext | None, *, method: str = "GET", body: bytes | None = None,
             headers: Mapping[str, str] | None = None) -> tuple[int, str, dict[str, str], bytes]:
    """One request to a checked URL: (status, reason, headers, body); body only for 2xx."""
    parts = urlsplit(checked.url)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    last_error: BaseException | None = None
    for address in checked.addresses:
        conn = _PinnedConnection(address, checked.port, checked.host if checked.scheme == "https" else None,
                                 timeout=deadline.left(), context=context)
        try:
            conn.connect()
        except (OSError, ssl.SSLError) as exc:
            conn.close()
            if isinstance(exc, (ssl.SSLError, ssl.CertificateError, TimeoutError, socket.timeout)):
                raise
            last_error = exc
            continue
        # a watchdog closes the socket at the deadline, so a server that trickles
        # bytes cannot stretch the fetch past ``timeout``
        watchdog = threading.Timer(deadline.left(), _shut, args=(conn.sock,))
        watchdog.daemon = True
        watchdog.start()
        try:
            conn.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
            conn.putheader("Host", checked.host_header)
            conn.putheader("User-Agent", USER_AGENT)
            extra = dict(headers or {})
            if not any(k.lower() == "accept" for k in extra):
                conn.putheader("Accept", "text/html,application/xhtml+xml,application/pdf,text/plain,"
                                         "text/markdown;q=0.9,*/*;q=0.5")
            for name, value in extra.items():
                conn.putheader(name, value)
            conn.putheader("Accept-Encoding", "gzip, deflate")
            conn.putheader("Connection", "close")
            if body is not None:
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body)
            conn.sock.settimeout(deadline.left())
            resp = conn.getresponse()
            resp_headers = {k.lower(): v for k, v in resp.getheaders()}
            data = b""
            if 200 <= resp.status < 300:
                data = _read_body(resp, checked.url, max_bytes, deadline, conn.sock)
            deadline.left()  # a body cut short by the watchdog is a timeout, not a page
            return resp.status, resp.reason, resp_headers, data
        except (OSError, http.client.HTTPException):
            deadline.left()  # report the deadline, not the socket error it caused
            raise
        finally:
            watchdog.cancel()
            conn.close()
    assert last_error is not None
    raise last_error


def fetch(url: str, *, allow_private: bool = False, timeout: float = DEFAULT_TIMEOUT,
          max_bytes: int = DEFAULT_MAX_BYTES, max_redirects: int = DEFAULT_MAX_REDIRECTS,
          ssl_context: ssl.SSLContext | None = None, headers: Mapping[str, str] | None = None) -> FetchedPage:
    """GET a URL under the safety rules above; FetchError (or UnsafeURLError) on any failure.

    ``headers``: extra request headers (e.g. ``Accept``, ``If-None-Match``); the ones the fetcher
    sets itself (Host, Connection, User-Agent, Accept-Encoding …) are refused.  With a conditional
    header (``If-None-Match`` / ``If-Modified-Since``) a ``304 Not Modified`` answer is returned as
    a page with ``status`` 304 and no data instead of an error.
    """
    extra = _caller_headers(headers)
    conditional = any(k.lower() in _CONDITIONAL for k in extra)
    deadline = _Deadline(url, timeout)
    current = url
    for _hop in range(max_redirects + 1):
        checked = check_url(current, allow_private=allow_private)
        try:
            status, reason, headers_in, body = _request(checked, deadline, max_bytes, ssl_context, headers=extra)
        except FetchError:
            raise
        except (TimeoutError, socket.timeout) as exc:
            raise FetchError(f"cannot fetch {current}: timed out after {timeout:g} s") from exc
        except ConnectionRefusedError as exc:
            raise FetchError(f"cannot fetch {current}: connection refused") from exc
        except ssl.SSLCertVerificationError as exc:
            raise FetchError(f"cannot fetch {current}: TLS certificate problem ({_reason(exc)})") from exc
        except ssl.SSLError as exc:
            raise FetchError(f"cannot fetch {current}: TLS error ({_reason(exc)})") from exc
        except http.client.HTTPException as exc:
            raise FetchError(f"cannot fetch {current}: bad HTTP response ({type(exc).__name__})") from exc
        except OSError as exc:
            raise FetchError(f"cannot fetch {current}: {_reason(exc)}") from exc
        if status == 304 and conditional:
            return FetchedPage(url=url, final_url=current, status=304, content_type="", data=b"",
                               headers=headers_in)
        if status in _REDIRECTS:
            location = headers_in.get("location")
            if not location:
                raise FetchError(f"cannot fetch {current}: HTTP {status} redirect without a Location")
            current = urljoin(current, location.strip())
            continue
        if status >= 400:
            raise FetchError(f"cannot fetch {current}: HTTP {status} {reason}".rstrip())
        if not 200 <= status < 300:
            raise FetchError(f"cannot fetch {current}: unexpected HTTP status {status}")
        media, charset = _media_type(headers_in.get("content-type"))
        return FetchedPage(url=url, final_url=current, status=status, content_type=media, data=body,
                           charset=charset, headers=headers_in)
    raise FetchError(f"cannot fetch {url}: more than {max_redirects} redirects")


def post_json(url: str, payload: bytes, *, allow_private: bool = False, timeout: float = 10.0,
              max_bytes: int = 65536, headers: Mapping[str, str] | None = None) -> int:
    """POST a JSON body to ``url`` under the same safety rules as :func:`fetch`; returns the 2xx status.

    Redirects are not followed (a POST is not replayed to another address): a 3xx answer, like
    a 4xx or 5xx, is a FetchError.  The answer's body is read up to ``max_bytes`` and dropped.
    """
    extra = _caller_headers({"Content-Type": "application/json", "Accept": "*/*", **(headers or {})})
    deadline = _Deadline(url, timeout)
    checked = check_url(url, allow_private=allow_private)
    try:
        status, reason, _headers, _body = _request(checked, deadline, max_bytes, None, method="POST",
                                                   body=payload, headers=extra)
    except FetchError:
        raise
    except (TimeoutError, socket.timeout) as exc:
        raise FetchError(f"cannot post to {url}: timed out after {timeout:g} s") from exc
    except ConnectionRefusedError as exc:
        raise FetchError(f"cannot post to {url}: connection refused") from exc
    except (ssl.SSLError, http.client.HTTPException, OSError) as exc:
        raise FetchError(f"cannot post to {url}: {_reason(exc)}") from exc
    if not 200 <= status < 300:
        raise FetchError(f"cannot post to {url}: HTTP {status} {reason}".rstrip())
    return status


_HTML_TYPES = {"text/html", "application/xhtml+xml"}
_MARKDOWN_TYPES = {"text/markdown", "text/x-markdown"}
_TEXT_TYPES = {"text/plain"}


def _sniff(page: FetchedPage) -> str | None:
    head = page.data[:1024].lstrip().lower()
    if page.data[:1024].find(b"%PDF-") != -1:
        return "pdf"
    if head.startswith((b"<!doctype html", b"<html", b"<?xml")) or b"<html" in head or b"<body" in head:
        return "html"
    path = urlsplit(page.final_url).path.lower()
    if path.endswith((".md", ".markdown")):
        return "markdown"
    if path.endswith((".txt", ".text")):
        return "text"
    return None


def document_from_fetched(page: FetchedPage) -> Document:
    """Read a fetched page with the reader its content type (or content) calls for."""
    media = page.content_type
    if media in _HTML_TYPES:
        kind = "html"
    elif media == "application/pdf":
        kind = "pdf"
    elif media in _MARKDOWN_TYPES:
        kind = "markdown"
    elif media in _TEXT_TYPES:
        kind = "markdown" if urlsplit(page.final_url).path.lower().endswith((".md", ".markdown")) else "text"
    elif media in {"", "application/octet-stream", "binary/octet-stream"} or media.startswith("text/"):
        kind = _sniff(page) or ("text" if media.startswith("text/") else "")
    else:
        kind = ""
    if not kind:
        raise InputError(f"cannot read {page.final_url}: unsupported content type {media or 'unknown'}",
                         hint="factdesk reads HTML, PDF, plain text and Markdown")
    if not page.data.strip():
        raise InputError(f"{page.final_url} is empty")
    if kind == "html":
        return document_from_html(page.data, url=page.final_url, path=page.url, charset=page.charset)
    if kind == "pdf":
        doc = document_from_pdf(page.data, path=page.url, url=page.final_url)
        return doc
    text, _ = decode_bytes(page.data, [page.charset])
    if "\x00" in text or control_ratio(text) > 0.02:
        raise InputError(f"{page.final_url} looks like binary data, not text")
    reader = document_from_markdown if kind == "markdown" else document_from_text
    if not text.strip():
        raise InputError(f"{page.final_url} is empty")
    return reader(text, url=page.final_url, path=page.url)


def document_from_url(url: str, *, allow_private: bool = False, timeout: float = DEFAULT_TIMEOUT,
                      max_bytes: int = DEFAULT_MAX_BYTES, max_redirects: int = DEFAULT_MAX_REDIRECTS) -> Document:
    """Fetch ``url`` (see :func:`fetch`) and read it by content type: HTML, PDF, text, Markdown."""
    page = fetch(url, allow_private=allow_private, timeout=timeout, max_bytes=max_bytes,
                 max_redirects=max_redirects)
    return document_from_fetched(page)


__all__ = ["fetch", "post_json", "document_from_url", "document_from_fetched", "check_url", "classify_address",
           "FetchedPage", "CheckedURL", "USER_AGENT"]
