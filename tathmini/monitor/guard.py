"""Which addresses the monitor may connect to (SSRF protection).

E-service addresses are typed in by institutions' focal persons and arrive in spreadsheets, so
a probe must never become a way to reach the Agency's own network: the loopback interface, the
data-centre's private ranges, cloud metadata (169.254.169.254), multicast and the like. The rule
is applied to the *resolved* address, at connect time, on every hop of a redirect chain, so
neither a DNS name pointing inwards, nor a decimal or IPv4-mapped spelling of a private address,
nor a public page that redirects inwards gets through. The operator may allow named networks
(``MONITOR_ALLOWLIST``), e.g. a GovNet range whose services are meant to be monitored.

Host names are not accepted in the allow-list: a name can be made to resolve anywhere, and the
check happens after resolution, on addresses.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# IPv6 prefixes that carry an IPv4 address inside: the embedded address decides.
_NAT64 = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("64:ff9b:1::/48"))
_SIX_TO_FOUR = ipaddress.IPv6Network("2002::/16")
_TEREDO = ipaddress.IPv6Network("2001::/32")

# Never a public service, whatever the running Python's tables say (they have changed between
# releases): written out so that the rule does not depend on them.
_NEVER = tuple(
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",
        "240.0.0.0/4",
        "::/128",
        "::1/128",
        "100::/64",
        "2001:db8::/32",
        "fc00::/7",
        "fe80::/10",
        "ff00::/8",
    )
)


def parse_allowlist(entries: Iterable[str]) -> tuple[IPNetwork, ...]:
    """Networks from ``10.1.0.0/16``, ``127.0.0.1`` or ``::1`` entries; ValueError names a bad one."""
    out: list[IPNetwork] = []
    for entry in entries:
        try:
            out.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            raise ValueError(f"{entry!r} is not an IP address or network (CIDR)") from None
    return tuple(out)


def _plain(address: IPAddress) -> IPAddress:
    """The IPv4 address behind an IPv4-mapped IPv6 address (``::ffff:10.0.0.1``), else itself."""
    if isinstance(address, ipaddress.IPv6Address):
        address = address.ipv4_mapped or address
    return address


def is_public(address: IPAddress) -> bool:
    """A globally routable unicast address; for NAT64 and 6to4 addresses, the IPv4 address inside
    must be one too.

    ``is_global`` alone is not enough: Python counts multicast (224.0.0.0/4, ff00::/8) as global,
    and a NAT64 or 6to4 address reaches the IPv4 host it embeds, which may be a private one.
    """
    address = _plain(address)
    if any(address.version == net.version and address in net for net in _NEVER):
        return False
    if isinstance(address, ipaddress.IPv6Address):
        if any(address in net for net in _NAT64):
            return is_public(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
        if address in _SIX_TO_FOUR:
            return address.sixtofour is not None and is_public(address.sixtofour)
        if address in _TEREDO:
            return False  # a tunnel whose far end the address does not name plainly
    return address.is_global and not (address.is_multicast or address.is_reserved or address.is_unspecified)


@dataclass(frozen=True)
class Guard:
    allowlist: tuple[IPNetwork, ...] = ()

    @classmethod
    def from_settings(cls) -> Guard:
        from django.conf import settings

        return cls(parse_allowlist(settings.MONITOR_ALLOWLIST))

    def approve(self, address: str | IPAddress) -> str | None:
        """The address to connect to (an IPv4-mapped address as plain IPv4), or None if refused."""
        try:
            ip = ipaddress.ip_address(address) if isinstance(address, str) else address
        except ValueError:
            return None
        ip = _plain(ip)
        if any(ip.version == net.version and ip in net for net in self.allowlist) or is_public(ip):
            return str(ip)
        return None

    def allows(self, address: str | IPAddress) -> bool:
        return self.approve(address) is not None
