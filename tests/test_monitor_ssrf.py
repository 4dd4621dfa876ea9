"""The monitor never connects to a non-public address, whatever the spelling and wherever a
redirect points, unless the operator's allow-list names it (tathmini/monitor/guard.py).

A spy records every connection the prober opens; the refusals must open none. The only server
is on 127.0.0.1, and only the tests that allow 127.0.0.1 explicitly reach it.
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.checks import run_checks

from tathmini.monitor.guard import Guard, is_public, parse_allowlist
from tathmini.monitor.prober import Cause, Outcome, Prober
from tathmini.monitor.testing import LocalServer

# One address of every class that is not globally routable unicast, and why.
REFUSED = {
    "127.0.0.1": "loopback",
    "127.255.255.254": "loopback, anywhere in 127/8",
    "0.0.0.0": "this host",  # noqa: S104
    "10.1.2.3": "private 10/8",
    "172.16.0.1": "private 172.16/12",
    "172.31.255.254": "private 172.16/12, top",
    "192.168.1.1": "private 192.168/16",
    "169.254.169.254": "link-local (cloud metadata)",
    "100.64.0.1": "carrier-grade NAT 100.64/10",
    "100.127.255.254": "carrier-grade NAT, top",
    "192.0.0.8": "IETF protocol assignments 192.0.0/24",
    "192.0.2.10": "documentation TEST-NET-1",
    "198.18.0.1": "benchmarking 198.18/15",
    "198.51.100.7": "documentation TEST-NET-2",
    "203.0.113.9": "documentation TEST-NET-3",
    "224.0.0.251": "multicast (mDNS)",
    "224.0.1.1": "multicast that Python counts as global",
    "239.255.255.250": "multicast (SSDP)",
    "240.0.0.1": "reserved 240/4",
    "255.255.255.255": "broadcast",
    "::": "unspecified",
    "::1": "IPv6 loopback",
    "::ffff:127.0.0.1": "IPv4-mapped loopback",
    "::ffff:10.0.0.1": "IPv4-mapped private",
    "::ffff:169.254.169.254": "IPv4-mapped link-local",
    "fc00::1": "unique local fc00::/7",
    "fd12:3456::1": "unique local fd00::/8",
    "fe80::1": "IPv6 link-local",
    "ff02::1": "IPv6 multicast, link scope",
    "ff0e::1": "IPv6 multicast that Python counts as global",
    "2001:db8::1": "IPv6 documentation",
    "64:ff9b::a00:1": "NAT64 of 10.0.0.1",
    "64:ff9b::7f00:1": "NAT64 of 127.0.0.1",
    "2002:a00:1::1": "6to4 of 10.0.0.1",
    "2002:7f00:1::1": "6to4 of 127.0.0.1",
    "2001::1": "Teredo",
}
ALLOWED = ["8.8.8.8", "196.192.72.1", "41.59.0.1", "2001:4860:4860::8888", "64:ff9b::808:808", "2002:808:808::1"]

# Spellings of 127.0.0.1 that a string check on the address would miss.
LOOPBACK_SPELLINGS = [
    "127.0.0.1",
    "2130706433",  # decimal
    "0x7f000001",  # hexadecimal
    "0x7f.0.0.1",
    "0177.0.0.1",  # octal
    "017700000001",
    "127.1",  # short form
    "[::ffff:127.0.0.1]",  # IPv4-mapped IPv6
    "[::ffff:7f00:1]",
    "localhost",
]


class Spy:
    """A connector that records the addresses the prober connects to."""

    def __init__(self) -> None:
        self.addresses: list[str] = []

    async def __call__(self, host: str, port: int, **kwargs: Any) -> Any:
        self.addresses.append(host)
        return await asyncio.open_connection(host, port, **kwargs)


@pytest.fixture(scope="module")
def server() -> Iterator[LocalServer]:
    with LocalServer() as s:
        yield s


def probe(url: str, guard: Guard, spy: Spy, resolver: Any = None) -> Outcome:
    prober = Prober(guard, timeout=2, max_bytes=10_000, connector=spy, resolver=resolver)
    return asyncio.run(prober.probe(url))


@pytest.mark.parametrize(("address", "why"), REFUSED.items(), ids=list(REFUSED))
def test_every_non_global_address_class_is_refused(address: str, why: str) -> None:
    assert not is_public(ipaddress.ip_address(address)), why
    assert not Guard().allows(address), why


@pytest.mark.parametrize("address", ALLOWED)
def test_public_addresses_are_allowed(address: str) -> None:
    assert Guard().allows(address)


@pytest.mark.parametrize("host", LOOPBACK_SPELLINGS)
def test_every_spelling_of_loopback_is_refused_before_connecting(host: str, server: LocalServer) -> None:
    spy = Spy()
    outcome = probe(f"http://{host}:{server.port}/up", Guard(), spy)
    assert (outcome.ok, outcome.cause) == (False, Cause.ADDRESS)
    assert spy.addresses == []


def test_the_same_server_is_reached_once_allowed(server: LocalServer) -> None:
    spy = Spy()
    for host in LOOPBACK_SPELLINGS[:-1]:  # every numeric spelling resolves to the allowed address
        assert probe(f"http://{host}:{server.port}/up", Guard(parse_allowlist(["127.0.0.1/32"])), spy).ok, host
    assert set(spy.addresses) == {"127.0.0.1"}


def test_the_allow_list_admits_only_what_it_names(server: LocalServer) -> None:
    spy = Spy()
    guard = Guard(parse_allowlist(["127.0.0.1/32"]))
    outcome = probe(f"http://127.0.0.2:{server.port}/up", guard, spy)  # loopback too, but not listed
    assert outcome.cause == Cause.ADDRESS and spy.addresses == []
    assert Guard(parse_allowlist(["10.20.0.0/16"])).allows("10.20.3.4")
    assert not Guard(parse_allowlist(["10.20.0.0/16"])).allows("10.21.0.1")
    assert Guard(parse_allowlist(["10.20.0.0/16"])).allows("::ffff:10.20.3.4")  # the mapped spelling too


@pytest.mark.parametrize(
    "target",
    [
        "http://10.0.0.1/",
        "http://167772161/",  # 10.0.0.1 in decimal
        "http://[::ffff:10.0.0.1]/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[fd00::1]:8080/",
        "http://127.0.0.2/",
        "http://intranet.example.org/",  # a name that resolves inwards
    ],
)
def test_a_redirect_to_a_private_address_is_refused(target: str, server: LocalServer) -> None:
    async def resolver(host: str, port: int) -> list[str]:
        if host == "intranet.example.org":
            return ["192.168.10.5"]
        infos = await asyncio.get_running_loop().getaddrinfo(host, port)
        return [str(info[4][0]) for info in infos]

    spy = Spy()
    guard = Guard(parse_allowlist(["127.0.0.1/32"]))
    before = server.hits("/to")
    outcome = probe(server.url(f"/to?url={target}"), guard, spy, resolver)
    assert (outcome.ok, outcome.cause, outcome.redirects) == (False, Cause.ADDRESS, 1)
    assert server.hits("/to") == before + 1
    assert spy.addresses == ["127.0.0.1"]  # the allowed first hop only


def test_a_name_resolving_to_public_and_private_addresses_connects_only_to_the_public_one() -> None:
    async def resolver(host: str, port: int) -> list[str]:
        return ["10.0.0.7", "127.0.0.1"]

    spy = Spy()
    # 127.0.0.1 stands for the public address here: it is the only one the guard lets through.
    outcome = probe("http://mixed.example.org:9/", Guard(parse_allowlist(["127.0.0.1/32"])), spy, resolver)
    assert spy.addresses == ["127.0.0.1"]
    assert outcome.cause == Cause.CONNECT  # nothing listens on port 9


@pytest.mark.parametrize(
    "url", ["ftp://127.0.0.1/", "file:///etc/passwd", "gopher://127.0.0.1:70/", "//127.0.0.1/", "javascript:x"]
)
def test_only_http_and_https_are_probed(url: str) -> None:
    spy = Spy()
    outcome = probe(url, Guard(parse_allowlist(["127.0.0.1/32"])), spy)
    assert (outcome.ok, outcome.cause) == (False, Cause.URL)
    assert spy.addresses == []


def test_a_redirect_to_another_scheme_is_refused(server: LocalServer) -> None:
    spy = Spy()
    outcome = probe(server.url("/to?url=file:///etc/passwd"), Guard(parse_allowlist(["127.0.0.1/32"])), spy)
    assert (outcome.cause, spy.addresses) == (Cause.URL, ["127.0.0.1"])


def test_a_bad_allow_list_stops_start_up(settings: Any) -> None:
    settings.MONITOR_ALLOWLIST = ["10.0.0.0/8", "intranet.example.org"]
    errors = [e for e in run_checks() if e.id == "monitor.E001"]
    assert len(errors) == 1 and "'intranet.example.org'" in errors[0].msg
    settings.MONITOR_ALLOWLIST = ["10.0.0.0/8", "192.0.2.7", "fd00::/8"]
    assert not [e for e in run_checks() if e.id == "monitor.E001"]
