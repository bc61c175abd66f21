"""The scrub passes on hand-built replies: what each keeps, and why each record is dropped."""

from __future__ import annotations

import pytest
from dnslib import CNAME, EDNS0, QTYPE, RD, RR, DNSRecord

from resolver.scrub import Dropped, DropReason, dname_target, scrub
from resolver.wire import WireError, encode_name


def reply(qname: str, qtype: str, *, an="", ns="", ar="") -> DNSRecord:
    msg = DNSRecord.question(qname, qtype).reply()
    for text, add in ((an, msg.add_answer), (ns, msg.add_auth), (ar, msg.add_ar)):
        for rr in RR.fromZone(text) if text.strip() else []:
            add(rr)
    return DNSRecord.parse(msg.pack())


def kept(records) -> list[tuple[str, str]]:
    return [(str(rr.rname).lower(), QTYPE.get(rr.rtype)) for rr in records]


def why(scrubbed) -> dict[tuple[str, str], DropReason]:
    return {(str(rr.rname).lower(), QTYPE.get(rr.rtype)): reason for rr, reason in scrubbed.dropped}


def test_class_pass_runs_before_the_bailiwick_pass():
    r = reply(
        "www.example.com.",
        "A",
        an="www.bank.com. 300 CH A 127.66.6.6\nwww.bank.com. 300 IN TXT forged",
        ar="ns1.example.com. 300 CH A 127.42.5.1",
    )
    s = scrub(r, "example.com.", "www.example.com.", QTYPE.A, max_chain=12)
    assert why(s) == {
        ("www.bank.com.", "A"): DropReason.OTHER_CLASS,
        ("www.bank.com.", "TXT"): DropReason.OUT_OF_BAILIWICK,
        ("ns1.example.com.", "A"): DropReason.OTHER_CLASS,
    }


def test_edns_opt_is_not_data_and_is_not_reported():
    msg = DNSRecord.question("www.example.com.", "A")
    msg.add_ar(EDNS0(udp_len=1232))
    s = scrub(DNSRecord.parse(msg.pack()), "example.com.", "www.example.com.", 1, max_chain=12)
    assert s.dropped == [] and s.additional == []


def test_answer_chain_keeps_chain_order_and_drops_what_is_off_it():
    r = reply(
        "www.example.com.",
        "A",
        an="web.example.com. 300 IN A 127.42.5.5\n"
        "www.example.com. 300 IN CNAME web.example.com.\n"
        "web.example.com. 300 IN AAAA ::1\n"
        "mail.example.com. 300 IN A 127.42.5.6",
    )
    s = scrub(r, "example.com.", "www.example.com.", QTYPE.A, max_chain=12)
    assert kept(s.answer) == [("www.example.com.", "CNAME"), ("web.example.com.", "A")]
    assert s.answered and s.canonical_name == "web.example.com."
    assert why(s) == {
        ("web.example.com.", "AAAA"): DropReason.UNRELATED,
        ("mail.example.com.", "A"): DropReason.UNRELATED,
    }


def test_chain_stops_at_the_first_name_outside_the_bailiwick():
    r = reply(
        "www.example.com.",
        "A",
        an="www.example.com. 300 IN CNAME cdn.example.net.\n"
        "cdn.example.net. 300 IN CNAME back.example.com.\n"
        "back.example.com. 300 IN A 127.42.5.5",
    )
    s = scrub(r, "example.com.", "www.example.com.", QTYPE.A, max_chain=12)
    assert kept(s.answer) == [("www.example.com.", "CNAME")]
    assert not s.answered and s.canonical_name == "cdn.example.net."
    assert why(s)[("back.example.com.", "A")] == DropReason.UNRELATED


def test_qtype_cname_is_answered_by_the_cname_itself():
    r = reply(
        "www.example.com.",
        "CNAME",
        an="www.example.com. 300 IN CNAME web.example.com.\nweb.example.com. 300 IN A 127.42.5.5",
    )
    s = scrub(r, "example.com.", "www.example.com.", QTYPE.CNAME, max_chain=12)
    assert s.answered and kept(s.answer) == [("www.example.com.", "CNAME")]


def test_authority_keeps_the_soa_and_the_deepest_ns_set_enclosing_the_name():
    r = reply(
        "www.sub.example.com.",
        "A",
        ns="example.com. 300 IN NS ns1.example.com.\n"
        "sub.example.com. 300 IN NS ns1.sub.example.com.\n"
        "other.example.com. 300 IN NS ns1.other.example.com.\n"
        "example.com. 300 IN SOA ns1.example.com. host.example.com. 1 2 3 4 300\n"
        "example.com. 300 IN TXT junk",
        ar="ns1.sub.example.com. 300 IN A 127.42.5.1\n"
        "ns1.example.com. 300 IN A 127.42.5.2\n"
        "ns1.sub.example.com. 300 IN TXT junk",
    )
    s = scrub(r, "example.com.", "www.sub.example.com.", QTYPE.A, max_chain=12)
    assert kept(s.authority) == [("sub.example.com.", "NS"), ("example.com.", "SOA")]
    assert kept(s.additional) == [("ns1.sub.example.com.", "A")]
    assert why(s) == {
        ("example.com.", "NS"): DropReason.UNRELATED,
        ("other.example.com.", "NS"): DropReason.UNRELATED,
        ("example.com.", "TXT"): DropReason.UNRELATED,
        ("ns1.example.com.", "A"): DropReason.NOT_GLUE,
        ("ns1.sub.example.com.", "TXT"): DropReason.NOT_GLUE,
    }


def test_addresses_of_ns_names_in_an_ns_answer_are_glue():
    r = reply(
        "example.com.",
        "NS",
        an="example.com. 300 IN NS ns1.example.com.",
        ar="ns1.example.com. 300 IN A 127.42.5.1",
    )
    s = scrub(r, "example.com.", "example.com.", QTYPE.NS, max_chain=12)
    assert kept(s.additional) == [("ns1.example.com.", "A")] and s.dropped == []


def test_every_record_is_kept_or_dropped_with_a_reason():
    r = reply(
        "www.example.com.",
        "A",
        an="www.example.com. 300 IN A 127.42.5.5\nwww.bank.com. 300 IN A 127.66.6.6",
        ns="bank.com. 300 IN NS ns.evil.com.\nexample.com. 300 IN NS ns1.example.com.",
        ar="www.bank.com. 300 IN A 127.66.6.6\nns1.example.com. 300 IN A 127.42.5.1",
    )
    s = scrub(r, "example.com.", "www.example.com.", QTYPE.A, max_chain=12)
    total = len(s.answer) + len(s.authority) + len(s.additional) + len(s.dropped)
    assert total == len(r.rr) + len(r.auth) + len(r.ar) == 6
    assert all(isinstance(d, Dropped) and isinstance(d.reason, DropReason) for d in s.dropped)


def test_dropped_record_prints_as_zone_text_with_its_reason():
    r = reply("www.example.com.", "A", an="www.bank.com. 300 IN A 127.66.6.6")
    [d] = scrub(r, "example.com.", "www.example.com.", QTYPE.A, max_chain=12).dropped
    assert d.toZone().startswith("www.bank.com.") and d.toZone().endswith("; out-of-bailiwick")


def test_dname_target_reads_one_uncompressed_name():
    rr = RR("old.example.", QTYPE.DNAME, rdata=RD(encode_name("New.Example.")))
    assert dname_target(rr) == "new.example."
    assert dname_target(RR("old.example.", QTYPE.DNAME, rdata=CNAME("new.example."))) == (
        "new.example."
    )


@pytest.mark.parametrize(
    "data",
    [
        b"\x03new\xc0\x0c",  # a compression pointer: RFC 6672 §2.5 forbids it
        encode_name("new.example.") + b"\x00",  # trailing octets
        b"\x03new",  # cut off
    ],
)
def test_dname_target_rejects_malformed_data(data):
    with pytest.raises(WireError):
        dname_target(RR("old.example.", QTYPE.DNAME, rdata=RD(data)))


def test_one_dname_applied_twice_appears_once():
    msg = DNSRecord.question("a.old.example.", "A").reply()
    msg.add_answer(RR("old.example.", QTYPE.DNAME, rdata=RD(encode_name("new.example."))))
    msg.add_answer(RR("a.new.example.", QTYPE.CNAME, rdata=CNAME("b.old.example.")))
    s = scrub(DNSRecord.parse(msg.pack()), "example.", "a.old.example.", QTYPE.A, max_chain=12)
    assert kept(s.answer) == [
        ("old.example.", "DNAME"),
        ("a.old.example.", "CNAME"),
        ("a.new.example.", "CNAME"),
        ("b.old.example.", "CNAME"),
    ]
    assert s.canonical_name == "b.new.example." and len(s.dname) == 1
