"""Classification and scrubbing of upstream replies, on hand-built messages."""

from __future__ import annotations

import time

from dnslib import CNAME, QTYPE, RCODE, RD, RR, A, DNSRecord

from resolver.classify import Kind, Reason, classify, in_bailiwick
from resolver.scrub import DropReason
from resolver.wire import encode_name


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


def dname(owner: str, target: str, ttl: int = 300) -> RR:
    """A DNAME as it arrives: dnslib has no DNAME type, the data is the uncompressed target."""
    return RR(owner, QTYPE.DNAME, ttl=ttl, rdata=RD(encode_name(target)))


def dname_reply(qname: str, qtype: str, records: list[RR], *, aa: bool = True) -> DNSRecord:
    msg = DNSRecord.question(qname, qtype).reply()
    msg.header.aa, msg.header.ra = int(aa), 0
    for rr in records:
        msg.add_answer(rr)
    return DNSRecord.parse(msg.pack())


def cname(owner: str, target: str) -> RR:
    return RR(owner, QTYPE.CNAME, ttl=300, rdata=CNAME(target))


def a(owner: str, address: str) -> RR:
    return RR(owner, QTYPE.A, ttl=300, rdata=A(address))


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


SOA = "example.com. 3600 IN SOA ns1.example.com. host.example.com. 1 2 3 4 300"


# ---- position of the NS set before the AA bit (RFC 1034 §5.3.3, RFC 2181 §6.1) --------------


def test_rfc2181_6_1_ns_set_below_the_zone_is_a_referral_even_with_aa():
    r = reply(
        "www.cs.cornell.edu.",
        "A",
        aa=True,
        ns="cornell.edu. 172800 IN NS ns1.cornell.edu.",
        ar="ns1.cornell.edu. 172800 IN A 127.42.3.1",
    )
    result = classify(r, "edu.", "www.cs.cornell.edu.", QTYPE.A)
    assert result.kind == Kind.REFERRAL and result.referral_zone == "cornell.edu."
    # NS records at a cut are not the parent's authoritative data: referral rank, not AUTH_*.
    assert ranks(result) == [
        ("cornell.edu.", "NS", "AUTHORITY"),
        ("ns1.cornell.edu.", "A", "ADDITIONAL"),
    ]


def test_referral_for_qname_at_the_cut_itself():
    r = reply("example.com.", "NS", ns="example.com. 172800 IN NS ns1.example.com.")
    result = classify(r, "com.", "example.com.", QTYPE.NS)
    assert result.kind == Kind.REFERRAL and result.ns_names == ["ns1.example.com."]


def test_aa_reply_with_the_root_ns_set_and_no_answer_is_an_upward_referral():
    r = reply(
        "www.example.com.",
        "AAAA",
        aa=True,
        ns=". 518400 IN NS a.root-servers.net.",
        ar="a.root-servers.net. 518400 IN A 127.42.0.1",
    )
    result = classify(r, "example.com.", "www.example.com.", QTYPE.AAAA)
    assert result.kind == Kind.LAME and result.reason == Reason.UPWARD_REFERRAL
    assert result.rrsets == []


def test_zone_own_ns_set_without_answer_or_soa_is_lame_even_with_aa():
    r = reply("www.example.com.", "A", aa=True, ns="example.com. 300 IN NS ns1.example.com.")
    result = classify(r, "example.com.", "www.example.com.", QTYPE.A)
    assert result.kind == Kind.LAME and result.reason == Reason.SELF_REFERRAL
    assert ("example.com.", "NS", DropReason.LAME) in dropped(result)


def test_rfc2308_soa_beats_an_ns_set_in_a_negative_answer():
    r = reply(
        "www.example.com.", "MX", aa=True, ns=SOA + "\nexample.com. 300 IN NS ns1.example.com."
    )
    result = classify(r, "example.com.", "www.example.com.", QTYPE.MX)
    assert result.kind == Kind.NODATA and not result.provisional
    assert names(result.authority) == {("example.com.", "SOA")}
    assert result.rrsets == []  # negative answers are cached from kind and soa
    assert ("example.com.", "NS", DropReason.UNUSED) in dropped(result)


def test_rfc2308_soa_of_a_zone_not_enclosing_the_name_proves_nothing():
    other = "sub.example.com. 3600 IN SOA ns1.example.com. host.example.com. 1 2 3 4 300"
    r = reply("www.example.com.", "A", aa=True, rcode=RCODE.NXDOMAIN, ns=other)
    result = classify(r, "example.com.", "www.example.com.", QTYPE.A)
    assert result.kind == Kind.NXDOMAIN and result.soa is None
    assert ("sub.example.com.", "SOA", DropReason.UNRELATED) in dropped(result)


# ---- ranking (RFC 2181 §5.4.1) -----------------------------------------------------------------


def test_rfc2181_5_4_1_only_the_qnames_own_rrset_of_an_aa_answer_is_auth_answer():
    r = reply(
        "www.example.com.",
        "A",
        aa=True,
        an="www.example.com. 300 IN CNAME web.example.com.\n"
        "web.example.com. 300 IN CNAME srv.example.com.\n"
        "srv.example.com. 300 IN A 127.42.5.5",
        ns="example.com. 300 IN NS ns1.example.com.",
        ar="ns1.example.com. 300 IN A 127.42.5.1",
    )
    result = classify(r, "example.com.", "www.example.com.", QTYPE.A)
    assert result.kind == Kind.ANSWER
    assert ranks(result) == [
        ("www.example.com.", "CNAME", "AUTH_ANSWER"),
        ("web.example.com.", "CNAME", "ANSWER_NONAUTH"),
        ("srv.example.com.", "A", "ANSWER_NONAUTH"),
        ("example.com.", "NS", "AUTH_AUTHORITY"),
        ("ns1.example.com.", "A", "ADDITIONAL"),
    ]


def test_extras_of_a_non_authoritative_answer_are_nonauth_extra():
    r = reply(
        "www.example.com.",
        "A",
        an="www.example.com. 300 IN A 127.42.5.5",
        ns="example.com. 300 IN NS ns1.example.com.",
        ar="ns1.example.com. 300 IN A 127.42.5.1",
    )
    result = classify(r, "example.com.", "www.example.com.", QTYPE.A)
    assert result.kind == Kind.ANSWER
    assert ranks(result) == [
        ("www.example.com.", "A", "ANSWER_NONAUTH"),
        ("example.com.", "NS", "NONAUTH_EXTRA"),
        ("ns1.example.com.", "A", "NONAUTH_EXTRA"),
    ]


def test_rrsets_group_records_of_one_rrset():
    r = reply(
        "www.example.com.",
        "A",
        aa=True,
        an="www.example.com. 300 IN A 127.42.5.5\nwww.example.com. 300 IN A 127.42.5.6",
    )
    [(records, trust)] = classify(r, "example.com.", "www.example.com.", QTYPE.A).rrsets
    assert len(records) == 2 and trust.name == "AUTH_ANSWER"


# ---- RFC 2308 §2.2 type 3: empty replies ---------------------------------------------------------


def test_rfc2308_type3_empty_reply_without_aa_or_ra_is_a_provisional_nodata():
    result = classify(reply("www.example.com.", "A"), "example.com.", "www.example.com.", QTYPE.A)
    assert result.kind == Kind.NODATA and result.provisional
    assert result.soa is None and result.rrsets == []


def test_empty_aa_reply_is_a_nodata_that_is_not_provisional():
    r = reply("www.example.com.", "A", aa=True)
    result = classify(r, "example.com.", "www.example.com.", QTYPE.A)
    assert result.kind == Kind.NODATA and not result.provisional


def test_answer_of_junk_only_is_judged_as_empty():
    junk = "www.example.com. 300 IN MX 10 mail.example.com.\nftp.example.com. 300 IN A 127.42.5.9"
    provisional = classify(
        reply("www.example.com.", "A", an=junk), "example.com.", "www.example.com.", QTYPE.A
    )
    assert provisional.kind == Kind.NODATA and provisional.provisional
    assert provisional.answer == []
    assert ("www.example.com.", "MX", DropReason.UNRELATED) in dropped(provisional)
    assert ("ftp.example.com.", "A", DropReason.UNRELATED) in dropped(provisional)
    recursive = classify(
        reply("www.example.com.", "A", ra=True, an=junk),
        "example.com.",
        "www.example.com.",
        QTYPE.A,
    )
    assert recursive.kind == Kind.LAME and recursive.reason == Reason.RECURSIVE_LAME


def test_records_of_another_class_are_dropped_in_every_section():
    r = reply(
        "www.example.com.",
        "A",
        aa=True,
        an="www.example.com. 300 CH A 127.42.6.6\nwww.example.com. 300 IN A 127.42.5.5",
        ns="example.com. 300 CH NS ns1.example.com.\nexample.com. 300 IN NS ns1.example.com.",
        ar="ns1.example.com. 300 CH A 127.42.6.1\nns1.example.com. 300 IN A 127.42.5.1",
    )
    result = classify(r, "example.com.", "www.example.com.", QTYPE.A)
    assert result.kind == Kind.ANSWER
    kept = result.answer + result.authority + result.additional
    assert len(kept) == 3 and all(rr.rclass == 1 for rr in kept)
    other = [rr for rr, why in result.dropped if why == DropReason.OTHER_CLASS]
    assert names(other) == {
        ("www.example.com.", "A"),
        ("example.com.", "NS"),
        ("ns1.example.com.", "A"),
    }


def test_ns_set_of_another_class_is_no_referral_nor_upward():
    r = reply("www.example.com.", "A", ns=". 300 CH NS a.root-servers.net.")
    result = classify(r, "example.com.", "www.example.com.", QTYPE.A)
    assert result.kind == Kind.NODATA and result.provisional


# ---- CNAME chains ----------------------------------------------------------------------------


def chain_reply(links: int) -> DNSRecord:
    """n0 CNAME n1 ... CNAME n<links> A: built in memory, as 2 000 links overflow what dnslib's
    compression pointers can reach when packed."""
    msg = DNSRecord.question("n0.example.com.", "A").reply()
    msg.header.aa, msg.header.ra = 1, 0
    for i in range(links):
        msg.add_answer(cname(f"n{i}.example.com.", f"n{i + 1}.example.com."))
    msg.add_answer(a(f"n{links}.example.com.", "127.42.5.5"))
    return msg


def test_cname_chain_is_cut_at_max_chain_links():
    result = classify(chain_reply(20), "example.com.", "n0.example.com.", QTYPE.A, max_chain=12)
    assert result.kind == Kind.CNAME and result.chain_truncated
    assert len(result.answer) == 12 and result.canonical_name == "n12.example.com."
    assert ("n12.example.com.", "CNAME", DropReason.CHAIN_LIMIT) in dropped(result)
    exact = classify(chain_reply(12), "example.com.", "n0.example.com.", QTYPE.A, max_chain=12)
    assert exact.kind == Kind.ANSWER and not exact.chain_truncated and len(exact.answer) == 13


def test_long_cname_chain_is_followed_in_linear_time():
    r = chain_reply(2000)
    start = time.process_time()
    cut = classify(r, "example.com.", "n0.example.com.", QTYPE.A)
    followed = classify(r, "example.com.", "n0.example.com.", QTYPE.A, max_chain=5000)
    cpu = time.process_time() - start
    assert cut.chain_truncated and len(cut.dropped) == 2001 - 12
    assert followed.kind == Kind.ANSWER and followed.canonical_name == "n2000.example.com."
    assert len(followed.answer) == 2001
    assert cpu < 1.0  # a generous guard: quadratic walking cost seconds here


def test_cname_loop_inside_one_reply_restarts_at_the_repeated_name():
    r = reply(
        "a.example.com.",
        "A",
        aa=True,
        an="a.example.com. 300 IN CNAME b.example.com.\nb.example.com. 300 IN CNAME a.example.com.",
        ns=SOA,
    )
    result = classify(r, "example.com.", "a.example.com.", QTYPE.A)
    assert result.kind == Kind.CNAME and result.canonical_name == "a.example.com."


def test_rfc2181_10_1_a_second_cname_at_one_owner_is_dropped():
    r = reply(
        "www.example.com.",
        "A",
        aa=True,
        an="www.example.com. 300 IN CNAME web.example.com.\n"
        "www.example.com. 300 IN CNAME evil.example.com.\n"
        "web.example.com. 300 IN A 127.42.5.5",
    )
    result = classify(r, "example.com.", "www.example.com.", QTYPE.A)
    assert result.kind == Kind.ANSWER and result.canonical_name == "web.example.com."
    assert ("www.example.com.", "CNAME", DropReason.SECOND_CNAME) in dropped(result)


# ---- DNAME (RFC 6672) ------------------------------------------------------------------------


def test_rfc6672_dname_is_kept_and_the_cname_it_implies_is_synthesised():
    r = dname_reply(
        "www.old.example.",
        "A",
        [dname("old.example.", "new.example.", ttl=600), a("www.new.example.", "127.42.8.8")],
    )
    result = classify(r, "example.", "www.old.example.", QTYPE.A)
    assert result.kind == Kind.ANSWER and result.canonical_name == "www.new.example."
    assert [QTYPE.get(rr.rtype) for rr in result.answer] == ["DNAME", "CNAME", "A"]
    synthesised = result.answer[1]
    assert str(synthesised.rname) == "www.old.example." and synthesised.ttl == 600
    assert str(synthesised.rdata.label) == "www.new.example."
    assert names(result.dname) == {("old.example.", "DNAME")}
    assert ranks(result) == [
        ("old.example.", "DNAME", "AUTH_ANSWER"),
        ("www.old.example.", "CNAME", "AUTH_ANSWER"),
        ("www.new.example.", "A", "ANSWER_NONAUTH"),
    ]


def test_rfc6672_server_cname_that_agrees_with_the_dname_is_kept():
    r = dname_reply(
        "www.old.example.",
        "A",
        [
            dname("old.example.", "new.example."),
            cname("www.old.example.", "www.new.example."),
            a("www.new.example.", "127.42.8.8"),
        ],
    )
    result = classify(r, "example.", "www.old.example.", QTYPE.A)
    assert result.kind == Kind.ANSWER and result.answer[1] is r.rr[1]
    assert result.dropped == []


def test_rfc6672_server_cname_that_disagrees_with_the_dname_is_replaced():
    r = dname_reply(
        "www.old.example.",
        "A",
        [
            dname("old.example.", "new.example."),
            cname("www.old.example.", "www.evil.example."),
            a("www.evil.example.", "127.66.6.6"),
        ],
    )
    result = classify(r, "example.", "www.old.example.", QTYPE.A)
    assert result.kind == Kind.CNAME and result.canonical_name == "www.new.example."
    assert str(result.answer[1].rdata.label) == "www.new.example."
    assert dropped(result) == {
        ("www.old.example.", "CNAME", DropReason.CNAME_MISMATCH),
        ("www.evil.example.", "A", DropReason.UNRELATED),
    }


def test_rfc6672_dname_outside_the_bailiwick_is_not_applied():
    r = dname_reply(
        "www.old.example.",
        "A",
        [dname("example.", "evil."), cname("www.old.example.", "web.old.example.")],
    )
    result = classify(r, "old.example.", "www.old.example.", QTYPE.A)
    assert result.kind == Kind.CNAME and result.canonical_name == "web.old.example."
    assert ("example.", "DNAME", DropReason.OUT_OF_BAILIWICK) in dropped(result)
    assert result.dname == []


def test_rfc6672_substitution_longer_than_255_octets_is_yxdomain():
    qname = ".".join(["a" * 60] * 3) + ".old.example."  # 196 octets on the wire
    r = dname_reply(qname, "A", [dname("old.example.", ("b" * 60) + ".new.example.")])
    result = classify(r, "example.", qname, QTYPE.A)
    assert result.kind == Kind.ERROR and result.rcode == RCODE.YXDOMAIN
    assert result.reason == Reason.NAME_TOO_LONG
    assert names(result.answer) == {("old.example.", "DNAME")}


def test_rfc6672_dname_target_must_not_be_compressed():
    # dnslib packs a CNAME's data with a compression pointer, which a DNAME must not carry.
    msg = DNSRecord.question("www.old.example.", "A").reply()
    msg.header.aa = 1
    msg.add_answer(RR("old.example.", QTYPE.DNAME, ttl=300, rdata=CNAME("new.example.")))
    msg.add_answer(cname("www.old.example.", "www.new.example."))
    result = classify(DNSRecord.parse(msg.pack()), "example.", "www.old.example.", QTYPE.A)
    assert result.kind == Kind.CNAME and result.canonical_name == "www.new.example."
    assert ("old.example.", "DNAME", DropReason.MALFORMED_DNAME) in dropped(result)


def test_dname_chain_continues_from_the_new_name():
    r = dname_reply(
        "www.old.example.",
        "A",
        [
            dname("old.example.", "mid.example."),
            dname("mid.example.", "new.example."),
            a("www.new.example.", "127.42.8.8"),
        ],
    )
    result = classify(r, "example.", "www.old.example.", QTYPE.A)
    assert result.kind == Kind.ANSWER
    assert [(str(rr.rname), QTYPE.get(rr.rtype)) for rr in result.answer] == [
        ("old.example.", "DNAME"),
        ("www.old.example.", "CNAME"),
        ("mid.example.", "DNAME"),
        ("www.mid.example.", "CNAME"),
        ("www.new.example.", "A"),
    ]
    assert ranks(result)[2:4] == [
        ("mid.example.", "DNAME", "ANSWER_NONAUTH"),
        ("www.mid.example.", "CNAME", "ANSWER_NONAUTH"),
    ]


def test_a_denial_made_directly_is_the_dataclass_with_the_same_fields():
    """classify.denial (the wire path's negative answer) sets every field, as Classified does:
    a field added to Classified and forgotten there fails here."""
    from resolver.classify import Classified, Kind, denial

    soa = RR.fromZone("example.com. 300 SOA ns1.example.com. h.example.com. 1 2 3 4 5")[0]
    for kind, rcode, aa in ((Kind.NXDOMAIN, 3, True), (Kind.NODATA, 0, False)):
        made = denial(kind, "example.com.", aa, rcode, soa, "x.example.com.")
        expected = Classified(kind=kind, zone="example.com.", aa=aa, rcode=rcode,
                              authority=[soa], canonical_name="x.example.com.")
        assert made == expected
        assert [getattr(made, f) for f in Classified.__slots__] == \
            [getattr(expected, f) for f in Classified.__slots__]
        other = denial(kind, "example.com.", aa, rcode, soa, "x.example.com.")
        assert all(getattr(other, f) is not getattr(made, f) for f in Classified.__slots__
                   if isinstance(getattr(made, f), list))  # no list shared between answers
