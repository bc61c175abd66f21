"""The lab's signed zones, validated by our validator and cross-checked with dnspython's.

Questions go to the lab's hosts in-process (`Lab.respond`, no sockets) with DO=1, the way a
validating resolver asks: DNSKEY of the zone, then the question, following secure referrals
from the lab's root trust anchor down.
"""

from __future__ import annotations

import base64

import dns.message
import dns.name
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import dns.zone
import pytest
from dnslib import EDNS0, QTYPE, DNSRecord

from resolver.dnssec import (
    Reason,
    ResponseData,
    ResponseKind,
    Security,
    ValidationBudget,
    Verdict,
    parse_trust_anchors,
    trust_dnskeys,
    validate_response,
)
from resolver.lab import Lab
from resolver.lab.signing import DAY
from resolver.records import RRSIG, Name
from resolver.records.rrset import rrsets_from_dnslib
from tests.dnssec_crosscheck import dns

NOW = 1_767_225_600  # 2026-01-01: the lab is signed at this time in these tests
ROOT = Name(())


@pytest.fixture(scope="module")
def lab() -> Lab:
    return Lab(dnssec_now=NOW)


def ask(lab: Lab, zone: str, qname: str, qtype: int, dnssec_ok: bool = True) -> bytes:
    """The reply of a host serving `zone` (over TCP: whole, never truncated)."""
    query = DNSRecord.question(qname, QTYPE.get(qtype))
    if dnssec_ok:
        query.add_ar(EDNS0(flags="do", udp_len=1232))
    host = next(h for h in lab.hosts.values() if zone in h.zones and h.fault is None)
    reply = lab.respond(host.address, query.pack(), "tcp")
    assert reply is not None and reply.data is not None
    return reply.data


def rrsets(wire: bytes, section: str):
    record = DNSRecord.parse(wire)
    return rrsets_from_dnslib(record.rr if section == "answer" else record.auth)


def data_of(wire: bytes, qname: str, qtype: int) -> ResponseData:
    record = DNSRecord.parse(wire)
    return ResponseData.from_records(qname, qtype, record.header.rcode, record.rr, record.auth)


def trusted_keys(lab: Lab, zone: str, ds, now: int = NOW):
    wire = ask(lab, zone, zone, QTYPE.DNSKEY)
    answer = rrsets(wire, "answer")
    keys = next((r for r in answer if r.rdtype == 48), None)
    sigs = [s for r in answer if r.rdtype == 46 for s in r if isinstance(s, RRSIG)]
    return trust_dnskeys(Name.from_text(zone), keys, sigs, ds, now=now, budget=ValidationBudget())


def walk(lab: Lab, qname: str, qtype: int, now: int = NOW) -> tuple[Verdict, list[str]]:
    """Validate `qname` from the lab's root anchor down; the zones passed through."""
    anchor = parse_trust_anchors(lab.signed.trust_anchor_text())[ROOT]
    zone, ds, zones = ".", list(anchor.ds), []
    while True:
        zones.append(zone)
        keys = trusted_keys(lab, zone, ds, now)
        if not keys.verdict.secure:
            return keys.verdict, zones
        wire = ask(lab, zone, qname, qtype)
        result = validate_response(data_of(wire, qname, qtype), Name.from_text(zone), keys.keys,
                                   now=now)  # fmt: skip
        if result.kind is ResponseKind.REFERRAL and result.verdict.secure:
            assert result.delegation is not None and result.ds is not None
            zone, ds = result.delegation.to_text(), list(result.ds)
            continue
        return result.verdict, zones


def dnspython_validates(lab: Lab, zone: str, qname: str, qtype: int, now: int = NOW) -> bool:
    """dnspython's verdict on every signed RRset of the reply, with the zone's DNSKEYs."""
    keys_msg = dns.message.from_wire(ask(lab, zone, zone, QTYPE.DNSKEY))
    origin = dns.name.from_text(zone)
    keys = keys_msg.find_rrset(keys_msg.answer, origin, dns.rdataclass.IN, dns.rdatatype.DNSKEY)
    message = dns.message.from_wire(ask(lab, zone, qname, qtype))
    checked = 0
    for section in (message.answer, message.authority):
        for rrset in section:
            if rrset.rdtype == dns.rdatatype.RRSIG:
                continue
            sigs = [s for s in section if s.rdtype == dns.rdatatype.RRSIG
                    and s.covers == rrset.rdtype and s.name == rrset.name]  # fmt: skip
            if not sigs:
                continue
            try:
                dns.dnssec.validate(rrset, sigs[0], {origin: keys}, now=now)
            except dns.dnssec.ValidationFailure:
                return False
            checked += 1
    return checked > 0


# Questions that are not named scenarios of their own.
EXTRA = {
    "nsec3_wildcard_nodata": ("anything.wild.example.net.", QTYPE.TXT),
    "nsec_wildcard_nodata": ("anything.wild.example.com.", QTYPE.MX),
}


def scenario(lab: Lab, name: str) -> tuple[str, int]:
    if name in EXTRA:
        return EXTRA[name]
    s = lab.scenario(name)
    return s.qname, s.qtype


# --- secure, insecure and denial --------------------------------------------------------------


def test_secure_chain_to_www_cs_cornell_edu(lab: Lab) -> None:
    verdict, zones = walk(lab, *scenario(lab, "dnssec_secure"))
    assert verdict.security is Security.SECURE
    assert zones == [".", "edu.", "cornell.edu.", "cs.cornell.edu."]
    assert dnspython_validates(lab, "cs.cornell.edu.", "www.cs.cornell.edu.", QTYPE.A)


@pytest.mark.parametrize(
    ("name", "zone"),
    [
        ("nsec_nxdomain", "cs.cornell.edu."),
        ("nsec_nodata", "cs.cornell.edu."),
        ("nsec3_nxdomain", "example.net."),
        ("nsec3_nodata", "example.net."),
        ("signed_wildcard", "example.com."),
        ("nsec3_wildcard", "example.net."),
        ("nsec3_wildcard_nodata", "example.net."),
        ("nsec_wildcard_nodata", "example.com."),
        ("nxdomain", "example.com."),
        ("nodata", "example.com."),
        ("empty_non_terminal", "cornell.edu."),
        ("wildcard_existing_name", "example.com."),
        ("wildcard_below_existing", "example.com."),
    ],
)
def test_denials_and_wildcards_are_secure(lab: Lab, name: str, zone: str) -> None:
    qname, qtype = scenario(lab, name)
    verdict, zones = walk(lab, qname, qtype)
    assert verdict.security is Security.SECURE, verdict
    assert zones[-1] == zone
    assert dnspython_validates(lab, zone, qname, qtype)  # the SOA and NSEC/NSEC3 RRSIGs too


def test_nsec3_denial_carries_nsec3_records_and_nsec_zones_nsec(lab: Lab) -> None:
    nx3 = ask(lab, "example.net.", "nosuch.example.net.", QTYPE.A)
    types = {r.rdtype for r in rrsets(nx3, "authority")}
    assert 50 in types and 47 not in types
    nx = ask(lab, "cs.cornell.edu.", "nosuch.cs.cornell.edu.", QTYPE.A)
    assert 47 in {r.rdtype for r in rrsets(nx, "authority")}


@pytest.mark.parametrize(
    ("name", "reason", "zone"),
    [
        ("insecure_delegation", Reason.UNSIGNED_DELEGATION, "com."),
        ("nsec3_opt_out", Reason.OPT_OUT, "org."),
        ("unsupported_algorithm", Reason.UNSUPPORTED_ALGORITHM, "privalg.com."),
    ],
)
def test_unsigned_delegations_are_insecure(lab: Lab, name: str, reason: Reason, zone: str) -> None:
    verdict, zones = walk(lab, *scenario(lab, name))
    assert verdict.security is Security.INSECURE
    assert verdict.reason is reason
    assert zones[-1] == zone


def test_no_ds_for_an_unsigned_child_on_its_parents_host_is_proven_by_nsec3(lab: Lab) -> None:
    """lab.example.org is served by example.org's host, which answers its names itself; a
    resolver asks the parent for the DS, and gets NODATA with the NSEC3 at the cut."""
    verdict, zones = walk(lab, "lab.example.org.", QTYPE.DS)
    assert verdict.security is Security.SECURE and zones[-1] == "example.org."
    wire = ask(lab, "example.org.", "lab.example.org.", QTYPE.DS)
    assert [r.rdtype for r in rrsets(wire, "answer")] == []
    assert 50 in {r.rdtype for r in rrsets(wire, "authority")}


def test_cname_chain_across_three_signed_zones_is_secure_in_each(lab: Lab) -> None:
    for zone, qname in (
        ("example.com.", "chain.example.com."),
        ("example.net.", "chain.example.net."),
        ("example.org.", "chain.example.org."),
    ):
        verdict, zones = walk(lab, qname, QTYPE.A)
        assert verdict.secure and zones[-1] == zone, (qname, verdict)


def test_a_cname_question_is_answered_by_the_cname_itself(lab: Lab) -> None:
    verdict, zones = walk(lab, "alias.example.com.", QTYPE.CNAME)
    assert verdict.secure and zones[-1] == "example.com."


def test_cname_from_a_signed_zone_into_an_unsigned_one(lab: Lab) -> None:
    qname, qtype = scenario(lab, "cname_signed_to_unsigned")
    keys = trusted_keys(lab, "example.com.", _ds_of(lab, "example.com."))
    assert keys.keys is not None
    data = data_of(ask(lab, "example.com.", qname, qtype), qname, qtype)
    result = validate_response(data, Name.from_text("example.com."), keys.keys, now=NOW)
    assert result.verdict.secure  # the CNAME itself
    assert result.final_name == Name.from_text("www.bank.com.")
    assert result.final_name not in result.outside  # the server did not follow it: no data
    verdict, zones = walk(lab, "www.bank.com.", QTYPE.A)  # the resolver continues there
    assert verdict.security is Security.INSECURE and zones[-1] == "com."


# --- bogus ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "reason", "ede"),
    [
        ("bogus_signature", Reason.SIGNATURE_INVALID, 6),
        ("bogus_expired", Reason.SIGNATURE_EXPIRED, 7),
        ("bogus_ds_mismatch", Reason.DS_MISMATCH, 9),
        ("bogus_ds_for_unsigned", Reason.DNSKEY_MISSING, 9),
    ],
)
def test_bogus_cases(lab: Lab, name: str, reason: Reason, ede: int) -> None:
    verdict, zones = walk(lab, *scenario(lab, name))
    assert verdict.security is Security.BOGUS, verdict
    assert (verdict.reason, verdict.ede) == (reason, ede)
    assert zones[-1] == scenario(lab, name)[0].split(".", 1)[1]


def test_dnspython_also_rejects_the_corrupted_and_expired_signatures(lab: Lab) -> None:
    assert not dnspython_validates(lab, "badsig.com.", "www.badsig.com.", QTYPE.A)
    assert not dnspython_validates(lab, "expired.com.", "www.expired.com.", QTYPE.A)


def test_signatures_are_checked_against_the_given_clock(lab: Lab) -> None:
    verdict, _ = walk(lab, "www.cs.cornell.edu.", QTYPE.A, now=NOW + 60 * DAY)
    assert (verdict.security, verdict.reason) == (Security.BOGUS, Reason.SIGNATURE_EXPIRED)


# --- what the server sends --------------------------------------------------------------------


def test_rrsigs_only_with_the_do_bit(lab: Lab) -> None:
    signed = ask(lab, "cs.cornell.edu.", "www.cs.cornell.edu.", QTYPE.A)
    plain = ask(lab, "cs.cornell.edu.", "www.cs.cornell.edu.", QTYPE.A, dnssec_ok=False)
    assert 46 in {r.rdtype for r in rrsets(signed, "answer")}
    assert 46 not in {r.rdtype for r in rrsets(plain, "answer")}


def test_referral_carries_the_signed_ds_with_do(lab: Lab) -> None:
    wire = ask(lab, "edu.", "www.cs.cornell.edu.", QTYPE.A)
    authority = rrsets(wire, "authority")
    assert {(r.name.to_text(), r.rdtype) for r in authority} >= {
        ("cornell.edu.", 2), ("cornell.edu.", 43), ("cornell.edu.", 46),
    }


@pytest.mark.parametrize(
    "name",
    ["deep_name", "cname_chain", "nxdomain", "nodata", "wildcard", "empty_non_terminal", "mx",
     "srv", "glueless", "large_over_512"],
)
def test_queries_without_do_are_answered_as_by_the_unsigned_lab(name: str, lab: Lab) -> None:
    unsigned = Lab(dnssec=False)
    qname, qtype = scenario(lab, name)
    for host in lab.hosts.values():
        if host.fault is not None:
            continue
        for edns in (False, True):
            query = DNSRecord.question(qname, QTYPE.get(qtype))
            if edns:
                query.add_ar(EDNS0(udp_len=1232))
            wire = query.pack()
            assert lab.respond(host.address, wire) == unsigned.respond(host.address, wire), (
                host.name, edns,
            )


def test_trust_anchor_file_is_written_next_to_the_root_hints() -> None:
    with Lab(port=0, dnssec_now=NOW) as running:
        path = running.trust_anchor_path
        assert path is not None and running.hints_path is not None
        assert path.rsplit("/", 1)[0] == running.hints_path.rsplit("/", 1)[0]
        with open(path, encoding="ascii") as handle:
            anchors = parse_trust_anchors(handle.read(), path)
        assert list(anchors) == [ROOT]
        assert trusted_keys(running, ".", anchors[ROOT].ds).verdict.secure


def test_keys_are_reproducible_from_the_seed() -> None:
    one = Lab(dnssec_now=NOW, dnssec_seed=b"seed-1").signed
    again = Lab(dnssec_now=NOW + DAY, dnssec_seed=b"seed-1").signed
    other = Lab(dnssec_now=NOW, dnssec_seed=b"seed-2").signed
    assert one is not None and again is not None and other is not None
    assert one.root_ds == again.root_ds != other.root_ds


# --- tampered responses ------------------------------------------------------------------------


def _validate(lab: Lab, zone: str, data: ResponseData, max_iterations: int | None = None):
    keys = trusted_keys(lab, zone, _ds_of(lab, zone))
    assert keys.verdict.secure and keys.keys is not None
    extra = {} if max_iterations is None else {"max_nsec3_iterations": max_iterations}
    return validate_response(data, Name.from_text(zone), keys.keys, now=NOW, **extra)


def _ds_of(lab: Lab, zone: str):
    parent = zone.split(".", 1)[1] or "."
    wire = ask(lab, parent, zone, QTYPE.DS)
    return [ds for r in rrsets(wire, "answer") if r.rdtype == 43 for ds in r]


def _without(data: ResponseData, rdtype: int) -> ResponseData:
    return ResponseData(
        data.qname, data.qtype, data.rcode,
        tuple(r for r in data.answer if r.rdtype != rdtype),
        tuple(r for r in data.authority if r.rdtype != rdtype),
    )


def test_nxdomain_without_its_nsec_records_is_bogus_nsec_missing(lab: Lab) -> None:
    data = data_of(ask(lab, "cs.cornell.edu.", "nosuch.cs.cornell.edu.", QTYPE.A),
                   "nosuch.cs.cornell.edu.", QTYPE.A)  # fmt: skip
    assert _validate(lab, "cs.cornell.edu.", data).verdict.secure
    stripped = _validate(lab, "cs.cornell.edu.", _without(data, 47))
    assert stripped.kind is ResponseKind.NXDOMAIN
    assert (stripped.verdict.reason, stripped.verdict.ede) == (Reason.DENIAL_MISSING, 12)


def test_answer_without_rrsigs_is_bogus_rrsigs_missing(lab: Lab) -> None:
    data = data_of(ask(lab, "cs.cornell.edu.", "www.cs.cornell.edu.", QTYPE.A),
                   "www.cs.cornell.edu.", QTYPE.A)  # fmt: skip
    result = _validate(lab, "cs.cornell.edu.", _without(data, 46))
    assert (result.verdict.reason, result.verdict.ede) == (Reason.RRSIGS_MISSING, 10)


def test_wildcard_answer_without_its_proof_is_bogus(lab: Lab) -> None:
    qname = "anything.wild.example.com."
    data = data_of(ask(lab, "example.com.", qname, QTYPE.A), qname, QTYPE.A)
    result = _validate(lab, "example.com.", data)
    assert result.verdict.secure
    assert any(v.wildcard == Name.from_text("*.wild.example.com.") for v in result.rrsets)
    stripped = _validate(lab, "example.com.", _without(data, 47))
    assert stripped.verdict.reason is Reason.WILDCARD_PROOF_MISSING


def test_nsec3_wildcard_answer_without_its_nsec3_is_bogus(lab: Lab) -> None:
    qname = "a.b.wild.example.net."
    data = data_of(ask(lab, "example.net.", qname, QTYPE.A), qname, QTYPE.A)
    assert _validate(lab, "example.net.", data).verdict.secure
    stripped = _validate(lab, "example.net.", _without(data, 50))
    assert stripped.verdict.reason is Reason.WILDCARD_PROOF_MISSING


def test_nsec3_iterations_over_the_cap_make_the_denial_insecure(lab: Lab) -> None:
    """RFC 9276 §3.2: example.net uses 5 iterations; a cap of 2 makes its proofs insecure."""
    qname = "nosuch.example.net."
    data = data_of(ask(lab, "example.net.", qname, QTYPE.A), qname, QTYPE.A)
    result = _validate(lab, "example.net.", data, max_iterations=2)
    assert result.verdict.security is Security.INSECURE
    assert (result.verdict.reason, result.verdict.ede) == (Reason.NSEC3_ITERATIONS, 27)


def test_nsec3_hash_budget_ends_the_work(lab: Lab) -> None:
    qname = "a.b.c.d.e.f.nosuch.example.net."
    data = data_of(ask(lab, "example.net.", qname, QTYPE.A), qname, QTYPE.A)
    keys = trusted_keys(lab, "example.net.", _ds_of(lab, "example.net."))
    assert keys.keys is not None
    assert validate_response(
        data, Name.from_text("example.net."), keys.keys, now=NOW
    ).verdict.secure
    starved = ValidationBudget(nsec3_hashes=1)
    result = validate_response(
        data, Name.from_text("example.net."), keys.keys, now=NOW, budget=starved
    )
    assert (result.verdict.security, result.verdict.reason) == (
        Security.BOGUS, Reason.BUDGET_EXHAUSTED,
    )


# --- the signed zones as master files -------------------------------------------------------


@pytest.mark.parametrize("origin", ["cs.cornell.edu.", "example.com.", "example.net.", "org."])
def test_signed_zone_files_validate_whole_with_dnspython(lab: Lab, origin: str) -> None:
    """Every RRset of the signed zone verifies with dnspython, NSEC3 owners are dnspython's
    hashes of the zone's names, and the NSEC or NSEC3 chain is closed."""
    assert lab.signed is not None
    zone = dns.zone.from_text(lab.signed.zone_text(origin), origin, relativize=False,
                              check_origin=True)  # fmt: skip
    apex = dns.name.from_text(origin)
    keys = zone.get_rrset(apex, dns.rdatatype.DNSKEY)
    assert keys is not None and len(keys) == 2
    verified = 0
    next_names = set()
    for owner, node in zone.nodes.items():
        for rdataset in node.rdatasets:
            if rdataset.rdtype == dns.rdatatype.RRSIG:
                continue
            if rdataset.rdtype in (dns.rdatatype.NSEC, dns.rdatatype.NSEC3):
                next_names.add(str(owner))
            sigs = node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.RRSIG, rdataset.rdtype)
            if sigs is None:
                continue  # delegation NS sets and glue are not signed
            dns.dnssec.validate(
                dns.rrset.from_rdata_list(owner, rdataset.ttl, list(rdataset)),
                dns.rrset.from_rdata_list(owner, sigs.ttl, list(sigs)),
                {apex: keys}, now=NOW,
            )
            verified += 1
    assert verified > 5
    # the chain is closed: every "next" is the owner of another record of the chain
    for owner, node in zone.nodes.items():
        for rdtype in (dns.rdatatype.NSEC, dns.rdatatype.NSEC3):
            found = node.get_rdataset(dns.rdataclass.IN, rdtype)
            if found is None:
                continue
            record = found[0]
            if rdtype == dns.rdatatype.NSEC:
                following = str(record.next)
            else:
                hashed = base64.b32hexencode(record.next).decode().lower()
                following = f"{hashed}.{origin}"
            assert following in next_names, (str(owner), following)
    params = zone.get_rdataset(apex, dns.rdatatype.NSEC3PARAM)
    if params is not None:
        param = params[0]
        signed_names = {
            str(o) for o, n in zone.nodes.items()
            if n.get_rdataset(dns.rdataclass.IN, dns.rdatatype.NSEC3) is None
            and any(r.rdtype == dns.rdatatype.RRSIG for r in n.rdatasets)
        }  # fmt: skip
        for owner_name in signed_names:
            hashed = dns.dnssec.nsec3_hash(owner_name, param.salt, param.iterations, 1).lower()
            assert f"{hashed}.{origin}" in next_names, owner_name
