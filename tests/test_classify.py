"""Classification and scrubbing of upstream replies, on hand-built messages."""

from __future__ import annotations

from dnslib import QTYPE, RCODE, RR, DNSRecord

from resolver.classify import Kind, Reason, classify, in_bailiwick
from resolver.scrub import DropReason


def reply(
    qname: str,
    qtype: str,
    *,
    aa: bool = False,
    ra: bool = False,
    rcode: int = 0,
    an="",
    ns="",
    ar="",
):
    """A reply as an authoritative server (RA=0 unless asked) would send it, through the wire."""
    msg = DNSRecord.question(qname, qtype).reply()
    msg.header.aa = int(aa)
    msg.header.ra = int(ra)
    msg.header.rcode = rcode
    for text, add in ((an, msg.add_answer), (ns, msg.add_auth), (ar, msg.add_ar)):
        for rr in RR.fromZone(text) if text.strip() else []:
            add(rr)
    return DNSRecord.parse(msg.pack())


def names(records) -> set[tuple[str, str]]:
    return {(str(rr.rname).lower(), QTYPE.get(rr.rtype)) for rr in records}


def dropped(result) -> set[tuple[str, str, DropReason]]:
    return {(str(rr.rname).lower(), QTYPE.get(rr.rtype), why) for rr, why in result.dropped}


def ranks(result) -> list[tuple[str, str, str]]:
    """(owner, type, trust name) of each RRset to cache, in order."""
    return [
        (str(rrs[0].rname).lower(), QTYPE.get(rrs[0].rtype), trust.name)
        for rrs, trust in result.rrsets
    ]


def test_bailiwick():
    assert in_bailiwick("www.example.com.", "example.com.")
    assert in_bailiwick("EXAMPLE.com.", "example.COM.")
    assert in_bailiwick("anything.", ".")
    assert not in_bailiwick("badexample.com.", "example.com.")
    assert not in_bailiwick("com.", "example.com.")


def test_referral_keeps_in_bailiwick_glue_and_drops_the_rest():
    r = reply(
        "www.cs.cornell.edu.",
        "A",
        ns="cornell.edu. 172800 IN NS ns1.cornell.edu.\ncornell.edu. 172800 IN NS ns.other.net.",
        ar="ns1.cornell.edu. 172800 IN A 127.42.3.1\n"
        "ns.other.net. 172800 IN A 127.42.9.9\n"
        "www.bank.com. 172800 IN A 127.66.6.6",
    )
    result = classify(r, "edu.", "www.cs.cornell.edu.", QTYPE.A)
    assert result.kind == Kind.REFERRAL
    assert result.referral_zone == "cornell.edu."
    assert result.ns_names == ["ns1.cornell.edu.", "ns.other.net."]
    # Glue for ns1.cornell.edu is inside edu.; an address for ns.other.net is not edu.'s to give.
    assert names(result.additional) == {("ns1.cornell.edu.", "A")}
    assert ("www.bank.com.", "A", DropReason.OUT_OF_BAILIWICK) in dropped(result)
    assert ("ns.other.net.", "A", DropReason.OUT_OF_BAILIWICK) in dropped(result)
    assert ranks(result) == [
        ("cornell.edu.", "NS", "AUTHORITY"),
        ("ns1.cornell.edu.", "A", "ADDITIONAL"),
    ]


def test_root_may_give_glue_for_any_name():
    r = reply(
        "example.com.",
        "A",
        ns="com. 172800 IN NS a.gtld-servers.net.",
        ar="a.gtld-servers.net. 172800 IN A 127.42.1.1",
    )
    result = classify(r, ".", "example.com.", QTYPE.A)
    assert result.kind == Kind.REFERRAL and names(result.additional) == {
        ("a.gtld-servers.net.", "A")
    }


def test_forged_out_of_bailiwick_answer_records_are_dropped():
    r = reply(
        "www.evil.com.",
        "A",
        aa=True,
        an="www.evil.com. 300 IN A 127.42.7.7\nwww.bank.com. 300 IN A 127.66.6.6",
        ns="bank.com. 300 IN NS ns.evil.com.",
        ar="www.bank.com. 300 IN A 127.66.6.6",
    )
    result = classify(r, "evil.com.", "www.evil.com.", QTYPE.A)
    assert result.kind == Kind.ANSWER
    assert names(result.answer) == {("www.evil.com.", "A")}
    assert result.authority == [] and result.additional == []
    assert ("www.bank.com.", "A", DropReason.OUT_OF_BAILIWICK) in dropped(result)
    assert ("bank.com.", "NS", DropReason.OUT_OF_BAILIWICK) in dropped(result)


def test_cname_chain_inside_the_zone_is_followed_and_outside_target_restarts():
    r = reply(
        "www.example.com.",
        "A",
        aa=True,
        an="www.example.com. 300 IN CNAME web.example.com.\n"
        "web.example.com. 300 IN CNAME cdn.example.net.\n"
        "cdn.example.net. 300 IN A 127.66.6.6",
    )
    result = classify(r, "example.com.", "www.example.com.", QTYPE.A)
    assert result.kind == Kind.CNAME
    assert result.canonical_name == "cdn.example.net."
    assert [QTYPE.get(rr.rtype) for rr in result.answer] == ["CNAME", "CNAME"]
    # Not example.com.'s to vouch for.
    assert ("cdn.example.net.", "A", DropReason.OUT_OF_BAILIWICK) in dropped(result)


def test_cname_then_answer_in_zone():
    r = reply(
        "www.example.com.",
        "A",
        aa=True,
        an="www.example.com. 300 IN CNAME web.example.com.\nweb.example.com. 300 IN A 127.42.5.5",
    )
    result = classify(r, "example.com.", "www.example.com.", QTYPE.A)
    assert result.kind == Kind.ANSWER and result.canonical_name == "web.example.com."
    assert len(result.answer) == 2


def test_nxdomain_and_nodata_keep_the_soa():
    soa = "example.com. 3600 IN SOA ns1.example.com. host.example.com. 1 2 3 4 300"
    nx = classify(
        reply("nope.example.com.", "A", aa=True, rcode=RCODE.NXDOMAIN, ns=soa),
        "example.com.",
        "nope.example.com.",
        QTYPE.A,
    )
    assert nx.kind == Kind.NXDOMAIN and nx.soa is not None
    nodata = classify(
        reply("www.example.com.", "MX", aa=True, ns=soa),
        "example.com.",
        "www.example.com.",
        QTYPE.MX,
    )
    assert nodata.kind == Kind.NODATA and nodata.soa is not None


def test_soa_from_another_zone_is_not_accepted_for_negative_caching():
    forged = "com. 3600 IN SOA a.gtld. host. 1 2 3 4 86400"
    nx = classify(
        reply("nope.example.com.", "A", aa=True, rcode=RCODE.NXDOMAIN, ns=forged),
        "example.com.",
        "nope.example.com.",
        QTYPE.A,
    )
    assert nx.kind == Kind.NXDOMAIN and nx.soa is None


def test_upward_referral_is_lame():
    r = reply(
        "www.example.com.",
        "A",
        ns=". 518400 IN NS a.root-servers.net.",
        ar="a.root-servers.net. 518400 IN A 127.42.0.1",
    )
    result = classify(r, "example.com.", "www.example.com.", QTYPE.A)
    assert result.kind == Kind.LAME and result.reason == Reason.UPWARD_REFERRAL
    assert result.authority == result.additional == result.rrsets == []


def test_sideways_referral_is_lame():
    r = reply("www.example.com.", "A", ns="example.net. 300 IN NS ns.example.net.")
    result = classify(r, "example.com.", "www.example.com.", QTYPE.A)
    assert result.kind == Kind.LAME and result.reason == Reason.SIDEWAYS_REFERRAL
    # In the bailiwick but not on the way to QNAME is beside it too.
    r = reply("www.example.com.", "A", ns="other.example.com. 300 IN NS ns.example.net.")
    result = classify(r, "example.com.", "www.example.com.", QTYPE.A)
    assert result.kind == Kind.LAME and result.reason == Reason.SIDEWAYS_REFERRAL


def test_refused_is_lame_and_servfail_is_an_error():
    refused = classify(reply("a.example.", "A", rcode=RCODE.REFUSED), "example.", "a.example.", 1)
    servfail = classify(reply("a.example.", "A", rcode=RCODE.SERVFAIL), "example.", "a.example.", 1)
    assert refused.kind == Kind.LAME and refused.reason == Reason.REFUSED
    assert servfail.kind == Kind.ERROR and servfail.reason == Reason.SERVER_ERROR
    assert servfail.rcode == RCODE.SERVFAIL


def test_recursive_server_answering_from_its_cache_is_lame():
    # AA=0 and RA=1 with nothing useful: a recursive server, not one of the zone's servers.
    r = reply("www.example.com.", "A", ra=True)
    result = classify(r, "example.com.", "www.example.com.", QTYPE.A)
    assert result.kind == Kind.LAME and result.reason == Reason.RECURSIVE_LAME


def test_cname_into_a_delegated_child_without_soa_restarts_at_the_target():
    r = reply(
        "www.example.com.",
        "A",
        aa=True,
        an="www.example.com. 300 IN CNAME www.sub.example.com.",
    )
    result = classify(r, "example.com.", "www.example.com.", QTYPE.A)
    assert result.kind == Kind.CNAME and result.canonical_name == "www.sub.example.com."


def test_cname_to_an_in_zone_name_without_the_type_is_nodata():
    r = reply(
        "www.example.com.",
        "MX",
        aa=True,
        an="www.example.com. 300 IN CNAME web.example.com.",
        ns="example.com. 3600 IN SOA ns1.example.com. host.example.com. 1 2 3 4 300",
    )
    result = classify(r, "example.com.", "www.example.com.", QTYPE.MX)
    assert result.kind == Kind.NODATA and result.canonical_name == "web.example.com."
