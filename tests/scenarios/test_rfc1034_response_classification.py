"""RFC 1034 §5.3.3, RFC 2181 §5.4.1/§6.1: what a reply is is decided by where its NS set sits
before the AA bit, and each RRset earns the trust of where it arrived."""

from __future__ import annotations

from dnslib import QTYPE

from resolver.cache import Trust
from tests.scripted import (
    ANY,
    COM,
    EXAMPLE1,
    EXAMPLE2,
    ROOT,
    ROOTS,
    ScriptedNetwork,
    addresses,
    referral,
    small_internet,
    soa,
)


def test_a_referral_with_aa_set_is_still_a_referral():
    # Some parents set AA=1 on referrals; the NS set below the zone asked decides.
    net = ScriptedNetwork()
    small_internet(net, ["www.example.com. 300 A 127.9.0.1"])
    net.script(COM, ANY, ANY, aa=True, **referral(
        "example.com.", {"ns1.example.com.": EXAMPLE1, "ns2.example.com.": EXAMPLE2}))
    with net.resolver(ROOTS) as resolver:
        answer = resolver.query("www.example.com.")
        assert answer.rcode == 0 and addresses(answer) == ["127.9.0.1"]
        # The parent-side NS set is referral data, not the child's authoritative NS set.
        ns = resolver.iterator.cache.get("example.com.", QTYPE.NS)
        assert ns is not None and ns.trust <= Trust.AUTHORITY


def test_an_aa_reply_with_an_upward_ns_set_is_lame():
    # A server answering AAAA with AA=1, no answer and the root NS set is not authoritative.
    net = ScriptedNetwork()
    small_internet(net, ["www.example.com. 300 AAAA ::1"])
    net.script(EXAMPLE1, "www.example.com.", "AAAA", aa=True,
               authority=[". 518400 NS a.root."], additional=[f"a.root. 518400 A {ROOT}"])
    net.host(EXAMPLE2, rtt=0.5)  # once measured, slower than an untried server: ns1 gets asked
    verdicts = []
    with net.resolver(ROOTS) as resolver:
        for _ in range(3):
            resolver.iterator.cache.clear()
            answer = resolver.query("www.example.com.", "AAAA")
            assert answer.rcode == 0 and addresses(answer) == ["::1"]
            verdicts += [(e.classification, e.lame_reason) for e in answer.trace
                         if e.kind == "response" and e.address == EXAMPLE1]
        assert ("lame", "upward-referral") in verdicts
        assert "example.com." in resolver.iterator.infra.stats(EXAMPLE1).lame_zones
        root_ns = resolver.iterator.cache.get(".", QTYPE.NS)
        assert root_ns is None or all(str(rr.rdata.label) == "a.root." for rr in root_ns.records)


def test_a_non_authoritative_answers_ns_set_never_replaces_the_delegation():
    # ns2 answers without AA and claims example.com. is served by a host of its choosing.
    net = ScriptedNetwork()
    small_internet(net, ["www.example.com. 300 A 127.9.0.1", "mail.example.com. 300 A 127.9.0.2"])
    net.script(EXAMPLE2, "www.example.com.", "A", aa=False,
               answer=["www.example.com. 300 A 127.9.0.1"],
               authority=["example.com. 86400 NS ns.evil.test."],
               additional=["ns.evil.test. 86400 A 127.6.6.6"])
    with net.resolver(ROOTS) as resolver:
        for _ in range(6):
            resolver.iterator.cache.remove("www.example.com.", QTYPE.A)
            resolver.query("www.example.com.")
        names = {str(rr.rdata.label) for rr in resolver.iterator.cache.get(
            "example.com.", QTYPE.NS).records}
        assert names == {"ns1.example.com.", "ns2.example.com."}
        resolver.query("mail.example.com.")
        assert not net.queries_to("127.6.6.6")


def test_only_the_qnames_own_rrset_of_an_aa_answer_is_authoritative():
    net = ScriptedNetwork()
    small_internet(net)
    net.script(EXAMPLE1, "www.example.com.", "A", aa=True, answer=[
        "www.example.com. 300 CNAME web.example.com.",
        "web.example.com. 300 A 127.9.0.3",
    ])
    net.script(EXAMPLE2, "www.example.com.", "A", aa=True, answer=[
        "www.example.com. 300 CNAME web.example.com.",
        "web.example.com. 300 A 127.9.0.3",
    ])
    with net.resolver(ROOTS) as resolver:
        assert addresses(resolver.query("www.example.com.")) == ["127.9.0.3"]
        cache = resolver.iterator.cache
        assert cache.get("www.example.com.", QTYPE.CNAME).trust == Trust.AUTH_ANSWER
        assert cache.get("web.example.com.", QTYPE.A).trust == Trust.ANSWER_NONAUTH


def test_a_parents_denial_does_not_delete_the_childs_data():
    # The child's servers gave an authoritative A; the parent's server, asked about the same
    # name (a DS query goes to the parent), denies the name: the child's data stays.
    net = ScriptedNetwork()
    small_internet(net, ["example.com. 300 A 127.9.0.9"])
    with net.resolver(ROOTS) as resolver:
        assert addresses(resolver.query("example.com.")) == ["127.9.0.9"]
        net.script(COM, "example.com.", "DS", rcode=3, aa=True, authority=[soa("com.")])
        assert resolver.query("example.com.", "DS").rcode == 3
        again = resolver.query("example.com.")
        assert again.from_cache and addresses(again) == ["127.9.0.9"]


def test_records_of_another_class_are_dropped():
    net = ScriptedNetwork()
    small_internet(net)
    for address in (EXAMPLE1, EXAMPLE2):
        net.script(address, "www.example.com.", "A", aa=True, answer=[
            "www.example.com. 300 CH A 127.9.9.9",
            "www.example.com. 300 A 127.9.0.1",
        ])
    with net.resolver(ROOTS) as resolver:
        answer = resolver.query("www.example.com.")
        assert addresses(answer) == ["127.9.0.1"]
        assert resolver.iterator.cache.get("www.example.com.", QTYPE.A, 3) is None
