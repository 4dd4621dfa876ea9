"""One probe against local servers that misbehave on purpose (tathmini/monitor/testing.py): the
verdict, the cause and the limits (timeout, byte cap, redirects) a monitored e-service meets.

Every server listens on 127.0.0.1, which these tests allow explicitly; nothing else is reached.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tathmini.monitor.guard import Guard, parse_allowlist
from tathmini.monitor.prober import Cause, Expectation, Outcome, Prober, system_resolver
from tathmini.monitor.testing import LocalServer, self_signed_context

LOCAL = Guard(parse_allowlist(["127.0.0.1/32"]))
TIMEOUT = 1.0
CAP = 100_000


@pytest.fixture(scope="module")
def server() -> Iterator[LocalServer]:
    with LocalServer() as s:
        yield s


def probe(url: str, expect: Expectation | None = None, **options: object) -> Outcome:
    prober = Prober(LOCAL, timeout=TIMEOUT, max_bytes=CAP, **options)  # type: ignore[arg-type]
    return asyncio.run(prober.probe(url, expect))


def test_a_working_service_is_up(server: LocalServer) -> None:
    outcome = probe(server.url("/up"), Expectation(keyword="Karibu"))
    assert outcome.ok and outcome.status == 200 and outcome.cause == ""
    assert outcome.bytes_read == len(b"<!doctype html><title>Huduma</title><p>Karibu: the service is working.</p>")
    assert outcome.response_ms is not None and outcome.response_ms < 1000


def test_an_error_status_is_down_with_the_code(server: LocalServer) -> None:
    outcome = probe(server.url("/down"))
    assert (outcome.ok, outcome.cause, outcome.detail, outcome.status) == (False, Cause.STATUS, "HTTP 503", 503)


def test_the_expected_status_range_is_the_checks_own(server: LocalServer) -> None:
    assert not probe(server.url("/status/401")).ok
    assert probe(server.url("/status/401"), Expectation(status_min=200, status_max=401)).ok


def test_a_slow_answer_is_down_only_when_the_check_sets_a_limit(server: LocalServer) -> None:
    assert probe(server.url("/slow/300")).ok
    outcome = probe(server.url("/slow/300"), Expectation(max_response_ms=100))
    assert (outcome.ok, outcome.cause, outcome.status) == (False, Cause.SLOW, 200)
    assert outcome.response_ms is not None and outcome.response_ms >= 300


@pytest.mark.parametrize("path", ["/hang", "/trickle"])
def test_a_server_that_hangs_or_trickles_is_cut_off_at_the_timeout(server: LocalServer, path: str) -> None:
    started = time.perf_counter()
    outcome = probe(server.url(path))
    elapsed = time.perf_counter() - started
    assert (outcome.ok, outcome.cause) == (False, Cause.TIMEOUT)
    assert TIMEOUT <= elapsed < TIMEOUT + 1


def test_a_huge_body_is_read_only_up_to_the_cap(server: LocalServer) -> None:
    started = time.perf_counter()
    outcome = probe(server.url("/huge"))
    assert outcome.ok and outcome.bytes_read == CAP  # of the 1 GiB announced
    assert time.perf_counter() - started < TIMEOUT


def test_the_keyword_is_searched_within_the_cap_and_across_chunks(server: LocalServer) -> None:
    assert probe(server.url(f"/padded/{CAP - 6}"), Expectation(keyword="Karibu")).ok  # ends exactly at the cap
    beyond = probe(server.url(f"/padded/{CAP - 5}"), Expectation(keyword="Karibu"))
    assert (beyond.ok, beyond.cause) == (False, Cause.KEYWORD)
    assert probe(server.url("/chunked"), Expectation(keyword="Karibu")).ok  # "Ka" + "ribu" in two chunks
    missing = probe(server.url("/up"), Expectation(keyword="Hitilafu"))
    assert (missing.ok, missing.cause, missing.status) == (False, Cause.KEYWORD, 200)


def test_three_redirects_are_followed_and_a_fourth_is_refused(server: LocalServer) -> None:
    before = server.hits("/redirect/0")
    three = probe(server.url("/redirect/3"))
    assert three.ok and three.redirects == 3 and three.final_url.endswith("/redirect/0")
    assert server.hits("/redirect/0") == before + 1
    four = probe(server.url("/redirect/4"))
    assert (four.ok, four.cause, four.redirects) == (False, Cause.REDIRECTS, 3)


def test_a_redirect_loop_stops_after_four_requests(server: LocalServer) -> None:
    before = server.hits("/loop")
    outcome = probe(server.url("/loop"))
    assert (outcome.ok, outcome.cause) == (False, Cause.REDIRECTS)
    assert server.hits("/loop") == before + 4  # the first request and three redirects


def test_a_connection_closed_without_an_answer_is_an_invalid_response(server: LocalServer) -> None:
    outcome = probe(server.url("/close"))
    assert (outcome.ok, outcome.cause) == (False, Cause.PROTOCOL)


def test_a_closed_port_is_a_failed_connection() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, never listening: the connection is refused
        outcome = probe(f"http://127.0.0.1:{port}/")
    assert (outcome.ok, outcome.cause) == (False, Cause.CONNECT)


def test_a_certificate_nobody_trusts_fails_the_tls_handshake(tmp_path: Path) -> None:
    with LocalServer(tls=self_signed_context(tmp_path)) as tls_server:
        outcome = probe(tls_server.url("/up"))
        assert (outcome.ok, outcome.cause) == (False, Cause.TLS)
        assert "certificate verify failed" in outcome.detail
        assert tls_server.hits("/up") == 0  # no request was sent over the untrusted connection


def test_a_name_under_invalid_fails_without_asking_any_dns_server(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_lookups(*args: object, **kwargs: object) -> None:
        raise AssertionError("the resolver was asked")

    monkeypatch.setattr(asyncio.BaseEventLoop, "getaddrinfo", no_lookups)
    outcome = probe("http://huduma.invalid/")
    assert (outcome.ok, outcome.cause) == (False, Cause.DNS)
    with pytest.raises(socket.gaierror):
        asyncio.run(system_resolver("HUDUMA.INVALID.", 80))


def test_a_name_the_resolver_cannot_find_is_a_dns_failure() -> None:
    async def nothing(host: str, port: int) -> list[str]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    outcome = probe("http://huduma.go.tz/", resolver=nothing)
    assert (outcome.ok, outcome.cause) == (False, Cause.DNS)
    assert outcome.detail.startswith("huduma.go.tz:")


def test_the_request_names_the_host_and_asks_for_an_unencoded_close(server: LocalServer) -> None:
    seen: list[bytes] = []

    async def spy(host: str, port: int, **kwargs: object) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        reader, writer = await asyncio.open_connection(host, port, **kwargs)  # type: ignore[arg-type]
        original = writer.write

        def write(data: bytes) -> None:
            seen.append(data)
            original(data)

        writer.write = write  # type: ignore[method-assign,assignment]
        return reader, writer

    assert probe(server.url("/up?x=1"), connector=spy).ok
    request = b"".join(seen).decode("ascii")
    assert request.startswith("GET /up?x=1 HTTP/1.1\r\n")
    assert f"\r\nHost: 127.0.0.1:{server.port}\r\n" in request
    assert "\r\nAccept-Encoding: identity\r\n" in request and "\r\nConnection: close\r\n" in request


def test_a_name_is_looked_up_once_a_minute_and_a_failure_is_not_remembered(server: LocalServer) -> None:
    asked: list[str] = []
    answers = {"huduma.example.go.tz": ["127.0.0.1"]}

    async def resolver(host: str, port: int) -> list[str]:
        asked.append(host)
        if host not in answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return answers[host]

    prober = Prober(LOCAL, timeout=TIMEOUT, max_bytes=CAP, resolver=resolver)

    async def twice() -> list[Outcome]:
        return [
            await prober.probe(f"http://huduma.example.go.tz:{server.port}/up"),
            await prober.probe(f"http://HUDUMA.example.go.tz:{server.port}/up"),
            await prober.probe("http://gone.example.go.tz/"),
            await prober.probe("http://gone.example.go.tz/"),
            await prober.probe(f"http://127.0.0.1:{server.port}/up"),  # an address needs no lookup
        ]

    outcomes = asyncio.run(twice())
    assert [o.ok for o in outcomes] == [True, True, False, False, True]
    assert asked == ["huduma.example.go.tz", "gone.example.go.tz", "gone.example.go.tz"]
