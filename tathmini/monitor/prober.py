"""One probe of one address: an HTTP(S) GET with hard limits, judged against the check's
expectations.

The client is a small HTTP/1.1 client on asyncio streams rather than a library, because the
monitor needs control that general clients do not give at once: it resolves the name itself and
connects to the very address the SSRF guard approved (no second lookup an attacker could
answer differently), on every redirect; it stops reading at a byte cap; it bounds the whole
exchange, including a server that trickles one byte a second, by one deadline; and it never
keeps a body in memory (the keyword is searched in a sliding window). It speaks just enough
HTTP for that: ``Connection: close``, identity encoding, ``Content-Length``, chunked or
read-to-close bodies.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import SplitResult, urljoin, urlsplit

from django.db import models
from django.utils.translation import gettext_lazy as _

from tathmini.monitor.guard import Guard

USER_AGENT = "Tathmini-monitor/1 (e-Government Agency availability monitor)"
REDIRECTS = (301, 302, 303, 307, 308)
MAX_HEADER_BYTES = 64 * 1024
DNS_CACHE_SECONDS = 60
DNS_CACHE_SIZE = 100_000
READ_CHUNK = 64 * 1024

Resolver = Callable[[str, int], Awaitable[list[str]]]
Connector = Callable[..., Awaitable[tuple[asyncio.StreamReader, asyncio.StreamWriter]]]


class Cause(models.TextChoices):
    """Why a probe failed. The code is stored; the label is what the status page says."""

    TIMEOUT = "timeout", _("No complete answer in time")
    DNS = "dns", _("Name not found")
    ADDRESS = "address", _("Address not allowed")
    CONNECT = "connect", _("Connection failed")
    TLS = "tls", _("Secure connection failed")
    STATUS = "status", _("Unexpected status code")
    KEYWORD = "keyword", _("Expected text missing")
    SLOW = "slow", _("Too slow")
    REDIRECTS = "redirects", _("Too many redirects")
    PROTOCOL = "protocol", _("Invalid response")
    URL = "url", _("Address not usable")


@dataclass(frozen=True)
class Expectation:
    status_min: int = 200
    status_max: int = 299
    keyword: str = ""
    max_response_ms: int | None = None


@dataclass(frozen=True)
class Outcome:
    ok: bool
    cause: str = ""  # a Cause value when not ok
    detail: str = ""  # technical detail for staff: "HTTP 503", the address refused, the TLS error
    status: int | None = None
    response_ms: int | None = None  # whole exchange, redirects included; None without an answer
    bytes_read: int = 0
    redirects: int = 0
    final_url: str = ""


class ProbeFailure(Exception):
    def __init__(self, cause: str, detail: str) -> None:
        super().__init__(detail)
        self.cause = cause
        self.detail = detail


async def system_resolver(host: str, port: int) -> list[str]:
    """Addresses of ``host``, in the order the system gives them.

    Names under ``.invalid`` never resolve (RFC 6761), so they are refused here without asking
    a DNS server.
    """
    name = host.lower().rstrip(".")
    if name == "invalid" or name.endswith(".invalid"):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


@dataclass
class _Response:
    status: int
    headers: dict[str, str]
    bytes_read: int
    keyword_found: bool


class Prober:
    def __init__(
        self,
        guard: Guard,
        *,
        timeout: float = 10.0,
        max_bytes: int = 1024 * 1024,
        max_redirects: int = 3,
        resolver: Resolver | None = None,
        ssl_context: ssl.SSLContext | None = None,
        connector: Connector | None = None,
    ) -> None:
        self.guard = guard
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self.resolver = resolver or system_resolver
        self.ssl_context = ssl_context or ssl.create_default_context()
        self.connector: Connector = connector or asyncio.open_connection
        self._dns: dict[tuple[str, int], tuple[float, list[str]]] = {}

    @classmethod
    def from_settings(cls) -> Prober:
        from django.conf import settings

        return cls(
            Guard.from_settings(), timeout=settings.MONITOR_TIMEOUT_SECONDS, max_bytes=settings.MONITOR_MAX_BYTES
        )

    async def probe(self, url: str, expect: Expectation | None = None) -> Outcome:
        expect = expect or Expectation()
        started = time.perf_counter()
        redirects = 0
        current = url
        try:
            async with asyncio.timeout(self.timeout):
                while True:
                    parts = _checked_url(current)
                    response = await self._exchange(parts, expect.keyword)
                    location = response.headers.get("location")
                    if response.status in REDIRECTS and location:
                        if redirects >= self.max_redirects:
                            raise ProbeFailure(Cause.REDIRECTS, f"more than {self.max_redirects} redirects")
                        redirects += 1
                        current = urljoin(current, location.strip())
                        continue
                    break
        except TimeoutError:
            detail = f"no complete answer in {self.timeout:g} s"
            return Outcome(False, Cause.TIMEOUT, detail, redirects=redirects, final_url=current)
        except ProbeFailure as failure:
            return Outcome(False, failure.cause, failure.detail, redirects=redirects, final_url=current)
        elapsed = round((time.perf_counter() - started) * 1000)

        def outcome(ok: bool, cause: str = "", detail: str = "") -> Outcome:
            return Outcome(ok, cause, detail, response.status, elapsed, response.bytes_read, redirects, current)

        if not expect.status_min <= response.status <= expect.status_max:
            return outcome(False, Cause.STATUS, f"HTTP {response.status}")
        if expect.keyword and not response.keyword_found:
            return outcome(False, Cause.KEYWORD, f"{expect.keyword!r} not in the first {response.bytes_read} bytes")
        if expect.max_response_ms is not None and elapsed > expect.max_response_ms:
            return outcome(False, Cause.SLOW, f"{elapsed} ms > {expect.max_response_ms} ms")
        return outcome(True)

    async def _connect(self, parts: SplitResult) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            addresses = await self._resolve(host, port)
        except (socket.gaierror, UnicodeError) as exc:
            raise ProbeFailure(Cause.DNS, f"{host}: {exc}") from None
        allowed = list(dict.fromkeys(a for a in map(self.guard.approve, addresses) if a is not None))
        if not allowed:
            shown = ", ".join(addresses) or "no address"
            raise ProbeFailure(Cause.ADDRESS, shown if shown == host else f"{host} → {shown}")
        tls = self.ssl_context if parts.scheme == "https" else None
        last: BaseException | None = None
        for address in allowed:
            try:
                # The approved address itself, never the name: no second lookup can redirect us.
                return await self.connector(
                    address, port, ssl=tls, server_hostname=host if tls else None, limit=MAX_HEADER_BYTES
                )
            except ssl.SSLError as exc:
                raise ProbeFailure(Cause.TLS, _short(exc)) from None
            except OSError as exc:
                last = exc
        raise ProbeFailure(Cause.CONNECT, f"{host} ({', '.join(allowed)}): {_short(last)}")

    async def _resolve(self, host: str, port: int) -> list[str]:
        """The host's addresses, remembered for ``DNS_CACHE_SECONDS``: thousands of e-services
        share a few host names, and a lookup per probe would make the resolver the bottleneck.
        Failures are not remembered. An address in canonical form needs no lookup."""
        try:
            return [str(ipaddress.ip_address(host))]
        except ValueError:
            pass
        key = (host.lower(), port)
        now = time.monotonic()
        cached = self._dns.get(key)
        if cached is not None and cached[0] > now:
            return cached[1]
        addresses = await self.resolver(host, port)
        if len(self._dns) >= DNS_CACHE_SIZE:
            self._dns = {k: v for k, v in self._dns.items() if v[0] > now}
            if len(self._dns) >= DNS_CACHE_SIZE:
                self._dns.clear()
        self._dns[key] = (now + DNS_CACHE_SECONDS, addresses)
        return addresses

    async def _exchange(self, parts: SplitResult, keyword: str) -> _Response:
        reader, writer = await self._connect(parts)
        try:
            path = parts.path or "/"
            if parts.query:
                path += "?" + parts.query
            host = _host_header(parts)
            request = (
                f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: {USER_AGENT}\r\n"
                "Accept: */*\r\nAccept-Encoding: identity\r\nConnection: close\r\n\r\n"
            )
            writer.write(request.encode("ascii"))
            await writer.drain()
            status, headers = await _read_head(reader)
            bytes_read, found = await self._read_body(reader, status, headers, keyword.encode("utf-8"))
            return _Response(status, headers, bytes_read, found)
        except ssl.SSLError as exc:
            raise ProbeFailure(Cause.TLS, _short(exc)) from None
        except asyncio.IncompleteReadError:
            raise ProbeFailure(Cause.PROTOCOL, "the connection closed before a complete answer") from None
        except asyncio.LimitOverrunError:
            raise ProbeFailure(Cause.PROTOCOL, f"headers longer than {MAX_HEADER_BYTES} bytes") from None
        except (ValueError, UnicodeError) as exc:
            raise ProbeFailure(Cause.PROTOCOL, _short(exc)) from None
        except OSError as exc:
            raise ProbeFailure(Cause.CONNECT, _short(exc)) from None
        finally:
            # Drop the connection at once: a huge or trickling body is not worth reading to its end.
            writer.transport.abort()

    async def _read_body(
        self, reader: asyncio.StreamReader, status: int, headers: dict[str, str], keyword: bytes
    ) -> tuple[int, bool]:
        """Bytes of body read (at most ``max_bytes``) and whether ``keyword`` was among them."""
        if status in (204, 304) or 100 <= status < 200:
            return 0, False
        scan = _Scanner(keyword)
        budget = self.max_bytes
        if "chunked" in headers.get("transfer-encoding", "").lower():
            while budget > 0:
                size_line = await reader.readuntil(b"\r\n")
                size = int(size_line.split(b";", 1)[0].strip() or b"x", 16)
                if size == 0:
                    break
                remaining = size
                while remaining > 0 and budget > 0:
                    chunk = await reader.read(min(remaining, budget, READ_CHUNK))
                    if not chunk:
                        raise asyncio.IncompleteReadError(b"", remaining)
                    scan.feed(chunk)
                    remaining -= len(chunk)
                    budget -= len(chunk)
                if remaining == 0:
                    await reader.readexactly(2)
            return self.max_bytes - budget, scan.found
        length_header = headers.get("content-length")
        remaining_length = int(length_header) if length_header is not None else None
        if remaining_length is not None and remaining_length < 0:
            raise ValueError("negative Content-Length")
        while budget > 0 and remaining_length != 0:
            want = min(budget, READ_CHUNK, remaining_length if remaining_length is not None else READ_CHUNK)
            chunk = await reader.read(want)
            if not chunk:
                if remaining_length is not None:
                    raise asyncio.IncompleteReadError(b"", remaining_length)
                break
            scan.feed(chunk)
            budget -= len(chunk)
            if remaining_length is not None:
                remaining_length -= len(chunk)
        return self.max_bytes - budget, scan.found


class _Scanner:
    """Finds a keyword across chunk boundaries while keeping only len(keyword) − 1 bytes."""

    def __init__(self, keyword: bytes) -> None:
        self.keyword = keyword
        self.tail = b""
        self.found = False

    def feed(self, chunk: bytes) -> None:
        if self.found or not self.keyword:
            return
        window = self.tail + chunk
        if self.keyword in window:
            self.found = True
        self.tail = window[-(len(self.keyword) - 1) :] if len(self.keyword) > 1 else b""


def _checked_url(url: str) -> SplitResult:
    if any(c in url for c in "\r\n\t \x00"):
        raise ProbeFailure(Cause.URL, "the address contains spaces or control characters")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises ValueError for a bad port)
    except ValueError as exc:
        raise ProbeFailure(Cause.URL, str(exc)) from None
    if parts.scheme not in ("http", "https"):
        raise ProbeFailure(Cause.URL, f"only http and https are probed, not {parts.scheme or 'no scheme'!r}")
    if not parts.hostname:
        raise ProbeFailure(Cause.URL, "the address names no host")
    return parts


def _host_header(parts: SplitResult) -> str:
    host = (parts.hostname or "").encode("idna").decode("ascii")
    if ":" in host:
        host = f"[{host}]"
    return f"{host}:{parts.port}" if parts.port else host


async def _read_head(reader: asyncio.StreamReader) -> tuple[int, dict[str, str]]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("iso-8859-1").split("\r\n")
    version, _sep, rest = lines[0].partition(" ")
    if not version.startswith("HTTP/1."):
        raise ValueError(f"not an HTTP/1 response: {lines[0][:60]!r}")
    status = int(rest[:3])
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    return status, headers


def _short(exc: BaseException | None) -> str:
    if exc is None:
        return "no address to try"
    text = str(exc) or type(exc).__name__
    return text[:200]
