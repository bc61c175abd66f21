"""Tests for resolver.wire: round trips, agreement with dnslib, fuzzing, strictness rules."""

from __future__ import annotations

import struct

import dnslib
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from resolver import wire
from resolver.wire import (
    HEADER_SIZE,
    MAX_POINTER_HOPS,
    OPT,
    Header,
    Question,
    WireError,
    build_query,
    cache_key,
    decode_name,
    encode_name,
    name_from_labels,
    name_to_labels,
    names_equal,
    pack_u16,
    pack_u32,
    parse_query,
    parse_question,
    parse_rr_headers,
    patch_id,
    question_end,
    rr_ttl_offsets,
    unpack_u16,
    unpack_u32,
    validate_name,
)

SETTINGS = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

# --- strategies ------------------------------------------------------------------------------

u16 = st.integers(0, 0xFFFF)
u32 = st.integers(0, 0xFFFFFFFF)

# Any octets at all: our codec must carry them.
any_label = st.binary(min_size=1, max_size=63)
# Labels dnslib can also decode: it refuses labels that are not UTF-8 when parsing.
utf8_label = st.one_of(
    st.text(st.characters(max_codepoint=0x7F), min_size=1, max_size=63).map(str.encode),
    st.text(min_size=1, max_size=20).map(str.encode).filter(lambda b: len(b) <= 63),
    st.sampled_from([b"www", b"Example", b"COM", b"xn--bcher-kva", b"_tcp", b"*"]),
)


def _fit(labels: list[bytes]) -> tuple[bytes, ...]:
    """Drop leading labels until the name fits in 255 octets on the wire."""
    while sum(len(x) + 1 for x in labels) + 1 > 255:
        labels = labels[1:]
    return tuple(labels)


def label_lists(label: st.SearchStrategy[bytes], max_size: int = 6):
    return st.lists(label, max_size=max_size).map(_fit)


any_labels = label_lists(any_label)
utf8_labels = label_lists(utf8_label)


def wire_of(labels) -> bytes:
    return b"".join(bytes([len(x)]) + x for x in labels) + b"\x00"


def lower_labels(labels) -> list[bytes]:
    return [x.lower() for x in labels]


def dnslib_safe_text(labels) -> bool:
    """Labels whose text dnslib renders like us: no '.' or '\\' inside a label (dnslib leaves
    those unescaped, so its text is ambiguous)."""
    return all(b"." not in x and b"\\" not in x for x in labels)


def only_wire_errors(fn, *args):
    """Run fn; a WireError is an acceptable outcome, any other exception fails the test."""
    try:
        return fn(*args)
    except WireError:
        return None


# --- byte order ------------------------------------------------------------------------------


@SETTINGS
@given(u16, st.binary(max_size=4))
def test_u16_round_trip(value, prefix):
    buf = prefix + pack_u16(value)
    assert pack_u16(value) == struct.pack("!H", value)
    assert unpack_u16(buf, len(prefix)) == value


@SETTINGS
@given(u32, st.binary(max_size=4))
def test_u32_round_trip(value, prefix):
    buf = prefix + pack_u32(value)
    assert pack_u32(value) == struct.pack("!I", value)
    assert unpack_u32(buf, len(prefix)) == value


def test_byte_order_bounds():
    assert pack_u16(0x1234) == b"\x12\x34"
    assert pack_u32(0x01020304) == b"\x01\x02\x03\x04"
    for bad in (-1, 0x10000):
        with pytest.raises(WireError):
            pack_u16(bad)
    with pytest.raises(WireError):
        pack_u32(1 << 32)
    with pytest.raises(WireError):
        unpack_u16(b"\x01", 0)
    with pytest.raises(WireError):
        unpack_u16(b"\x01\x02", 1)
    with pytest.raises(WireError):
        unpack_u32(b"\x01\x02\x03", 0)
    with pytest.raises(WireError):  # a negative offset must not wrap around to the end
        unpack_u16(b"\x01\x02", -2)


# --- header ----------------------------------------------------------------------------------

headers = st.builds(
    Header,
    id=u16,
    qr=st.booleans(),
    opcode=st.integers(0, 15),
    aa=st.booleans(),
    tc=st.booleans(),
    rd=st.booleans(),
    ra=st.booleans(),
    ad=st.booleans(),
    cd=st.booleans(),
    rcode=st.integers(0, 15),
    qdcount=u16,
    ancount=u16,
    nscount=u16,
    arcount=u16,
)


@SETTINGS
@given(headers)
def test_header_round_trip(header):
    packed = header.pack()
    assert len(packed) == HEADER_SIZE
    assert Header.parse(packed) == header


@SETTINGS
@given(st.binary(min_size=12, max_size=12))
def test_header_bytes_round_trip_except_z(raw):
    flags = struct.unpack("!H", raw[2:4])[0] & ~0x0040  # Z is not kept
    assert Header.parse(raw).pack() == raw[:2] + struct.pack("!H", flags) + raw[4:]


def test_header_bits_and_bounds():
    h = Header.parse(bytes.fromhex("abcd81a00001000200030004"))
    assert (h.id, h.qr, h.opcode, h.rd, h.ra, h.ad, h.cd, h.rcode) == (
        0xABCD, True, 0, True, True, True, False, 0
    )
    assert (h.qdcount, h.ancount, h.nscount, h.arcount) == (1, 2, 3, 4)
    with pytest.raises(WireError):
        Header.parse(b"\x00" * 11)
    for bad in (Header(rcode=16), Header(opcode=16), Header(id=0x10000), Header(qdcount=-1)):
        with pytest.raises(WireError):
            bad.pack()


# --- names: text and wire --------------------------------------------------------------------


@SETTINGS
@given(any_labels)
def test_name_round_trip(labels):
    text = name_from_labels(labels)
    assert text.endswith(".") and text.isascii()
    assert name_to_labels(text) == labels
    assert validate_name(text) == text
    assert encode_name(text) == wire_of(labels)
    buf = b"\x00" * HEADER_SIZE + wire_of(labels) + b"tail"
    assert decode_name(buf, HEADER_SIZE) == (text, len(buf) - 4)


@SETTINGS
@given(any_labels)
def test_a_names_text_lowered_is_the_text_of_its_labels_lowered(labels):
    # The server lowers a question's name as text (ASCII letters only; escapes unchanged).
    assert name_from_labels(labels).lower() == name_from_labels([x.lower() for x in labels])


@SETTINGS
@given(st.text(st.sampled_from("aZ09.\\- \x7f\xe9"), max_size=40))
def test_arbitrary_text_is_canonicalised_or_refused(text):
    try:
        canonical = validate_name(text)
    except WireError:
        return
    assert validate_name(canonical) == canonical
    assert name_to_labels(canonical) == name_to_labels(text)
    assert decode_name(b"\x00" * 12 + encode_name(text), 12)[0] == canonical


def _general_validate(text):
    """validate_name's general path (the parser, then the renderer), outcome as a value."""
    try:
        return name_from_labels(wire._labels_from_text(text))
    except WireError as exc:
        return ("WireError", str(exc))


def _validate(text):
    try:
        return validate_name(text)
    except WireError as exc:
        return ("WireError", str(exc))


# Plain characters, each escape form, '.', space, DEL and non-ASCII, for text names.
name_chars = st.sampled_from("aZ09-_*!~.\\ \x7f\xe9\n")
# Labels as the text a user types: plain runs up to 64 characters, "\.", "\\", "\DDD" (some
# over 255 or short), so label and name lengths fall on both sides of 63 and 255 octets.
text_labels = st.lists(
    st.one_of(
        st.text(st.sampled_from("aZ09-_"), min_size=0, max_size=64),
        st.sampled_from(["\\.", "\\\\", "\\065", "\\046", "\\000", "\\255", "\\256", "\\2x", "\\"]),
        st.integers(0, 255).map(lambda b: f"\\{b:03d}"),
        st.text(name_chars, max_size=5),
    ),
    max_size=4,
).map("".join)
text_names = st.one_of(
    st.text(name_chars, max_size=40),
    st.lists(text_labels, max_size=9).map(".".join),
    st.tuples(st.lists(text_labels, max_size=9).map(".".join), st.just(".")).map("".join),
)


@SETTINGS
@given(text_names)
def test_validate_name_fast_path_agrees_with_the_general_parser(text):
    # Same canonical text, or the same WireError with the same message.
    assert _validate(text) == _general_validate(text)


@SETTINGS
@given(st.lists(st.integers(1, 63), min_size=1, max_size=8), st.booleans(), st.data())
def test_validate_name_fast_path_at_the_length_limits(sizes, absolute, data):
    # Plain names of every length around 63-octet labels and 255-octet names.
    label_chars = st.sampled_from("aZ09-_")
    labels = [data.draw(st.text(label_chars, min_size=n, max_size=n)) for n in sizes]
    text = ".".join(labels) + ("." if absolute else "")
    wire_octets = sum(sizes) + len(sizes) + 1
    assert _validate(text) == _general_validate(text)
    if wire_octets <= 255:
        assert validate_name(text) == ".".join(labels) + "."
    else:
        with pytest.raises(WireError, match=f"{wire_octets} octets"):
            validate_name(text)


def test_validate_name_fast_path_cases():
    longest = ".".join(["a" * 63] * 3 + ["a" * 61])  # 255 octets on the wire
    for text in (longest, longest + ".", longest + "a", "a" * 64, "a" * 63, "a.b\n", "a.b.\n",
                 "a.b\x00", "a b.", "_dmarc.Example.COM", "*.example.", "a.\\.b", "x\\"):
        assert _validate(text) == _general_validate(text), text
    assert validate_name(longest) == longest + "."
    assert validate_name("*.Example") == "*.Example."
    for text in (longest + "a", "a..b", ".a", "a.b\\"):
        with pytest.raises(WireError):
            validate_name(text)

    class Text(str):
        pass

    assert type(validate_name(Text("a.b"))) is str


def test_name_text_format():
    assert validate_name(".") == "."
    assert validate_name("Www.Example.COM") == "Www.Example.COM."
    assert name_to_labels("a\\.b.c") == (b"a.b", b"c")
    assert name_to_labels("a\\\\b.") == (b"a\\b",)
    assert name_to_labels("\\065\\000\\255.x") == (b"A\x00\xff", b"x")
    assert name_to_labels("\\a.b") == (b"a", b"b")
    assert name_from_labels([b"a b", b"a.b", b"a\\b", b"\x00\xff\x7f"]) == (
        "a\\032b.a\\.b.a\\\\b.\\000\\255\\127."
    )
    for bad in ("", "..", "a..b", ".a", "a\\", "a\\25", "a\\256", "a\\2x5", "b\u00fccher.de"):
        with pytest.raises(WireError):
            validate_name(bad)
    with pytest.raises(WireError):
        validate_name(b"example.com.")  # type: ignore[arg-type]


@SETTINGS
@given(utf8_labels)
def test_name_text_agrees_with_dnslib(labels):
    label = dnslib.DNSLabel(list(labels))
    assert dnslib.DNSLabel(list(name_to_labels(name_from_labels(labels)))).label == labels
    if dnslib_safe_text(labels):
        # dnslib renders exactly like us when no label holds '.' or '\'.
        assert str(label) == name_from_labels(labels)
        if all(b < 0x80 for x in labels for b in x):
            # ...and parses our text back when no "\DDD" above 127 sends it through IDNA.
            assert dnslib.DNSLabel(name_from_labels(labels)).label == labels


def test_dnslib_differences_documented():
    # dnslib does not understand "\." and leaves '.' in a label unescaped; we do both.
    assert dnslib.DNSLabel("a\\.b.c").label == (b"a\\", b"b", b"c")
    assert name_to_labels("a\\.b.c") == (b"a.b", b"c")
    assert str(dnslib.DNSLabel([b"a.b", b"c"])) == "a.b.c."
    assert name_from_labels([b"a.b", b"c"]) == "a\\.b.c."


@SETTINGS
@given(any_labels, any_labels)
def test_names_equal(a, b):
    ta, tb = name_from_labels(a), name_from_labels(b)
    expected = lower_labels(a) == lower_labels(b)
    assert names_equal(ta, tb) is expected
    assert names_equal(ta.upper(), tb) is expected
    assert names_equal(ta, ta.swapcase())


def test_names_equal_cases():
    assert names_equal("WWW.example.COM", "www.Example.com.")
    assert names_equal(".", ".")
    assert not names_equal("a.b.", "a.c.")
    assert names_equal("\\065.b", "a.B.")
    assert not names_equal("a\\.b.", "a.b.")  # one label vs two
    assert not names_equal("\\192.", "\\224.")  # only ASCII letters fold


# --- compression -----------------------------------------------------------------------------


@SETTINGS
@given(st.lists(utf8_labels, min_size=1, max_size=6), st.data())
def test_compressed_names_decode_in_dnslib(names, data):
    """A message whose names are all written by encode_name with one compress dict."""
    # Add some relatives: subdomains and case variants of generated names.
    extra = []
    for labels in names:
        if labels and data.draw(st.booleans()):
            extra.append(_fit([data.draw(utf8_label), *labels]))
        if labels and data.draw(st.booleans()):
            extra.append(tuple(x.upper() for x in labels))
    names = names + extra
    compress: dict[str, int] = {}
    qname = names[0]
    msg = bytearray(struct.pack("!6H", 77, 0x8100, 1, len(names) - 1, 0, 0))
    msg += encode_name(name_from_labels(qname), compress, len(msg)) + b"\x00\x01\x00\x01"
    for labels in names[1:]:  # CNAME records: owner qname, target the name (both compressed)
        msg += encode_name(name_from_labels(qname), compress, len(msg))
        msg += struct.pack("!HHI", 5, 1, 300)
        rdata = encode_name(name_from_labels(labels), compress, len(msg) + 2)
        msg += struct.pack("!H", len(rdata)) + rdata
        seen = name_from_labels(labels).lower()
        assert seen in compress or not labels
    msg = bytes(msg)
    parsed = dnslib.DNSRecord.parse(msg)
    assert parsed.q.qname.label == qname
    ours = parse_rr_headers(msg)
    for labels, rr, ours_rr in zip(names[1:], parsed.rr, ours, strict=True):
        assert lower_labels(rr.rdata.label.label) == lower_labels(labels)
        target, end = decode_name(msg, ours_rr.rdata_offset)
        assert end == ours_rr.rdata_offset + ours_rr.rdlength
        assert name_to_labels(target) == rr.rdata.label.label
        assert names_equal(target, name_from_labels(labels))
        assert name_to_labels(ours_rr.name) == rr.rname.label == qname
    if qname:  # every repeat of the question name is a bare pointer to it
        assert msg.count(b"\xc0\x0c") >= len(names) - 1


def test_compression_by_hand():
    compress: dict[str, int] = {}
    first = encode_name("www.Example.com.", compress, 12)
    assert first == b"\x03www\x07Example\x03com\x00"
    assert compress == {"www.example.com.": 12, "example.com.": 16, "com.": 24}
    assert encode_name("mail.EXAMPLE.com", compress, 29) == b"\x04mail\xc0\x10"
    assert compress["mail.example.com."] == 29
    assert encode_name(".", compress, 40) == b"\x00"
    msg = b"\x00" * 12 + first + b"\x04mail\xc0\x10"
    assert decode_name(msg, 29) == ("mail.Example.com.", 36)
    # Offsets past a pointer's 14-bit reach are not recorded.
    far: dict[str, int] = {}
    encode_name("a.b.", far, 0x3FFE)
    assert far == {"a.b.": 0x3FFE}
    with pytest.raises(WireError):
        encode_name("x.", {"x.": 0x4000}, 12)


# --- questions and queries -------------------------------------------------------------------


@SETTINGS
@given(any_labels, u16, u16, st.binary(max_size=3))
def test_question_round_trip(labels, qtype, qclass, tail):
    q = Question(name_from_labels(labels), qtype, qclass)
    buf = b"\x00" * 12 + encode_name(q.name) + struct.pack("!HH", qtype, qclass) + tail
    assert parse_question(buf) == (q, len(buf) - len(tail))


edns_payloads = st.one_of(st.none(), u16)


@SETTINGS
@given(any_labels, u16, u16, u16, st.booleans(), st.booleans(), edns_payloads, st.booleans())
def test_build_query_parse_query_round_trip(labels, qtype, qclass, qid, rd, cd, payload, do):
    assume(payload is not None or not do)
    name = name_from_labels(labels)
    packet = build_query(name, qtype, qid, rd=rd, cd=cd, edns_payload=payload, do=do, qclass=qclass)
    p = parse_query(packet)
    assert p.header == Header(
        id=qid, rd=rd, cd=cd, qdcount=1, arcount=0 if payload is None else 1
    )
    assert p.question == Question(name, qtype, qclass)
    assert p.question_end == HEADER_SIZE + len(wire_of(labels)) + 4
    assert (p.edns_payload, p.do, p.edns_version) == (payload, do, None if payload is None else 0)
    key, end = cache_key(packet)
    assert end == p.question_end
    assert key == wire_of(labels).lower() + struct.pack("!HH", qtype, qclass)
    assert patch_id(packet, qid ^ 0xFFFF) == struct.pack("!H", qid ^ 0xFFFF) + packet[2:]
    assert rr_ttl_offsets(packet) == []  # the OPT record's TTL is not a TTL


@SETTINGS
@given(utf8_labels, u16, u16, u16, st.booleans(), st.booleans(), edns_payloads, st.booleans())
def test_build_query_parses_in_dnslib(labels, qtype, qclass, qid, rd, cd, payload, do):
    assume(payload is not None or not do)
    packet = build_query(
        name_from_labels(labels), qtype, qid, rd=rd, cd=cd, edns_payload=payload, do=do,
        qclass=qclass,
    )
    d = dnslib.DNSRecord.parse(packet)
    h = d.header
    assert (h.id, h.qr, h.opcode, h.rd, h.cd, h.aa, h.tc, h.ra, h.ad, h.rcode) == (
        qid, 0, 0, int(rd), int(cd), 0, 0, 0, 0, 0
    )
    assert (d.q.qname.label, d.q.qtype, d.q.qclass) == (labels, qtype, qclass)
    assert not d.rr and not d.auth
    if payload is None:
        assert not d.ar
    else:
        (opt,) = d.ar
        assert (opt.rtype, opt.rclass, opt.edns_do, opt.edns_ver, opt.rname.label) == (
            OPT, payload, int(do), 0, ()
        )


def test_query_rules():
    good = build_query("example.com", 1, 1)
    with pytest.raises(WireError):
        build_query("example.com", 1, 1, edns_payload=None, do=True)
    # Type 1 was just asked as an int: as a float it is still refused.
    for bad in ({"qid": 0x10000}, {"qtype": -1}, {"qtype": 1.0}, {"qtype": [1]}):
        args = {"qid": 1, "qtype": 1} | bad
        with pytest.raises(WireError):
            build_query("example.com", args["qtype"], args["qid"])
    with pytest.raises(WireError):
        build_query("example.com", 1, 1, edns_payload=70000)
    no_question = good[:4] + b"\x00\x00" + good[6:]
    with pytest.raises(WireError, match="no question"):
        parse_query(no_question)
    with pytest.raises(WireError, match="no question"):
        cache_key(no_question)
    # Two OPT records, and an OPT record not owned by the root, are FORMERR (RFC 6891 6.1).
    opt = good[-11:]
    two_opts = good[:10] + b"\x00\x02" + good[12:] + opt
    with pytest.raises(WireError, match="more than one OPT"):
        parse_query(two_opts)
    named_opt = good[:-11] + b"\xc0\x0c" + opt[1:]
    with pytest.raises(WireError, match="not the root"):
        parse_query(named_opt)
    # The OPT record is found after other sections' records.
    with_answer = bytearray(good[:-11])
    with_answer[6:8] = b"\x00\x01"
    with_answer += b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04\x01\x02\x03\x04" + opt
    assert parse_query(bytes(with_answer)).edns_payload == 1232
    assert rr_ttl_offsets(bytes(with_answer)) == [len(good) - 11 + 6]
    with pytest.raises(WireError):
        patch_id(b"\x00" * 11, 1)
    with pytest.raises(WireError):
        patch_id(good, -1)


def test_cache_key_folds_only_the_name():
    # qtype 0x0041 (HTTPS) and 0x0061 differ only in what bytes.lower() would fold.
    a = cache_key(build_query("A.example", 0x41, 1))[0]
    b = cache_key(build_query("a.EXAMPLE", 0x61, 2))[0]
    c = cache_key(build_query("a.EXAMPLE.", 0x41, 3, rd=True))[0]
    assert a != b and a == c
    # Any buffer gives the same hashable key (the server may hand a bytearray or memoryview).
    query = build_query("A.example", 0x41, 1)
    for buf in (bytearray(query), memoryview(query)):
        key, end = cache_key(buf)
        assert type(key) is bytes and (key, end) == cache_key(query)


# --- dnslib-built messages through our decoders ----------------------------------------------


@st.composite
def dnslib_messages(draw, label=utf8_label):
    """A dnslib message with random header bits, a question and a few records whose names
    share suffixes with the question, so dnslib compresses them."""
    qname = draw(label_lists(label).filter(bool))
    header = dnslib.DNSHeader(
        id=draw(u16),
        qr=draw(st.booleans()),
        opcode=draw(st.integers(0, 15)),
        aa=draw(st.booleans()),
        tc=draw(st.booleans()),
        rd=draw(st.booleans()),
        ra=draw(st.booleans()),
        z=draw(st.booleans()),
        ad=draw(st.booleans()),
        cd=draw(st.booleans()),
        rcode=draw(st.integers(0, 15)),
    )
    record = dnslib.DNSRecord(
        header, q=dnslib.DNSQuestion(dnslib.DNSLabel(list(qname)), draw(u16), draw(u16))
    )

    def related_name():
        cut = draw(st.integers(0, len(qname)))
        return dnslib.DNSLabel(list(_fit([*draw(st.lists(label, max_size=2)), *qname[cut:]])))

    def rr():
        kind = draw(st.sampled_from(["A", "AAAA", "CNAME", "NS", "MX", "TXT", "SOA"]))
        rdata = {
            "A": lambda: dnslib.A("192.0.2.1"),
            "AAAA": lambda: dnslib.AAAA("2001:db8::1"),
            "CNAME": lambda: dnslib.CNAME(related_name()),
            "NS": lambda: dnslib.NS(related_name()),
            "MX": lambda: dnslib.MX(related_name(), draw(u16)),
            "TXT": lambda: dnslib.TXT(draw(st.binary(max_size=20))),
            "SOA": lambda: dnslib.SOA(related_name(), related_name(), (1, 2, 3, 4, 5)),
        }[kind]()
        return dnslib.RR(related_name(), getattr(dnslib.QTYPE, kind), 1, draw(u32), rdata)

    for _ in range(draw(st.integers(0, 3))):
        record.add_answer(rr())
    for _ in range(draw(st.integers(0, 2))):
        record.add_auth(rr())
    for _ in range(draw(st.integers(0, 2))):
        record.add_ar(rr())
    if draw(st.booleans()):
        record.add_ar(dnslib.EDNS0(udp_len=draw(u16), flags="do" if draw(st.booleans()) else ""))
    return record


@SETTINGS
@given(dnslib_messages())
def test_dnslib_messages_decode_alike(record):
    packet = record.pack()
    h, dh = Header.parse(packet), record.header
    assert (h.id, h.qr, h.opcode, h.aa, h.tc, h.rd, h.ra, h.ad, h.cd, h.rcode) == (
        dh.id, dh.qr, dh.opcode, dh.aa, dh.tc, dh.rd, dh.ra, dh.ad, dh.cd, dh.rcode
    )
    assert (h.qdcount, h.ancount, h.nscount, h.arcount) == (
        1, len(record.rr), len(record.auth), len(record.ar)
    )
    q, _ = parse_question(packet)
    assert name_to_labels(q.name) == record.q.qname.label
    if dnslib_safe_text(record.q.qname.label):
        assert q.name == str(record.q.qname)
    assert (q.qtype, q.qclass) == (record.q.qtype, record.q.qclass)

    reparsed = dnslib.DNSRecord.parse(packet)
    theirs = reparsed.rr + reparsed.auth + reparsed.ar
    ours = parse_rr_headers(packet)
    assert len(ours) == len(theirs)
    for mine, rr in zip(ours, theirs, strict=True):
        assert name_to_labels(mine.name) == rr.rname.label
        assert (mine.rtype, mine.rclass, mine.ttl) == (rr.rtype, rr.rclass, rr.ttl)
        assert struct.unpack("!I", packet[mine.ttl_offset : mine.ttl_offset + 4])[0] == rr.ttl
        skip = {dnslib.QTYPE.CNAME: 0, dnslib.QTYPE.NS: 0, dnslib.QTYPE.MX: 2}.get(rr.rtype)
        if skip is not None:
            name, _ = decode_name(packet, mine.rdata_offset + skip)
            assert name_to_labels(name) == rr.rdata.label.label
        if rr.rtype == dnslib.QTYPE.SOA:
            mname, after = decode_name(packet, mine.rdata_offset)
            rname, _ = decode_name(packet, after)
            assert name_to_labels(mname) == rr.rdata.mname.label
            assert name_to_labels(rname) == rr.rdata.rname.label

    p = parse_query(packet)
    opts = [rr for rr in reparsed.ar if rr.rtype == OPT]
    assert p.edns_payload == (opts[0].rclass if opts else None)
    assert p.do == bool(opts and opts[0].edns_do)
    key, end = cache_key(packet)
    assert end == p.question_end
    assert key == encode_name(q.name).lower() + struct.pack("!HH", q.qtype, q.qclass)


@SETTINGS
@given(dnslib_messages(), st.data())
def test_rr_ttl_offsets_patch_dnslib_reply(record, data):
    packet = record.pack()
    offsets = rr_ttl_offsets(packet)
    non_opt = [rr for rr in record.rr + record.auth + record.ar if rr.rtype != OPT]
    assert len(offsets) == len(non_opt)
    new_ttls = data.draw(st.lists(u32, min_size=len(offsets), max_size=len(offsets)))
    patched = bytearray(packet)
    for offset, ttl in zip(offsets, new_ttls, strict=True):
        patched[offset : offset + 4] = pack_u32(ttl)
    reparsed = dnslib.DNSRecord.parse(bytes(patched))
    all_rrs = reparsed.rr + reparsed.auth + reparsed.ar
    assert [rr.ttl for rr in all_rrs if rr.rtype != OPT] == new_ttls
    assert [rr.ttl for rr in all_rrs if rr.rtype == OPT] == [
        rr.ttl for rr in record.ar if rr.rtype == OPT
    ]
    assert [(rr.rname, rr.rtype, rr.rdata) for rr in all_rrs] == [
        (rr.rname, rr.rtype, rr.rdata) for rr in record.rr + record.auth + record.ar
    ]


# --- nothing but WireError, whatever the bytes -----------------------------------------------


def assert_only_wire_errors(buf: bytes, offset: int) -> None:
    header = only_wire_errors(Header.parse, buf)
    only_wire_errors(decode_name, buf, offset)
    only_wire_errors(parse_question, buf, offset)
    only_wire_errors(parse_query, buf)
    only_wire_errors(rr_ttl_offsets, buf)
    only_wire_errors(parse_rr_headers, buf)
    only_wire_errors(patch_id, buf, 1)
    key = only_wire_errors(cache_key, buf)
    # question_end raises exactly when cache_key does, and agrees on the end.
    end = only_wire_errors(question_end, buf)
    assert (end is None) == (key is None) and (key is None or key[1] == end)
    # cache_key accepts exactly what parse_question accepts at offset 12, with the same key.
    question = (
        only_wire_errors(parse_question, buf, HEADER_SIZE)
        if header is not None and header.qdcount
        else None
    )
    assert (key is None) == (question is None)
    if question is not None:
        q, end = question
        assert key == (encode_name(q.name).lower() + struct.pack("!HH", q.qtype, q.qclass), end)


@SETTINGS
@given(st.binary(max_size=300), st.integers(0, 310))
def test_arbitrary_bytes_raise_only_wire_error(buf, offset):
    assert_only_wire_errors(buf, offset)


@SETTINGS
@given(st.binary(min_size=1, max_size=200), st.integers(0, 210))
def test_arbitrary_questions_raise_only_wire_error(body, offset):
    # A plausible header in front makes the question and record parsers go deeper.
    assert_only_wire_errors(bytes.fromhex("123401000001000100010001") + body, offset)
    assert_only_wire_errors(bytes.fromhex("123401000001000000000000") + body, offset)


@SETTINGS
@given(
    dnslib_messages(label=any_label),
    st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), min_size=1, max_size=4),
    st.integers(0, 10_000),
    st.data(),
)
def test_mutated_packets_raise_only_wire_error(record, flips, cut, data):
    packet = bytearray(record.pack())
    for index, value in flips:
        packet[index % len(packet)] = value
    if data.draw(st.booleans()):
        del packet[cut % len(packet) :]
    assert_only_wire_errors(bytes(packet), data.draw(st.integers(0, len(packet))))


# --- strictness rules, one by one ------------------------------------------------------------

HDR = bytes.fromhex("000100000001000000000000")  # id 1, one question


def test_pointer_to_itself_and_loops():
    with pytest.raises(WireError, match="loop"):
        decode_name(HDR + b"\xc0\x0c", 12)  # points at itself
    with pytest.raises(WireError, match="loop"):
        decode_name(HDR + b"\x01a\xc0\x0c", 12)  # back to its own start
    # Two names pointing at each other: whichever is read first sees a forward pointer.
    loop = HDR + b"\x01a\xc0\x10" + b"\x01b\xc0\x0c"
    with pytest.raises(WireError):
        decode_name(loop, 12)
    with pytest.raises(WireError):
        decode_name(loop, 16)


def test_forward_pointer():
    with pytest.raises(WireError, match="forward"):
        decode_name(HDR + b"\xc0\x0e\x00", 12)
    with pytest.raises(WireError):
        parse_query(HDR + b"\xc0\x0e\x00\x00\x01\x00\x01")
    # The rule is per segment: from 19, "c" points back to 15 (fine), but the "b" there points
    # to 17, which is before 19 yet not before 15, the start of the segment being read.
    msg = HDR + b"\x01a\x00" + b"\x01b\xc0\x11" + b"\x01c\xc0\x0f"
    for start in (15, 19):
        with pytest.raises(WireError, match="forward"):
            decode_name(msg, start)


def test_backward_pointer_chain():
    msg = HDR + b"\x01a\x00" + b"\x01b\xc0\x0c" + b"\x01c\xc0\x0f"
    assert decode_name(msg, 19) == ("c.b.a.", 23)
    assert decode_name(msg, 15) == ("b.a.", 19)


def test_pointer_into_header_and_hop_limit():
    with pytest.raises(WireError, match="header"):
        decode_name(HDR + b"\x01a\xc0\x02", 12)
    with pytest.raises(WireError):
        parse_query(HDR + b"\xc0\x00\x00\x01\x00\x01")
    with pytest.raises(WireError):
        cache_key(HDR + b"\xc0\x00\x00\x01\x00\x01")
    # A chain of pointers to pointers ending in the root name at offset 12.
    chain = bytearray(HDR + b"\x00")
    for _ in range(MAX_POINTER_HOPS + 1):
        chain += struct.pack("!H", 0xC000 | (len(chain) - (1 if len(chain) == 13 else 2)))
    last = len(chain) - 2
    with pytest.raises(WireError, match="pointers"):
        decode_name(bytes(chain), last)
    assert decode_name(bytes(chain), last - 2 * 10) == (".", last - 18)


def test_label_length_rules():
    with pytest.raises(WireError, match="63"):
        validate_name("a" * 64 + ".example.")
    with pytest.raises(WireError, match="a" * 64):  # the message names the name
        encode_name("a" * 64 + ".example.")
    with pytest.raises(WireError):
        build_query("a" * 64, 1, 1)
    assert validate_name("a" * 63 + ".") == "a" * 63 + "."
    # On the wire a length octet of 64 is label type 0x40.
    with pytest.raises(WireError, match="reserved label type 0x40"):
        decode_name(HDR + b"\x40" + b"a" * 64 + b"\x00", 12)


def test_name_length_rules():
    ok = ".".join(["a" * 63] * 3 + ["a" * 61]) + "."  # 3*64 + 62 + 1 = 255 octets
    assert len(encode_name(ok)) == 255
    too_long = ".".join(["a" * 63] * 3 + ["a" * 62]) + "."  # 256 octets
    with pytest.raises(WireError, match="256 octets"):
        validate_name(too_long)
    wire_ok = encode_name(ok)
    assert decode_name(HDR + wire_ok, 12) == (ok, 12 + 255)
    wire_256 = b"\x3f" + b"a" * 63 + b"\x3f" + b"a" * 63 + b"\x3f" + b"a" * 63 + b"\x3e" + (
        b"a" * 62
    ) + b"\x00"
    assert len(wire_256) == 256
    for fn in (lambda b: decode_name(b, 12), parse_query, cache_key, rr_ttl_offsets):
        with pytest.raises(WireError):
            fn(HDR + wire_256 + b"\x00\x01\x00\x01")
    # Over 255 only once a pointer is followed: prefix + target each fit, together they don't.
    target_253 = encode_name(".".join(["a" * 63] * 3 + ["a" * 59]))
    assert len(target_253) == 253
    long_target = HDR + target_253
    with pytest.raises(WireError, match="255"):
        decode_name(long_target + b"\x02bb\xc0\x0c", 12 + 253)


def test_reserved_label_types():
    for kind in (0x40, 0x80):
        with pytest.raises(WireError, match=f"0x{kind:02x}"):
            decode_name(HDR + bytes([kind | 1]) + b"a\x00", 12)
        with pytest.raises(WireError):
            cache_key(HDR + bytes([kind | 1]) + b"a\x00\x00\x01\x00\x01")
        with pytest.raises(WireError):
            rr_ttl_offsets(HDR + bytes([kind | 1]) + b"a\x00\x00\x01\x00\x01")


def test_truncations():
    packet = build_query("www.example.com", 1, 9, edns_payload=None)
    for cut in range(len(packet)):
        short = packet[:cut]
        for fn in (parse_query, cache_key, rr_ttl_offsets, parse_rr_headers):
            with pytest.raises(WireError):
                fn(short)
    with pytest.raises(WireError, match="shorter than a header"):
        Header.parse(packet[:11])
    with pytest.raises(WireError, match="type and class"):
        parse_query(packet[:-1])
    with pytest.raises(WireError, match="past the end"):
        decode_name(packet[:16], 12)
    with pytest.raises(WireError, match="cut off"):
        decode_name(HDR + b"\x01a\xc0", 12)
    reply = dnslib.DNSRecord.question("example.com").reply()
    reply.add_answer(*dnslib.RR.fromZone("example.com. 60 IN A 192.0.2.1"))
    full = reply.pack()
    assert rr_ttl_offsets(full) == [len(full) - 10]
    for cut in range(len(full) - 15, len(full)):
        with pytest.raises(WireError):
            rr_ttl_offsets(full[:cut])
    with pytest.raises(WireError):
        decode_name(b"", 0)
    with pytest.raises(WireError):
        decode_name(HDR, -1)


def test_module_exports_exist():
    for name in wire.__all__:
        assert hasattr(wire, name), name


def test_build_query_octets_are_pinned():
    """The exact octets of the queries the resolver sends: header, name, type, class, OPT."""
    assert build_query("www.Example.com.", 1, 0x1234) == (
        b"\x12\x34\x00\x00\x00\x01\x00\x00\x00\x00\x00\x01"
        b"\x03www\x07Example\x03com\x00\x00\x01\x00\x01"
        b"\x00\x00\x29\x04\xd0\x00\x00\x00\x00\x00\x00"
    )
    assert build_query("a\\.b.\\000.", 28, 0xFFFF, rd=True, cd=True, ad=True, do=True,
                       edns_payload=4096, qclass=3) == (
        b"\xff\xff\x01\x30\x00\x01\x00\x00\x00\x00\x00\x01"
        b"\x03a.b\x01\x00\x00\x00\x1c\x00\x03"
        b"\x00\x00\x29\x10\x00\x00\x00\x80\x00\x00\x00"
    )
    assert build_query(".", 2, 0, edns_payload=None) == (
        b"\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x01"
    )
    assert build_query("x", 65535, 7, edns_payload=0, qclass=65535) == (
        b"\x00\x07\x00\x00\x00\x01\x00\x00\x00\x00\x00\x01\x01x\x00\xff\xff\xff\xff"
        b"\x00\x00\x29\x00\x00\x00\x00\x00\x00\x00\x00"
    )


def test_question_end_and_cache_key_at_the_name_size_limit():
    """A question name of 255 octets is read in one match; one of 256 is refused by both."""
    header = b"\x00\x01\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00"
    longest = b"\x3f" + b"a" * 63 + b"\x3f" + b"b" * 63 + b"\x3f" + b"c" * 63 + b"\x3d" + b"d" * 61
    one_more = longest[:-62] + b"\x3e" + b"d" * 62 + b"\x00"
    for name, ok in ((longest + b"\x00", True), (one_more, False),
                     (b"\x3f" + b"e" * 63 + longest[:-62] + b"\x00", False)):
        packet = header + name + b"\x00\x01\x00\x01"
        if ok:
            assert len(name) == 255
            assert question_end(packet) == len(packet) == cache_key(packet)[1]
        else:
            assert len(name) > 255
            for fn in (question_end, cache_key):
                with pytest.raises(WireError):
                    fn(packet)


@SETTINGS
@given(st.lists(st.text("ab9-.", max_size=70), max_size=6).map(".".join)
       | st.text("a.\\ 0", max_size=12))
def test_encode_name_of_plain_text_is_its_labels_wire(name):
    """encode_name's one-pass path for text without escapes gives the labels' wire form, and
    refuses (empty labels, labels over 63 octets, names over 255) what the parser refuses."""
    from resolver.wire import _labels_from_text, _labels_to_wire

    expected = only_wire_errors(lambda text: _labels_to_wire(_labels_from_text(text)), name)
    assert only_wire_errors(encode_name, name) == expected
