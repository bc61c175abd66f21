"""Answer: built from the walk's dnslib records, it hands applications our own typed records."""

from __future__ import annotations

import copy

import dns.message
import dns.rrset
import pytest
from dnslib import QTYPE, RCODE, RD, RR, DNSRecord

from resolver.answer import Answer
from resolver.records import (
    RRSIG,
    SOA,
    A,
    GenericRdata,
    Name,
    Rdata,
    RRset,
    from_text,
    rrset_from_text,
)


def records(zone_text: str) -> list[RR]:
    return RR.fromZone(zone_text)


CHAIN = records(
    """
alias.example.com. 300 IN CNAME www.example.com.
www.example.com.   600 IN A 192.0.2.1
WWW.Example.COM.   120 IN A 192.0.2.2
"""
)
SOA_RECORD = records(
    "example.com. 300 IN SOA ns1.example.com. hostmaster.example.com. 1 7200 3600 1209600 300"
)


def chain_answer(**kwargs) -> Answer:
    return Answer(
        qname="alias.example.com.",
        rdtype=QTYPE.A,
        rdclass=1,
        rcode=RCODE.NOERROR,
        canonical_name="www.example.com.",
        answer=CHAIN,
        authority=[],
        from_cache=False,
        upstream_queries=3,
        elapsed=0.01,
        trace=[],
        **kwargs,
    )


def test_iterating_yields_our_rdata_of_the_final_rrset():
    answer = chain_answer()
    assert [rdata.address for rdata in answer] == ["192.0.2.1", "192.0.2.2"]
    assert all(isinstance(rdata, A) for rdata in answer)
    assert len(answer) == 2
    assert answer[0] == A("192.0.2.1") and answer[-1] == A("192.0.2.2")
    assert answer[:1] == (A("192.0.2.1"),)


def test_rrset_merges_letter_case_and_takes_the_smallest_ttl():
    rrset = chain_answer().rrset
    assert isinstance(rrset, RRset)
    assert rrset.name == Name.from_text("www.example.com")
    assert str(rrset.name) == "www.example.com."  # the first record's spelling
    assert rrset.ttl == 120  # RFC 2181 5.2: one TTL per RRset
    assert (rrset.rdtype, rrset.rdclass) == (1, 1)


def test_response_holds_the_chain_as_rrsets():
    response = chain_answer().response
    assert [rrset.to_text() for rrset in response.answer] == [
        "alias.example.com. 300 IN CNAME www.example.com.",
        "www.example.com. 120 IN A 192.0.2.1\nwww.example.com. 120 IN A 192.0.2.2",
    ]
    assert response.authority == [] and response.additional == []
    assert response.rcode() == RCODE.NOERROR
    assert response.question[0].name == Name.from_text("alias.example.com")
    found = response.find_rrset(response.answer, "ALIAS.example.com", QTYPE.CNAME)
    assert found[0].target == Name.from_text("www.example.com")
    with pytest.raises(KeyError):
        response.find_rrset(response.answer, "alias.example.com", QTYPE.MX)


def test_names_are_names_and_the_raw_records_stay_for_the_server():
    answer = chain_answer()
    assert answer.qname == Name.from_text("alias.example.com")
    assert answer.canonical_name == Name.from_text("www.example.com")
    assert answer.answer_records == CHAIN  # dnslib RRs, packed by resolver/server
    assert answer.authority_records == []
    assert answer.ttl == 120
    assert answer.expiration == answer.created + 120


def test_negative_answer_has_no_rrset():
    answer = Answer(
        "nonexistent.example.com.",
        QTYPE.A,
        1,
        RCODE.NXDOMAIN,
        "nonexistent.example.com.",
        authority=SOA_RECORD,
    )
    assert answer.rrset is None
    assert len(answer) == 0 and list(answer) == []
    with pytest.raises(IndexError):
        answer[0]
    soa = answer.response.authority[0][0]
    assert isinstance(soa, SOA)
    assert (soa.mname, soa.minimum) == (Name.from_text("ns1.example.com"), 300)
    assert answer.response.rcode() == RCODE.NXDOMAIN


def test_positional_construction_as_the_api_does_for_refused_classes():
    answer = Answer("www.example.com.", QTYPE.A, 3, RCODE.REFUSED, "www.example.com.")
    assert answer.rcode == RCODE.REFUSED and answer.rrset is None and answer.trace == []


def test_a_copy_takes_its_own_qname_spelling():
    # The API hands each caller of a shared walk its own copy with its own spelling.
    answer = chain_answer()
    mine = copy.copy(answer)
    mine.qname = "ALIAS.example.com."
    assert str(mine.qname) == "ALIAS.example.com." and str(answer.qname) == "alias.example.com."
    assert list(mine) == list(answer)


def test_rdata_our_codecs_reject_is_kept_in_generic_form():
    odd = RR("odd.example.com.", QTYPE.A, rdata=RD(b"\x01\x02\x03"), ttl=60)
    answer = Answer("odd.example.com.", QTYPE.A, 1, 0, "odd.example.com.", answer=[odd])
    (rdata,) = answer
    assert isinstance(rdata, GenericRdata)
    assert rdata.to_text() == r"\# 3 010203"


def test_rrsigs_group_by_the_type_they_cover():
    signed = records(
        """
x.example. 300 IN A 192.0.2.1
x.example. 300 IN RRSIG A 8 2 300 20260101000000 20250101000000 1 x.example. AAAA
x.example. 300 IN RRSIG MX 8 2 300 20260101000000 20250101000000 1 x.example. AAAA
"""
    )
    answer = Answer("x.example.", QTYPE.A, 1, 0, "x.example.", answer=signed)
    sections = answer.response.answer
    assert [(rrset.rdtype, rrset.covers) for rrset in sections] == [(1, 0), (46, 1), (46, 15)]
    assert isinstance(sections[1][0], RRSIG)
    assert [rdata.address for rdata in answer] == ["192.0.2.1"]


# Records as a real server sends them (names compressed against the whole message), read by
# dnslib as the walk reads them, then handed out as ours: they must equal dnspython's reading.
REPLY_RECORDS = [
    ("A", "192.0.2.1"),
    ("AAAA", "2001:db8::1"),
    ("NS", "ns1.example.com."),
    ("MX", "10 mail.example.com."),
    ("TXT", '"v=spf1 -all" "second \\"string\\""'),
    ("SRV", "10 60 5060 sip.example.com."),
    ("SOA", "ns1.example.com. hostmaster.example.com. 1 7200 3600 1209600 300"),
    ("PTR", "www.example.com."),
    ("DNAME", "example.net."),
    ("CAA", '128 issuewild "ca.example.net; policy=ev"'),
    ("DS", "60485 5 1 2bb183af5f22588179a53b0a98631fad1a292118"),
    ("DNSKEY", "257 3 8 AwEAAagAIKlVZrpC6Ia7gEzahOR+9W29euxhJhVVLOyQbSEW0O8gcCjF"),
    ("RRSIG", "A 8 3 300 20260101000000 20251201000000 60485 example.com. AwEAAagAIKlVZrpC6Ia7"),
    ("NSEC", "next.example.com. A NS SOA MX RRSIG NSEC DNSKEY CAA"),
    ("NSEC3", "1 1 10 aabbccdd 2t7b4g4vsa5smi47k61mv5bv1a22bojr A RRSIG"),
    ("TLSA", "3 1 1 " + "ab" * 32),
    ("SSHFP", "1 1 " + "cd" * 20),
    ("NAPTR", '100 10 "S" "SIP+D2U" "" _sip._udp.example.com.'),
    ("HTTPS", '1 . alpn="h2,h3" port="443" ipv4hint="192.0.2.1" ipv6hint="2001:db8::1"'),
    ("SVCB", "0 svc.example.com."),
    ("TYPE65280", r"\# 4 deadbeef"),
]


@pytest.mark.parametrize(("rdtype", "text"), REPLY_RECORDS, ids=[r[0] for r in REPLY_RECORDS])
def test_records_of_a_real_reply_read_as_dnspython_reads_them(rdtype, text):
    owner = "www.example.com."
    theirs = dns.rrset.from_text(owner, 300, "IN", rdtype, text)
    message = dns.message.make_response(dns.message.make_query(owner, theirs.rdtype))
    message.answer.append(theirs)
    parsed = DNSRecord.parse(message.to_wire())  # the walk's own reading
    answer = Answer(owner, theirs.rdtype, 1, 0, owner, answer=parsed.rr)
    (rdata,) = answer
    assert isinstance(rdata, Rdata)
    assert rdata == from_text(rdtype, text)
    assert rdata.to_text() == theirs[0].to_text()
    assert rdata.to_wire() == theirs[0].to_wire()
    assert answer.rrset == rrset_from_text(owner, 300, "IN", rdtype, text)
    assert answer.rrset.to_text() == theirs.to_text()
