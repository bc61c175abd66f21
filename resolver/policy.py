"""Which addresses the resolver may send queries to.

A referral is data from the network, so it must not be able to steer us into querying
addresses we should not: "this network" (0.0.0.0/8, ::), broadcast, multicast, link-local,
reserved space, and loopback -- unless the root hints themselves are on loopback (the lab) or
loopback is listed in the allowed networks. With `allowed_networks` set, only those networks are
queried at all (like Unbound's do-not-query lists, inverted): the test fixtures set it to
loopback so that a test that would reach a public address fails loudly instead.

An IPv4-mapped IPv6 address (::ffff:a.b.c.d, RFC 4291 §2.5.5.2) reaches the IPv4 host it
carries, so it is judged as that IPv4 address: ::ffff:0.0.0.0 is "this network",
::ffff:127.0.0.1 is loopback, ::ffff:224.0.0.1 is multicast.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Never a DNS server, whatever a referral claims.
_NEVER = tuple(
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",  # "this network"
        "255.255.255.255/32",  # limited broadcast
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved
        "169.254.0.0/16",  # link-local: needs an interface we cannot know
        "::/128",
        "ff00::/8",  # multicast
        "fe80::/10",  # link-local
    )
)
_LOOPBACK = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))
MAX_VERDICTS = 1024  # addresses whose verdict is remembered
_UNJUDGED = object()


def _within(net: IPNetwork, outer: IPNetwork) -> bool:
    """True if `net` lies inside `outer`; networks of different families never do."""
    if isinstance(net, ipaddress.IPv4Network) and isinstance(outer, ipaddress.IPv4Network):
        return net.subnet_of(outer)
    if isinstance(net, ipaddress.IPv6Network) and isinstance(outer, ipaddress.IPv6Network):
        return net.subnet_of(outer)
    return False


class AddressPolicy:
    """Decides whether an upstream address may be queried; `refusal()` says why not."""

    def __init__(
        self, allowed_networks: Iterable[str] | None = None, *, allow_loopback: bool = False
    ) -> None:
        self.allowed: tuple[IPNetwork, ...] | None = (
            tuple(ipaddress.ip_network(n, strict=False) for n in allowed_networks)
            if allowed_networks is not None
            else None
        )
        self.allow_loopback = allow_loopback or any(
            _within(net, lo) for net in self.allowed or () for lo in _LOOPBACK
        )
        self._verdicts: dict[str, object] = {}
        self._judged_under: tuple[object, bool] | None = None

    def refusal(self, address: str) -> str | None:
        """None when `address` may be queried, else the reason in a few words."""
        # Memoised per address string (every upstream query asks, twice): the verdicts hold
        # while `allowed` and `allow_loopback` are the ones they were made under.
        judged = (self.allowed, self.allow_loopback)
        if self._judged_under != judged:
            self._verdicts.clear()
            self._judged_under = judged
        verdict = self._verdicts.get(address, _UNJUDGED)
        if verdict is _UNJUDGED:
            verdict = self._judge(address)
            if len(self._verdicts) >= MAX_VERDICTS:
                self._verdicts.clear()  # addresses come from referrals: keep a bounded few
            self._verdicts[address] = verdict
        return verdict  # type: ignore[return-value]

    def _judge(self, address: str) -> str | None:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return "not an IP address"
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped  # judged as the IPv4 address it carries
        if any(ip in net for net in _NEVER):
            return "a special-purpose address that is never a DNS server"
        if ip.is_loopback and not self.allow_loopback:
            return "loopback is not queried unless the root hints are on loopback"
        if self.allowed is not None and not any(ip in net for net in self.allowed):
            return "outside the allowed networks"
        return None

    def permits(self, address: str) -> bool:
        return self.refusal(address) is None
