"""The nameserver's DNSSEC behaviour (RFC 4035 §3.2, RFC 6840 §5.7, RFC 8914), in front of a
validating resolver that walks the signed lab in-process: AD only for secure data and only
when the client set AD or DO, RRSIGs and NSEC proofs for DO=1, CD=1 answers bogus data
unvalidated, and a bogus answer is SERVFAIL with an Extended DNS Error."""

from __future__ import annotations

import pytest
from dnslib import QTYPE, DNSRecord, EDNSOption

from resolver.dnssec import EDE
from tests.fakenet import hermetic_resolver
from tests.test_server import ServerThread, opt_of, question


@pytest.fixture
def served(tmp_path):
    resolver, lab, _, _ = hermetic_resolver(tmp_path)
    with resolver, ServerThread(resolver) as server:
        yield server, lab


def ask(server, name: str, qtype: str = "A", *, ad: bool = False, **kw) -> DNSRecord:
    query = question(name, qtype, **kw)
    query.header.ad = int(ad)
    return server.ask(query)


def ede_of(reply: DNSRecord) -> list[tuple[int, str]]:
    opt = opt_of(reply)
    options = opt.rdata if opt is not None else []
    return [(int.from_bytes(o.data[:2], "big"), o.data[2:].decode()) for o in options
            if isinstance(o, EDNSOption) and o.code == 15]


def test_ad_only_for_secure_data_and_only_when_asked(served):
    server, _ = served
    for attempt in ("miss", "hit"):
        plain = ask(server, "www.cs.cornell.edu.")
        assert plain.header.rcode == 0 and plain.header.ad == 0, attempt  # old client: no AD
        asked = ask(server, "www.cs.cornell.edu.", ad=True)
        assert asked.header.ad == 1, attempt  # RFC 6840 §5.7: AD in the query asks for it
        dnssec_ok = ask(server, "www.cs.cornell.edu.", edns=1232, do=True)
        assert dnssec_ok.header.ad == 1, attempt
    insecure = ask(server, "www.bank.com.", ad=True)
    assert insecure.header.rcode == 0 and insecure.header.ad == 0


def test_do_returns_the_rrsigs_and_plain_queries_do_not(served):
    server, _ = served
    for attempt in ("miss", "hit"):
        signed = ask(server, "www.cs.cornell.edu.", edns=1232, do=True)
        assert [QTYPE[rr.rtype] for rr in signed.rr] == ["A", "RRSIG"], attempt
        plain = ask(server, "www.cs.cornell.edu.", edns=1232)
        assert [QTYPE[rr.rtype] for rr in plain.rr] == ["A"], attempt


def test_do_returns_the_nsec_proof_of_a_negative_answer(served):
    server, _ = served
    reply = ask(server, "nosuch.cs.cornell.edu.", edns=1232, do=True)
    assert reply.header.rcode == 3 and reply.header.ad == 1
    types = {QTYPE[rr.rtype] for rr in reply.auth}
    assert {"SOA", "NSEC", "RRSIG"} <= types
    plain = ask(server, "nosuch.cs.cornell.edu.", edns=1232)
    assert [QTYPE[rr.rtype] for rr in plain.auth] == ["SOA"]


def test_bogus_is_servfail_with_extended_dns_error(served):
    server, _ = served
    reply = ask(server, "www.expired.com.", edns=1232)
    assert reply.header.rcode == 2 and not reply.rr
    [(code, text)] = ede_of(reply)
    assert code == int(EDE.SIGNATURE_EXPIRED)
    assert "expired" in text
    again = ask(server, "www.expired.com.", edns=1232)  # from the RFC 9520 failure cache
    assert again.header.rcode == 2
    assert [code for code, _ in ede_of(again)] == [int(EDE.SIGNATURE_EXPIRED)]  # its own code


def test_cd_returns_bogus_data_unvalidated_and_it_is_not_cached_for_others(served):
    server, _ = served
    checked = ask(server, "www.badsig.com.", edns=1232)
    assert checked.header.rcode == 2
    unchecked = ask(server, "www.badsig.com.", edns=1232, cd=True)
    assert unchecked.header.rcode == 0 and unchecked.rr and unchecked.header.ad == 0
    assert unchecked.header.cd == 1
    again = ask(server, "www.badsig.com.", edns=1232)
    assert again.header.rcode == 2  # the CD=1 reply did not reach clients that validate
