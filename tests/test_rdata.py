"""Our rdata, names and RRsets against dnspython: same presentation text, same wire octets.

Hypothesis builds records of every type we support; each must survive to_wire/from_wire and
to_text/from_text unchanged, and dnspython must read our octets to the same text and octets.
"""

from __future__ import annotations

from dataclasses import fields

import dns.name
import dns.rdata
import dns.rrset
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from resolver.errors import InvalidName, ResolverError
from resolver.records import (
    AAAA,
    CAA,
    CDNSKEY,
    CDS,
    CNAME,
    DNAME,
    DNSKEY,
    DS,
    HINFO,
    HTTPS,
    MX,
    NAPTR,
    NS,
    NSEC,
    NSEC3,
    NSEC3PARAM,
    PTR,
    RDATA_CLASSES,
    RRSIG,
    SMIMEA,
    SOA,
    SPF,
    SRV,
    SSHFP,
    SVCB,
    TLSA,
    TXT,
    A,
    ALPNParam,
    DoCPathParam,
    ECHParam,
    GenericParam,
    GenericRdata,
    IPv4HintParam,
    IPv6HintParam,
    MandatoryParam,
    Name,
    PortParam,
    Rdata,
    RdataError,
    RRset,
    from_text,
    from_wire,
    rrset_from_text,
)

SETTINGS = settings(max_examples=60, deadline=None)

u8 = st.integers(0, 0xFF)
u16 = st.integers(0, 0xFFFF)
u32 = st.integers(0, 0xFFFFFFFF)
label = st.binary(min_size=1, max_size=12)  # any octets: escaping must match dnspython's
names = st.lists(label, max_size=4).map(Name)
blob = st.binary(min_size=1, max_size=80)
string = st.binary(max_size=40)
ipv4 = st.ip_addresses(v=4).map(str)
ipv6 = st.ip_addresses(v=6).map(str)


# RFC 4034 4.1.2: windows in increasing order, each 1-32 octets with no trailing zero octet
bitmap = st.tuples(st.binary(max_size=31), st.integers(1, 0xFF)).map(lambda b: b[0] + bytes([b[1]]))
bitmaps = (
    st.dictionaries(u8, bitmap, max_size=3)
    .filter(lambda w: not w.get(0, b"\0")[0] & 0x80)  # type 0 is reserved: never in a bitmap
    .map(lambda w: tuple(sorted(w.items())))
)
ech = st.binary(min_size=4, max_size=20).map(lambda body: len(body).to_bytes(2, "big") + body)
ids = st.lists(st.binary(min_size=1, max_size=8), min_size=1, max_size=3).map(tuple)


@st.composite
def svc_params(draw: st.DrawFn) -> dict:
    params: dict = {}
    if draw(st.booleans()):
        params[1] = ALPNParam(draw(ids))
        if draw(st.booleans()):
            params[2] = None  # no-default-alpn
    optional = {
        3: st.builds(PortParam, u16),
        4: st.lists(ipv4, min_size=1, max_size=3).map(lambda a: IPv4HintParam(tuple(a))),
        5: ech.map(ECHParam),
        6: st.lists(ipv6, min_size=1, max_size=2).map(
            lambda a: IPv6HintParam(tuple(AAAA(x).address for x in a))
        ),
        10: ids.map(DoCPathParam),
    }
    for key in draw(st.sets(st.sampled_from(sorted(optional)), max_size=3)):
        params[key] = draw(optional[key])
    for key in draw(st.sets(st.integers(11, 0xFFFE), max_size=2)):
        params[key] = draw(st.one_of(st.none(), blob.map(GenericParam)))
    if params and draw(st.booleans()):
        params[0] = MandatoryParam(
            tuple(sorted(draw(st.sets(st.sampled_from(sorted(params)), min_size=1))))
        )
    return params


def _svcb(cls: type) -> st.SearchStrategy:
    alias = st.builds(cls, st.just(0), names)
    service = st.builds(cls, st.integers(1, 0xFFFF), names, svc_params())
    return st.one_of(alias, service)


def _digests(lengths: dict[int, int]) -> st.SearchStrategy:
    """(type, octets): dnspython, like validators, insists on the length that a digest type
    defines (DS SHA-256 is 32 octets...) and rejects type 0; we keep whatever arrives."""
    sized = st.sampled_from(sorted(lengths.items())).flatmap(
        lambda kind: st.tuples(st.just(kind[0]), st.binary(min_size=kind[1], max_size=kind[1]))
    )
    return st.one_of(sized, st.tuples(st.integers(max(lengths) + 1, 0xFF), blob))


ds_digests = _digests({1: 20, 2: 32, 3: 32, 4: 48})
sshfp_fingerprints = _digests({1: 20, 2: 32})
tlsa_data = _digests({1: 32, 2: 64})


def _ds(cls: type) -> st.SearchStrategy:
    return st.builds(lambda tag, alg, d: cls(tag, alg, *d), u16, u8, ds_digests)


def _tlsa(cls: type) -> st.SearchStrategy:
    return st.builds(lambda usage, sel, d: cls(usage, sel, *d), u8, u8, tlsa_data)


STRATEGIES: dict[type, st.SearchStrategy] = {
    A: st.builds(A, ipv4),
    AAAA: st.builds(AAAA, ipv6),
    NS: st.builds(NS, names),
    CNAME: st.builds(CNAME, names),
    PTR: st.builds(PTR, names),
    DNAME: st.builds(DNAME, names),
    SOA: st.builds(SOA, names, names, u32, u32, u32, u32, u32),
    HINFO: st.builds(HINFO, string, string),
    MX: st.builds(MX, u16, names),
    TXT: st.builds(TXT, st.lists(string, min_size=1, max_size=4)),
    SPF: st.builds(SPF, st.lists(string, min_size=1, max_size=2)),
    SRV: st.builds(SRV, u16, u16, u16, names),
    NAPTR: st.builds(NAPTR, u16, u16, string, string, string, names),
    DS: _ds(DS),
    CDS: _ds(CDS),
    SSHFP: st.builds(lambda alg, fp: SSHFP(alg, *fp), u8, sshfp_fingerprints),
    RRSIG: st.builds(RRSIG, st.integers(1, 0xFFFF), u8, u8, u32, u32, u32, u16, names, blob),
    NSEC: st.builds(NSEC, names, bitmaps),
    DNSKEY: st.builds(DNSKEY, u16, u8, u8, blob),
    CDNSKEY: st.builds(CDNSKEY, u16, u8, u8, blob),
    NSEC3: st.builds(
        NSEC3, u8, u8, u16, st.binary(max_size=16), st.binary(min_size=1, max_size=20), bitmaps
    ),
    NSEC3PARAM: st.builds(NSEC3PARAM, u8, u8, u16, st.binary(max_size=16)),
    TLSA: _tlsa(TLSA),
    SMIMEA: _tlsa(SMIMEA),
    CAA: st.builds(
        CAA, u8, st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=15), string
    ),
    SVCB: _svcb(SVCB),
    HTTPS: _svcb(HTTPS),
}

any_rdata = st.one_of(list(STRATEGIES.values()))
SUPPORTED = sorted(STRATEGIES, key=lambda cls: cls.rdtype)


def test_every_supported_type_has_a_strategy():
    assert set(STRATEGIES) == set(RDATA_CLASSES.values())


@pytest.mark.parametrize("cls", SUPPORTED, ids=lambda cls: cls.__name__)
def test_attribute_names_are_dnspythons(cls):
    theirs = dns.rdata.get_rdata_class(1, cls.rdtype)
    names: set[str] = set()
    for klass in theirs.__mro__[: theirs.__mro__.index(dns.rdata.Rdata)]:
        names |= set(getattr(klass, "__slots__", ()))
    assert {f.name for f in fields(cls)} - {"rdclass"} == names


def _dnspython(rdata: Rdata) -> dns.rdata.Rdata:
    wire = rdata.to_wire()
    return dns.rdata.from_wire(rdata.rdclass, rdata.rdtype, wire, 0, len(wire))


@pytest.mark.parametrize("cls", SUPPORTED, ids=lambda cls: cls.__name__)
def test_wire_and_text_round_trip_and_agree_with_dnspython(cls):
    @SETTINGS
    @given(STRATEGIES[cls])
    def check(rdata: Rdata) -> None:
        assert type(rdata) is cls
        wire = rdata.to_wire()
        text = rdata.to_text()
        assert from_wire(cls.rdtype, wire) == rdata
        assert from_text(cls.rdtype, text) == rdata
        theirs = _dnspython(rdata)
        assert theirs.to_text() == text
        assert theirs.to_wire() == wire
        reread = dns.rdata.from_text(rdata.rdclass, rdata.rdtype, text)
        assert reread.to_wire() == wire

    check()


@SETTINGS
@given(any_rdata)
def test_equality_and_hash_follow_the_data(rdata: Rdata):
    same = from_wire(rdata.rdtype, rdata.to_wire())
    assert same == rdata and hash(same) == hash(rdata)
    assert len({rdata, same}) == 1
    with pytest.raises(AttributeError):
        rdata.rdclass = 3  # frozen


@pytest.mark.parametrize("cls", SUPPORTED, ids=lambda cls: cls.__name__)
def test_arbitrary_octets_are_rdata_or_an_rdata_error(cls):
    @SETTINGS
    @given(st.binary(max_size=60))
    def check(data: bytes) -> None:
        try:
            rdata = from_wire(cls.rdtype, data)
        except RdataError:
            return
        assert rdata.to_wire() == data  # what we accept, we write back octet for octet

    check()


@SETTINGS
@given(st.sampled_from(sorted(RDATA_CLASSES)), st.text(max_size=40))
def test_arbitrary_text_is_rdata_or_an_rdata_error(rdtype: int, text: str):
    try:
        rdata = from_text(rdtype, text)
    except RdataError as exc:
        assert isinstance(exc, ResolverError)
        return
    assert from_text(rdtype, rdata.to_text()) == rdata


# --- names ------------------------------------------------------------------------------------


@SETTINGS
@given(st.lists(label, max_size=5))
def test_name_text_matches_dnspython(labels: list[bytes]):
    ours = Name(labels)
    theirs = dns.name.Name([*labels, b""])
    assert ours.to_text() == theirs.to_text() == str(ours)
    assert ours.to_text(omit_final_dot=True) == theirs.to_text(omit_final_dot=True)
    assert Name.from_text(ours.to_text()) == ours
    assert ours.to_wire() == theirs.to_wire()
    assert ours.labels == theirs.labels


@SETTINGS
@given(st.lists(label, max_size=3), st.lists(label, max_size=3))
def test_name_equality_and_order_match_dnspython(a: list[bytes], b: list[bytes]):
    ours_a, ours_b = Name(a), Name(b)
    theirs_a, theirs_b = dns.name.Name([*a, b""]), dns.name.Name([*b, b""])
    assert (ours_a == ours_b) == (theirs_a == theirs_b)
    assert (ours_a < ours_b) == (theirs_a < theirs_b)
    assert ours_a.is_subdomain(ours_b) == theirs_a.is_subdomain(theirs_b)


def test_names_ignore_letter_case_but_keep_it():
    name = Name.from_text("WWW.Example.COM")
    assert name == Name.from_text("www.example.com.")
    assert hash(name) == hash(Name.from_text("www.EXAMPLE.com."))
    assert str(name) == "WWW.Example.COM."
    assert name != "WWW.Example.COM."  # a Name is not text, as in dnspython
    assert Name.from_text(".").to_text() == "."
    assert name.parent() == Name.from_text("example.com")
    assert f"{name:>20}|" == "    WWW.Example.COM.|"


@pytest.mark.parametrize("bad", ["", "a..b", "x" * 64 + ".com", ".".join(["abcd"] * 64)])
def test_bad_names_raise_invalid_name(bad):
    with pytest.raises(InvalidName):
        Name.from_text(bad)


# --- RRsets -----------------------------------------------------------------------------------


@SETTINGS
@given(st.sets(st.ip_addresses(v=4).map(str), min_size=1, max_size=4), u32)
def test_rrset_text_matches_dnspython(addresses: set[str], ttl: int):
    ours = rrset_from_text("www.example.com", ttl, "IN", "A", *sorted(addresses))
    theirs = dns.rrset.from_text("www.example.com.", ttl, "IN", "A", *sorted(addresses))
    assert ours.to_text() == theirs.to_text()
    assert (ours.name, ours.ttl, ours.rdtype, ours.rdclass) == (
        Name.from_text("www.example.com"),
        ttl,
        1,
        1,
    )
    assert len(ours) == len(addresses)
    assert [rdata.address for rdata in ours] == sorted(addresses)


def test_rrset_equality_ignores_order_ttl_and_name_case():
    one = rrset_from_text("www.example.com", 300, "IN", "MX", "10 a.example.", "20 b.example.")
    two = rrset_from_text("WWW.example.com", 60, "IN", "MX", "20 B.EXAMPLE.", "10 a.example.")
    assert one == two and hash(one) == hash(two)
    assert one != rrset_from_text("www.example.com", 300, "IN", "MX", "10 a.example.")
    assert one[1].exchange == Name.from_text("b.example")


def test_rrset_rejects_rdata_of_another_type():
    with pytest.raises(RdataError):
        RRset("www.example.com", 300, 1, [MX(10, "mail.example.com")])


def test_empty_rrset_text_matches_dnspython():
    theirs = dns.rrset.RRset(dns.name.from_text("x.example."), 1, 15)
    assert RRset("x.example", 0, 15).to_text() == theirs.to_text() == "x.example. IN MX"


# --- RFC 3597: types we do not know -----------------------------------------------------------

private_types = st.integers(65280, 65534)  # private use (RFC 6895 3.1): no one's mnemonic


@SETTINGS
@given(private_types, st.binary(max_size=100))
def test_unknown_type_is_kept_as_octets_in_generic_form(rdtype: int, data: bytes):
    rdata = from_wire(rdtype, data)
    assert isinstance(rdata, GenericRdata)
    assert (rdata.rdtype, rdata.data) == (rdtype, data)
    assert rdata.to_wire() == data
    text = rdata.to_text()
    assert text == f"\\# {len(data)} {data.hex()}".rstrip()
    assert from_text(rdtype, text) == rdata
    assert from_text(f"TYPE{rdtype}", text) == rdata
    theirs = dns.rdata.from_wire("IN", rdtype, data, 0, len(data))
    assert theirs.to_text().rstrip() == text  # dnspython writes "\# 0 " for empty data


def test_unknown_type_in_an_rrset_shows_as_typennn():
    ours = rrset_from_text("x.example", 300, "IN", "TYPE65280", r"\# 3 abcdef")
    theirs = dns.rrset.from_text("x.example.", 300, "IN", "TYPE65280", r"\# 3 abcdef")
    assert ours.to_text() == theirs.to_text() == r"x.example. 300 IN TYPE65280 \# 3 abcdef"


@pytest.mark.parametrize(
    ("rdtype", "generic", "expected"),
    [
        ("A", r"\# 4 0A000001", A("10.0.0.1")),
        ("MX", r"\# 7 000a 01 61 01 62 00", MX(10, "a.b.")),
        ("TXT", r"\# 4 03 616263", TXT([b"abc"])),
    ],
)
def test_known_type_in_generic_form_is_read_as_that_type(rdtype, generic, expected):
    assert from_text(rdtype, generic) == expected


def test_generic_form_length_must_match_its_data():
    with pytest.raises(RdataError):
        from_text("TYPE65280", r"\# 3 abcd")


@pytest.mark.parametrize(
    ("rdtype", "data"),
    [
        (1, b"\x01\x02\x03"),  # A: three octets
        (15, b"\x00\x0a\xc0\x0c"),  # MX: a compression pointer, illegal inside lone rdata
        (16, b"\x05abc"),  # TXT: the string runs past the end
        (6, b"\x00\x00"),  # SOA: cut short
        (65, b"\x00\x00\x00\x00\x03\x00\x02\x01\xbb"),  # HTTPS: params in AliasMode
    ],
)
def test_malformed_rdata_raises_rdata_error(rdtype, data):
    with pytest.raises(RdataError):
        from_wire(rdtype, data)


@pytest.mark.parametrize(
    "address", ["::", "::1", "::1.2.3.4", "::ffff:1.2.3.4", "::ffff:0.0.0.0", "1::", "1:0:0:1::1"]
)
def test_ipv6_text_matches_dnspython_for_embedded_ipv4_and_zero_runs(address):
    ours = AAAA(address)
    assert ours.to_text() == _dnspython(ours).to_text()


def test_constructors_check_their_fields():
    with pytest.raises(RdataError):
        MX(70000, "mail.example.com")
    with pytest.raises(RdataError):
        A("300.1.2.3")
    with pytest.raises(RdataError):
        TXT([])
    with pytest.raises(RdataError):
        CAA(0, b"is sue", b"x")
    assert MX(10, "Mail.Example.com") == MX(10, Name.from_text("mail.example.com."))
    assert AAAA("2001:0db8:0:0::1").address == "2001:db8::1"


@pytest.mark.parametrize(
    "call",
    [
        lambda: from_wire(1, "1.2.3.4"),
        lambda: from_wire(65280, None),
        lambda: from_wire(70000, b""),
        lambda: from_text("A", None),
        lambda: from_text("NOSUCHTYPE", "1.2.3.4"),
        lambda: from_text(65280, "opaque text"),  # a type we do not know needs \# form
        lambda: from_text("TXT", '"unterminated'),
        lambda: from_text("MX", "10"),
        lambda: from_text("A", "1.2.3.4 extra"),
    ],
)
def test_bad_arguments_raise_rdata_error(call):
    with pytest.raises(RdataError):
        call()
