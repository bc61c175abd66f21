"""RFC 2308: negative answers, their TTLs, and the empty reply without SOA (§2.2 type 3)."""

from __future__ import annotations

from dnslib import QTYPE

from tests.scripted import (
    EXAMPLE1,
    EXAMPLE2,
    ROOTS,
    ScriptedNetwork,
    addresses,
    records,
    small_internet,
    soa,
)


def test_an_empty_noerror_without_soa_is_a_provisional_nodata():
    # Type 3: no answer, no SOA, no NS, AA=0, RA=0. Try the other server; if it does no better,
    # answer NOERROR/NODATA without caching it (not SERVFAIL).
    net = ScriptedNetwork()
    small_internet(net)
    for address in (EXAMPLE1, EXAMPLE2):
        net.script(address, "www.example.com.", "TXT", aa=False)
    with net.resolver(ROOTS) as resolver:
        answer = resolver.query("www.example.com.", "TXT")
        assert answer.rcode == 0 and answer.answer_records == []
        asked = {s.address for s in net.asked("www.example.com.", "TXT")}
        assert {EXAMPLE1, EXAMPLE2} <= asked
        assert resolver.iterator.cache.get_negative("www.example.com.", QTYPE.TXT) is None
        again = resolver.query("www.example.com.", "TXT")
        assert not again.from_cache


def test_a_provisional_nodata_gives_way_to_a_real_answer():
    net = ScriptedNetwork()
    small_internet(net, ['www.example.com. 300 TXT "real"'])
    net.script(EXAMPLE1, "www.example.com.", "TXT", aa=False,
               answer=["www.example.com. 300 A 127.6.6.6"])  # junk of another type, scrubbed
    with net.resolver(ROOTS) as resolver:
        for _ in range(4):
            resolver.iterator.cache.clear()
            answer = resolver.query("www.example.com.", "TXT")
            assert [r[3] for r in records(answer)] == ['"real"']
            assert resolver.iterator.cache.get("www.example.com.", QTYPE.A) is None


def test_nodata_reached_through_a_cname_is_cached_for_the_soa_minimum():
    net = ScriptedNetwork()
    small_internet(net, ["alias.example.com. 3600 CNAME www.example.com.",
                         "www.example.com. 300 A 127.9.0.1"])
    for address in (EXAMPLE1, EXAMPLE2):
        net.script(address, "alias.example.com.", "MX", aa=True,
                   answer=["alias.example.com. 3600 CNAME www.example.com."],
                   authority=[soa("example.com.", ttl=3600, minimum=60)])
    with net.resolver(ROOTS) as resolver:
        answer = resolver.query("alias.example.com.", "MX")
        assert answer.rcode == 0 and str(answer.canonical_name) == "www.example.com."
        assert [rr.ttl for rr in answer.authority_records] == [60]
        negative = resolver.iterator.cache.get_negative("www.example.com.", QTYPE.MX)
        assert negative is not None and negative.ttl == 60


def test_ttls_with_the_high_bit_set_are_clamped_in_the_first_answer_too():
    # RFC 8767 §4: a TTL with the high bit set is capped, like any other, at max_ttl.
    net = ScriptedNetwork()
    small_internet(net, ["big.example.com. 4294967295 A 127.9.0.7",
                         "week.example.com. 604800 A 127.9.0.8"])
    with net.resolver(ROOTS, max_ttl=86400) as resolver:
        for name in ("big.example.com.", "week.example.com."):
            first = resolver.query(name)
            cached = resolver.query(name)
            assert [r[2] for r in records(first)] == [86400]
            assert cached.from_cache and [r[2] for r in records(cached)] == [86400]


def test_negative_answers_carry_the_negative_ttl():
    net = ScriptedNetwork()
    small_internet(net)
    for address in (EXAMPLE1, EXAMPLE2):
        net.script(address, "gone.example.com.", "A", rcode=3, aa=True,
                   authority=[soa("example.com.", ttl=3600, minimum=120)])
    with net.resolver(ROOTS) as resolver:
        answer = resolver.query("gone.example.com.")
        assert answer.rcode == 3 and [rr.ttl for rr in answer.authority_records] == [120]
        assert addresses(answer) == []
