"""The caching nameserver, driven over real loopback sockets with dnslib/socket clients.

Most tests put a FakeResolver behind the server: it answers from a small zone table, counts
calls, and can hold a resolution until the test releases it, which is what lets a test prove
sharing, bounds and ordering without timing. The end-to-end tests at the bottom use the real
Resolver on the offline lab.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import struct
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from dnslib import CLASS, EDNS0, QTYPE, RR, TXT, DNSLabel, DNSQuestion, DNSRecord
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from resolver.answer import Answer
from resolver.server import Server, ServerConfig, ServerError, fetch_stats
from resolver.server.answer_cache import AnswerCache, PackedReply, entry_bytes
from resolver.server.nameserver import Nameserver
from resolver.server.query import clean_query, fast_key, parse_query
from resolver.server.stats import LatencyHistogram
from resolver.wire import build_query

ROOT = Path(__file__).resolve().parent.parent
WAIT = 10.0  # seconds: a hang, not slowness

ZONE = """
www.example.test.      300 IN A     192.0.2.1
www.example.test.      300 IN A     192.0.2.2
www.example.test.      300 IN AAAA  2001:db8::1
example.test.          300 IN MX    10 mail.example.test.
example.test.          300 IN TXT   "v=spf1 -all"
alias.example.test.    300 IN CNAME www.example.test.
short.example.test.     60 IN A     192.0.2.9
"""
SOA = RR.fromZone(
    "example.test. 300 IN SOA ns.example.test. admin.example.test. 1 3600 600 86400 120"
)[0]
# Over 512 octets (so TC=1 without EDNS) and over 1232 (so TC=1 whatever the client offers).
BIG_TXT = [
    RR("big.example.test.", QTYPE.TXT, rdata=TXT([b"x" * 200] * 4), ttl=300) for _ in range(2)
]


def _table() -> dict[tuple[str, int], list[RR]]:
    table: dict[tuple[str, int], list[RR]] = {}
    for record in RR.fromZone(ZONE):
        table.setdefault((str(record.rname).lower(), record.rtype), []).append(record)
    table[("big.example.test.", QTYPE.TXT)] = BIG_TXT
    for i in range(100):
        table[(f"host{i}.example.test.", QTYPE.A)] = RR.fromZone(
            f"host{i}.example.test. 300 IN A 198.51.100.{i}"
        )
    return table


class FakeResolver:
    """Implements query_async from a fixed table; SOA-backed NXDOMAIN/NODATA otherwise.

    `hold` names questions whose resolution waits until `release` is set; `started` is set when
    a held resolution begins. `fail` names questions that raise, `servfail` ones that SERVFAIL.
    """

    def __init__(self) -> None:
        self.table = _table()
        self.calls: list[tuple[str, int, int]] = []
        self.hold: set[str] = set()
        self.release = threading.Event()
        self.started = threading.Event()
        self.fail: set[str] = set()
        self.servfail: set[str] = set()
        self.lifetime = 5.0

    async def query_async(self, name: str, rdtype: int, rdclass: int = 1) -> Answer:
        self.calls.append((name, rdtype, rdclass))
        if name in self.hold:
            self.started.set()
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(None, self.release.wait, WAIT)
        if name in self.fail:
            raise RuntimeError("the fake resolver was told to fail")
        records = self.table.get((name.lower(), rdtype))
        answer = Answer(name, rdtype, rdclass, 0, name)
        if name in self.servfail:
            answer.rcode = 2
        elif records:
            answer.answer_records = list(records)
        else:
            alias = self.table.get((name.lower(), QTYPE.CNAME))
            if alias:
                target = str(alias[0].rdata.label).lower()
                answer.answer_records = list(alias) + list(self.table.get((target, rdtype), []))
                answer.canonical_name = target
            elif any(owner == name.lower() for owner, _ in self.table):
                answer.authority_records = [SOA]
            else:
                answer.rcode = 3
                answer.authority_records = [SOA]
        return answer

    def stats(self) -> dict:
        return {"upstream_queries": len(self.calls), "timeouts": 0}


class ServerThread:
    """A Server on its own event loop in a thread, bound to 127.0.0.1 port 0."""

    def __init__(self, resolver: object, clock=None, **config: object) -> None:
        config.setdefault("listen", [("127.0.0.1", 0)])
        self.config = ServerConfig(**config)
        self.resolver = resolver
        self.loop = asyncio.new_event_loop()
        extra = {"clock": clock} if clock is not None else {}
        self.server = Server(self.config, resolver, **extra)
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self._main())

    async def _main(self) -> None:
        self._stop = asyncio.Event()
        try:
            await self.server.start()
        except BaseException as error:
            self._error = error
            self._ready.set()
            return
        self._ready.set()
        await self._stop.wait()
        await self.server.stop()

    def __enter__(self) -> ServerThread:
        self._thread.start()
        assert self._ready.wait(WAIT)
        if self._error:
            raise self._error
        self.host, self.port = self.server.addresses[0]
        return self

    def stop(self) -> None:
        if self._thread.is_alive():
            self.loop.call_soon_threadsafe(self._stop.set)
            self._thread.join(WAIT)
            assert not self._thread.is_alive(), "server did not stop"

    def __exit__(self, *exc: object) -> None:
        self.resolver_release()
        self.stop()
        self.loop.close()

    def resolver_release(self) -> None:
        release = getattr(self.resolver, "release", None)
        if release is not None:
            release.set()

    @property
    def nameserver(self) -> Nameserver:
        return self.server.nameserver

    # -- clients --

    def udp_socket(self, source: str = "127.0.0.1") -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind((source, 0))
        sock.settimeout(WAIT)
        return sock

    def ask_raw(self, wire: bytes, sock: socket.socket | None = None) -> bytes:
        return ask_udp(self.host, self.port, wire, sock)

    def ask(self, query: DNSRecord, **kw: object) -> DNSRecord:
        return DNSRecord.parse(self.ask_raw(query.pack(), **kw))

    def ask_tcp_raw(self, wire: bytes) -> bytes:
        with socket.create_connection((self.host, self.port), timeout=WAIT) as sock:
            sock.sendall(struct.pack("!H", len(wire)) + wire)
            return read_frame(sock)


def ask_udp(host: str, port: int, wire: bytes, sock: socket.socket | None = None) -> bytes:
    own = sock is None
    if sock is None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.settimeout(WAIT)
    try:
        sock.sendto(wire, (host, port))
        return sock.recvfrom(65535)[0]
    finally:
        if own:
            sock.close()


def read_frame(sock: socket.socket) -> bytes:
    length = struct.unpack("!H", recv_exactly(sock, 2))[0]
    return recv_exactly(sock, length)


def recv_exactly(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ConnectionError(f"closed after {len(data)} of {size} octets")
        data += chunk
    return data


def question(name: str, qtype: str | int = "A", *, edns: int | None = None, do: bool = False,
             qclass: str = "IN", qid: int = 4321, rd: bool = True, cd: bool = False) -> DNSRecord:
    qtype = qtype if isinstance(qtype, int) else getattr(QTYPE, qtype)
    query = DNSRecord(q=DNSQuestion(name, qtype, getattr(CLASS, qclass)))
    query.header.id = qid
    query.header.rd = int(rd)
    query.header.cd = int(cd)
    if edns is not None:
        query.add_ar(EDNS0(udp_len=edns, flags="do" if do else ""))
    return query


def opt_of(reply: DNSRecord) -> RR | None:
    opts = [rr for rr in reply.ar if rr.rtype == QTYPE.OPT]
    assert len(opts) <= 1
    return opts[0] if opts else None


@pytest.fixture
def fake() -> FakeResolver:
    return FakeResolver()


@pytest.fixture
def served(fake):
    with ServerThread(fake) as server:
        yield server


# ---- replies over UDP ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "qtype", "expected"),
    [
        ("www.example.test.", "A", {"192.0.2.1", "192.0.2.2"}),
        ("www.example.test.", "AAAA", {"2001:db8::1"}),
        ("example.test.", "MX", {"10 mail.example.test."}),
        ("example.test.", "TXT", {'"v=spf1 -all"'}),
    ],
)
def test_udp_answers_a_aaaa_mx_txt(served, name, qtype, expected):
    for attempt in ("miss", "hit"):
        reply = served.ask(question(name, qtype, qid=777))
        assert reply.header.id == 777
        assert reply.header.qr == 1 and reply.header.ra == 1 and reply.header.rd == 1
        assert reply.header.aa == 0 and reply.header.tc == 0
        assert reply.header.rcode == 0, attempt
        assert {rr.rdata.toZone() for rr in reply.rr} == expected, attempt
        assert str(reply.q.qname) == name and reply.q.qtype == getattr(QTYPE, qtype)
    assert served.resolver.calls == [(name, getattr(QTYPE, qtype), 1)]


def test_rd_and_cd_are_copied_on_hits_and_misses(served):
    for rd, cd in [(True, False), (False, True), (True, True), (False, False)]:
        reply = served.ask(question("www.example.test.", rd=rd, cd=cd))
        assert (reply.header.rd, reply.header.cd) == (int(rd), int(cd))
        assert reply.header.ra == 1 and len(reply.rr) == 2
    assert len(served.resolver.calls) == 1


def test_cname_chain_nxdomain_and_nodata(served):
    reply = served.ask(question("alias.example.test."))
    assert [QTYPE[rr.rtype] for rr in reply.rr] == ["CNAME", "A", "A"]
    for _ in range(2):  # the second one is a cache hit of the negative answer
        nx = served.ask(question("nope.example.test."))
        assert nx.header.rcode == 3 and not nx.rr
        assert [QTYPE[rr.rtype] for rr in nx.auth] == ["SOA"]
    nodata = served.ask(question("www.example.test.", "MX"))
    assert nodata.header.rcode == 0 and not nodata.rr and nodata.auth[0].rtype == QTYPE.SOA
    assert len(served.resolver.calls) == 3


def test_edns_reply_carries_opt_1232_and_copies_do(served):
    for do in (False, True):
        reply = served.ask(question("www.example.test.", edns=4096, do=do))
        opt = opt_of(reply)
        assert opt is not None and opt.rclass == 1232
        assert bool(opt.ttl & 0x8000) == do
        assert len(reply.rr) == 2
    assert opt_of(served.ask(question("www.example.test."))) is None


def test_large_txt_is_truncated_over_udp_and_whole_over_tcp(served):
    for edns in (None, 512, 1232, 4096):
        raw = served.ask_raw(question("big.example.test.", "TXT", edns=edns).pack())
        reply = DNSRecord.parse(raw)
        assert reply.header.tc == 1, edns
        assert not reply.rr and str(reply.q.qname) == "big.example.test."
        assert len(raw) <= 512
        assert (opt_of(reply) is not None) == (edns is not None)
    whole = DNSRecord.parse(served.ask_tcp_raw(question("big.example.test.", "TXT").pack()))
    assert whole.header.tc == 0 and len(whole.rr) == 2
    assert b"".join(whole.rr[0].rdata.data) == b"x" * 800
    assert served.nameserver.stats.truncated >= 4


def test_answers_over_16_kb_come_whole_over_tcp_on_misses_and_hits(fake):
    # ~60 KB: TXT records two per owner, so owners first written past offset 0x3FFF (out of a
    # compression pointer's reach) are named again later.
    records = [
        RR(f"r{i}.wide.example.test.", QTYPE.TXT, rdata=TXT([b"w" * 24 + bytes([j])]), ttl=300)
        for i in range(740)
        for j in range(2)
    ]
    fake.table[("wide.example.test.", QTYPE.TXT)] = records
    expected = [(str(rr.rname), str(rr.rdata)) for rr in records]
    now = [1000.0]
    with ServerThread(fake, clock=lambda: now[0]) as server:
        for elapsed, ttl in ((0, 300), (100.5, 200)):  # a miss, then a hit aged 100 s
            now[0] += elapsed
            raw = server.ask_tcp_raw(question("wide.example.test.", "TXT", edns=1232).pack())
            assert len(raw) > 50_000
            whole = DNSRecord.parse(raw)
            assert [(str(rr.rname), str(rr.rdata)) for rr in whole.rr] == expected
            assert {rr.ttl for rr in whole.rr} == {ttl}
        assert len(fake.calls) == 1


def test_question_comes_back_in_the_clients_letter_case(served):
    first = question("WwW.ExAmPlE.TeSt.")
    raw = served.ask_raw(first.pack())
    assert raw[12 : 12 + 18] == first.pack()[12 : 12 + 18]
    assert str(DNSRecord.parse(raw).q.qname) == "WwW.ExAmPlE.TeSt."
    for name in ("www.example.test.", "WWW.EXAMPLE.TEST.", "wWw.eXaMpLe.tEsT."):
        query = question(name)
        raw = served.ask_raw(query.pack())
        assert raw[12 : 12 + 18] == query.pack()[12 : 12 + 18]
        assert len(DNSRecord.parse(raw).rr) == 2
    # The resolver is asked once, in lower case; everyone else was served from the cache.
    assert served.resolver.calls == [("www.example.test.", QTYPE.A, 1)]


def test_edns_variants_are_cached_apart(served):
    for edns, do in [(None, False), (1232, False), (1232, True)] * 2:
        reply = served.ask(question("www.example.test.", edns=edns, do=do))
        opt = opt_of(reply)
        assert (opt is not None) == (edns is not None)
        if opt is not None:
            assert bool(opt.ttl & 0x8000) == do
    # One entry per variant; the second round was all hits. (A real Resolver answers the
    # second and third variants' misses from its own cache.)
    assert len(served.nameserver.cache) == 3
    assert len(served.resolver.calls) == 3


def test_cached_ttls_count_down_and_expired_entries_are_never_served(fake):
    now = [1000.0]
    with ServerThread(fake, clock=lambda: now[0]) as server:
        assert [rr.ttl for rr in server.ask(question("short.example.test.")).rr] == [60]
        now[0] += 30.5
        assert [rr.ttl for rr in server.ask(question("SHORT.example.test.")).rr] == [30]
        now[0] += 29.4  # 59.9 s in the cache
        assert [rr.ttl for rr in server.ask(question("short.example.test.")).rr] == [1]
        assert len(fake.calls) == 1
        now[0] += 0.1  # 60 s: expired, so asked again and cached afresh
        assert [rr.ttl for rr in server.ask(question("short.example.test.")).rr] == [60]
        assert len(fake.calls) == 2


# ---- malformed input and policy --------------------------------------------------------------


def _wire(qid=0x1234, flags=0x0100, qd=1, an=0, ns=0, ar=0, body=b""):
    return struct.pack("!6H", qid, flags, qd, an, ns, ar) + body


QNAME = b"\x03www\x07example\x04test\x00"
Q_A = QNAME + b"\x00\x01\x00\x01"
OPT_OK = b"\x00\x00\x29\x04\xd0\x00\x00\x00\x00\x00\x00"

MALFORMED = [
    # (id, wire, expected rcode or None for "dropped", question echoed?)
    ("short", b"\x12\x34\x01", None, False),
    ("response", _wire(flags=0x8180, body=Q_A), None, False),
    ("cut-question", _wire(body=QNAME[:6]), 1, False),
    ("no-type-class", _wire(body=QNAME + b"\x00"), 1, False),
    ("qdcount-0", _wire(qd=0), 1, False),
    ("qdcount-2", _wire(qd=2, body=Q_A + Q_A), 1, False),
    ("opcode-status", _wire(flags=0x1100, body=Q_A), 4, False),
    ("opcode-update", _wire(flags=0x2900, body=Q_A), 4, False),
    ("pointer-in-question", _wire(body=b"\x03www\xc0\x0c\x00\x01\x00\x01"), 1, False),
    ("label-type-0x40", _wire(body=b"\x41" + b"a" * 65 + b"\x00\x00\x01\x00\x01"), 1, False),
    ("name-over-255", _wire(body=b"\x3f" + b"a" * 63 + (b"\x3f" + b"b" * 63) * 4
                            + b"\x00\x00\x01\x00\x01"), 1, False),
    ("trailing-octets", _wire(body=Q_A + b"junk"), 1, True),
    ("answer-in-query", _wire(an=1, body=Q_A + b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00"
                              b"\x04\x01\x02\x03\x04"), 1, True),
    ("arcount-past-end", _wire(ar=1, body=Q_A), 1, True),
    ("two-opt", _wire(ar=2, body=Q_A + OPT_OK + OPT_OK), 1, True),
    ("opt-not-root", _wire(ar=1, body=Q_A + b"\x01a\x00\x00\x29\x04\xd0\x00\x00\x00\x00\x00\x00"),
     1, True),
    ("opt-option-overrun", _wire(ar=1, body=Q_A + b"\x00\x00\x29\x04\xd0\x00\x00\x00\x00\x00\x06"
                                 b"\x00\x0a\x00\x08ab"), 1, True),
    ("opt-rdata-overrun", _wire(ar=1, body=Q_A + b"\x00\x00\x29\x04\xd0\x00\x00\x00\x00\x00\x09"
                                b"\x00"), 1, True),
]


@pytest.mark.parametrize(("case", "data", "rcode", "echoed"), MALFORMED,
                         ids=[case[0] for case in MALFORMED])
def test_malformed_input_gets_its_documented_reaction(served, case, data, rcode, echoed):
    sock = served.udp_socket()
    with sock:
        sock.sendto(data, (served.host, served.port))
        good = question("www.example.test.", qid=0xBEEF).pack()
        sock.sendto(good, (served.host, served.port))
        first = sock.recvfrom(65535)[0]
        if rcode is None:
            # Dropped: the first reply on this socket answers the good query sent after it.
            assert first[:2] == b"\xbe\xef"
            assert DNSRecord.parse(first).header.rcode == 0
            return
        assert first[:2] == data[:2]
        assert first[2] & 0x80  # QR
        assert first[3] & 0x0F == rcode
        assert (first[4:6] == b"\x00\x01") == echoed
        if echoed:
            assert first[12 : 12 + len(Q_A)] == Q_A
        second = sock.recvfrom(65535)[0]
        assert second[:2] == b"\xbe\xef" and DNSRecord.parse(second).header.rcode == 0


def test_badvers_for_edns_version_1(served):
    data = _wire(ar=1, body=Q_A + b"\x00\x00\x29\x04\xd0\x00\x01\x00\x00\x00\x00")
    reply = DNSRecord.parse(served.ask_raw(data))
    opt = opt_of(reply)
    assert reply.header.rcode == 0  # low bits of 16
    assert opt is not None and (opt.ttl >> 24) == 1 and ((opt.ttl >> 16) & 0xFF) == 0
    assert served.resolver.calls == []


@pytest.mark.parametrize(
    ("qtype", "qclass", "rcode"),
    [
        ("A", 3, 5),  # CHAOS
        ("A", 4, 5),  # HESIOD
        ("A", 255, 5),  # ANY class
        ("TXT", 3, 5),  # CH TXT for a name other than stats.resolver.
        ("AXFR", 1, 5),
        ("IXFR", 1, 5),
        (253, 1, 4),  # MAILB
        (254, 1, 4),  # MAILA
        ("OPT", 1, 1),
        ("TSIG", 1, 1),
        (0, 1, 1),
    ],
)
def test_refusal_policy(served, qtype, qclass, rcode):
    qtype_value = qtype if isinstance(qtype, int) else getattr(QTYPE, qtype)
    query = DNSRecord(q=DNSQuestion("www.example.test.", qtype_value, qclass))
    query.header.id = 99
    reply = served.ask(query)
    assert reply.header.rcode == rcode and not reply.rr
    assert reply.q.qtype == qtype_value and reply.q.qclass == qclass
    assert served.resolver.calls == []


def test_any_gets_the_rfc8482_minimal_answer(served):
    reply = served.ask(question("www.example.test.", "ANY"))
    assert reply.header.rcode == 0
    [hinfo] = reply.rr
    assert hinfo.rtype == QTYPE.HINFO and bytes(hinfo.rdata.data) == b"\x07RFC8482\x00"
    assert served.resolver.calls == []


def test_client_outside_the_allowed_networks_gets_refused(fake):
    with ServerThread(fake, allow=["127.0.0.2/32"]) as server:
        with server.udp_socket("127.0.0.1") as outsider:
            reply = server.ask(question("www.example.test."), sock=outsider)
            assert reply.header.rcode == 5 and not reply.rr
            assert str(reply.q.qname) == "www.example.test."
            stats = DNSRecord.parse(server.ask_raw(question("stats.resolver.", "TXT", qclass="CH")
                                                   .pack(), sock=outsider))
            assert stats.header.rcode == 5 and not stats.rr
        with server.udp_socket("127.0.0.2") as insider:
            reply = server.ask(question("www.example.test."), sock=insider)
            assert reply.header.rcode == 0 and len(reply.rr) == 2
        assert server.nameserver.stats.refused_acl == 2
        assert len(fake.calls) == 1


def test_resolver_failure_and_deadline_give_servfail(fake):
    fake.fail.add("boom.example.test.")
    fake.servfail.add("sf.example.test.")
    fake.hold.add("slow.example.test.")
    with ServerThread(fake, resolution_timeout=0.2) as server:
        for name in ("boom.example.test.", "sf.example.test.", "slow.example.test."):
            reply = server.ask(question(name))
            assert reply.header.rcode == 2, name
            assert str(reply.q.qname) == name
        # SERVFAIL is not cached: the next ask goes to the resolver again.
        server.ask(question("sf.example.test."))
        assert [c[0] for c in fake.calls].count("sf.example.test.") == 2
        snapshot = server.nameserver.snapshot()
        assert snapshot["resolution_timeouts"] == 1 and snapshot["resolution_errors"] == 1


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.one_of(
    st.binary(max_size=80),
    st.binary(min_size=12, max_size=60).map(lambda b: b[:2] + b"\x01\x00\x00\x01" + b[6:]),
    st.builds(lambda head, tail: head + Q_A + tail,
              st.binary(min_size=12, max_size=12), st.binary(max_size=30)),
))
def test_no_input_makes_the_nameserver_raise(data):
    nameserver = Nameserver(ServerConfig(), FakeResolver())

    class Sink:
        udp = True
        replies: list[bytes] = []

        def deferred(self):
            pass

        def deliver(self, reply, client):
            pass

    async def run():
        reply = nameserver.handle(data, ("127.0.0.1", 5000), Sink())
        if reply is not None:
            assert reply[:2] == data[:2] and reply[2] & 0x80
            assert len(reply) <= 512 or len(data) > 12
        await nameserver.drain(1.0)

    asyncio.run(run())


# ---- concurrency -----------------------------------------------------------------------------


def test_hundreds_of_queries_from_dozens_of_sockets(served):
    sockets = [served.udp_socket() for _ in range(40)]
    try:
        expected = {}
        for i, sock in enumerate(sockets):
            for j in range(10):
                host = (i * 10 + j) % 60
                qid = i * 100 + j
                expected[(i, qid)] = f"198.51.100.{host}"
                sock.sendto(question(f"host{host}.example.test.", qid=qid).pack(),
                            (served.host, served.port))
        got = {}
        for i, sock in enumerate(sockets):
            for _ in range(10):
                reply = DNSRecord.parse(sock.recvfrom(65535)[0])
                assert reply.header.rcode == 0
                got[(i, reply.header.id)] = str(reply.rr[0].rdata)
                assert str(reply.q.qname) == f"host{str(reply.rr[0].rdata).split('.')[-1]}." \
                    "example.test."
        assert got == expected
    finally:
        for sock in sockets:
            sock.close()
    # 60 distinct names: each resolved once, every repeat shared or served from the cache.
    assert len(served.resolver.calls) == 60


def _probe(server: ServerThread) -> dict:
    """The live counters; their reply also proves every datagram sent before was handled."""
    return fetch_stats(server.host, server.port, timeout=WAIT)


def test_identical_concurrent_queries_share_one_resolution(served, fake):
    fake.hold.add("www.example.test.")
    first, second = served.udp_socket(), served.udp_socket()
    with first, second:
        first.sendto(question("www.example.test.", qid=1).pack(), (served.host, served.port))
        second.sendto(question("WWW.example.TEST.", qid=2, edns=1232).pack(),
                      (served.host, served.port))
        assert fake.started.wait(WAIT)
        snapshot = _probe(served)
        assert snapshot["resolutions_in_flight"] == 1 and snapshot["queries_waiting"] == 2
        fake.release.set()
        one = DNSRecord.parse(first.recvfrom(65535)[0])
        two = DNSRecord.parse(second.recvfrom(65535)[0])
    assert one.header.id == 1 and len(one.rr) == 2 and opt_of(one) is None
    assert two.header.id == 2 and len(two.rr) == 2 and opt_of(two) is not None
    assert str(two.q.qname) == "WWW.example.TEST."
    assert fake.calls == [("www.example.test.", QTYPE.A, 1)]


def test_cache_hits_do_not_wait_behind_a_held_miss(served, fake):
    served.ask(question("example.test.", "MX"))  # now cached
    fake.hold.add("www.example.test.")
    with served.udp_socket() as waiting:
        waiting.sendto(question("www.example.test.", qid=5).pack(), (served.host, served.port))
        assert fake.started.wait(WAIT)
        hit = served.ask(question("example.test.", "MX", qid=6))
        assert hit.header.id == 6 and hit.rr
        assert not fake.release.is_set()
        fake.release.set()
        assert DNSRecord.parse(waiting.recvfrom(65535)[0]).header.id == 5


def test_beyond_max_inflight_new_questions_get_servfail(fake):
    fake.hold.add("www.example.test.")
    with ServerThread(fake, max_inflight=1) as server, server.udp_socket() as waiting:
        waiting.sendto(question("www.example.test.", qid=5).pack(), (server.host, server.port))
        assert fake.started.wait(WAIT)
        refused = server.ask(question("example.test.", "MX"))
        assert refused.header.rcode == 2
        fake.release.set()
        assert DNSRecord.parse(waiting.recvfrom(65535)[0]).header.rcode == 0
        assert server.ask(question("example.test.", "MX")).header.rcode == 0
        assert server.nameserver.stats.overloaded == 1


# ---- TCP (RFC 7766) --------------------------------------------------------------------------


def test_tcp_pipelined_queries_are_answered_as_they_complete(served, fake):
    served.ask(question("example.test.", "MX"))  # cached
    fake.hold.add("www.example.test.")
    with socket.create_connection((served.host, served.port), timeout=WAIT) as sock:
        slow = question("www.example.test.", qid=1).pack()
        quick = question("example.test.", "MX", qid=2).pack()
        sock.sendall(struct.pack("!H", len(slow)) + slow + struct.pack("!H", len(quick)) + quick)
        assert DNSRecord.parse(read_frame(sock)).header.id == 2  # the hit overtakes the miss
        fake.release.set()
        late = DNSRecord.parse(read_frame(sock))
        assert late.header.id == 1 and len(late.rr) == 2


def test_tcp_frames_split_across_writes_and_many_per_connection(served):
    with socket.create_connection((served.host, served.port), timeout=WAIT) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for qid in range(5):
            wire = question(f"host{qid}.example.test.", qid=qid).pack()
            frame = struct.pack("!H", len(wire)) + wire
            for i in range(0, len(frame), 3):  # 3 octets per write, the length prefix split too
                sock.sendall(frame[i : i + 3])
            reply = DNSRecord.parse(read_frame(sock))
            assert reply.header.id == qid and str(reply.rr[0].rdata) == f"198.51.100.{qid}"


def test_dozens_of_tcp_connections_with_pipelined_queries(served):
    conns = [socket.create_connection((served.host, served.port), timeout=WAIT)
             for _ in range(25)]
    try:
        for i, sock in enumerate(conns):
            frames = b""
            for j in range(8):
                wire = question(f"host{(i + j) % 50}.example.test.", qid=j).pack()
                frames += struct.pack("!H", len(wire)) + wire
            sock.sendall(frames)
        for i, sock in enumerate(conns):
            answers = {}
            for _ in range(8):
                reply = DNSRecord.parse(read_frame(sock))
                answers[reply.header.id] = str(reply.rr[0].rdata)
            assert answers == {j: f"198.51.100.{(i + j) % 50}" for j in range(8)}
    finally:
        for sock in conns:
            sock.close()
    assert len(served.resolver.calls) == 32  # names host0..host31, each resolved once


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as sock:
            sock.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.mark.skipif(not _ipv6_loopback(), reason="no IPv6 loopback here")
def test_ipv6_listener(fake):
    with ServerThread(fake, listen=[("::1", 0)], allow=["::1/128"]) as server:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as sock:
            sock.settimeout(WAIT)
            sock.sendto(question("www.example.test.").pack(), ("::1", server.port))
            reply = DNSRecord.parse(sock.recvfrom(65535)[0])
        assert reply.header.rcode == 0 and len(reply.rr) == 2
        with socket.create_connection(("::1", server.port), timeout=WAIT) as sock:
            wire = question("www.example.test.", "AAAA").pack()
            sock.sendall(struct.pack("!H", len(wire)) + wire)
            assert str(DNSRecord.parse(read_frame(sock)).rr[0].rdata) == "2001:db8::1"


def test_tcp_malformed_frames_do_not_end_the_connection(served):
    with socket.create_connection((served.host, served.port), timeout=WAIT) as sock:
        bad = _wire(qd=2, body=Q_A + Q_A)
        good = question("www.example.test.", qid=9).pack()
        sock.sendall(struct.pack("!H", 3) + b"abc" + struct.pack("!H", len(bad)) + bad
                     + struct.pack("!H", len(good)) + good)
        assert read_frame(sock)[3] & 0xF == 1  # FORMERR for qdcount 2; "abc" dropped
        assert DNSRecord.parse(read_frame(sock)).header.id == 9


def test_tcp_idle_connections_are_closed(fake):
    with ServerThread(fake, tcp_idle_timeout=0.2) as server:
        with socket.create_connection((server.host, server.port), timeout=WAIT) as sock:
            assert sock.recv(10) == b""  # closed by the server, well before WAIT
        assert server.nameserver.stats.tcp_connections_total == 1


def test_tcp_connection_cap(fake):
    with ServerThread(fake, max_tcp_connections=2) as server:
        open_ = [socket.create_connection((server.host, server.port), timeout=WAIT)
                 for _ in range(2)]
        try:
            for sock in open_:  # both are being served
                wire = question("www.example.test.").pack()
                sock.sendall(struct.pack("!H", len(wire)) + wire)
                assert DNSRecord.parse(read_frame(sock)).header.rcode == 0
            # The third is reset: at connect, at send or at the read, depending on timing.
            with (
                pytest.raises(ConnectionError),
                socket.create_connection((server.host, server.port), timeout=WAIT) as extra,
            ):
                extra.sendall(struct.pack("!H", len(wire)) + wire)
                read_frame(extra)
            assert server.nameserver.stats.tcp_refused == 1
            for sock in open_:  # and the two admitted ones are still served
                sock.sendall(struct.pack("!H", len(wire)) + wire)
                assert DNSRecord.parse(read_frame(sock)).header.rcode == 0
        finally:
            for sock in open_:
                sock.close()


# ---- observability ---------------------------------------------------------------------------


def test_stats_query_reports_counters(served):
    served.ask(question("www.example.test."))
    served.ask(question("www.example.test."))
    served.ask(question("nope.example.test.", "AAAA"))
    stats = fetch_stats(served.host, served.port, timeout=WAIT)
    # The stats query counts as a query; its answer is counted after the snapshot was taken.
    assert stats["queries"] == 4 and stats["udp_queries"] == 4
    assert stats["queries_by_type"] == {"A": 2, "AAAA": 1, "TXT": 1}
    assert stats["answers_by_rcode"] == {"NOERROR": 2, "NXDOMAIN": 1}
    assert stats["cache_hits"] == 1 and stats["cache_misses"] == 2
    assert stats["upstream_queries"] == 2  # what the resolver reports
    assert stats["latency_ms"]["count"] == 3
    assert 0 <= stats["latency_ms"]["p50"] <= stats["latency_ms"]["p99"] <= WAIT * 1000
    assert stats["miss_latency_ms"]["count"] == 2
    # Readable with dig: one TXT record per counter.
    reply = served.ask(question("stats.resolver.", "TXT", qclass="CH", edns=1232))
    assert all(rr.rtype == QTYPE.TXT and rr.rclass == CLASS.CH for rr in reply.rr)


def test_stats_over_tcp_when_udp_reply_is_truncated(served):
    for i in range(60):  # many types -> a long queries_by_type line
        served.ask(question("www.example.test.", i + 1))
    reply = served.ask(question("stats.resolver.", "TXT", qclass="CH"))
    assert reply.header.tc == 1  # over 512 without EDNS
    assert fetch_stats(served.host, served.port, timeout=WAIT)["queries"] >= 61


def test_fetch_stats_from_nobody_is_a_one_line_error():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as quiet:
        quiet.bind(("127.0.0.1", 0))
        port = quiet.getsockname()[1]
        with pytest.raises(ServerError, match="no reply"):
            fetch_stats("127.0.0.1", port, timeout=0.2)


class _Waiter(logging.Handler):
    def __init__(self, needle: str) -> None:
        super().__init__(logging.INFO)
        self.needle = needle
        self.seen = threading.Event()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        line = record.getMessage()
        self.lines.append(line)
        if self.needle in line:
            self.seen.set()


@contextlib.contextmanager
def _watch_log(needle: str):
    logger = logging.getLogger("resolver.server")
    handler = _Waiter(needle)
    old_level = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)


def test_log_queries_writes_one_line_per_query(fake):
    with _watch_log("query ") as log, ServerThread(fake, log_queries=True) as server:
        server.ask(question("WWW.example.test."))
        server.ask(question("www.example.test.", "MX"))
        server.ask(question("www.example.test."))
    lines = [line for line in log.lines if line.startswith("query ")]
    assert len(lines) == 3
    assert "udp WWW.example.test. IN A NOERROR" in lines[0] and lines[0].endswith("resolved")
    assert lines[2].endswith("hit")


def test_stats_interval_logs_a_summary(fake):
    with _watch_log("stats: queries=") as log, ServerThread(fake, stats_interval=0.05) as server:
        server.ask(question("www.example.test."))
        assert log.seen.wait(WAIT)


# ---- lifecycle -------------------------------------------------------------------------------


def test_stop_answers_in_flight_queries_with_servfail_and_closes_sockets(fake):
    fake.hold.add("www.example.test.")
    server = ServerThread(fake, shutdown_grace=0.1)
    with server, server.udp_socket() as waiting:
        waiting.sendto(question("www.example.test.", qid=5).pack(), (server.host, server.port))
        assert fake.started.wait(WAIT)
        tcp = socket.create_connection((server.host, server.port), timeout=WAIT)
        server.stop()  # the fake holds on; the grace runs out first
        reply = DNSRecord.parse(waiting.recvfrom(65535)[0])
        assert reply.header.id == 5 and reply.header.rcode == 2
        assert tcp.recv(10) == b""  # the server closed the connection
        tcp.close()
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection((server.host, server.port), timeout=WAIT)


def test_a_udp_listener_closing_sends_the_replies_it_deferred_first(fake):
    """A miss's reply waits for the end of the loop turn (udp.py sends them in bunches): a
    listener closed in that same turn still sends it before its socket goes."""
    from resolver.server.udp import UdpListener

    client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    client.bind(("127.0.0.1", 0))
    client.settimeout(WAIT)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.setblocking(False)

    async def run() -> None:
        listener = UdpListener(sock, Nameserver(ServerConfig(), fake))
        listener.start()
        listener.deliver(b"the last reply", client.getsockname())
        listener.close()

    try:
        asyncio.run(run())
        assert client.recvfrom(100)[0] == b"the last reply"
    finally:
        client.close()


def test_stop_lets_quick_resolutions_finish(fake):
    fake.hold.add("www.example.test.")
    server = ServerThread(fake, shutdown_grace=WAIT)
    with server, server.udp_socket() as waiting:
        waiting.sendto(question("www.example.test.", qid=5).pack(), (server.host, server.port))
        assert fake.started.wait(WAIT)
        stopper = threading.Thread(target=server.stop)
        stopper.start()
        fake.release.set()  # finishes within the grace period
        reply = DNSRecord.parse(waiting.recvfrom(65535)[0])
        assert reply.header.rcode == 0 and len(reply.rr) == 2
        stopper.join(WAIT)


def test_bind_failure_is_a_one_line_server_error(fake):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        with (
            pytest.raises(ServerError, match=r"cannot listen on 127\.0\.0\.1:\d+: ") as caught,
            ServerThread(fake, listen=[("127.0.0.1", port)]),
        ):
            pass
        assert "\n" not in str(caught.value)


def test_bad_allow_network_is_a_server_error(fake):
    with pytest.raises(ServerError, match="allow"):
        Nameserver(ServerConfig(allow=["not-a-net"]), fake)


SERVE_FAKE = """
import sys
sys.path.insert(0, {root!r})
from tests.test_server import FakeResolver
from resolver.server import ServerConfig, run_server
sys.exit(run_server(ServerConfig(listen=[("127.0.0.1", 0)]), FakeResolver()))
"""


def test_sigterm_stops_a_running_server_cleanly():
    process = subprocess.Popen(
        [sys.executable, "-c", SERVE_FAKE.format(root=str(ROOT))],
        stderr=subprocess.PIPE, text=True, cwd=ROOT,
    )
    try:
        line = process.stderr.readline()
        assert "serving DNS on 127.0.0.1:" in line, line
        port = int(line.split("127.0.0.1:")[1].split()[0])
        reply = DNSRecord.parse(ask_udp("127.0.0.1", port, question("www.example.test.").pack()))
        assert reply.header.rcode == 0 and len(reply.rr) == 2
        process.send_signal(signal.SIGTERM)
        assert process.wait(WAIT) == 0
        rest = process.stderr.read()
        assert "stopping" in rest and "stopped" in rest and "Traceback" not in rest
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stderr.close()


# ---- sans-socket pieces ----------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(
    name=st.lists(st.text("aBcDeF-09", min_size=1, max_size=10), min_size=1, max_size=4),
    qtype=st.sampled_from([1, 28, 15, 16, 65, 90, 0x5A41]),
    edns=st.sampled_from([None, 0, 512, 1232, 4096]),
    do=st.booleans(),
    cookie=st.booleans(),
)
def test_fast_and_strict_readers_agree(name, qtype, edns, do, cookie):
    wire = build_query(".".join(name) + ".", qtype, 7, rd=True, edns_payload=edns,
                       do=do and edns is not None)
    if cookie and edns is not None:  # an option, as dig sends (a client cookie)
        wire = wire[:-2] + b"\x00\x0c" + b"\x00\x0a\x00\x08" + b"c" * 8
    fast = fast_key(wire)
    strict = parse_query(wire)
    assert strict.problem is None and fast is not None
    assert fast[0] == strict.key
    assert fast[1] == strict.question_end
    assert fast[2] == strict.udp_limit
    assert clean_query(wire, fast) == strict  # the miss path's reading: every field the same
    lower = build_query(".".join(name).lower() + ".", qtype, 9, edns_payload=edns,
                        do=do and edns is not None)
    assert parse_query(lower).question_key == strict.question_key


@pytest.mark.parametrize("label", [b"a.b", b"sp ace", b"\\x", b"\xff\x00", b"UP"])
def test_clean_query_keeps_raw_labels_as_the_strict_reader(label):
    wire = build_query("x.test.", 1, 7, rd=True, edns_payload=4096, do=True)
    wire = wire[:12] + bytes((len(label),)) + label + wire[14:]  # first label replaced raw
    fast = fast_key(wire)
    assert fast is not None
    assert clean_query(wire, fast) == parse_query(wire)
    assert clean_query(wire, fast).labels[0] == label


def test_key_lowers_only_the_name():
    # Type 0x5A41 is "ZA": lowering the whole question would make it 0x7A61.
    one = parse_query(build_query("ab.", 0x5A41, 1, edns_payload=None)).question_key
    two = parse_query(build_query("AB.", 0x7A61, 1, edns_payload=None)).question_key
    assert one != two


@pytest.mark.parametrize("case", MALFORMED, ids=[case[0] for case in MALFORMED])
def test_fast_reader_declines_every_malformed_case(case):
    assert fast_key(case[1]) is None


def _packed(ttls=(300, 60), edns=False) -> tuple[bytes, int]:
    query = parse_query(build_query("www.example.test.", 1, 1, rd=True,
                                    edns_payload=1232 if edns else None))
    records = DNSRecord(q=DNSQuestion(DNSLabel(list(query.labels)), 1))
    for i, ttl in enumerate(ttls):
        records.add_answer(*RR.fromZone(f"www.example.test. {ttl} IN A 192.0.2.{i + 1}"))
    from resolver.server.replies import _finish

    return _finish(query, records, 0), query.question_end


def test_packed_reply_ages_ttls_and_expires_at_the_smallest():
    reply, question_end = _packed()
    entry = PackedReply(reply, question_end, 1000.0, edns=False, lifetime=None)
    assert entry.expires == 1060.0
    query = build_query("WWW.example.test.", 1, 0xABCD, rd=False, cd=True, edns_payload=None)
    for now, expected in [(1000.0, [300, 60]), (1000.9, [300, 60]), (1030.5, [270, 30]),
                          (1059.99, [241, 1])]:
        served = DNSRecord.parse(entry.render(query, question_end, 512, now))
        assert [rr.ttl for rr in served.rr] == expected
        assert served.header.id == 0xABCD
        assert (served.header.rd, served.header.cd) == (0, 1)
        assert str(served.q.qname) == "WWW.example.test."
    cache = AnswerCache(1 << 20)
    cache.put(b"k", entry)
    assert cache.get(b"k", 1059.99) is entry
    assert cache.get(b"k", 1060.0) is None and len(cache) == 0  # never served expired


def test_packed_reply_negative_lifetime_and_truncation():
    reply, question_end = _packed(ttls=(300,), edns=True)
    entry = PackedReply(reply, question_end, 0.0, edns=True, lifetime=120)
    assert entry.expires == 120
    query = build_query("www.example.test.", 1, 5, edns_payload=1232)
    small = entry.render(query, question_end, len(reply) - 1, 0.0)
    parsed = DNSRecord.parse(small)
    assert parsed.header.tc == 1 and not parsed.rr and opt_of(parsed).rclass == 1232


def test_answer_cache_evicts_the_oldest_insert():
    reply, question_end = _packed()
    one = entry_bytes(b"a", PackedReply(reply, question_end, 0.0, edns=False, lifetime=None))
    cache = AnswerCache(3 * one)  # room for three
    for key in (b"a", b"b", b"c", b"d"):
        cache.put(key, PackedReply(reply, question_end, 0.0, edns=False, lifetime=None))
    assert list(cache.entries) == [b"b", b"c", b"d"]
    assert cache.used == 3 * one


def test_latency_histogram_percentiles():
    histogram = LatencyHistogram()
    for _ in range(98):
        histogram.record(0.000_100)  # 100 µs
    histogram.record(0.010)
    histogram.record(0.500)
    summary = histogram.summary()
    assert 0.1 <= summary["p50"] <= 0.125  # bucket bounds are within ~25%
    assert 10 <= summary["p99"] <= 12.5
    assert summary["max"] == 500 and summary["count"] == 100


# ---- end to end: the real Resolver on the offline lab ----------------------------------------


@pytest.fixture(scope="module")
def lab():
    from resolver.lab import Lab

    with Lab(port=0) as running:
        yield running


@pytest.fixture
def lab_served(lab):
    from resolver import Resolver

    lab.reset_faults()
    lab.reset_counters()
    resolver = Resolver.for_lab(lab)
    try:
        with ServerThread(resolver) as server:
            yield server
    finally:
        resolver.close()


def test_lab_answers_through_the_server_and_hits_skip_the_network(lab, lab_served):
    reply = lab_served.ask(question("WWW.cs.Cornell.EDU.", qid=11, edns=1232))
    assert reply.header.rcode == 0 and reply.header.id == 11
    assert str(reply.q.qname) == "WWW.cs.Cornell.EDU."
    assert [str(rr.rdata) for rr in reply.rr if rr.rtype == QTYPE.A] == ["127.42.10.81"]
    walked = lab.query_count()
    assert walked >= 3  # root, edu, cornell.edu, cs.cornell.edu
    for name in ("www.cs.cornell.edu.", "wWw.Cs.CoRnElL.eDu."):
        again = lab_served.ask(question(name, edns=1232))
        assert str(again.q.qname) == name and again.rr[0].ttl <= reply.rr[0].ttl
    assert lab.query_count() == walked
    nx = lab_served.ask(question("nope.example.com."))
    assert nx.header.rcode == 3 and nx.auth[0].rtype == QTYPE.SOA


def test_lab_big_answers_truncate_over_udp_and_come_whole_over_tcp(lab_served):
    big = lab_served.ask(question("big.example.com.", "TXT"))
    assert big.header.tc == 1 and not big.rr  # over 512 without EDNS
    fits = lab_served.ask(question("big.example.com.", "TXT", edns=1232))
    assert fits.header.tc == 0 and len(fits.rr) == 3
    huge = lab_served.ask(question("huge.example.com.", "TXT", edns=4096))
    assert huge.header.tc == 1 and not huge.rr  # over our 1232 cap
    whole = DNSRecord.parse(lab_served.ask_tcp_raw(question("huge.example.com.", "TXT").pack()))
    assert whole.header.tc == 0 and len(whole.rr) == 10


def test_lab_identical_concurrent_queries_cause_one_walk(lab, lab_served):
    from resolver import Resolver

    # How many upstream queries one cold walk of www.slow.net takes (its server is slow, so the
    # two client queries below overlap for certain).
    with Resolver.for_lab(lab) as reference:
        assert reference.query("www.slow.net.", "A").rcode == 0
    one_walk = lab.query_count()
    lab.reset_counters()
    sockets = [lab_served.udp_socket() for _ in range(2)]
    try:
        for qid, sock in enumerate(sockets):
            sock.sendto(question("www.slow.net.", qid=qid).pack(),
                        (lab_served.host, lab_served.port))
        for qid, sock in enumerate(sockets):
            reply = DNSRecord.parse(sock.recvfrom(65535)[0])
            assert reply.header.id == qid and str(reply.rr[0].rdata) == "127.42.26.80"
    finally:
        for sock in sockets:
            sock.close()
    assert lab.query_count() == one_walk
    assert lab_served.nameserver.stats.cache_misses == 2  # both missed; one resolution


SERVE_LAB = [sys.executable, str(ROOT / "cli.py"), "serve", "--lab", "--listen", "127.0.0.1:0"]


def test_sigterm_stops_resolve_serve_cleanly():
    process = subprocess.Popen(SERVE_LAB, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        line = process.stderr.readline()
        assert "serving DNS on 127.0.0.1:" in line, line
        port = int(line.split("127.0.0.1:")[1].split()[0])
        reply = DNSRecord.parse(ask_udp("127.0.0.1", port, question("www.cs.cornell.edu.").pack()))
        assert reply.header.rcode == 0 and str(reply.rr[0].rdata) == "127.42.10.81"
        assert fetch_stats("127.0.0.1", port, timeout=WAIT)["cache_misses"] == 1
        process.send_signal(signal.SIGTERM)
        assert process.wait(WAIT) == 0
        rest = process.stderr.read()
        assert "stopped" in rest and "Traceback" not in rest
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stderr.close()


def test_lab_server_runs_the_resolver_on_its_own_loop_without_a_resolver_thread(lab):
    from resolver import Resolver

    def resolver_threads() -> set[threading.Thread]:
        return {thread for thread in threading.enumerate() if thread.name == "resolver-loop"}

    before = resolver_threads()  # other tests' resolvers may still be closing theirs
    resolver = Resolver.for_lab(lab)
    try:
        with ServerThread(resolver) as server:
            reply = server.ask(question("www.cs.cornell.edu.", edns=1232))
            assert reply.header.rcode == 0 and reply.rr
            # A blocking call from another thread is handed to the server's loop.
            assert resolver.query("www.example.com.", "A").rcode == 0
            assert resolver_threads() <= before
            assert server.nameserver.snapshot()["resolver"]["queries"] >= 2
        # With the server's loop gone, the resolver starts a loop of its own again.
        assert resolver.query("www.cs.cornell.edu.", "A").rcode == 0
        assert resolver_threads() - before
    finally:
        resolver.close()


# ---- hits first: misses start a few per loop turn and are shed under overload ---------------


class BusyResolver(FakeResolver):
    """A FakeResolver whose every resolution costs `cost` seconds of the loop's (fake) time, as
    a real walk's CPU work does: the clock moves on when the walk starts."""

    def __init__(self, clock: list[float], cost: float) -> None:
        super().__init__()
        self.clock, self.cost = clock, cost

    async def query_async(self, name: str, rdtype: int, rdclass: int = 1) -> Answer:
        self.clock[0] += self.cost
        return await super().query_async(name, rdtype, rdclass)


def test_misses_over_the_loop_budget_are_shed_and_counted_while_hits_are_answered():
    from resolver.server import nameserver as ns

    now = [0.0]
    resolver = BusyResolver(now, cost=ns.MISS_TURN_TARGET)  # each walk fills a loop turn
    nameserver = Nameserver(ServerConfig(), resolver, clock=lambda: now[0])
    replies: dict[int, DNSRecord] = {}

    class Channel:
        udp = True

        def deferred(self) -> None:
            pass

        def deliver(self, reply: bytes, client: tuple) -> None:
            parsed = DNSRecord.parse(reply)
            replies[parsed.header.id] = parsed

    channel = Channel()
    misses = 400  # far more than fit in MISS_QUEUE_WAIT at one walk per turn

    async def run() -> None:
        assert nameserver.handle(bytes(question("example.test.", "MX", qid=1).pack()),
                                 ("127.0.0.1", 5000), channel) is None
        while 1 not in replies:
            await asyncio.sleep(0)
        for qid in range(100, 100 + misses):
            name = f"n{qid}.example.test."
            assert nameserver.handle(bytes(question(name, qid=qid).pack()),
                                     ("127.0.0.1", 5000), channel) is None
        hits = 0
        while len(replies) < misses + 1:
            await asyncio.sleep(0)  # one loop turn
            # A hit is answered at once, inside the datagram callback, however long the queue.
            hit = nameserver.handle(bytes(question("example.test.", "MX", qid=2).pack()),
                                    ("127.0.0.1", 5000), channel)
            assert hit is not None and DNSRecord.parse(hit).header.rcode == 0
            hits += 1
        assert hits > 0
        await nameserver.drain(1.0)

    asyncio.run(run())
    servfails = [r for qid, r in replies.items() if qid >= 100 and r.header.rcode == 2]
    nxdomains = [r for qid, r in replies.items() if qid >= 100 and r.header.rcode == 3]
    shed = nameserver.stats.misses_shed
    assert shed == len(servfails) > 0 and len(nxdomains) == misses - shed > 0
    assert nameserver.snapshot()["misses_shed"] == shed
    assert nameserver.starts_per_turn == 1  # long turns brought the starts down to one
    # Every resolution that started finished: those shed never reached the resolver.
    assert len(resolver.calls) == 1 + misses - shed
    assert nameserver.stats.waiting == 0 and not nameserver.resolutions_in_flight
