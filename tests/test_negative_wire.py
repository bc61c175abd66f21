"""Negative replies classified from the wire give exactly what the full path gives.

Every reply of a corpus (the negative shapes the classify/scrub tests and scenarios use, the
unusual ones next to them, and malformed ones) goes through both paths: `classify_negative`
on the bytes, and `DNSRecord.parse` then `classify`. Where the wire path answers, the full path
must parse the message and classify it identically, record for record; the wire path must
answer the plain shapes and leave the rest to the full path.
"""

from __future__ import annotations

import dataclasses

from dnslib import CLASS, EDNS0, QTYPE, RR, SOA, DNSHeader, DNSQuestion, DNSRecord, EDNSOption
from hypothesis import given, settings
from hypothesis import strategies as st

from resolver.classify import Classified, Kind, classify
from resolver.negative_wire import classify_negative

ZONE = "example.com."
QNAME = "mab.example.com."
SOA_LINE = "example.com. 300 IN SOA ns1.example.com. hostmaster.example.com. 1 7200 3600 1209600 60"


def rr(line: str) -> RR:
    return RR.fromZone(line)[0]


def reply(*, rcode: int = 3, aa: bool = True, ra: bool = False, tc: bool = False,
          opcode: int = 0, qname: str = QNAME, qtype: int = QTYPE.A, qclass: int = CLASS.IN,
          answer: tuple[str, ...] = (), authority: tuple[str, ...] = (SOA_LINE,),
          additional: tuple[str, ...] = (), edns: bool = True, do: bool = False,
          opt: RR | None = None) -> bytes:
    message = DNSRecord(DNSHeader(id=7, qr=1, aa=int(aa), ra=int(ra), tc=int(tc),
                                  opcode=opcode, rcode=rcode),
                        q=DNSQuestion(qname, qtype, qclass))
    message.rr = [rr(line) for line in answer]
    message.auth = [rr(line) for line in authority]
    message.ar = [rr(line) for line in additional]
    if opt is not None:
        message.ar.append(opt)
    elif edns:
        message.ar.append(EDNS0(udp_len=1232, flags="do" if do else ""))
    return message.pack()


PLAIN = b"\x00\x07\x84\x03" + b"\x00\x01\x00\x00\x00\x01\x00\x00"  # header: AA, NXDOMAIN
OPT = b"\x00\x00\x29\x04\xd0\x00\x00\x00\x00\x00\x00"  # root, OPT, 1232, version 0
QUESTION = b"\x03mab\x07example\x03com\x00\x00\x01\x00\x01"
SOA_RDATA = b"\x03ns1\xc0\x10\x0ahostmaster\xc0\x10" + bytes(range(20))


def handmade(owner: bytes = b"\xc0\x10", rdata: bytes = SOA_RDATA, rdlength: int | None = None,
             tail: bytes = b"", arcount: int = 0) -> bytes:
    """An NXDOMAIN written octet by octet: header, question, one SOA, then `tail`."""
    length = len(rdata) if rdlength is None else rdlength
    fixed = b"\x00\x06\x00\x01\x00\x00\x01\x2c"  # SOA, IN, TTL 300
    return (PLAIN[:10] + arcount.to_bytes(2, "big") + QUESTION + owner + fixed
            + length.to_bytes(2, "big") + rdata + tail)


# A name of 255 octets on the wire (253 in text), and its parent.
MAXIMAL = ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 61]) + "."
MAXIMAL_ZONE = MAXIMAL.split(".", 1)[1]

# Shapes the wire path must classify itself, as (raw, zone, qname, qtype).
ACCEPTED = {
    "nxdomain": (reply(), ZONE, QNAME, QTYPE.A),
    "nodata": (reply(rcode=0, qname="www.example.com."), ZONE, "www.example.com.", QTYPE.AAAA),
    "no EDNS": (reply(edns=False), ZONE, QNAME, QTYPE.A),
    "DO bit": (reply(do=True), ZONE, QNAME, QTYPE.A),
    "AA=0 RA=1": (reply(aa=False, ra=True), ZONE, QNAME, QTYPE.A),
    "AA=0 RA=0 nodata": (reply(rcode=0, aa=False), ZONE, QNAME, QTYPE.A),
    "SOA of a zone below, enclosing QNAME": (
        reply(qname="x.sub.example.com.", authority=(
            "sub.example.com. 300 SOA ns.sub.example.com. h.sub.example.com. 1 2 3 4 5",)),
        ZONE, "x.sub.example.com.", QTYPE.A),
    "mixed case": (reply(qname="mAb.Example.com.", authority=(
        "Example.COM. 300 SOA NS1.example.com. HostMaster.Example.com. 1 2 3 4 5",)),
        ZONE, "MAB.example.com.", QTYPE.A),
    "root zone": (reply(qname="nosuchtld.", authority=(
        ". 86400 SOA a.root-servers.net. nstld.verisign-grs.com. 1 2 3 4 86400",)),
        ".", "nosuchtld.", QTYPE.A),
    "SOA TTL 0": (reply(authority=(
        "example.com. 0 SOA ns1.example.com. h.example.com. 1 2 3 4 0",)), ZONE, QNAME, QTYPE.A),
    "large SOA numbers": (reply(authority=(
        "example.com. 4294967295 SOA ns1.example.com. h.example.com. 4294967295 2 3 4 "
        "4294967295",)), ZONE, QNAME, QTYPE.A),
    "minimised question": (reply(qname="example.com.", rcode=0), "com.", "example.com.",
                           QTYPE.NS),
    "handmade": (handmade(), ZONE, QNAME, QTYPE.A),
    "uncompressed owner": (handmade(owner=b"\x07example\x03com\x00"), ZONE, QNAME, QTYPE.A),
    "handmade OPT": (handmade(tail=OPT, arcount=1), ZONE, QNAME, QTYPE.A),
    # RNAME pointing into MNAME, MNAME into the owner, owner into the question, odd case.
    "pointer chain": (handmade(owner=b"\x07ExAmPlE\xc0\x18", rdata=(
        b"\x03NS1\xc0\x21" + b"\x0aHostMaster\xc0\x35" + bytes(range(20)))),
        ZONE, QNAME, QTYPE.A),
    "maximal names": (reply(qname=MAXIMAL, authority=(
        f"{MAXIMAL} 300 SOA {MAXIMAL} {MAXIMAL} 1 2 3 4 5",)), MAXIMAL, MAXIMAL, QTYPE.A),
    "NODATA at a maximal name": (reply(rcode=0, qname=MAXIMAL, authority=(
        f"{MAXIMAL_ZONE} 300 SOA ns.{MAXIMAL_ZONE} {MAXIMAL} 1 2 3 4 5",)), MAXIMAL_ZONE,
        MAXIMAL, QTYPE.A),
}

NSID = RR(".", QTYPE.OPT, rclass=1232, ttl=0, rdata=[EDNSOption(3, b"ns1")])
BADVERS = RR(".", QTYPE.OPT, rclass=1232, ttl=0x01000000, rdata=[])

# Shapes the wire path must leave to the full path.
REFUSED_SHAPES = {
    "SOA of the parent": (reply(authority=("com. 900 SOA a.gtld. h.gtld. 1 2 3 4 900",)),
                          ZONE, QNAME, QTYPE.A),
    "SOA of a sibling": (reply(authority=("example.net. 300 SOA a.example.net. h. 1 2 3 4 5",)),
                         ZONE, QNAME, QTYPE.A),
    "SOA not enclosing QNAME": (reply(authority=(
        "sub.example.com. 300 SOA ns.sub.example.com. h.sub.example.com. 1 2 3 4 5",)),
        ZONE, QNAME, QTYPE.A),
    "SOA of another class": (reply(authority=(
        "example.com. 300 CH SOA ns1.example.com. h.example.com. 1 2 3 4 5",)),
        ZONE, QNAME, QTYPE.A),
    "two SOAs": (reply(authority=(SOA_LINE, SOA_LINE.replace(" 1 ", " 2 "))), ZONE, QNAME,
                 QTYPE.A),
    "SOA and NS": (reply(authority=(SOA_LINE, "example.com. 300 NS ns1.example.com.")),
                   ZONE, QNAME, QTYPE.A),
    "NS only (referral)": (reply(rcode=0, aa=False, authority=(
        "sub.example.com. 300 NS ns.sub.example.com.",)), ZONE, "x.sub.example.com.", QTYPE.A),
    "no authority": (reply(authority=()), ZONE, QNAME, QTYPE.A),
    "NSEC proof": (reply(authority=(
        SOA_LINE, "example.com. 60 NSEC z.example.com. A NS SOA RRSIG NSEC")), ZONE, QNAME,
        QTYPE.A),
    "CNAME then NXDOMAIN": (reply(answer=("mab.example.com. 300 CNAME x.example.com.",)),
                            ZONE, QNAME, QTYPE.A),
    "truncated": (reply(tc=True), ZONE, QNAME, QTYPE.A),
    "SERVFAIL with SOA": (reply(rcode=2), ZONE, QNAME, QTYPE.A),
    "REFUSED with SOA": (reply(rcode=5), ZONE, QNAME, QTYPE.A),
    "YXDOMAIN": (reply(rcode=6), ZONE, QNAME, QTYPE.A),
    "opcode NOTIFY": (reply(opcode=4), ZONE, QNAME, QTYPE.A),
    "EDNS option": (reply(opt=NSID), ZONE, QNAME, QTYPE.A),
    "extended RCODE": (reply(opt=BADVERS), ZONE, QNAME, QTYPE.A),
    "glue besides OPT": (reply(additional=("ns1.example.com. 300 A 127.0.0.1",)), ZONE, QNAME,
                         QTYPE.A),
    "two OPTs": (handmade(tail=OPT * 2, arcount=2), ZONE, QNAME, QTYPE.A),
    # Malformed or read differently by dnslib.
    "octets after the records": (handmade(tail=b"\x00"), ZONE, QNAME, QTYPE.A),
    "RDLENGTH too long": (handmade(rdlength=len(SOA_RDATA) + 2, tail=b"\x00\x00"), ZONE, QNAME,
                          QTYPE.A),
    "RDLENGTH too short": (handmade(rdlength=len(SOA_RDATA) - 2), ZONE, QNAME, QTYPE.A),
    "cut off": (handmade()[:-5], ZONE, QNAME, QTYPE.A),
    "forward pointer": (handmade(owner=b"\xc0\x60"), ZONE, QNAME, QTYPE.A),
    "pointer loop": (handmade(owner=b"\xc0\x1d"), ZONE, QNAME, QTYPE.A),
    "pointer into the header": (handmade(owner=b"\xc0\x02"), ZONE, QNAME, QTYPE.A),
    "MNAME not UTF-8": (handmade(rdata=b"\x02\xff\xfe\xc0\x10\x01h\xc0\x10" + bytes(20)),
                        ZONE, QNAME, QTYPE.A),
    "MNAME with a space": (handmade(rdata=b"\x03n s\xc0\x10\x01h\xc0\x10" + bytes(20)),
                           ZONE, QNAME, QTYPE.A),
    "owner label with a dot": (handmade(owner=b"\x0bexample.com\x00"), "example.com.",
                               "example.com.", QTYPE.A),
    "header only": (PLAIN[:4] + bytes(8), ZONE, QNAME, QTYPE.A),
    "short header": (PLAIN[:6], ZONE, QNAME, QTYPE.A),
    "empty": (b"", ZONE, QNAME, QTYPE.A),
}


def facts(value: object) -> object:
    """A comparable form of a classification: records as their exact labels, type, class,
    TTL and data (dnslib's RR equality ignores the TTL and letter case)."""
    if isinstance(value, RR):
        data = value.rdata
        if isinstance(data, SOA):
            data = (data.mname.label, data.rname.label, data.times)
        else:
            data = (type(data).__name__, str(data))
        return (value.rname.label, value.rtype, value.rclass, value.ttl, data)
    if isinstance(value, Classified):
        return {f.name: facts(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, list | tuple):
        return [facts(item) for item in value]
    return value


def full_path(raw: bytes, zone: str, qname: str, qtype: int) -> Classified | None:
    """What the iterator does without the wire path: parse with dnslib (None: malformed),
    then classify."""
    try:
        message = DNSRecord.parse(raw)
    except Exception:  # dnslib raises assorted errors
        return None
    return classify(message, zone, qname, qtype)


def test_plain_negative_replies_are_classified_from_the_wire_exactly_as_in_full() -> None:
    for shape, (raw, zone, qname, qtype) in ACCEPTED.items():
        fast = classify_negative(raw, zone, qname, qtype)
        full = full_path(raw, zone, qname, qtype)
        assert fast is not None, shape
        assert full is not None and full.kind in (Kind.NXDOMAIN, Kind.NODATA), shape
        assert facts(fast) == facts(full), shape


def test_every_other_reply_is_left_to_the_full_path() -> None:
    for shape, (raw, zone, qname, qtype) in REFUSED_SHAPES.items():
        assert classify_negative(raw, zone, qname, qtype) is None, shape


@settings(max_examples=400, deadline=None)
@given(shape=st.sampled_from(sorted(ACCEPTED)), data=st.data())
def test_damaged_replies_are_classified_from_the_wire_only_as_the_full_path_would(
    shape: str, data: st.DataObject
) -> None:
    raw, zone, qname, qtype = ACCEPTED[shape]
    damaged = bytearray(raw)
    for _ in range(data.draw(st.integers(1, 3))):
        action = data.draw(st.sampled_from(["flip", "cut", "insert"]))
        at = data.draw(st.integers(0, max(len(damaged) - 1, 0)))
        if action == "flip" and damaged:
            damaged[at] ^= 1 << data.draw(st.integers(0, 7))
        elif action == "cut":
            del damaged[at:]
        else:
            damaged[at:at] = bytes([data.draw(st.integers(0, 255))])
    raw = bytes(damaged)
    fast = classify_negative(raw, zone, qname, qtype)
    if fast is not None:
        full = full_path(raw, zone, qname, qtype)
        assert full is not None
        assert facts(fast) == facts(full)


def test_a_denial_read_from_the_wire_is_cached_and_served_as_the_full_paths() -> None:
    """The SOA built from the wire is stored (cache_entry) and handed out (clamp_negative)
    byte for byte as the one dnslib parsed would be."""
    from resolver.cache import RRsetCache
    from tests.fakenet import FakeClock

    for shape, (raw, zone, qname, qtype) in ACCEPTED.items():
        fast = classify_negative(raw, zone, qname, qtype)
        full = full_path(raw, zone, qname, qtype)
        assert fast is not None and full is not None and fast.soa is not None, shape
        assert full.soa is not None, shape
        served = []
        for soa in (fast.soa, full.soa):
            cache = RRsetCache(clock=FakeClock())
            cache.put_negative(qname, qtype, fast.rcode, soa)
            denial = cache.get_negative(qname, qtype)  # None for TTL 0: not cached
            # The stored bytes themselves: the SOA's TTL in them is never read back.
            served.append((dict(cache._entries.data), facts(cache.clamp_negative(soa)),
                           denial and (facts(list(denial.soa)), denial.ttl)))
        assert served[0] == served[1], shape


# Caches that clamp the negative TTL from below the SOA's down to 0, and not at all.
CLAMPS = [{}, {"max_negative_ttl": 0}, {"max_negative_ttl": 1}, {"max_ttl": 7},
          {"max_negative_ttl": 2**32 - 1, "max_ttl": 2**32 - 1}]


def test_the_octets_path_and_the_object_path_store_and_reply_alike() -> None:
    """The SOA read from the wire carries its octets (soa_wire.WireSOA) to the cache and to
    the client's reply; a plain dnslib SOA takes the object path. For every accepted shape and
    every clamp, both store the same entry and give the client the same reply, whatever the
    letter case of the client's question, and the octets path builds no dnslib name."""
    from resolver.answer import Answer
    from resolver.cache import RRsetCache
    from resolver.server.query import parse_query
    from resolver.server.replies import answer_reply_and_ttls
    from resolver.soa_wire import WireSOA
    from tests.fakenet import FakeClock

    for shape, (raw, zone, qname, qtype) in ACCEPTED.items():
        fast = classify_negative(raw, zone, qname, qtype)
        full = full_path(raw, zone, qname, qtype)
        assert fast is not None and full is not None, shape
        wire_soa, plain_soa = fast.soa, full.soa
        assert type(wire_soa) is WireSOA and type(plain_soa) is RR, shape
        for limits in CLAMPS:
            kept = []
            for soa in (wire_soa, plain_soa):
                cache = RRsetCache(clock=FakeClock(), **limits)
                cache.put_negative(qname, qtype, fast.rcode, soa)
                clamped = cache.clamp_negative(soa)
                replies = []
                for asked in (qname, qname.upper(), qname.swapcase()):
                    query = DNSRecord.question(asked, QTYPE.get(qtype))
                    query.header.id = 0x5353
                    query.add_ar(EDNS0(udp_len=1232))
                    answer = Answer(asked, qtype, 1, fast.rcode, asked, authority=[clamped])
                    replies.append(answer_reply_and_ttls(parse_query(query.pack()), answer))
                kept.append((dict(cache._entries.data), clamped.ttl, replies))
            assert kept[0] == kept[1], (shape, limits)
        assert {"_rname", "_rdata"}.isdisjoint(vars(wire_soa)), shape  # nothing built


def test_a_soa_from_the_wire_reads_packs_and_compares_as_dnslibs() -> None:
    """A WireSOA is the record dnslib parses: equal both ways, same text, same packing; its
    TTL changes freely, and a new owner or rdata drops the octets so they never lie."""
    from resolver import cache_entry
    from resolver.soa_wire import minimum_of, wire_of

    raw, zone, qname, qtype = ACCEPTED["pointer chain"]
    fast, full = classify_negative(raw, zone, qname, qtype), full_path(raw, zone, qname, qtype)
    assert fast is not None and full is not None
    wire_soa, plain_soa = fast.soa, full.soa
    assert wire_soa == plain_soa and plain_soa == wire_soa
    assert (wire_soa != plain_soa) is False  # dnslib defines != on its own
    assert str(wire_soa) == str(plain_soa) and repr(wire_soa) == repr(plain_soa)
    packed = [DNSRecord(auth=[soa]).pack()[12:] for soa in (wire_soa, plain_soa)]
    assert packed[0] == packed[1]
    copy = cache_entry.with_ttl(wire_soa, 5)
    assert (copy.ttl, wire_soa.ttl, wire_of(copy)) == (5, 300, wire_of(wire_soa))
    copy.ttl = 9
    assert wire_of(copy) is not None and copy.ttl == 9
    renamed = cache_entry.with_ttl(wire_soa, 300)
    renamed.rname = "other.example."
    changed = cache_entry.with_ttl(wire_soa, 300)
    changed.rdata = SOA("a.example.", "b.example.", (9, 9, 9, 9, 9))
    for soa in (renamed, changed):
        assert wire_of(soa) is None
        entry = cache_entry.pack(expires=1.0, serial=0, ttl=0, trust=0, rcode=3,
                                 security=None, records=(soa,))
        plain = RR(soa.rname, QTYPE.SOA, soa.rclass, soa.ttl, soa.rdata)
        assert entry == cache_entry.pack(expires=1.0, serial=0, ttl=0, trust=0, rcode=3,
                                         security=None, records=(plain,))
    assert renamed.rdata == plain_soa.rdata and changed.rname == plain_soa.rname
    # The negative-caching TTL (SOA MINIMUM) reads alike from the octets, the objects built
    # from them, dnslib's own record, and a WireSOA whose octets were dropped.
    assert minimum_of(wire_soa) == minimum_of(plain_soa) == plain_soa.rdata.times[4]
    assert minimum_of(renamed) == minimum_of(plain_soa) and minimum_of(changed) == 9


def test_a_cached_denial_is_read_back_as_octets_and_replies_as_dnslibs_parse() -> None:
    """A negative entry's SOA comes back from the cache as a WireSOA (its stored octets): the
    record dnslib parses from the entry, and the same reply to the client."""
    from resolver import cache_entry
    from resolver.answer import Answer
    from resolver.cache import RRsetCache
    from resolver.server.query import parse_query
    from resolver.server.replies import answer_reply_and_ttls
    from resolver.soa_wire import WireSOA
    from tests.fakenet import FakeClock

    for shape, (raw, zone, qname, qtype) in ACCEPTED.items():
        fast = classify_negative(raw, zone, qname, qtype)
        assert fast is not None and fast.soa is not None, shape
        cache = RRsetCache(clock=FakeClock())
        cache.put_negative(qname, qtype, fast.rcode, fast.soa)
        denial = cache.get_negative(qname, qtype)
        if fast.soa.ttl == 0 or fast.soa.rdata.times[4] == 0:
            assert denial is None, shape  # not cached
            continue
        assert denial is not None and type(denial.soa[0]) is WireSOA, shape
        (entry,) = cache._entries.data.values()
        fields = cache_entry.head(entry)
        parsed = cache_entry.unpack_records(entry, fields.records_at, fields.extra_at,
                                            denial.ttl)
        assert facts(list(denial.soa)) == facts(list(parsed)), shape
        query = DNSRecord.question(qname.upper(), QTYPE.get(qtype))
        query.header.id = 0x5353
        client = parse_query(query.pack())
        replies = [answer_reply_and_ttls(client, Answer(qname, qtype, 1, fast.rcode, qname,
                                                        authority=list(soa)))
                   for soa in (denial.soa, parsed)]
        assert replies[0] == replies[1], shape


# Names read in wire form (labels of 1-32 plain octets) and names left to the label-by-label
# reading meet at these edges; both readings must give the same classification.
LABEL_32, LABEL_33 = "a" * 32, "b" * 33
LONG_PLAIN = ".".join(["x" * 31] * 7 + ["y" * 29]) + "."  # 255 octets, labels of at most 32
WIRE_EDGES = {
    "labels of 32 octets": (reply(qname=f"q.{LABEL_32}.example.com.", authority=(
        f"{LABEL_32}.example.com. 300 SOA ns.{LABEL_32}.example.com. h.example.com. 1 2 3 4 5",
    )), ZONE, f"q.{LABEL_32}.example.com.", QTYPE.A),
    "labels of 33 octets": (reply(qname=f"q.{LABEL_33}.example.com.", authority=(
        f"{LABEL_33}.example.com. 300 SOA ns.{LABEL_33}.example.com. h.example.com. 1 2 3 4 5",
    )), ZONE, f"q.{LABEL_33}.example.com.", QTYPE.A),
    "255 octets, labels of at most 32": (reply(qname=LONG_PLAIN, rcode=0, authority=(
        f"{LONG_PLAIN} 300 SOA {LONG_PLAIN} {LONG_PLAIN} 1 2 3 4 5",)), LONG_PLAIN, LONG_PLAIN,
        QTYPE.A),
    "NODATA at the apex": (reply(qname="Example.COM.", rcode=0), ZONE, "example.com.",
                           QTYPE.TXT),
    "punctuation that looks like length octets": (reply(qname="!?-9.e-x.example.com.",
        authority=("e-x.example.com. 300 SOA !.e-x.example.com. ?.e-x.example.com. 1 2 3 4 5",)),
        ZONE, "!?-9.e-x.example.com.", QTYPE.A),
    # The owner is a pointer into the middle of the question's first label, whose octets read
    # as a label ('!' is 33, any plain octet over 32) then the rest of the question.
    "pointer into a label": (PLAIN[:12] + b"\x23x!" + b"a" * 33 + b"\x07example\x03com\x00"
                             + b"\x00\x01\x00\x01" + b"\xc0\x0e" + b"\x00\x06\x00\x01\x00\x00"
                             + b"\x01\x2c\x00\x1c\x01m\xc0\x30\x01r\xc0\x30" + bytes(range(20)),
                             ZONE, "x!" + "a" * 33 + ".example.com.", QTYPE.A),
    "owner out of the bailiwick, in wire form": (reply(authority=(
        "xample.com. 300 SOA ns1.example.com. h.example.com. 1 2 3 4 5",)), "xample.com.",
        "mab.xample.com.", QTYPE.A),
    "SOA of a longer zone": (reply(authority=(
        "1example.com. 300 SOA ns1.example.com. h.example.com. 1 2 3 4 5",)), ZONE, QNAME,
        QTYPE.A),
    "a space in the question": (handmade()[:12] + b"\x03m b" + handmade()[16:], ZONE,
                                "m\\032b.example.com.", QTYPE.A),
    "question name compressed": (PLAIN[:12] + b"\xc0\x0c\x00\x01\x00\x01" + b"\xc0\x0c"
                                 + handmade()[33:], ZONE, QNAME, QTYPE.A),
    # MNAME points to the owner, a pointer; RNAME to MNAME.
    "pointer to a pointer": (handmade(rdata=b"\xc0\x21\xc0\x2d" + bytes(range(20))),
                             ZONE, QNAME, QTYPE.A),
}


def both_readings(raw: bytes, zone: str, qname: str) -> tuple[object, object] | None:
    """The wire-form and the label-by-label classification of a reply whose header passes,
    as facts; None when the wire form leaves it to the label reading."""
    from resolver import negative_wire

    raw = bytes(raw)
    flags, arcount = int.from_bytes(raw[2:4], "big"), int.from_bytes(raw[10:12], "big")
    try:
        plain = negative_wire._classify_plain(raw, zone.lower(), qname.lower(), flags, arcount)
    except negative_wire._Unsure:
        return None
    try:
        labels = negative_wire._classify_labels(raw, zone.lower(), qname.lower(), flags,
                                                arcount)
    except ValueError:  # WireError and struct.error both
        labels = None
    return facts(plain), facts(labels)


def test_names_read_in_wire_form_classify_as_read_label_by_label() -> None:
    for shape, (raw, zone, qname, qtype) in {**ACCEPTED, **WIRE_EDGES,
                                             **REFUSED_SHAPES}.items():
        fast = classify_negative(raw, zone, qname, qtype)
        full = full_path(raw, zone, qname, qtype)
        if fast is not None:
            assert full is not None and facts(fast) == facts(full), shape
        if len(raw) >= 12 and raw[4:12] == PLAIN[4:10] + raw[10:12]:
            readings = both_readings(raw, zone, qname)
            if readings is not None:
                assert readings[0] == readings[1], shape


def test_the_wire_form_reads_the_usual_names_itself() -> None:
    """Labels of at most 32 plain octets, compressed or not, never take the slower reading."""
    plain_shapes = ["nxdomain", "nodata", "mixed case", "root zone", "pointer chain",
                    "uncompressed owner", "minimised question", "handmade OPT"]
    for shape in plain_shapes:
        raw, zone, qname, _ = ACCEPTED[shape]
        assert both_readings(raw, zone, qname) is not None, shape
    for shape in ["labels of 32 octets", "255 octets, labels of at most 32",
                  "NODATA at the apex", "punctuation that looks like length octets",
                  "owner out of the bailiwick, in wire form", "SOA of a longer zone"]:
        raw, zone, qname, _ = WIRE_EDGES[shape]
        assert both_readings(raw, zone, qname) is not None, shape
    raw, zone, qname, _ = WIRE_EDGES["labels of 33 octets"]
    assert both_readings(raw, zone, qname) is None


_LABEL_OCTETS = st.sampled_from(list(b"aZz09-_!?*/~[]^`{}|:;<=>" + b" .\\\x00\x7f\xc3"))


@settings(max_examples=300, deadline=None)
@given(labels=st.lists(st.binary(min_size=1, max_size=40).map(bytes) | st.lists(
    _LABEL_OCTETS, min_size=1, max_size=40).map(bytes), min_size=1, max_size=6),
    cut=st.integers(0, 5), into=st.integers(12, 60), case=st.booleans(), data=st.data())
def test_random_names_and_pointers_read_alike_in_both_forms(
    labels: list[bytes], cut: int, into: int, case: bool, data: st.DataObject
) -> None:
    """Random question labels (any octets, any length up to 40), the owner a pointer to a
    random offset in the question or to a label boundary, the SOA names compressed against
    it: the wire form, when it answers, agrees with the label reading and with dnslib."""
    question = b"".join(bytes([len(label)]) + label for label in labels) + b"\x00"
    boundaries = [12]
    for label in labels:
        boundaries.append(boundaries[-1] + 1 + len(label))
    target = boundaries[min(cut, len(labels))] if case else into
    owner = (0xC000 | target).to_bytes(2, "big")
    at = 12 + len(question) + 4  # where the owner sits
    rdata = b"\x02ns" + owner + b"\x01h" + (0xC000 | at).to_bytes(2, "big") + bytes(range(20))
    raw = (PLAIN[:10] + b"\x00\x00" + question + b"\x00\x01\x00\x01" + owner
           + b"\x00\x06\x00\x01\x00\x00\x01\x2c" + len(rdata).to_bytes(2, "big") + rdata)
    names = [b".".join(labels[i:]).decode("latin-1") + "." for i in range(len(labels) + 1)]
    zone = data.draw(st.sampled_from(names)).replace("\\", "\\\\")
    qname = names[0].replace("\\", "\\\\")
    readings = both_readings(raw, zone, qname)
    if readings is not None:
        assert readings[0] == readings[1]
    fast = classify_negative(raw, zone, qname, QTYPE.A)
    if fast is not None:
        full = full_path(raw, zone, qname, QTYPE.A)
        assert full is not None and facts(fast) == facts(full)
