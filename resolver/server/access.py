"""Access control: what a client's address may do (Unbound's access-control actions).

allow: queries are answered (resolved when needed); refuse: REFUSED; deny: dropped, no reply
(no reflection, no sign we are here); allow_snoop: as allow, and a query with RD=0 is answered
from the cache only (REFUSED when not cached). The most specific network that holds the address
wins; an address in no network is refused.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

ALLOW, REFUSE, DENY, ALLOW_SNOOP = "allow", "refuse", "deny", "allow_snoop"

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class AccessControl:
    """Networks with actions; `action(host)` is looked up once per client address."""

    def __init__(self, allow: Iterable[str], rules: Iterable[tuple[str, str]] = ()) -> None:
        """`allow`: networks given the allow action; `rules`: (network, action). A rule for a
        network also in `allow` replaces it. ValueError on a bad network or action."""
        table: dict[Network, str] = {}
        for text in allow:
            try:
                table[ipaddress.ip_network(text, strict=False)] = ALLOW
            except ValueError:
                raise ValueError(f"bad allow network {text!r}") from None
        for text, action in rules:
            # The module's own string objects: the nameserver compares actions with `is`.
            known = {name: name for name in (ALLOW, REFUSE, DENY, ALLOW_SNOOP)}
            if action not in known:
                raise ValueError(f"unknown access-control action {action!r}")
            table[ipaddress.ip_network(text, strict=False)] = known[action]
        # Longest prefix first: the first network that holds an address is the most specific.
        self.rules = sorted(table.items(), key=lambda item: -item[0].prefixlen)

    def action(self, host: str) -> str:
        """The action for a client address (text, maybe with an IPv6 zone or IPv4-mapped)."""
        try:
            address = ipaddress.ip_address(host.split("%", 1)[0])
        except ValueError:
            return REFUSE
        if address.version == 6 and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        for network, action in self.rules:
            if address.version == network.version and address in network:
                return action
        return REFUSE
