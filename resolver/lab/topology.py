"""Which lab host serves which zones, at which address, and how the lab moves to another block.

The zone files in zones/ are written for 127.42.0.0/16. A lab started on another block, say
Lab(network="127.53.0.0/16"), loads the same files and shifts every address inside
127.42.0.0/16 by the offset between the two blocks (127.42.20.80 -> 127.53.20.80); names in
the lab's reverse zone move with it (80.20.42.127.in-addr.arpa. -> 80.20.53.127.in-addr.arpa.).
Addresses outside 127.42.0.0/16 (the malicious host's forged 127.66.6.6) stay as written.
Blocks must lie inside 127.0.0.0/8 (loopback only) and be a /8 to /16, so every lab address fits.
"""

from __future__ import annotations

import copy
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from dnslib import QTYPE, RR, A, DNSLabel

from .faults import Fault

DEFAULT_NETWORK = "127.42.0.0/16"
ZONES_DIR = Path(__file__).with_name("zones")
_DEFAULT_BLOCK = ipaddress.ip_network(DEFAULT_NETWORK)
_LOOPBACK = ipaddress.ip_network("127.0.0.0/8")
SLOW_HOST_DELAY = 0.4  # seconds: slow enough to notice in a trace, inside any sane timeout
LOSSY_PERIOD = 2  # the lossy host drops every other UDP query, starting with the first
STALE_HOST_ANSWERS = 1  # ns.stale.net answers the first walk's one query, then goes silent


@dataclass(frozen=True)
class HostSpec:
    """One lab host as the topology describes it (addresses in the default block)."""

    name: str
    address: str
    zones: tuple[str, ...]
    fault: Fault | None = None


def _host(name: str, address: str, *zones: str, fault: Fault | None = None) -> HostSpec:
    return HostSpec(name, address, zones, fault)


# Shaped like the real thing: separate servers per level, so www.cs.cornell.edu. walks
# root -> edu -> cornell.edu -> cs.cornell.edu. The NS records and glue in zones/ match this.
DEFAULT_TOPOLOGY: tuple[HostSpec, ...] = (
    _host("a.root-servers.net.", "127.42.0.1", ".", "root-servers.net."),
    _host("b.root-servers.net.", "127.42.0.2", ".", "root-servers.net."),
    _host("c.root-servers.net.", "127.42.0.3", ".", "root-servers.net."),
    _host("a.gtld-servers.net.", "127.42.1.1", "com.", "net."),
    _host("b.gtld-servers.net.", "127.42.1.2", "com.", "net."),
    _host("a.edu-servers.net.", "127.42.1.3", "edu."),
    _host("a0.nic.org.", "127.42.1.4", "org."),
    _host("a.ns.arpa.", "127.42.1.5", "arpa.", "in-addr.arpa."),  # parent and child, one host
    _host("ns1.cornell.edu.", "127.42.10.1", "cornell.edu."),
    _host("ns2.cornell.edu.", "127.42.10.2", "cornell.edu."),
    _host("ns.cs.cornell.edu.", "127.42.10.3", "cs.cornell.edu."),
    _host("ns1.example.com.", "127.42.20.1", "example.com."),
    _host("ns2.example.com.", "127.42.20.2", "example.com."),
    _host("ns1.example.net.", "127.42.21.1", "example.net."),
    _host("ns1.example.org.", "127.42.22.1", "example.org.", "lab.example.org."),
    _host("ns1.flaky.com.", "127.42.23.1", "flaky.com.", fault=Fault.dead()),
    _host("ns2.flaky.com.", "127.42.23.2", "flaky.com.", fault=Fault.lame()),
    _host("ns3.flaky.com.", "127.42.23.3", "flaky.com."),
    _host("ns.evil.com.", "127.42.24.1", "evil.com.", fault=Fault.malicious()),
    _host("ns.bank.com.", "127.42.25.1", "bank.com."),
    _host("ns.slow.net.", "127.42.26.1", "slow.net.", fault=Fault.slow(SLOW_HOST_DELAY)),
    _host("ns1.dns-host.net.", "127.42.30.1", "dns-host.net.", "glueless.org."),
    _host("ns2.dns-host.net.", "127.42.30.2", "dns-host.net.", "glueless.org."),
    _host("rev.dns-host.net.", "127.42.30.3", "42.127.in-addr.arpa."),
    _host("ns.cycle-a.com.", "127.42.31.1", "cycle-b.net."),
    _host("ns.cycle-b.net.", "127.42.31.2", "cycle-a.com."),
    # Real-world failures, one zone each (see scenarios.py):
    _host("ns.renumbered.com.", "127.42.32.1", "renumbered.com."),
    # Where renumbered.com's own A record still points: the old server, switched off.
    _host("old-ns.renumbered.com.", "127.42.32.99", "renumbered.com.", fault=Fault.dead()),
    _host("ns1.shortglue.net.", "127.42.33.1", "shortglue.net."),
    _host("ns2.shortglue.net.", "127.42.33.2", "shortglue.net."),
    _host("ns.lossy.org.", "127.42.34.1", "lossy.org.", fault=Fault.lossy_every(LOSSY_PERIOD)),
    _host("ns.aaref.com.", "127.42.35.1", "aaref.com.", fault=Fault.aa_referral()),
    _host("ns.sub.aaref.com.", "127.42.35.2", "sub.aaref.com."),
    _host("ns.lame-aa.net.", "127.42.36.1", "lame-aa.net.", fault=Fault.lame("upward_aa")),
    _host("ns1.down.com.", "127.42.37.1", "down.com.", fault=Fault.dead()),
    _host("ns2.down.com.", "127.42.37.2", "down.com.", fault=Fault.dead()),
    # Answers once, then is gone: www.stale.net (TTL 2) can then only be answered stale.
    _host("ns.stale.net.", "127.42.38.1", "stale.net.",
          fault=Fault.silent_after(STALE_HOST_ANSWERS)),
    # DNSSEC bogus cases (how each is broken: resolver/lab/signing.py)
    _host("ns.badsig.com.", "127.42.40.1", "badsig.com.", "expired.com.", "wrongds.com.",
          "ghostds.com.", "privalg.com."),
)


def zone_file(origin: str, zones_dir: Path = ZONES_DIR) -> Path:
    """zones/<origin>zone, e.g. zones/example.com.zone; the root zone is zones/root.zone."""
    return zones_dir / ("root.zone" if origin == "." else f"{origin.lower()}zone")


class AddressMap:
    """Moves lab data written for 127.42.0.0/16 into another loopback block, by offset."""

    def __init__(self, network: str = DEFAULT_NETWORK) -> None:
        try:
            block = ipaddress.ip_network(network)
        except ValueError as exc:
            raise ValueError(f"lab network {network!r}: {exc}") from None
        if not isinstance(block, ipaddress.IPv4Network) or not block.subnet_of(_LOOPBACK):
            raise ValueError(f"lab network {network} must lie inside 127.0.0.0/8 (loopback)")
        if not 8 <= block.prefixlen <= 16:
            raise ValueError(f"lab network {network} must be a /8 to /16 to hold every host")
        self.network = block
        self.offset = int(block.network_address) - int(_DEFAULT_BLOCK.network_address)
        # With a /8../16 block the shift only ever changes the second octet.
        self._second_octet = str(block.network_address).split(".")[1].encode()

    @property
    def identity(self) -> bool:
        return self.offset == 0

    def address(self, address: str) -> str:
        ip = ipaddress.ip_address(address)
        if ip.version == 4 and ip in _DEFAULT_BLOCK:
            return str(ipaddress.ip_address(int(ip) + self.offset))
        return address

    def name(self, name: DNSLabel | str) -> DNSLabel:
        """Rewrite names inside 42.127.in-addr.arpa., the default block's reverse zone."""
        label = name if isinstance(name, DNSLabel) else DNSLabel(name)
        parts = [part.lower() for part in label.label]
        if len(parts) >= 4 and parts[-4:] == [b"42", b"127", b"in-addr", b"arpa"]:
            new = list(label.label)
            new[-4] = self._second_octet
            return DNSLabel(new)
        return label

    def text_name(self, name: str) -> str:
        return str(self.name(name)) if not self.identity else name

    def record(self, rr: RR) -> RR:
        """A copy of `rr` with its owner, address and domain-name RDATA moved."""
        if self.identity:
            return rr
        rdata = copy.copy(rr.rdata)
        if rr.rtype == QTYPE.A:
            rdata = A(self.address(str(rr.rdata)))
        elif rr.rtype == QTYPE.SOA:
            rdata.mname, rdata.rname = self.name(rdata.mname), self.name(rdata.rname)
        elif rr.rtype in (QTYPE.NS, QTYPE.CNAME, QTYPE.PTR, QTYPE.MX):
            rdata.label = self.name(rdata.label)
        elif rr.rtype == QTYPE.SRV:
            rdata.target = self.name(rdata.target)
        return RR(self.name(rr.rname), rr.rtype, rr.rclass, rr.ttl, rdata)

    def host(self, spec: HostSpec) -> HostSpec:
        zones = tuple(self.text_name(zone) for zone in spec.zones)
        return HostSpec(spec.name, self.address(spec.address), zones, spec.fault)
