"""Local HTTP servers that misbehave on purpose, and a clock stepped by hand: what the monitor's
tests and benchmarks probe. Everything listens on 127.0.0.1 only.

Paths choose the behaviour::

    /up                  200 with a short page containing "Karibu"
    /down                503
    /status/<code>       that status code
    /slow/<ms>           200 after <ms> milliseconds
    /hang                reads the request, never answers
    /trickle             headers, then one body byte every 50 ms, never finishing
    /huge                200 announcing 1 GiB and sending as fast as the client reads
    /padded/<n>          <n> bytes of padding, then "Karibu"
    /chunked             a chunked body with "Karibu" split across two chunks
    /close               closes the connection without answering
    /loop                302 to itself
    /redirect/<n>        302 to /redirect/<n-1>; /redirect/0 answers 200
    /to?url=<address>    302 to <address>
    /switch/<name>       200 or 503, as set with ``server.set(name, up)``

``python -m tathmini.monitor.testing N`` runs a farm of N such servers in this process and
prints their ports as JSON (bench/monitor_bench.py starts one in a separate process).
"""

from __future__ import annotations

import asyncio
import json
import ssl
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

PAGE = b"<!doctype html><title>Huduma</title><p>Karibu: the service is working.</p>"


class FakeClock:
    """A clock that stands still until told to move (aware UTC datetimes)."""

    def __init__(self, start: datetime) -> None:
        self.now = start.astimezone(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float = 0, **kwargs: float) -> datetime:
        self.now += timedelta(seconds=seconds, **kwargs)
        return self.now

    def set(self, moment: datetime) -> datetime:
        self.now = moment.astimezone(UTC)
        return self.now


def self_signed_context(directory: Path) -> ssl.SSLContext:
    """A server TLS context with a fresh self-signed certificate for localhost (no client trusts it)."""
    key, cert = directory / "key.pem", directory / "cert.pem"
    subprocess.run(  # noqa: S603
        [  # noqa: S607
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-subj",
            "/CN=localhost",
            "-days",
            "1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


def _response(status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> bytes:
    lines = [f"HTTP/1.1 {status} X", f"Content-Length: {len(body)}", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii") + body


class LocalServer:
    """``count`` listening sockets on 127.0.0.1 served by one event loop in a thread."""

    def __init__(self, count: int = 1, tls: ssl.SSLContext | None = None, log_times: bool = False) -> None:
        self.count = count
        self.tls = tls
        # (wall-clock time, path) of every request, when asked for (the shard benchmark).
        self.log: list[tuple[float, str]] | None = [] if log_times else None
        self.ports: list[int] = []
        self.requests: Counter[str] = Counter()
        self.connections = 0
        self.switches: dict[str, bool] = {}
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._servers: list[asyncio.Server] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._thread = threading.Thread(target=self._run, name="monitor-test-server", daemon=True)

    # --- control ------------------------------------------------------------------------------
    def __enter__(self) -> LocalServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        return self.ports[0]

    def url(self, path: str, port: int | None = None) -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://127.0.0.1:{port or self.port}{path}"

    def set(self, name: str, up: bool) -> None:
        self.switches[name] = up

    def hits(self, path: str) -> int:
        with self._lock:
            return self.requests[path]

    def start(self) -> None:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the local test server did not start")

    def stop(self) -> None:
        async def shutdown() -> None:
            for server in self._servers:
                server.close()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)

        async def listen() -> None:
            for _i in range(self.count):
                server = await asyncio.start_server(self._accept, "127.0.0.1", 0, ssl=self.tls, backlog=1024)
                self._servers.append(server)
                self.ports.append(server.sockets[0].getsockname()[1])

        self._loop.run_until_complete(listen())
        self._ready.set()
        self._loop.run_forever()

    # --- behaviour ----------------------------------------------------------------------------
    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        with self._lock:
            self.connections += 1
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            target = head.split(b" ", 2)[1].decode("ascii")
            await self._answer(target, writer)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, IndexError, ssl.SSLError):
            pass
        except asyncio.CancelledError:
            pass  # the server is stopping: end quietly rather than as a failed task
        finally:
            self._tasks.discard(task)
            writer.transport.abort()

    async def _answer(self, target: str, writer: asyncio.StreamWriter) -> None:
        parts = urlsplit(target)
        path = parts.path
        with self._lock:
            self.requests[path] += 1
            if self.log is not None:
                self.log.append((time.time(), path))
        segments = path.strip("/").split("/")
        kind, arg = segments[0], (segments[1] if len(segments) > 1 else "")
        if kind == "up":
            writer.write(_response(200, PAGE))
        elif kind == "down":
            writer.write(_response(503, b"Service unavailable"))
        elif kind == "status":
            writer.write(_response(int(arg), PAGE))
        elif kind == "slow":
            await asyncio.sleep(int(arg) / 1000)
            writer.write(_response(200, PAGE))
        elif kind == "hang":
            await asyncio.sleep(3600)
        elif kind == "trickle":
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\nConnection: close\r\n\r\n")
            while True:
                writer.write(b"x")
                await writer.drain()
                await asyncio.sleep(0.05)
        elif kind == "huge":
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1073741824\r\nConnection: close\r\n\r\n")
            block = b"x" * 65536
            for _i in range(16384):
                writer.write(block)
                await writer.drain()
        elif kind == "padded":
            writer.write(_response(200, b"x" * int(arg) + b"Karibu"))
        elif kind == "chunked":
            writer.write(
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                b"5\r\n<p>Ka\r\n9\r\nribu.</p>\r\n0\r\n\r\n"
            )
        elif kind == "close":
            return
        elif kind == "loop":
            writer.write(_response(302, headers={"Location": "/loop"}))
        elif kind == "redirect":
            n = int(arg)
            writer.write(_response(302, headers={"Location": f"/redirect/{n - 1}"}) if n > 0 else _response(200, PAGE))
        elif kind == "to":
            writer.write(_response(302, headers={"Location": parse_qs(parts.query)["url"][0]}))
        elif kind == "switch":
            up = self.switches.get(arg, True)
            writer.write(_response(200, PAGE) if up else _response(503, b"Service unavailable"))
        else:
            writer.write(_response(404, b"no such behaviour"))
        await writer.drain()


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    server = LocalServer(count)
    server.start()
    print(json.dumps(server.ports), flush=True)
    try:
        sys.stdin.read()  # until the parent closes our stdin or ends us
    finally:
        server.stop()


if __name__ == "__main__":
    main()


def sample_check() -> Any:
    """One monitored e-service, for tests that need any (tests/test_access.py)."""
    from tathmini.monitor.models import Check
    from tathmini.monitor.services import shard_key_of
    from tathmini.registry.models import EService, Institution

    institution, _ = Institution.objects.get_or_create(
        code="monitor-sample", defaults={"name_sw": "Taasisi", "name_en": "Institution", "category": "agency"}
    )
    eservice, _ = EService.objects.get_or_create(
        code="monitor-sample",
        defaults={
            "institution": institution,
            "name_sw": "Huduma",
            "name_en": "Service",
            "life_event": "other",
            "channels": "web",
            "url": "https://huduma.example.go.tz/",
            "launched_on": date(2013, 1, 1),
        },
    )
    check, _ = Check.objects.get_or_create(
        eservice=eservice,
        defaults={"url": eservice.url, "shard_key": shard_key_of(eservice.pk), "next_due": datetime.now(UTC)},
    )
    return check
