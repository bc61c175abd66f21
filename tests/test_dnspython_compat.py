"""Code written for dnspython, run against our resolver over the offline lab.

Each test is written the way a dnspython user writes it; only the imports below differ. With
dnspython they read:

    from dns.name import from_text as name
    from dns.resolver import NXDOMAIN, NoAnswer
    from dns import asyncresolver

and `resolver` would be a `dns.resolver.Resolver()` (`async_resolver` a
`dns.asyncresolver.Resolver()`); here they are ours, walking the lab in-process.
"""

from __future__ import annotations

import asyncio
import socket
import time

import pytest

from resolver import NXDOMAIN, NoAnswer, asyncresolver
from resolver.records.name import from_text as name
from tests.fakenet import hermetic_resolver


@pytest.fixture
def resolver(tmp_path):
    ours, _lab, _clock, _network = hermetic_resolver(tmp_path)
    with ours:
        yield ours


@pytest.fixture
def async_resolver(resolver):
    return asyncresolver.Resolver(resolver=resolver)  # dnspython: asyncresolver.Resolver()


def test_a_record(resolver):
    before = time.time()
    answer = resolver.resolve("www.cs.cornell.edu", "A")
    after = time.time()
    assert [rdata.address for rdata in answer] == ["127.42.10.81"]
    assert len(answer) == 1
    assert answer[0].address == "127.42.10.81"
    assert answer[0].to_text() == "127.42.10.81"
    assert str(answer[0]) == "127.42.10.81"
    assert answer.qname == name("www.cs.cornell.edu")
    assert answer.canonical_name == answer.qname
    assert answer.rdtype == 1 and answer.rdclass == 1
    assert answer.rrset.name == name("www.cs.cornell.edu.")
    assert answer.rrset.ttl == 3600
    assert answer.rrset.to_text() == "www.cs.cornell.edu. 3600 IN A 127.42.10.81"
    assert before + 3600 <= answer.expiration <= after + 3600


def test_aaaa_record(resolver):
    answer = resolver.resolve("www.example.com", "AAAA")
    assert [rdata.address for rdata in answer] == ["2001:db8::80"]
    assert answer.rrset.to_text() == "www.example.com. 3600 IN AAAA 2001:db8::80"


def test_mx_records(resolver):
    answer = resolver.resolve("example.com", "MX")
    best = sorted(answer, key=lambda mx: mx.preference)[0]
    assert best.preference == 10
    assert best.exchange == name("mail.example.com")
    assert best.exchange == name("MAIL.Example.COM.")  # names compare without letter case
    assert best.exchange.to_text() == "mail.example.com."
    assert str(best.exchange) == "mail.example.com."
    assert best.to_text() == "10 mail.example.com."
    mail = resolver.resolve(best.exchange.to_text(), "A")  # the usual next step
    assert [rdata.address for rdata in mail] == ["127.42.20.25"]


def test_txt_record(resolver):
    answer = resolver.resolve("example.com", "TXT")
    txt = answer[0]
    assert txt.strings == (b"v=spf1 mx -all",)
    assert b"".join(txt.strings).decode() == "v=spf1 mx -all"
    assert txt.to_text() == '"v=spf1 mx -all"'


def test_srv_record(resolver):
    srv = resolver.resolve("_sip._tcp.example.com", "SRV")[0]
    assert (srv.priority, srv.weight, srv.port) == (10, 60, 5060)
    assert srv.target == name("sip.example.com")
    assert srv.to_text() == "10 60 5060 sip.example.com."


def test_caa_and_ptr_records(resolver):
    caa = resolver.resolve("example.com", "CAA")[0]
    assert (caa.flags, caa.tag, caa.value) == (0, b"issue", b"letsencrypt.org")
    assert caa.to_text() == '0 issue "letsencrypt.org"'
    ptr = resolver.resolve("81.10.42.127.in-addr.arpa", "PTR")[0]
    assert ptr.target == name("www.cs.cornell.edu")


def test_cname_chain(resolver):
    answer = resolver.resolve("chain.example.com", "A")
    assert answer.qname == name("chain.example.com")
    assert answer.canonical_name == name("chain.example.org")
    assert answer.rrset.name == answer.canonical_name
    assert [rdata.address for rdata in answer] == ["127.42.22.81"]
    sections = answer.response.answer
    assert [rrset.rdtype for rrset in sections] == [5, 5, 1]
    assert [rrset.name for rrset in sections[:2]] == [
        name("chain.example.com"),
        name("chain.example.net"),
    ]
    assert sections[0][0].target == name("chain.example.net")
    assert answer.response.rcode() == 0
    assert answer.response.flags & 0x8000  # QR: a response


def test_asking_for_the_cname_itself(resolver):
    answer = resolver.resolve("alias.example.com", "CNAME")
    assert answer[0].target == name("www.example.com")
    assert answer.rrset.to_text() == "alias.example.com. 3600 IN CNAME www.example.com."


def test_nxdomain(resolver):
    with pytest.raises(NXDOMAIN):
        resolver.resolve("nonexistent.example.com", "A")


def test_nodata(resolver):
    with pytest.raises(NoAnswer):
        resolver.resolve("www.example.com", "MX")


def test_answers_compare_and_hash_by_record_data(resolver):
    first = resolver.resolve("example.com", "MX")
    again = resolver.resolve("EXAMPLE.com", "MX")  # from the cache, another spelling
    assert again.rrset == first.rrset
    assert set(again) == set(first)
    assert {rdata.exchange for rdata in first} == {name("mail.example.com")}


def test_async_resolution(async_resolver):
    async def main():
        answer = await async_resolver.resolve("alias.example.com", "A")
        assert [rdata.address for rdata in answer] == ["127.42.20.80"]
        assert answer.canonical_name == name("www.example.com")
        assert answer.rrset.ttl == 3600
        ptr = await async_resolver.resolve_address("127.42.10.81")
        assert ptr[0].target == name("www.cs.cornell.edu")
        host = await async_resolver.resolve_name("www.example.com", family=socket.AF_INET)
        assert list(host.addresses()) == ["127.42.20.80"]
        with pytest.raises(NXDOMAIN):
            await async_resolver.resolve("nonexistent.example.com", "A")
        with pytest.raises(NoAnswer):
            await async_resolver.resolve("www.example.com", "MX")
        # many questions at once, on the caller's event loop
        names = ["www.example.com", "www.cs.cornell.edu", "alias.example.com"]
        answers = await asyncio.gather(*(async_resolver.resolve(n, "A") for n in names))
        assert [a[0].address for a in answers] == ["127.42.20.80", "127.42.10.81", "127.42.20.80"]

    asyncio.run(main())
