"""A scripted network for scenario tests, in the spirit of Unbound's testbound files.

Servers answer by (address, qname, qtype) with replies written as zone-file lines; a fake clock
moves only when a reply takes time (each server has its RTT) or a test says so, so steps in time
(TTL expiry, back-off, a server coming back) cost microseconds. A test re-scripts a server
between steps to change what it says. No sockets.

    net = ScriptedNetwork()
    net.script("127.1.0.1", "example.com.", "A", answer=["example.com. 300 A 127.9.0.1"], aa=True)
    resolver = net.resolver(roots={"a.root.": "127.1.0.1"})
"""

from __future__ import annotations

import asyncio
import tempfile
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from dnslib import QTYPE, RD, RR, DNSHeader, DNSLabel, DNSQuestion, DNSRecord

from resolver import Resolver, wire
from resolver.transport import Exchange, QueryTimeout, TransportError, UdpDone, reply_matches
from tests.fakenet import FakeClock

ANY = "*"  # a qname or qtype that matches every question


@dataclass
class Scripted:
    """One scripted reply: header flags and sections as zone-file lines."""

    rcode: int = 0
    aa: bool = False
    ra: bool = False
    tc_over_udp: bool = False  # answer UDP with TC=1 and no records; TCP gets the records
    answer: list[str] = field(default_factory=list)
    authority: list[str] = field(default_factory=list)
    additional: list[str] = field(default_factory=list)
    raw: bytes | None = None  # send these bytes as they are (ID patched), for malformed replies


@dataclass
class Host:
    address: str
    rtt: float = 0.010
    tcp_rtt: float | None = None  # one exchange over TCP; twice the UDP RTT (handshake) if None
    dead: bool = False
    unreachable: bool = False
    lose: int = 0  # drop the next N datagrams (UDP only)
    loss_pattern: list[bool] = field(default_factory=list)  # cyclic: True = drop this datagram
    seen: int = 0  # datagrams received, for loss_pattern
    lower_case: bool = False  # echoes the question in lower case (does not preserve 0x20)
    hold: threading.Event | None = None  # answer only once the test sets it (real waiting)
    replies: dict[tuple[str, str], Scripted] = field(default_factory=dict)


@dataclass(frozen=True)
class Sent:
    time: float
    address: str
    qname: str
    qtype: str
    protocol: str
    edns: bool
    as_sent: str = ""  # the qname with the letter case it was sent in


def _record(line: str) -> RR:
    owner, ttl, *rest = line.split()
    if rest[-2:-1] == ["DNAME"]:  # dnslib has no DNAME type: its data is the target's octets
        return RR(owner, QTYPE.DNAME, ttl=int(ttl), rdata=RD(wire.encode_name(rest[-1])))
    return RR.fromZone(line)[0]


class ScriptedNetwork:
    """A Transport whose servers say exactly what the test scripted."""

    def __init__(self, clock: FakeClock | None = None) -> None:
        self.clock = clock or FakeClock()
        self.hosts: dict[str, Host] = {}
        self.sent: list[Sent] = []

    # ---- scripting --------------------------------------------------------------------------

    def host(self, address: str, **settings: object) -> Host:
        host = self.hosts.setdefault(address, Host(address))
        for key, value in settings.items():
            setattr(host, key, value)
        return host

    def script(self, address: str, qname: str, qtype: str, **reply: object) -> None:
        """What `address` answers to qname/qtype (either may be ANY) from now on."""
        key = (qname.lower() if qname != ANY else ANY, qtype.upper())
        self.host(address).replies[key] = Scripted(**reply)  # type: ignore[arg-type]

    def zone(self, address: str, records: Iterable[str], *, apex: str | None = None) -> None:
        """Script an authoritative zone's data at address: each owner/type its RRset. With
        `apex`, other types at those owners are NODATA and other names NXDOMAIN, with the SOA."""
        rrsets: dict[tuple[str, str], list[str]] = {}
        for line in records:
            rr = _record(line)
            rrsets.setdefault((str(rr.rname).lower(), QTYPE.get(rr.rtype)), []).append(line)
        if apex is not None:
            proof = [soa(apex)]
            self.script(address, ANY, ANY, rcode=3, aa=True, authority=proof)
            for owner, _ in rrsets:
                self.script(address, owner, ANY, aa=True, authority=proof)
        for (owner, rtype), lines in rrsets.items():
            self.script(address, owner, rtype, answer=lines, aa=True)

    def resolver(self, roots: dict[str, str], **kwargs: object) -> Resolver:
        """A Resolver whose root hints are `roots` (name -> address), over this network."""
        hints = Path(tempfile.mkdtemp(prefix="scripted-")) / "root.hints"
        hints.write_text(
            ".\t3600000\tNS\t" + "\n.\t3600000\tNS\t".join(roots) + "\n"
            + "".join(f"{name}\t3600000\tA\t{address}\n" for name, address in roots.items()),
            encoding="ascii",
        )
        kwargs.setdefault("dnssec", False)  # scripted zones are unsigned
        return Resolver(
            root_hints=str(hints),
            allowed_networks=["127.0.0.0/8"],
            transport=self,  # type: ignore[arg-type]
            clock=self.clock,
            **kwargs,  # type: ignore[arg-type]
        )

    # ---- what the test reads back ------------------------------------------------------------

    def queries_to(self, address: str) -> list[Sent]:
        return [s for s in self.sent if s.address == address]

    def asked(self, qname: str, qtype: str) -> list[Sent]:
        return [s for s in self.sent if s.qname == qname.lower() and s.qtype == qtype.upper()]

    # ---- the Transport -----------------------------------------------------------------------

    async def query(
        self, address: str, port: int, query: bytes, *, timeout: float, tcp: bool = False
    ) -> Exchange:
        message = DNSRecord.parse(query)
        qname = str(message.q.qname).lower()
        qtype = QTYPE.get(message.q.qtype)
        protocol = "tcp" if tcp else "udp"
        edns = any(rr.rtype == QTYPE.OPT for rr in message.ar)
        self.sent.append(Sent(self.clock(), address, qname, qtype, protocol, edns,
                              str(message.q.qname)))
        host = self.hosts.get(address)
        if host is None or host.unreachable:
            raise TransportError(f"{address}: network unreachable")
        if host.hold is not None:
            await asyncio.get_running_loop().run_in_executor(None, host.hold.wait, 30)
        rtt = (host.tcp_rtt if host.tcp_rtt is not None else 2 * host.rtt) if tcp else host.rtt
        if host.dead or not tcp and self._lost(host) or rtt >= timeout:
            self.clock.advance(timeout)
            raise QueryTimeout(f"no reply from {address} within {timeout:.2f} s")
        scripted = (
            host.replies.get((qname, qtype))
            or host.replies.get((qname, ANY))
            or host.replies.get((ANY, qtype))
            or host.replies.get((ANY, ANY))
        )
        if scripted is None:
            scripted = Scripted(rcode=5)  # REFUSED: this server knows nothing of the name
        self.clock.advance(rtt)
        if host.lower_case:
            message.q.qname = DNSLabel(qname)
        raw = self._reply(message, scripted, tcp)
        if scripted.raw is None:
            assert reply_matches(query, raw), "a scripted reply must answer the question"
        return Exchange(raw, rtt, protocol)

    def send_udp(self, address: str, port: int, query: bytes, timeout: float,
                 on_done: UdpDone) -> asyncio.Task[None]:
        """`query()` over UDP with a callback, as the known-cut shortcut sends (the
        CallbackTransport of resolver/transport.py): the same scripted replies."""

        async def exchange() -> None:
            try:
                done = await self.query(address, port, query, timeout=timeout)
            except TransportError as error:
                on_done(None, timeout, error)
                return
            on_done(done.raw, done.rtt, None)

        return asyncio.get_running_loop().create_task(exchange())

    @staticmethod
    def _lost(host: Host) -> bool:
        host.seen += 1
        if host.lose > 0:
            host.lose -= 1
            return True
        if host.loss_pattern:
            return host.loss_pattern[(host.seen - 1) % len(host.loss_pattern)]
        return False

    @staticmethod
    def _reply(query: DNSRecord, scripted: Scripted, tcp: bool) -> bytes:
        if scripted.raw is not None:
            return query.pack()[:2] + scripted.raw[2:]
        truncated = scripted.tc_over_udp and not tcp
        reply = DNSRecord(
            DNSHeader(
                id=query.header.id,
                qr=1,
                aa=int(scripted.aa),
                ra=int(scripted.ra),
                rd=query.header.rd,
                tc=int(truncated),
                rcode=scripted.rcode,
            ),
            q=DNSQuestion(query.q.qname, query.q.qtype, query.q.qclass),
        )
        if not truncated:
            reply.rr = [_record(line) for line in scripted.answer]
            reply.auth = [_record(line) for line in scripted.authority]
            reply.ar = [_record(line) for line in scripted.additional]
        return reply.pack()


def referral(
    zone: str, servers: dict[str, str | None], ttl: int = 172800, glue_ttl: int | None = None
) -> dict[str, list[str]]:
    """authority= and additional= for a referral to `zone` (NS name -> glue address or None)."""
    glue_ttl = ttl if glue_ttl is None else glue_ttl
    return {
        "authority": [f"{zone} {ttl} NS {name}" for name in servers],
        "additional": [
            f"{name} {glue_ttl} {'AAAA' if ':' in address else 'A'} {address}"
            for name, address in servers.items()
            if address is not None
        ],
    }


def soa(zone: str, ttl: int = 300, minimum: int = 300) -> str:
    return f"{zone} {ttl} SOA ns.{zone} admin.{zone} 1 7200 3600 1209600 {minimum}"


# A small internet most scenarios start from: one root, `com.`, and `example.com.` with two
# servers. Scenarios re-script what they need on top of it.
ROOT = "127.1.0.1"
COM = "127.1.1.1"
EXAMPLE1 = "127.1.2.1"
EXAMPLE2 = "127.1.2.2"
ROOTS = {"a.root.": ROOT}


def small_internet(net: ScriptedNetwork, example: Iterable[str] = ()) -> None:
    """Root -> com. -> example.com. (ns1/ns2, glued); example.com. serves `example` records
    (zone-file lines) authoritatively, with SOA-proven NXDOMAIN/NODATA for everything else."""
    net.script(ROOT, ".", "NS", aa=True, answer=[". 518400 NS a.root."],
               additional=[f"a.root. 518400 A {ROOT}"])
    net.script(ROOT, ANY, ANY, **referral("com.", {"ns.com.": COM}))
    net.script(COM, ANY, ANY, **referral(
        "example.com.", {"ns1.example.com.": EXAMPLE1, "ns2.example.com.": EXAMPLE2}))
    for address in (EXAMPLE1, EXAMPLE2):
        net.zone(address, apex="example.com.", records=[
            "example.com. 3600 NS ns1.example.com.",
            "example.com. 3600 NS ns2.example.com.",
            f"ns1.example.com. 3600 A {EXAMPLE1}",
            f"ns2.example.com. 3600 A {EXAMPLE2}",
            soa("example.com."),
            *example,
        ])


def records(answer: object) -> list[tuple[str, str, int, str]]:
    """(owner, type, ttl, data) of every answer-section record, for assertions."""
    return [
        (str(rr.rname).lower(), QTYPE.get(rr.rtype), rr.ttl, str(rr.rdata))
        for rr in answer.answer_records  # type: ignore[attr-defined]
    ]


def addresses(answer: object) -> list[str]:
    """The data of the answer's A/AAAA records (the final RRset of an address question)."""
    return [data for _, rtype, _, data in records(answer) if rtype in ("A", "AAAA")]


def ask_nameserver(resolver: Resolver, query: DNSRecord) -> DNSRecord:
    """One query through the caching nameserver's logic (no sockets), its reply parsed."""
    import asyncio

    from resolver.server import ServerConfig
    from resolver.server.nameserver import Nameserver

    nameserver = Nameserver(ServerConfig(), resolver)
    replies: list[bytes] = []

    class Channel:
        udp = True

        def deferred(self) -> None:
            pass

        def deliver(self, reply: bytes, client: tuple) -> None:
            replies.append(reply)

    async def run() -> None:
        now = nameserver.handle(bytes(query.pack()), ("127.0.0.1", 5000), Channel())
        if now is not None:
            replies.append(now)
        await nameserver.drain(30.0)

    asyncio.run(run())
    return DNSRecord.parse(replies[0])


def client_query(name: str, qtype: str = "A", *, rd: bool = True, edns: bool = True) -> DNSRecord:
    """A stub's query for the nameserver: RD as given, EDNS (1232) unless edns=False."""
    from dnslib import EDNS0

    query = DNSRecord(q=DNSQuestion(name, getattr(QTYPE, qtype)))
    query.header.rd = int(rd)
    if edns:
        query.add_ar(EDNS0(udp_len=1232))
    return query


def ede_options(reply: DNSRecord) -> list:
    """The Extended DNS Errors (RFC 8914) in a reply's OPT record."""
    from resolver.ede import OPTION_CODE, parse_option

    opts = [rr for rr in reply.ar if rr.rtype == QTYPE.OPT]
    return [parse_option(bytes(o.data)) for opt in opts for o in opt.rdata
            if o.code == OPTION_CODE]
