"""Packing replies: correct at any size up to 65535 octets, and TTL patching of packed replies.

dnslib writes a compression pointer to every earlier copy of a name suffix, but a pointer holds
only 14 bits; a suffix first written past offset 0x3FFF cannot be pointed at. These tests build
answers of ~30 KB and ~60 KB whose names are repeated after that offset.
"""

from __future__ import annotations

import pytest
from dnslib import (
    CNAME,
    EDNS0,
    MX,
    NS,
    QTYPE,
    RCODE,
    RR,
    SOA,
    TXT,
    DNSError,
    DNSLabel,
    DNSRecord,
)
from dnslib.label import DNSBuffer
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from resolver.answer import Answer
from resolver.cache import RRsetCache, Trust
from resolver.ede import EdeCode, ExtendedError
from resolver.server.answer_cache import PackedReply
from resolver.server.query import parse_query
from resolver.server.replies import (
    CompressingBuffer,
    answer_reply,
    answer_reply_and_ttls,
    negative_reply,
    pack_message,
    records_reply,
)
from resolver.soa_wire import WireSOA, new_wire_soa
from resolver.wire import (
    MAX_POINTER_TARGET,
    build_query,
    name_from_labels,
    parse_rr_headers,
    rr_ttl_offsets,
)

QNAME = "big.example.test."


def _query(edns: bool = True):
    return parse_query(build_query(QNAME, QTYPE.TXT, 0x2222, edns_payload=1232 if edns else None))


def _records(size: int) -> list[RR]:
    """TXT records, two per owner name, at distinct owners below QNAME: about `size` octets
    packed (a pair takes about 81)."""
    records: list[RR] = []
    for i in range(size // 81):
        owner = DNSLabel(f"r{i}.{QNAME}")
        for j in range(2):
            records.append(RR(owner, QTYPE.TXT, ttl=300 + j, rdata=TXT([b"t" * 24 + bytes([j])])))
    return records


def _as_tuples(records: list[RR]) -> list[tuple[str, int, int, str]]:
    return [(str(rr.rname).lower(), rr.rtype, rr.ttl, str(rr.rdata)) for rr in records]


@pytest.mark.parametrize("size", [30_000, 60_000])
def test_large_answers_pack_into_replies_that_parse_back(size: int) -> None:
    records = _records(size)
    query = _query()
    reply = answer_reply(query, Answer(QNAME, QTYPE.TXT, 1, 0, QNAME, answer=list(records)))
    assert size * 0.9 < len(reply) <= 65535
    assert _parses_back(reply, records)
    headers = [h for h in parse_rr_headers(reply) if h.rtype != QTYPE.OPT]
    assert [(h.name.lower(), h.rtype, h.ttl) for h in headers] == [
        (str(rr.rname).lower(), rr.rtype, rr.ttl) for rr in records
    ]
    # Owners repeat past 16 KB, where a pointer cannot reach their first copy: dnslib's own
    # packing of the same message is corrupt there, so this test does exercise the fix.
    assert headers[-1].ttl_offset > MAX_POINTER_TARGET
    plain = DNSRecord.parse(build_query(QNAME, QTYPE.TXT, 1))
    plain.header.qr = 1
    for rr in records:
        plain.add_answer(rr)
    assert not _parses_back(plain.pack(), records)  # dnslib's own packing is corrupt here


def _parses_back(wire: bytes, records: list[RR]) -> bool:
    try:
        return _as_tuples(DNSRecord.parse(wire).rr) == _as_tuples(records)
    except DNSError:
        return False


def test_pack_message_compresses_rdata_names_within_pointer_range() -> None:
    message = DNSRecord.parse(build_query(QNAME, QTYPE.MX, 1))
    for i in range(900):
        target = f"mx{i}.mail.example.test."
        message.add_answer(RR(QNAME, QTYPE.MX, ttl=60, rdata=MX(target, i)))
        message.add_answer(RR(target, QTYPE.CNAME, ttl=60, rdata=CNAME(f"h{i}.example.test.")))
    wire = pack_message(message)
    assert 30_000 < len(wire) <= 65535
    assert _as_tuples(DNSRecord.parse(wire).rr) == _as_tuples(message.rr)
    assert sum(h.rtype != QTYPE.OPT for h in parse_rr_headers(wire)) == 1800


@pytest.mark.parametrize("size", [30_000, 60_000])
def test_ttl_patching_finds_every_ttl_of_a_large_reply(size: int) -> None:
    records = _records(size)
    query = _query()
    reply = answer_reply(query, Answer(QNAME, QTYPE.TXT, 1, 0, QNAME, answer=list(records)))
    assert len(rr_ttl_offsets(reply)) == len(records)  # every record, OPT excluded
    entry = PackedReply(reply, query.question_end, 1000.0, edns=True, lifetime=None)
    assert entry.expires == 1300.0  # the smallest TTL
    client = build_query(QNAME.upper(), QTYPE.TXT, 0x3333, edns_payload=1232)
    served = DNSRecord.parse(entry.render(client, query.question_end, 65535, 1100.5))
    assert [rr.ttl for rr in served.rr] == [rr.ttl - 100 for rr in records]
    assert [str(rr.rdata) for rr in served.rr] == [str(rr.rdata) for rr in records]
    assert served.header.id == 0x3333 and str(served.q.qname) == QNAME.upper()


# ---- served TTLs never exceed what the RRset cache would give --------------------------------


@settings(max_examples=150, deadline=None)
@given(
    ttls=st.lists(
        st.one_of(st.integers(0, 2**32 - 1), st.sampled_from([0, 1, 2**31 - 1, 2**31 + 5])),
        min_size=1,
        max_size=4,
    ),
    elapsed=st.lists(st.floats(min_value=0, max_value=5000, allow_nan=False), max_size=6),
)
def test_served_ttls_never_exceed_the_cached_ones(ttls: list[int], elapsed: list[float]) -> None:
    """A reply packed from clamp()'d records, aged by the answer cache, carries at every moment
    the TTL the RRset cache gives the same RRset, never more, and is not served longer."""
    now = [1000.0]
    cache = RRsetCache(min_ttl=30, max_ttl=3600, clock=lambda: now[0])
    records = [
        RR(QNAME, QTYPE.TXT, ttl=ttl, rdata=TXT([f"r{i}".encode()])) for i, ttl in enumerate(ttls)
    ]
    first = cache.clamp(records)  # what the iterator hands out on the miss
    stored = cache.put(records, Trust.AUTH_ANSWER)
    query = _query()
    reply = answer_reply(query, Answer(QNAME, QTYPE.TXT, 1, 0, QNAME, answer=first))
    assert all(h.ttl <= 3600 for h in parse_rr_headers(reply))  # no high-bit TTL goes out
    entry = PackedReply(reply, query.question_end, now[0], edns=True, lifetime=None)
    for step in elapsed:
        now[0] += step
        cached = cache.get(QNAME, QTYPE.TXT)
        if now[0] >= entry.expires:
            continue  # the answer cache drops it (AnswerCache.get), never serves it
        assert stored and cached is not None  # the packed reply never outlives the RRset
        served = DNSRecord.parse(entry.render(query.data, query.question_end, 65535, now[0]))
        assert all(rr.ttl <= cached.ttl for rr in served.rr)


@settings(max_examples=100, deadline=None)
@given(
    soa_ttl=st.integers(0, 2**32 - 1),
    minimum=st.integers(0, 2**32 - 1),
    elapsed=st.lists(st.floats(min_value=0, max_value=20000, allow_nan=False), max_size=6),
)
def test_served_negative_ttls_never_exceed_the_cached_ones(
    soa_ttl: int, minimum: int, elapsed: list[float]
) -> None:
    now = [1000.0]
    cache = RRsetCache(max_ttl=86400, max_negative_ttl=10800, clock=lambda: now[0])
    soa = RR.fromZone("example.test. 60 IN SOA ns.example.test. h.example.test. 1 2 3 4 5")[0]
    soa.ttl = soa_ttl
    soa.rdata.times = (*soa.rdata.times[:4], minimum)
    carried = cache.clamp_negative(soa)
    cache.put_negative("gone.example.test.", None, RCODE.NXDOMAIN, soa)
    query = parse_query(build_query("gone.example.test.", QTYPE.A, 7, edns_payload=1232))
    answer = Answer("gone.example.test.", QTYPE.A, 1, RCODE.NXDOMAIN, "gone.example.test.",
                    authority=[carried])
    reply = answer_reply(query, answer)
    lifetime = min(carried.ttl, carried.rdata.times[4])  # as the nameserver derives it
    entry = PackedReply(reply, query.question_end, now[0], edns=True, lifetime=lifetime)
    assert entry.expires - now[0] == cache.negative_ttl(soa) <= 10800
    for step in elapsed:
        now[0] += step
        if now[0] >= entry.expires:
            continue
        cached = cache.get_negative("gone.example.test.", QTYPE.A)
        assert cached is not None
        served = DNSRecord.parse(entry.render(query.data, query.question_end, 65535, now[0]))
        assert served.auth[0].ttl <= cached.ttl


def test_a_name_straddling_the_pointer_limit_is_only_pointed_at_where_reachable() -> None:
    buffer = CompressingBuffer()
    buffer.append(b"\x00" * (MAX_POINTER_TARGET - 5))
    buffer.encode_name("aaaaaaaaaaaaaaaaaaaa.tail.example.")  # starts below 0x3FFF, ends past it
    second = buffer.offset
    buffer.encode_name("zz.tail.example.")
    reader = DNSBuffer(bytes(buffer.data))
    reader.offset = second
    assert str(reader.decode_name()) == "zz.tail.example."


# -- negative answers written from bytes: the same octets dnslib packs ---------------------------

_LABELS = st.sampled_from([b"example", b"EXAMPLE", b"Example", b"com", b"COM", b"ns1", b"www",
                           b"hostmaster", b"m0f3a9", b"a", b"x" * 63, b"a.b", b"\\", b"\xff"])
_NAMES = st.lists(_LABELS, max_size=4).map(tuple)


def _client_query(labels: tuple[bytes, ...], qtype: int, *, edns: bool, do: bool, rd: bool,
                  cd: bool) -> object:
    message = DNSRecord.question(".", "A")
    message.q.qname = DNSLabel(list(labels))
    message.q.qtype = qtype
    message.header.id = 0x1234
    message.header.rd = int(rd)
    message.header.cd = int(cd)
    if edns:
        message.add_ar(EDNS0(udp_len=1232, flags="do" if do else ""))
    return parse_query(message.pack())


@settings(max_examples=300, deadline=None)
@given(qname=_NAMES, zone=_NAMES, mname=_NAMES, rname=_NAMES, qtype=st.sampled_from([1, 28, 15]),
       ttl=st.integers(0, 2**32 - 1), minimum=st.integers(0, 2**32 - 1),
       rcode=st.sampled_from([RCODE.NOERROR, RCODE.NXDOMAIN]), edns=st.booleans(),
       do=st.booleans(), rd=st.booleans(), cd=st.booleans(),
       ede=st.sampled_from([None, ExtendedError(EdeCode.STALE_ANSWER, "stale"),
                            ExtendedError(EdeCode.OTHER)]))
def test_a_negative_reply_from_bytes_is_the_one_dnslib_packs(
    qname, zone, mname, rname, qtype, ttl, minimum, rcode, edns, do, rd, cd, ede
) -> None:
    # Names share suffixes in various letter cases, so compression pointers land where
    # dnslib's do (it compares labels exactly, case included).
    assume(len(b".".join(qname + zone)) <= 253)  # a question that fits in a query
    query = _client_query(qname + zone, qtype, edns=edns, do=do, rd=rd, cd=cd)
    soa = RR(DNSLabel(list(zone)), QTYPE.SOA, ttl=ttl,
             rdata=SOA(DNSLabel(list(mname + zone)), DNSLabel(list(rname + zone)),
                       (2024060101, 7200, 3600, 1209600, minimum)))
    try:
        packed = records_reply(query, rcode, [], [soa], ede)
    except Exception:  # a name over 255 octets: dnslib refuses it, so the server's _pack does
        assert negative_reply(query, rcode, soa, ede) is None
        return
    assert negative_reply(query, rcode, soa, ede) == packed
    # The same SOA as an upstream reply's octets (soa_wire.WireSOA): the same reply.
    from_wire = as_wire_soa(soa)
    assert negative_reply(query, rcode, from_wire, ede) == packed
    assert from_wire.__dict__["wire"] is not None  # written from its octets, nothing built
    name = name_from_labels(qname + zone)
    answer = Answer(name, qtype, 1, rcode, name, authority=[soa])
    assert answer_reply(query, answer) == records_reply(query, rcode, [], [soa])
    wire_answer = Answer(name, qtype, 1, rcode, name, authority=[as_wire_soa(soa)])
    assert answer_reply_and_ttls(query, wire_answer) == answer_reply_and_ttls(query, answer)
    # The TTL's offset known from writing it is the one reading the reply finds, so the
    # cached entry is the same either way.
    reply, offsets = answer_reply_and_ttls(query, answer)
    assert offsets == rr_ttl_offsets(reply)
    written = PackedReply(reply, query.question_end, 5.0, edns=edns, lifetime=minimum,
                          ttl_offsets=offsets)
    read = PackedReply(reply, query.question_end, 5.0, edns=edns, lifetime=minimum)
    assert [getattr(written, slot) for slot in PackedReply.__slots__] == [
        getattr(read, slot) for slot in PackedReply.__slots__]


def as_wire_soa(soa: RR) -> WireSOA:
    """The WireSOA that negative_wire.classify_negative reads for this SOA record."""
    rdata = soa.rdata
    octets = DNSBuffer()
    for name in (rdata.mname, rdata.rname):
        octets.encode_name_nocompress(name)
    octets.pack("!5I", *rdata.times)
    owner = DNSBuffer()
    owner.encode_name_nocompress(soa.rname)
    return new_wire_soa(bytes(owner.data), soa.rclass, soa.ttl, bytes(octets.data))


def test_records_dnslib_cannot_pack_are_left_to_dnslib() -> None:
    query = _client_query((b"www", b"example", b"com"), QTYPE.A, edns=True, do=False,
                          rd=True, cd=False)
    too_long = RR(DNSLabel("example.com."), QTYPE.SOA, ttl=300,
                  rdata=SOA(DNSLabel([b"n" * 64, b"com"]), "h.example.com.", (1, 2, 3, 4, 5)))
    not_soa = RR(DNSLabel("example.com."), QTYPE.NS, ttl=300, rdata=NS("ns.example.com."))
    for record in (too_long, not_soa):
        assert negative_reply(query, RCODE.NXDOMAIN, record) is None
    with pytest.raises(Exception):  # noqa: B017 - what dnslib raises, _pack makes SERVFAIL
        records_reply(query, RCODE.NXDOMAIN, [], [too_long])


def test_a_negative_reply_written_for_one_name_serves_only_names_it_fits() -> None:
    # An SOA record once written is reused for names differing only in their first label (of
    # the same length), but never for one that an SOA name points into.
    into_a = RR(DNSLabel("example."), QTYPE.SOA, ttl=300,
                rdata=SOA("ns.a.example.", "h.a.example.", (1, 2, 3, 4, 5)))
    plain = RR(DNSLabel("example."), QTYPE.SOA, ttl=300,
               rdata=SOA("ns.example.", "h.example.", (1, 2, 3, 4, 5)))
    for soa in (into_a, plain, as_wire_soa(into_a), as_wire_soa(plain)):
        for first in (b"b", b"a", b"c", b"a", b"B", b"aa"):
            query = _client_query((first, b"example"), QTYPE.A, edns=True, do=False, rd=True,
                                  cd=False)
            assert negative_reply(query, RCODE.NXDOMAIN, soa) == records_reply(
                query, RCODE.NXDOMAIN, [], [soa])
