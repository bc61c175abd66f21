"""DNSSEC validation building blocks: RFC examples, and every signature check cross-checked
with dnspython's independent implementation (dns.dnssec) on data signed both ways."""

from __future__ import annotations

import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from resolver.dnssec import (
    EDE,
    MAX_KEY_TRIALS_PER_SIGNATURE,
    MAX_SIGNATURE_VALIDATIONS,
    Reason,
    Security,
    TrustAnchorError,
    ValidationBudget,
    canonical_sort_key,
    ds_digest,
    ds_matches,
    key_tag,
    make_ds,
    nsec3_hash,
    parse_trust_anchors,
    root_trust_anchors,
    serial_lt,
    trust_dnskeys,
    validity_problem,
    verify_rrset,
)
from resolver.dnssec.canonical import canonical_rdata, signed_owner
from resolver.dnssec.nsec3 import b32hex
from resolver.lab.signer import ZSK_FLAGS, generate_key, sign_rrset
from resolver.records import DNSKEY, DS, RRSIG, Name, RRset, from_text, rrset_from_text
from tests.dnssec_crosscheck import dns

NOW = 1_700_000_000
DAY = 86400
ALGORITHMS = (8, 10, 13, 14, 15)

RFC4509_KEY = (
    "256 3 5 AQOeiiR0GOMYkDshWoSKz9XzfwJr1AYtsmx3TGkJaNXVbfi/2pHm822aJ5iI9BMzNXxeYCmZDRD99WYwYq"
    "USdjMmmAphXdvxegXd/M5+X7OrzKBaMbCVdFLUUh6DhweJBjEVv5f2wwjM9XzcnOf+EPbtG9DMBmADjFDc2w/rljwvFw=="
)


def name(text: str) -> Name:
    return Name.from_text(text)


def budget() -> ValidationBudget:
    return ValidationBudget()


# --- RFC examples --------------------------------------------------------------------------


def test_key_tag_of_the_rfc_4034_example_key_is_60485() -> None:
    key = from_text("DNSKEY", RFC4509_KEY)
    assert isinstance(key, DNSKEY)
    assert key_tag(key) == 60485


def test_sha256_ds_digest_of_the_rfc_4509_example() -> None:
    key = from_text("DNSKEY", RFC4509_KEY)
    assert isinstance(key, DNSKEY)
    digest = ds_digest(name("DSKEY.example.com."), key, 2)  # the owner is lower-cased first
    assert digest.hex().upper() == (
        "D4B7D520E7BB5F0F67674A0CCEB1E3E0614B93C4F9E99B8383F6A1E4469DA50A"
    )
    ds = from_text("DS", f"60485 5 2 {digest.hex()}")
    assert isinstance(ds, DS)
    assert ds_matches(ds, name("dskey.example.com."), key)
    assert not ds_matches(ds, name("other.example.com."), key)


# RFC 5155 Appendix A: the example zone's hashes (salt aabbccdd, 12 iterations).
RFC5155_HASHES = {
    "example": "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom",
    "a.example": "35mthgpgcu1qg68fab165klnsnk3dpvl",
    "ai.example": "gjeqe526plbf1g8mklp59enfd789njgi",
    "ns1.example": "2t7b4g4vsa5smi47k61mv5bv1a22bojr",
    "ns2.example": "q04jkcevqvmu85r014c7dkba38o0ji5r",
    "w.example": "k8udemvp1j2f7eg6jebps17vp3n8i58h",
    "*.w.example": "r53bq7cc2uvmubfu5ocmm6pers9tk9en",
    "x.w.example": "b4um86eghhds6nea196smvmlo4ors995",
    "y.w.example": "ji6neoaepv8b5o6k4ev33abha8ht9fgc",
    "x.y.w.example": "2vptu5timamqttgl4luu9kg21e0aor3s",
    "xx.example": "t644ebqk9bibcna874givr6joj62mlhv",
}


@pytest.mark.parametrize(("owner", "expected"), RFC5155_HASHES.items())
def test_nsec3_hash_matches_rfc_5155_appendix_a(owner: str, expected: str) -> None:
    digest = nsec3_hash(name(owner), bytes.fromhex("aabbccdd"), 12)
    assert b32hex(digest) == expected
    assert dns.dnssec.nsec3_hash(owner + ".", "aabbccdd", 12, 1).lower() == expected


def test_canonical_order_of_rfc_4034_section_6_1() -> None:
    ordered = [
        "example.", "a.example.", "yljkjljk.a.example.", "Z.a.example.",
        "zABC.a.EXAMPLE.", "z.example.", "\\001.z.example.", "*.z.example.",
        "\\200.z.example.",
    ]  # fmt: skip
    shuffled = list(reversed(ordered))
    assert sorted(shuffled, key=lambda t: canonical_sort_key(name(t))) == ordered


def test_canonical_rdata_lowers_names_of_listed_types_but_not_nsec() -> None:
    mx = from_text("MX", "10 MAIL.Example.COM.")
    assert canonical_rdata(mx) == from_text("MX", "10 mail.example.com.").to_wire()
    nsec = from_text("NSEC", "Host.Example.COM. A")
    assert canonical_rdata(nsec) == nsec.to_wire()  # RFC 6840 §5.1


def test_wildcard_owner_from_the_rrsig_labels_field() -> None:
    assert signed_owner(name("a.b.wild.example."), 2) == name("*.wild.example.")
    assert signed_owner(name("www.example."), 2) == name("www.example.")


# --- serial arithmetic and validity ----------------------------------------------------------


def test_serial_arithmetic_wraps_around_2106() -> None:
    assert serial_lt(1, 2)
    assert not serial_lt(2, 1)
    assert serial_lt(0xFFFFFFF0, 5)  # 5 is after the wrap
    assert not serial_lt(5, 0xFFFFFFF0)


def _rrsig(inception: int, expiration: int) -> RRSIG:
    return RRSIG(1, 13, 2, 300, expiration % 2**32, inception % 2**32, 1, name("example."), b"x")


def test_validity_window_is_checked_against_the_given_clock() -> None:
    sig = _rrsig(NOW - DAY, NOW + DAY)
    assert validity_problem(sig, NOW) is None
    assert validity_problem(sig, NOW + 2 * DAY) is Reason.SIGNATURE_EXPIRED
    assert validity_problem(sig, NOW - 2 * DAY) is Reason.SIGNATURE_NOT_YET_VALID
    wrapped = _rrsig(2**32 - DAY, 2**32 + DAY)  # valid across the 2106 wrap
    assert validity_problem(wrapped, 2**32 + 10) is None


# --- signatures, cross-checked with dnspython --------------------------------------------------


def to_dnspython(rrset: RRset) -> dns.rrset.RRset:
    return dns.rrset.from_text(
        str(rrset.name), rrset.ttl, "IN", dns.rdatatype.to_text(rrset.rdtype),
        *[rdata.to_text() for rdata in rrset],
    )


def sigset(owner: Name, sigs: list[RRSIG], ttl: int = 300) -> dns.rrset.RRset:
    return dns.rrset.from_text(str(owner), ttl, "IN", "RRSIG", *[s.to_text() for s in sigs])


def dnspython_accepts(rrset: RRset, sigs: list[RRSIG], keys: RRset, now: int) -> bool:
    try:
        dns.dnssec.validate(
            to_dnspython(rrset), sigset(rrset.name, sigs),
            {dns.name.from_text(str(keys.name)): to_dnspython(keys)}, now=now,
        )
    except dns.dnssec.ValidationFailure:
        return False
    return True


ZONE = name("Example.")
DATA = rrset_from_text("WWW.example.", 300, "IN", "MX", "10 Mail.Example.", "5 b.example.")


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_our_signatures_verify_with_us_and_with_dnspython(algorithm: int) -> None:
    key = generate_key(ZONE, algorithm, ZSK_FLAGS, seed=None if algorithm < 13 else b"t")
    keys = RRset(ZONE, 3600, 48, [key.dnskey])
    sig = sign_rrset(DATA, key, NOW - DAY, NOW + DAY)
    verdict = verify_rrset(DATA, [sig], [key.dnskey], ZONE, now=NOW, budget=budget())
    assert verdict.security is Security.SECURE and verdict.key_tag == key.tag
    assert dnspython_accepts(DATA, [sig], keys, NOW)
    # one flipped bit in the signature: both say no
    broken = from_text("RRSIG", sig.to_text().rsplit(" ", 1)[0] + " " + _flip(sig))
    assert isinstance(broken, RRSIG)
    bad = verify_rrset(DATA, [broken], [key.dnskey], ZONE, now=NOW, budget=budget())
    assert bad.security is Security.BOGUS and bad.reason is Reason.SIGNATURE_INVALID
    assert bad.ede == EDE.DNSSEC_BOGUS
    assert not dnspython_accepts(DATA, [broken], keys, NOW)


def _flip(sig: RRSIG) -> str:
    import base64

    data = bytearray(sig.signature)
    data[len(data) // 2] ^= 0x01
    return base64.b64encode(bytes(data)).decode()


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_dnspython_signatures_verify_with_us(algorithm: int) -> None:
    key = generate_key(ZONE, algorithm, ZSK_FLAGS, seed=None if algorithm < 13 else b"d")
    dnskey = dns.rdata.from_text("IN", "DNSKEY", key.dnskey.to_text())
    sig = dns.dnssec.sign(
        to_dnspython(DATA), key.private, dns.name.from_text(str(ZONE)), dnskey,
        inception=NOW - DAY, expiration=NOW + DAY,
    )
    ours = from_text("RRSIG", sig.to_text())
    assert isinstance(ours, RRSIG)
    verdict = verify_rrset(DATA, [ours], [key.dnskey], ZONE, now=NOW, budget=budget())
    assert verdict.secure


def test_wildcard_expansion_verifies_and_names_the_wildcard() -> None:
    key = generate_key(ZONE, 15, ZSK_FLAGS, seed=b"w")
    source = rrset_from_text("*.wild.example.", 300, "IN", "A", "192.0.2.1")
    sig = sign_rrset(source, key, NOW - DAY, NOW + DAY)
    expanded = rrset_from_text("a.b.wild.example.", 300, "IN", "A", "192.0.2.1")
    verdict = verify_rrset(expanded, [sig], [key.dnskey], ZONE, now=NOW, budget=budget())
    assert verdict.secure and verdict.wildcard == name("*.wild.example.")
    keys = RRset(ZONE, 3600, 48, [key.dnskey])
    assert dnspython_accepts(expanded, [sig], keys, NOW)


def test_ttl_above_the_original_ttl_still_verifies() -> None:
    key = generate_key(ZONE, 13, ZSK_FLAGS, seed=b"ttl")
    sig = sign_rrset(DATA, key, NOW - DAY, NOW + DAY)
    lower = RRset(DATA.name, 17, DATA.rdtype, list(DATA))  # a cache counted the TTL down
    assert verify_rrset(lower, [sig], [key.dnskey], ZONE, now=NOW, budget=budget()).secure


@pytest.mark.parametrize(
    ("when", "reason", "ede"),
    [
        (NOW + 2 * DAY, Reason.SIGNATURE_EXPIRED, 7),
        (NOW - 2 * DAY, Reason.SIGNATURE_NOT_YET_VALID, 8),
    ],
)
def test_expired_and_future_signatures_are_bogus_with_their_ede(
    when: int, reason: Reason, ede: int
) -> None:
    key = generate_key(ZONE, 13, ZSK_FLAGS, seed=b"v")
    sig = sign_rrset(DATA, key, NOW - DAY, NOW + DAY)
    verdict = verify_rrset(DATA, [sig], [key.dnskey], ZONE, now=when, budget=budget())
    assert (verdict.security, verdict.reason, verdict.ede) == (Security.BOGUS, reason, ede)
    keys = RRset(ZONE, 3600, 48, [key.dnskey])
    assert not dnspython_accepts(DATA, [sig], keys, when)


def test_missing_rrsig_and_missing_key() -> None:
    key = generate_key(ZONE, 13, ZSK_FLAGS, seed=b"k")
    other = generate_key(ZONE, 13, ZSK_FLAGS, seed=b"other")
    sig = sign_rrset(DATA, key, NOW - DAY, NOW + DAY)
    none = verify_rrset(DATA, [], [key.dnskey], ZONE, now=NOW, budget=budget())
    assert none.reason is Reason.RRSIGS_MISSING and none.ede == 10
    nokey = verify_rrset(DATA, [sig], [other.dnskey], ZONE, now=NOW, budget=budget())
    assert nokey.reason is Reason.DNSKEY_MISSING and nokey.ede == 9


def test_unsupported_algorithm_is_insecure_not_bogus() -> None:
    sig = RRSIG(15, 253, 2, 300, NOW + DAY, NOW - DAY, 1, ZONE, b"private algorithm")
    verdict = verify_rrset(DATA, [sig], [], ZONE, now=NOW, budget=budget())
    assert verdict.security is Security.INSECURE
    assert verdict.reason is Reason.UNSUPPORTED_ALGORITHM


def _colliding(key: DNSKEY, count: int) -> list[DNSKEY]:
    """Keys with `key`'s tag but other key material: +d and -d in two high octets of the key
    tag's 16-bit sum cancel out (the KeyTrap trick)."""
    out = []
    data = bytearray(key.key)
    for delta in range(1, 256):
        if len(out) == count:
            break
        if data[0] + delta <= 255 and data[2] - delta >= 0:  # key octets 0 and 2: even offsets
            fake = bytearray(data)
            fake[0] += delta
            fake[2] -= delta
            out.append(DNSKEY(key.flags, key.protocol, key.algorithm, bytes(fake)))
        elif data[0] - delta >= 0 and data[2] + delta <= 255:
            fake = bytearray(data)
            fake[0] -= delta
            fake[2] += delta
            out.append(DNSKEY(key.flags, key.protocol, key.algorithm, bytes(fake)))
    return out


def test_keytrap_colliding_keys_are_tried_at_most_the_cap_per_signature() -> None:
    """CVE-2023-50387: a zone publishing many keys with the signer's tag makes a naive
    validator try them all; we try MAX_KEY_TRIALS_PER_SIGNATURE, then give up on the RRSIG."""
    signer = generate_key(ZONE, 15, ZSK_FLAGS, seed=b"real")
    sig = sign_rrset(DATA, signer, NOW - DAY, NOW + DAY)
    fakes = _colliding(signer.dnskey, 20)
    assert len(fakes) == 20 and {key_tag(k) for k in fakes} == {signer.tag}
    spent = ValidationBudget()
    verdict = verify_rrset(DATA, [sig], [*fakes, signer.dnskey], ZONE, now=NOW, budget=spent)
    assert verdict.bogus  # the real key comes 21st: never reached
    assert MAX_SIGNATURE_VALIDATIONS - spent.signature_validations == MAX_KEY_TRIALS_PER_SIGNATURE
    honest = verify_rrset(DATA, [sig], [*fakes[:2], signer.dnskey], ZONE, now=NOW, budget=budget())
    assert honest.secure  # a collision or two (a rollover) still validates


def test_keytrap_budget_ends_the_work_as_bogus() -> None:
    signer = generate_key(ZONE, 13, ZSK_FLAGS, seed=b"real")
    wrong = generate_key(ZONE, 13, ZSK_FLAGS, seed=b"wrong")
    # Many signatures with the right tag that all fail: each costs a verification.
    sig = sign_rrset(DATA, wrong, NOW - DAY, NOW + DAY)
    forged = RRSIG(
        sig.type_covered, sig.algorithm, sig.labels, sig.original_ttl, sig.expiration,
        sig.inception, signer.tag, sig.signer, sig.signature[::-1],
    )
    sigs = [forged] * (MAX_SIGNATURE_VALIDATIONS + 5)
    spent = ValidationBudget()
    verdict = verify_rrset(DATA, sigs, [signer.dnskey], ZONE, now=NOW, budget=spent)
    assert verdict.reason is Reason.BUDGET_EXHAUSTED and verdict.security is Security.BOGUS
    assert spent.signature_validations == 0


# --- DS -> DNSKEY ---------------------------------------------------------------------------


def _keyset(*keys):
    return RRset(ZONE, 3600, 48, [k.dnskey for k in keys])


def test_dnskey_rrset_trusted_through_a_matching_ds() -> None:
    ksk = generate_key(ZONE, 13, seed=b"ksk")
    zsk = generate_key(ZONE, 13, ZSK_FLAGS, seed=b"zsk")
    keys = _keyset(ksk, zsk)
    sig = sign_rrset(keys, ksk, NOW - DAY, NOW + DAY)
    ds = make_ds(ZONE, ksk.dnskey)
    trusted = trust_dnskeys(ZONE, keys, [sig], [ds], now=NOW, budget=budget())
    assert trusted.verdict.secure and trusted.keys == keys
    assert trusted.matched == ((ksk.tag, 13, 2),)
    # dnspython agrees the DS matches the key
    dnskey = dns.rdata.from_text("IN", "DNSKEY", ksk.dnskey.to_text())
    assert dns.dnssec.make_ds("example.", dnskey, "SHA256").to_text() == ds.to_text()


def test_ds_matching_no_key_is_bogus_dnskey_missing() -> None:
    ksk = generate_key(ZONE, 13, seed=b"ksk")
    stranger = generate_key(ZONE, 13, seed=b"stranger")
    keys = _keyset(ksk)
    sig = sign_rrset(keys, ksk, NOW - DAY, NOW + DAY)
    trusted = trust_dnskeys(
        ZONE, keys, [sig], [make_ds(ZONE, stranger.dnskey)], now=NOW, budget=budget()
    )
    assert trusted.keys is None
    assert trusted.verdict.reason is Reason.DS_MISMATCH and trusted.verdict.ede == 9


def test_ds_key_that_does_not_sign_the_dnskey_rrset_is_bogus() -> None:
    ksk = generate_key(ZONE, 13, seed=b"ksk")
    zsk = generate_key(ZONE, 13, ZSK_FLAGS, seed=b"zsk")
    keys = _keyset(ksk, zsk)
    sig = sign_rrset(keys, zsk, NOW - DAY, NOW + DAY)  # the ZSK signs, the DS names the KSK
    trusted = trust_dnskeys(ZONE, keys, [sig], [make_ds(ZONE, ksk.dnskey)], now=NOW,
                            budget=budget())  # fmt: skip
    assert trusted.verdict.bogus and trusted.verdict.reason is Reason.DNSKEY_UNSIGNED


def test_unsupported_ds_digest_or_algorithm_is_insecure() -> None:
    ksk = generate_key(ZONE, 13, seed=b"ksk")
    keys = _keyset(ksk)
    sha1 = DS(ksk.tag, 13, 1, b"\x00" * 20)
    gost = DS(ksk.tag, 12, 2, b"\x00" * 32)
    by_digest = trust_dnskeys(ZONE, keys, [], [sha1], now=NOW, budget=budget())
    assert by_digest.verdict.security is Security.INSECURE
    assert by_digest.verdict.reason is Reason.UNSUPPORTED_DIGEST and by_digest.verdict.ede == 2
    by_algorithm = trust_dnskeys(ZONE, keys, [], [gost], now=NOW, budget=budget())
    assert by_algorithm.verdict.reason is Reason.UNSUPPORTED_ALGORITHM


def test_no_anchor_and_no_ds_is_indeterminate() -> None:
    ksk = generate_key(ZONE, 13, seed=b"ksk")
    verdict = trust_dnskeys(ZONE, _keyset(ksk), [], [], now=NOW, budget=budget()).verdict
    assert verdict.security is Security.INDETERMINATE and verdict.ede == 5


def test_dnskey_trust_anchor_is_used_directly() -> None:
    ksk = generate_key(ZONE, 15, seed=b"anchor")
    keys = _keyset(ksk)
    sig = sign_rrset(keys, ksk, NOW - DAY, NOW + DAY)
    trusted = trust_dnskeys(ZONE, keys, [sig], anchor_keys=[ksk.dnskey], now=NOW,
                            budget=budget())  # fmt: skip
    assert trusted.verdict.secure


# --- trust anchors ----------------------------------------------------------------------


def test_root_anchors_are_the_iana_ksks() -> None:
    anchors = root_trust_anchors()
    root = anchors[name(".")]
    assert sorted(ds.key_tag for ds in root.ds) == [20326, 38696]
    assert {(ds.algorithm, ds.digest_type) for ds in root.ds} == {(8, 2)}


def test_trust_anchor_file_with_several_records_in_unbound_format() -> None:
    text = """\
; a comment
.   86400 IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D
example.com. IN DNSKEY 257 3 15 (
        l02Woi0iS8Aa25FQkUd9RMzZHJpBoRQwAQEX1SxZJA4= ) ; KSK
$ORIGIN lab.
sub 3600 DS 12345 13 2 0000000000000000000000000000000000000000000000000000000000000000
"""
    anchors = parse_trust_anchors(text, "anchors.txt")
    assert set(anchors) == {name("."), name("example.com."), name("sub.lab.")}
    assert anchors[name("example.com.")].dnskeys[0].algorithm == 15
    assert anchors[name("sub.lab.")].ds[0].key_tag == 12345


def test_trust_anchor_file_errors_name_the_line() -> None:
    with pytest.raises(TrustAnchorError, match="anchors.txt:2"):
        parse_trust_anchors(". IN DS 20326 8 2 00\nexample. IN A 192.0.2.1\n", "anchors.txt")
    with pytest.raises(TrustAnchorError):
        parse_trust_anchors("example. IN DS not-a-number\n")


# --- properties, against dnspython -------------------------------------------------------------


_labels = st.lists(
    st.binary(min_size=1, max_size=6).filter(lambda b: b"." not in b and b"\\" not in b),
    min_size=0, max_size=4,
)


@settings(max_examples=200, deadline=None)
@given(_labels, _labels)
def test_canonical_order_agrees_with_dnspython(one: list[bytes], two: list[bytes]) -> None:
    ours = canonical_sort_key(Name(one)) < canonical_sort_key(Name(two))
    theirs = dns.name.Name([*one, b""]) < dns.name.Name([*two, b""])
    assert ours == theirs


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 0xFFFF), st.sampled_from(ALGORITHMS), st.binary(min_size=1, max_size=80))
def test_key_tag_and_ds_digest_agree_with_dnspython(flags: int, algorithm: int, key: bytes) -> None:
    ours = DNSKEY(flags, 3, algorithm, key)
    theirs = dns.rdata.from_text("IN", "DNSKEY", ours.to_text())
    assert key_tag(ours) == dns.dnssec.key_id(theirs)
    for digest, text in ((2, "SHA256"), (4, "SHA384")):
        expected = dns.dnssec.make_ds("Example.", theirs, text)
        assert make_ds(name("Example."), ours, digest).to_text() == expected.to_text()
