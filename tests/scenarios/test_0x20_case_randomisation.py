"""0x20: with `use_0x20` each question goes out in random letter case and a reply must echo it;
a server that answers in another case is asked again in plain case, from then on; answers read
as they would without 0x20."""

from __future__ import annotations

from resolver.case0x20 import randomise_case
from tests.scripted import ANY, COM, EXAMPLE1, ROOTS, ScriptedNetwork, referral, small_internet

WWW = "www.example.com. 300 A 127.9.0.1"


def test_questions_go_out_in_random_case_and_answers_read_in_the_walks_case():
    net = ScriptedNetwork()
    small_internet(net, [WWW])
    with net.resolver(ROOTS, use_0x20=True) as resolver:
        answer = resolver.query("www.example.com.")
    assert [str(rr.rname) for rr in answer.answer_records] == ["www.example.com."]
    assert [str(rr.rdata) for rr in answer.answer_records] == ["127.9.0.1"]
    letters = [s.as_sent for s in net.sent if s.qname != "."]
    assert letters and all(name != name.lower() for name in letters)


def test_off_by_default_questions_go_out_as_asked():
    net = ScriptedNetwork()
    small_internet(net, [WWW])
    with net.resolver(ROOTS) as resolver:
        resolver.query("www.example.com.")
    assert all(s.as_sent == s.qname for s in net.sent)


def test_a_server_that_does_not_preserve_case_is_asked_again_in_plain_case():
    net = ScriptedNetwork()
    small_internet(net, [WWW, "mail.example.com. 300 A 127.9.0.2"])
    net.script(COM, ANY, ANY, **referral("example.com.", {"ns1.example.com.": EXAMPLE1}))
    net.host(EXAMPLE1, lower_case=True)
    with net.resolver(ROOTS, use_0x20=True) as resolver:
        answer = resolver.query("www.example.com.")
        assert [str(rr.rdata) for rr in answer.answer_records] == ["127.9.0.1"]
        assert any(e.kind == "server_failed" and e.problem == "case_not_echoed"
                   for e in answer.trace)
        retry = net.queries_to(EXAMPLE1)
        assert retry[0].as_sent != retry[0].qname and retry[-1].as_sent == retry[-1].qname
        sent = len(net.sent)
        resolver.query("mail.example.com.")
    later = [s for s in net.sent[sent:] if s.address == EXAMPLE1]
    assert later and all(s.as_sent == s.qname for s in later)  # remembered: plain case


def test_randomised_names_differ_only_in_case_and_are_never_all_lower_case():
    for _ in range(50):
        mixed = randomise_case("a.example.com.")
        assert mixed.lower() == "a.example.com." and mixed != "a.example.com."
    assert randomise_case("1.2.3.") == "1.2.3."


def test_names_compressed_against_the_question_read_in_the_walks_case():
    from dnslib import DNSRecord

    from resolver import wire
    from resolver.case0x20 import echoed, question_octets, restore_case

    asked = question_octets("wWw.ExAmple.com.")
    # A server that compresses the answer's owner against the question (as NSD and BIND do).
    header = bytes.fromhex("1234 8400 0001 0001 0000 0000".replace(" ", ""))
    answer = b"\xc0\x0c" + wire.pack_u16(1) + wire.pack_u16(1) + b"\x00\x00\x01\x2c"
    answer += wire.pack_u16(4) + bytes([127, 9, 0, 1])
    reply = header + asked + wire.pack_u16(1) + wire.pack_u16(1) + answer
    assert echoed(reply, asked) and not echoed(reply, question_octets("www.example.com."))
    assert str(DNSRecord.parse(reply).rr[0].rname) == "wWw.ExAmple.com."
    restored = restore_case(reply, asked, question_octets("www.example.com."))
    assert str(DNSRecord.parse(restored).rr[0].rname) == "www.example.com."
