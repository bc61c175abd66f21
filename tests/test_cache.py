"""RRset and negative cache: TTL arithmetic, clamps, trust ranking, eviction, zone cuts."""

from __future__ import annotations

import math

import pytest
from dnslib import AAAA, CNAME, NS, QTYPE, RCODE, RR, SOA, TXT, A, DNSLabel
from hypothesis import given, settings
from hypothesis import strategies as st

from resolver.cache import (
    FAILURE_TTL_MAX,
    FAILURE_TTL_MIN,
    CachedRRset,
    FailureEntry,
    NegativeEntry,
    RRsetCache,
    StampCheck,
    Trust,
    ancestors,
    canonical_name,
    group_rrsets,
)


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def a(name: str, address: str, ttl: int = 300) -> RR:
    return RR(DNSLabel(name), QTYPE.A, ttl=ttl, rdata=A(address))


def ns(zone: str, target: str, ttl: int = 3600) -> RR:
    return RR(DNSLabel(zone), QTYPE.NS, ttl=ttl, rdata=NS(target))


def soa(zone: str, ttl: int, minimum: int) -> RR:
    times = (2024010101, 7200, 3600, 1209600, minimum)
    return RR(
        DNSLabel(zone),
        QTYPE.SOA,
        ttl=ttl,
        rdata=SOA(f"ns1.{zone}", f"hostmaster.{zone}", times),
    )


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def cache(clock: FakeClock) -> RRsetCache:
    return RRsetCache(clock=clock)


# -- basic storage --------------------------------------------------------------------------


def test_put_then_get_returns_the_rrset(cache: RRsetCache) -> None:
    assert cache.put([a("www.example.com.", "192.0.2.1"), a("www.example.com.", "192.0.2.2")],
                     Trust.AUTH_ANSWER)
    got = cache.get("www.example.com.", QTYPE.A)
    assert isinstance(got, CachedRRset)
    assert got.rtype == QTYPE.A and got.rclass == 1 and got.trust == Trust.AUTH_ANSWER
    assert sorted(str(rr.rdata) for rr in got.records) == ["192.0.2.1", "192.0.2.2"]
    assert got.ttl == 300
    assert cache.get("www.example.com.", QTYPE.AAAA) is None
    assert cache.get("www.example.com.", QTYPE.A, 3) is None  # another class
    assert len(cache) == 1


def test_returned_records_are_copies(cache: RRsetCache) -> None:
    cache.put([a("x.example.", "192.0.2.1")], Trust.AUTH_ANSWER)
    first = cache.get("x.example.", QTYPE.A)
    assert first is not None
    first.records[0].ttl = 99999
    second = cache.get("x.example.", QTYPE.A)
    assert second is not None and second.records[0].ttl == 300


def test_names_are_case_insensitive_and_dot_tolerant(cache: RRsetCache) -> None:
    cache.put([a("WWW.Example.COM.", "192.0.2.1")], Trust.AUTH_ANSWER)
    for query in ("www.example.com.", "WWW.EXAMPLE.COM.", "www.example.com"):
        got = cache.get(query, QTYPE.A)
        assert got is not None
        assert str(got.records[0].rdata) == "192.0.2.1"
    # A second put under different case is the same RRset, not a new one.
    cache.put([a("www.EXAMPLE.com.", "192.0.2.9")], Trust.AUTH_ANSWER)
    assert len(cache) == 1
    got = cache.get("www.example.com.", QTYPE.A)
    assert got is not None and [str(rr.rdata) for rr in got.records] == ["192.0.2.9"]


def test_mixed_case_owners_form_one_rrset(cache: RRsetCache) -> None:
    assert cache.put([a("Host.example.", "192.0.2.1"), a("host.EXAMPLE.", "192.0.2.2")],
                     Trust.AUTH_ANSWER)
    got = cache.get("host.example.", QTYPE.A)
    assert got is not None and len(got.records) == 2


def test_records_that_are_not_one_rrset_are_refused(cache: RRsetCache) -> None:
    with pytest.raises(ValueError):
        cache.put([a("a.example.", "192.0.2.1"), a("b.example.", "192.0.2.2")], Trust.AUTH_ANSWER)
    aaaa = RR(DNSLabel("a.example."), QTYPE.AAAA, ttl=300, rdata=AAAA("2001:db8::1"))
    with pytest.raises(ValueError):
        cache.put([a("a.example.", "192.0.2.1"), aaaa], Trust.AUTH_ANSWER)
    assert len(cache) == 0


def test_empty_input_is_not_cached(cache: RRsetCache) -> None:
    assert cache.put([], Trust.AUTH_ANSWER) is False
    assert len(cache) == 0


def test_duplicate_records_are_stored_once_but_txt_case_matters(cache: RRsetCache) -> None:
    cache.put([a("d.example.", "192.0.2.1"), a("d.example.", "192.0.2.1")], Trust.AUTH_ANSWER)
    got = cache.get("d.example.", QTYPE.A)
    assert got is not None and len(got.records) == 1
    txt = [RR(DNSLabel("t.example."), QTYPE.TXT, ttl=60, rdata=TXT(s)) for s in ("Hi", "hi", "Hi")]
    cache.put(txt, Trust.AUTH_ANSWER)
    got = cache.get("t.example.", QTYPE.TXT)
    assert got is not None and len(got.records) == 2


def test_group_rrsets_splits_a_section() -> None:
    section = [
        a("a.example.", "192.0.2.1"),
        ns("example.", "ns1.example."),
        a("A.example.", "192.0.2.2"),
        a("b.example.", "192.0.2.3"),
    ]
    groups = group_rrsets(section)
    assert [len(g) for g in groups] == [2, 1, 1]
    assert groups[0][1].rname == DNSLabel("A.example.")


def test_name_helpers() -> None:
    assert canonical_name("WWW.Example.com") == "www.example.com."
    assert canonical_name(".") == "."
    assert canonical_name("") == "."
    assert ancestors("www.Example.com.") == ["www.example.com.", "example.com.", "com.", "."]
    assert ancestors(".") == ["."]


def test_ancestors_of_escaped_and_international_names() -> None:
    # Plain names are split as text; anything else keeps dnslib's reading of the name.
    assert ancestors("a_b.Example.com") == ["a_b.example.com.", "example.com.", "com.", "."]
    assert ancestors("a b.com.") == ["a\\032b.com.", "com.", "."]
    assert ancestors("x\\046y.com.") == ["x.y.com.", "y.com.", "com.", "."]
    assert ancestors("\u00e9.com.") == ["xn--9ca.com.", "com.", "."]
    assert ancestors(DNSLabel("www.example.")) == ["www.example.", "example.", "."]
    with pytest.raises(UnicodeError):  # an empty label is no name
        ancestors("a..b.")
    with pytest.raises(UnicodeError):  # nor a label of 64 octets
        ancestors("a" * 64 + ".com.")
    with pytest.raises(UnicodeError):  # wherever it is
        ancestors("x." + "a" * 64 + ".")
    assert ancestors("a" * 63 + ".com.") == ["a" * 63 + ".com.", "com.", "."]
    assert ancestors("-.x.") == ["-.x.", "x.", "."]


# -- TTL arithmetic -------------------------------------------------------------------------


def test_entry_expires_at_exactly_its_ttl(cache: RRsetCache, clock: FakeClock) -> None:
    cache.put([a("e.example.", "192.0.2.1", ttl=300)], Trust.AUTH_ANSWER)
    clock.advance(299.999)
    got = cache.get("e.example.", QTYPE.A)
    assert got is not None and got.ttl == 1 and got.records[0].ttl == 1
    clock.advance(0.001)  # now exactly 300 s after the put
    assert cache.get("e.example.", QTYPE.A) is None
    assert len(cache) == 0
    clock.advance(1000)
    assert cache.get("e.example.", QTYPE.A) is None


def test_ttls_count_down_with_the_clock(cache: RRsetCache, clock: FakeClock) -> None:
    cache.put([a("c.example.", "192.0.2.1", ttl=300), a("c.example.", "192.0.2.2", ttl=300)],
              Trust.AUTH_ANSWER)
    seen = []
    for step in (0, 0.5, 0.5, 99, 100.25, 99.5):
        clock.advance(step)
        got = cache.get("c.example.", QTYPE.A)
        assert got is not None
        assert {rr.ttl for rr in got.records} == {got.ttl}
        seen.append(got.ttl)
    assert seen == [300, 300, 299, 200, 100, 1]  # whole seconds left, rounded up


def test_rrset_ttl_is_the_minimum_of_its_records(cache: RRsetCache, clock: FakeClock) -> None:
    cache.put([a("m.example.", "192.0.2.1", ttl=500), a("m.example.", "192.0.2.2", ttl=120)],
              Trust.AUTH_ANSWER)
    got = cache.get("m.example.", QTYPE.A)
    assert got is not None and got.ttl == 120
    assert all(rr.ttl == 120 for rr in got.records)
    clock.advance(120)
    assert cache.get("m.example.", QTYPE.A) is None


def test_max_ttl_clamp(clock: FakeClock) -> None:
    cache = RRsetCache(max_ttl=3600, clock=clock)
    cache.put([a("long.example.", "192.0.2.1", ttl=604800)], Trust.AUTH_ANSWER)
    got = cache.get("long.example.", QTYPE.A)
    assert got is not None and got.ttl == 3600
    clock.advance(3600)
    assert cache.get("long.example.", QTYPE.A) is None


def test_default_max_ttl_is_one_day(cache: RRsetCache) -> None:
    cache.put([a("long.example.", "192.0.2.1", ttl=2**31 - 1)], Trust.AUTH_ANSWER)
    got = cache.get("long.example.", QTYPE.A)
    assert got is not None and got.ttl == 86400


def test_min_ttl_clamp(clock: FakeClock) -> None:
    cache = RRsetCache(min_ttl=60, clock=clock)
    cache.put([a("short.example.", "192.0.2.1", ttl=5)], Trust.AUTH_ANSWER)
    clock.advance(30)
    got = cache.get("short.example.", QTYPE.A)
    assert got is not None and got.ttl == 30
    clock.advance(30)
    assert cache.get("short.example.", QTYPE.A) is None


def test_ttl_zero_is_not_cached_even_with_min_ttl(clock: FakeClock) -> None:
    cache = RRsetCache(min_ttl=60, clock=clock)
    assert cache.put([a("zero.example.", "192.0.2.1", ttl=0)], Trust.AUTH_ANSWER) is False
    assert cache.put([a("zero.example.", "192.0.2.1", ttl=30), a("zero.example.", "192.0.2.2", 0)],
                     Trust.AUTH_ANSWER) is False
    assert cache.get("zero.example.", QTYPE.A) is None
    assert len(cache) == 0


def test_bad_limits_are_refused() -> None:
    with pytest.raises(ValueError):
        RRsetCache(min_ttl=100, max_ttl=10)
    with pytest.raises(ValueError):
        RRsetCache(max_bytes=0)


@settings(max_examples=200, deadline=None)
@given(
    ttl=st.integers(min_value=1, max_value=2**31 - 1),
    start=st.floats(min_value=0, max_value=1e7, allow_nan=False),
    elapsed=st.lists(st.floats(min_value=0, max_value=2e5, allow_nan=False), max_size=8),
)
def test_ttl_arithmetic_invariants(ttl: int, start: float, elapsed: list[float]) -> None:
    clock = FakeClock(start)
    cache = RRsetCache(max_ttl=86400, clock=clock)
    assert cache.put([a("p.example.", "192.0.2.1", ttl=ttl)], Trust.AUTH_ANSWER)
    effective = min(ttl, 86400)
    previous = effective
    for step in elapsed:
        clock.advance(step)
        age = clock.now - start
        got = cache.get("p.example.", QTYPE.A)
        if age >= effective:
            assert got is None  # never served after expiry
            break
        assert got is not None
        assert 1 <= got.ttl <= previous  # counts down, never below 1 while live
        assert got.records[0].ttl == got.ttl
        # Whole seconds left, rounded up (with slack for float error in the clock sums).
        assert abs(got.ttl - math.ceil(effective - age)) <= 1
        assert got.ttl >= effective - age - 1e-3  # never lies low by a second or more
        previous = got.ttl


# -- eviction -------------------------------------------------------------------------------


def _cost(fill) -> int:  # noqa: ANN001 (a callable given a cache)
    """The bytes the entries `fill` stores are accounted at, in a cache of its own."""
    cache = RRsetCache(clock=FakeClock())
    fill(cache)
    return cache.used_bytes


def test_lru_eviction_bounds_the_cache(clock: FakeClock) -> None:
    one = _cost(lambda c: c.put([a("h0.example.", "192.0.2.0")], Trust.AUTH_ANSWER))
    cache = RRsetCache(max_bytes=3 * one, clock=clock)  # room for three such RRsets
    for i in range(3):
        cache.put([a(f"h{i}.example.", f"192.0.2.{i}")], Trust.AUTH_ANSWER)
    assert cache.get("h0.example.", QTYPE.A) is not None  # h0 is now most recently used
    cache.put([a("h3.example.", "192.0.2.3")], Trust.AUTH_ANSWER)
    assert len(cache) == 3
    assert cache.get("h1.example.", QTYPE.A) is None  # least recently used went first
    for name in ("h0", "h2", "h3"):
        assert cache.get(f"{name}.example.", QTYPE.A) is not None
    for i in range(100):
        cache.put([a(f"n{i}.example.", "192.0.2.1")], Trust.AUTH_ANSWER)
        assert len(cache) <= 3


def test_negative_entries_count_towards_the_bound(clock: FakeClock) -> None:
    negative = _cost(lambda c: c.put_negative("y.example.", QTYPE.A, RCODE.NOERROR,
                                              soa("example.", 3600, 300)))
    cache = RRsetCache(max_bytes=2 * negative, clock=clock)  # two entries, not three
    cache.put([a("h.example.", "192.0.2.1")], Trust.AUTH_ANSWER)
    cache.put_negative("x.example.", None, RCODE.NXDOMAIN, soa("example.", 3600, 300))
    cache.put_negative("y.example.", QTYPE.A, RCODE.NOERROR, soa("example.", 3600, 300))
    assert len(cache) == 2
    assert cache.get("h.example.", QTYPE.A) is None


# -- trust ranking --------------------------------------------------------------------------


def test_glue_cannot_replace_an_authoritative_answer(cache: RRsetCache) -> None:
    assert cache.put([a("ns1.example.", "192.0.2.1")], Trust.AUTH_ANSWER)
    assert cache.put([a("ns1.example.", "203.0.113.66")], Trust.ADDITIONAL) is False
    got = cache.get("ns1.example.", QTYPE.A)
    assert got is not None and got.trust == Trust.AUTH_ANSWER
    assert str(got.records[0].rdata) == "192.0.2.1"


def test_authoritative_answer_replaces_glue(cache: RRsetCache) -> None:
    assert cache.put([a("ns1.example.", "203.0.113.1")], Trust.ADDITIONAL)
    assert cache.put([a("ns1.example.", "192.0.2.1")], Trust.AUTH_ANSWER)
    got = cache.get("ns1.example.", QTYPE.A)
    assert got is not None and got.trust == Trust.AUTH_ANSWER
    assert str(got.records[0].rdata) == "192.0.2.1"


def test_equal_trust_replaces_and_refreshes(cache: RRsetCache, clock: FakeClock) -> None:
    cache.put([a("www.example.", "192.0.2.1", ttl=100)], Trust.AUTH_ANSWER)
    clock.advance(90)
    assert cache.put([a("www.example.", "192.0.2.2", ttl=100)], Trust.AUTH_ANSWER)
    clock.advance(90)
    got = cache.get("www.example.", QTYPE.A)
    assert got is not None and got.ttl == 10 and str(got.records[0].rdata) == "192.0.2.2"


def test_lower_trust_is_stored_after_the_higher_one_expires(
    cache: RRsetCache, clock: FakeClock
) -> None:
    cache.put([a("ns1.example.", "192.0.2.1", ttl=60)], Trust.AUTH_ANSWER)
    clock.advance(59)
    assert cache.put([a("ns1.example.", "203.0.113.1", ttl=600)], Trust.ADDITIONAL) is False
    clock.advance(1)
    assert cache.put([a("ns1.example.", "203.0.113.1", ttl=600)], Trust.ADDITIONAL)
    got = cache.get("ns1.example.", QTYPE.A)
    assert got is not None and got.trust == Trust.ADDITIONAL and got.ttl == 600


def test_min_trust_filters_weak_data(cache: RRsetCache) -> None:
    cache.put([a("glue.example.", "192.0.2.1")], Trust.ADDITIONAL)
    assert cache.get("glue.example.", QTYPE.A, min_trust=Trust.ANSWER_NONAUTH) is None
    assert cache.get("glue.example.", QTYPE.A) is not None
    cache.put([a("glue.example.", "192.0.2.1")], Trust.ANSWER_NONAUTH)
    assert cache.get("glue.example.", QTYPE.A, min_trust=Trust.ANSWER_NONAUTH) is not None
    assert cache.get("glue.example.", QTYPE.A, min_trust=Trust.AUTH_ANSWER) is None


def test_trust_ranks_follow_rfc_2181() -> None:
    order = [Trust.ADDITIONAL, Trust.AUTHORITY, Trust.ANSWER_NONAUTH, Trust.AUTH_AUTHORITY,
             Trust.AUTH_ANSWER]
    assert order == sorted(order)


_PUTS = st.lists(
    st.tuples(
        st.floats(min_value=0, max_value=200, allow_nan=False),  # time since previous step
        st.sampled_from(list(Trust)),
        st.integers(min_value=0, max_value=300),  # TTL (0 = do not cache)
    ),
    max_size=25,
)


@settings(max_examples=200, deadline=None)
@given(puts=_PUTS)
def test_trust_and_expiry_match_a_reference_model(puts: list[tuple[float, Trust, int]]) -> None:
    clock = FakeClock(0.0)
    cache = RRsetCache(clock=clock)
    model: tuple[Trust, float, str] | None = None  # (trust, expires, address)
    for i, (step, trust, ttl) in enumerate(puts):
        clock.advance(step)
        now = clock.now
        live = model if model is not None and now < model[1] else None
        address = f"192.0.2.{i}"
        expected = ttl > 0 and (live is None or live[0] <= trust)
        assert cache.put([a("k.example.", address, ttl=ttl)], trust) is expected
        if expected:
            expires = now + ttl
            if live is not None and trust < Trust.ANSWER_NONAUTH:
                expires = min(expires, live[1])  # weak address data never extends (ghost rule)
            model = (trust, expires, address)
        got = cache.get("k.example.", QTYPE.A)
        live = model if model is not None and now < model[1] else None
        if live is None:
            assert got is None
        else:
            assert got is not None
            assert got.trust == live[0]
            assert str(got.records[0].rdata) == live[2]


# -- negative caching (RFC 2308) ------------------------------------------------------------


@pytest.mark.parametrize(("soa_ttl", "minimum", "expected"), [(3600, 300, 300), (60, 900, 60)])
def test_negative_ttl_is_min_of_soa_ttl_and_minimum(
    cache: RRsetCache, clock: FakeClock, soa_ttl: int, minimum: int, expected: int
) -> None:
    cache.put_negative("gone.example.", None, RCODE.NXDOMAIN, soa("example.", soa_ttl, minimum))
    entry = cache.get_negative("gone.example.", QTYPE.A)
    assert isinstance(entry, NegativeEntry)
    assert entry.ttl == expected and entry.rcode == RCODE.NXDOMAIN and entry.rtype is None
    assert entry.soa[0].rtype == QTYPE.SOA and entry.soa[0].ttl == expected
    clock.advance(expected - 1)
    entry = cache.get_negative("gone.example.", QTYPE.A)
    assert entry is not None and entry.ttl == 1 and entry.soa[0].ttl == 1
    clock.advance(1)
    assert cache.get_negative("gone.example.", QTYPE.A) is None


# Labels of any ASCII octet dnslib reads back (it wants UTF-8), '.' and '\\' included.
_LABEL = st.text(st.characters(min_codepoint=0, max_codepoint=127), min_size=1,
                 max_size=63).map(str.encode)


@settings(max_examples=100, deadline=None)
@given(owner=st.lists(_LABEL, max_size=3), mname=st.lists(_LABEL, max_size=3),
       rname=st.lists(_LABEL, max_size=3))
def test_a_negative_answers_soa_comes_back_as_stored(
    owner: list[bytes], mname: list[bytes], rname: list[bytes]
) -> None:
    record = RR(DNSLabel(owner), QTYPE.SOA, ttl=600,
                rdata=SOA(DNSLabel(mname), DNSLabel(rname), (1, 2, 3, 4, 300)))
    cache = RRsetCache(clock=FakeClock())
    cache.put_negative("gone.example.", None, RCODE.NXDOMAIN, record)
    entry = cache.get_negative("gone.example.", QTYPE.A)
    assert entry is not None
    (back,) = entry.soa
    assert back.rname.label == tuple(owner) and back.ttl == 300
    assert back.rdata.mname.label == tuple(mname) and back.rdata.rname.label == tuple(rname)
    assert back.rdata.times == (1, 2, 3, 4, 300)


def test_negative_ttl_clamps(clock: FakeClock) -> None:
    cache = RRsetCache(clock=clock)  # default max_negative_ttl: 3 hours
    cache.put_negative("a.example.", None, RCODE.NXDOMAIN, soa("example.", 86400, 86400))
    entry = cache.get_negative("a.example.", QTYPE.A)
    assert entry is not None and entry.ttl == 10800
    small = RRsetCache(max_ttl=100, clock=clock)
    small.put_negative("a.example.", None, RCODE.NXDOMAIN, soa("example.", 86400, 86400))
    entry = small.get_negative("a.example.", QTYPE.A)
    assert entry is not None and entry.ttl == 100


def test_zero_negative_ttl_is_not_cached(cache: RRsetCache) -> None:
    cache.put_negative("a.example.", None, RCODE.NXDOMAIN, soa("example.", 3600, 0))
    assert cache.get_negative("a.example.", QTYPE.A) is None
    assert len(cache) == 0


def test_nxdomain_covers_every_type(cache: RRsetCache) -> None:
    cache.put_negative("Gone.Example.", None, RCODE.NXDOMAIN, soa("example.", 3600, 300))
    for rtype in (QTYPE.A, QTYPE.AAAA, QTYPE.MX, QTYPE.TXT):
        entry = cache.get_negative("gone.example.", rtype)
        assert entry is not None and entry.rcode == RCODE.NXDOMAIN
    # Per name only: no RFC 8020 inference for names below it, none for siblings.
    assert cache.get_negative("sub.gone.example.", QTYPE.A) is None
    assert cache.get_negative("other.example.", QTYPE.A) is None


def test_nodata_is_per_type(cache: RRsetCache) -> None:
    cache.put_negative("host.example.", QTYPE.AAAA, RCODE.NOERROR, soa("example.", 3600, 300))
    entry = cache.get_negative("HOST.example.", QTYPE.AAAA)
    assert entry is not None and entry.rcode == RCODE.NOERROR and entry.rtype == QTYPE.AAAA
    assert cache.get_negative("host.example.", QTYPE.A) is None


def test_nxdomain_with_an_rtype_is_still_name_wide(cache: RRsetCache) -> None:
    cache.put_negative("gone.example.", QTYPE.A, RCODE.NXDOMAIN, soa("example.", 3600, 300))
    entry = cache.get_negative("gone.example.", QTYPE.MX)
    assert entry is not None and entry.rtype is None


def test_bad_negative_input_is_refused(cache: RRsetCache) -> None:
    with pytest.raises(ValueError):
        cache.put_negative("a.example.", None, RCODE.NOERROR, soa("example.", 60, 60))
    with pytest.raises(ValueError):
        cache.put_negative("a.example.", QTYPE.A, RCODE.SERVFAIL, soa("example.", 60, 60))
    with pytest.raises(ValueError):
        cache.put_negative("a.example.", None, RCODE.NXDOMAIN, a("example.", "192.0.2.1"))
    assert len(cache) == 0


def test_positive_answer_clears_contradicting_negative_data(cache: RRsetCache) -> None:
    cache.put_negative("h.example.", None, RCODE.NXDOMAIN, soa("example.", 3600, 300))
    cache.put_negative("h.example.", QTYPE.A, RCODE.NOERROR, soa("example.", 3600, 300))
    # Glue is too weak to overrule an authoritative negative answer ...
    cache.put([a("h.example.", "192.0.2.1")], Trust.ADDITIONAL)
    assert cache.get_negative("h.example.", QTYPE.A) is not None
    # ... an answer is not.
    cache.put([a("h.example.", "192.0.2.1")], Trust.AUTH_ANSWER)
    assert cache.get_negative("h.example.", QTYPE.A) is None


def test_nodata_clears_the_positive_rrset_of_that_type(cache: RRsetCache) -> None:
    cache.put([a("h.example.", "192.0.2.1")], Trust.AUTH_ANSWER)
    cache.put([ns("h.example.", "ns.h.example.")], Trust.AUTH_ANSWER)
    cache.put_negative(
        "h.example.", QTYPE.A, RCODE.NOERROR, soa("example.", 3600, 300), trust=Trust.AUTH_ANSWER
    )
    assert cache.get("h.example.", QTYPE.A) is None
    assert cache.get("h.example.", QTYPE.NS) is not None


def test_remove_negative(cache: RRsetCache) -> None:
    cache.put_negative("h.example.", None, RCODE.NXDOMAIN, soa("example.", 3600, 300))
    cache.remove_negative("h.example.", None)
    assert cache.get_negative("h.example.", QTYPE.A) is None


# -- zone cuts and housekeeping -------------------------------------------------------------


def test_closest_zone_cut_picks_the_deepest_live_ns_set(
    cache: RRsetCache, clock: FakeClock
) -> None:
    assert cache.closest_zone_cut("www.cs.example.edu.") is None
    cache.put([ns(".", "a.root-servers.net.", ttl=518400)], Trust.AUTH_ANSWER)
    cache.put([ns("edu.", "a.edu-servers.net.", ttl=172800)], Trust.AUTHORITY)
    cache.put([ns("example.edu.", "ns1.example.edu.", ttl=600)], Trust.AUTHORITY)
    cache.put([ns("cs.example.edu.", "ns.cs.example.edu.", ttl=60)], Trust.AUTHORITY)
    cache.put([a("ns.cs.example.edu.", "192.0.2.53")], Trust.ADDITIONAL)  # not an NS: no cut

    zone, rrset = cache.closest_zone_cut("WWW.CS.Example.EDU.") or ("", None)
    assert zone == "cs.example.edu." and rrset is not None and rrset.rtype == QTYPE.NS
    assert cache.closest_zone_cut("cs.example.edu.")[0] == "cs.example.edu."  # self counts
    clock.advance(60)  # the cs cut expires: fall back to its parent
    zone, rrset = cache.closest_zone_cut("www.cs.example.edu.") or ("", None)
    assert zone == "example.edu." and rrset is not None and rrset.ttl == 540
    clock.advance(540)
    assert cache.closest_zone_cut("www.cs.example.edu.")[0] == "edu."
    assert cache.closest_zone_cut("www.example.org.")[0] == "."


def test_remove_and_clear(cache: RRsetCache) -> None:
    cache.put([a("h.example.", "192.0.2.1")], Trust.AUTH_ANSWER)
    cache.put([ns("example.", "ns1.example.")], Trust.AUTHORITY)
    cache.remove("H.example.", QTYPE.A)
    assert cache.get("h.example.", QTYPE.A) is None
    assert len(cache) == 1
    cache.remove("nothing.example.", QTYPE.A)  # absent: no error
    cache.put_negative("x.example.", None, RCODE.NXDOMAIN, soa("example.", 3600, 300))
    cache.clear()
    assert len(cache) == 0
    assert cache.get("example.", QTYPE.NS) is None
    assert cache.get_negative("x.example.", QTYPE.A) is None


def test_len_counts_only_live_entries(cache: RRsetCache, clock: FakeClock) -> None:
    cache.put([a("s.example.", "192.0.2.1", ttl=10)], Trust.AUTH_ANSWER)
    cache.put([a("l.example.", "192.0.2.1", ttl=100)], Trust.AUTH_ANSWER)
    cache.put_negative("n.example.", None, RCODE.NXDOMAIN, soa("example.", 50, 50))
    assert len(cache) == 3
    clock.advance(10)
    assert len(cache) == 2
    clock.advance(40)
    assert len(cache) == 1


# -- one TTL rule for everything handed out (RFC 2181 §5.2, §8; RFC 8767 §4; RFC 2308 §5) -----


@pytest.mark.parametrize(
    ("ttl", "expected"),
    [
        (2**31 + 5, 3600),  # high bit set: a large positive value, capped (RFC 8767 §4), not 0
        (2**32 - 1, 3600),
        (2**31 - 1, 3600),
        (7200, 3600),  # over max_ttl
        (300, 300),
        (5, 60),  # under min_ttl
        (0, 0),  # TTL 0 stays 0: this answer only, never cached, min_ttl does not apply
    ],
)
def test_clamp_gives_the_ttl_the_cache_would_serve(
    clock: FakeClock, ttl: int, expected: int
) -> None:
    cache = RRsetCache(min_ttl=60, max_ttl=3600, clock=clock)
    record = a("t.example.", "192.0.2.1", ttl=ttl)
    (clamped,) = cache.clamp([record])
    assert clamped.ttl == expected
    assert record.ttl == ttl  # a copy: the caller's record is untouched
    stored = cache.put([record], Trust.AUTH_ANSWER)
    got = cache.get("t.example.", QTYPE.A)
    if expected == 0:
        assert stored is False and got is None
    else:
        assert got is not None and got.ttl == expected == clamped.ttl


def test_clamp_takes_the_minimum_per_rrset_and_keeps_order(cache: RRsetCache) -> None:
    records = [
        a("x.example.", "192.0.2.1", ttl=500),
        ns("example.", "ns.example.", ttl=2**32 - 1),
        a("X.Example.", "192.0.2.2", ttl=120),
        ns("example.", "ns2.example.", ttl=7200),
    ]
    clamped = cache.clamp(records)
    assert [rr.ttl for rr in clamped] == [120, 7200, 120, 7200]
    assert [str(rr.rdata) for rr in clamped] == [str(rr.rdata) for rr in records]


@pytest.mark.parametrize(
    ("soa_ttl", "minimum", "expected"),
    [
        (3600, 300, 300),
        (60, 900, 60),
        (2**31 + 5, 600, 600),  # a high-bit SOA TTL is large, not 0
        (2**32 - 1, 2**32 - 1, 3600),  # both huge: capped at max_ttl
        (86400, 86400, 3600),
        (0, 300, 0),
    ],
)
def test_negative_ttl_and_clamp_negative(
    clock: FakeClock, soa_ttl: int, minimum: int, expected: int
) -> None:
    cache = RRsetCache(max_ttl=3600, max_negative_ttl=10800, clock=clock)
    record = soa("example.", soa_ttl, minimum)
    assert cache.negative_ttl(record) == expected
    carried = cache.clamp_negative(record)
    assert carried.rtype == QTYPE.SOA and carried.ttl == expected
    assert record.ttl == soa_ttl  # a copy
    cache.put_negative("gone.example.", None, RCODE.NXDOMAIN, record)
    entry = cache.get_negative("gone.example.", QTYPE.A)
    if expected == 0:
        assert entry is None
    else:
        # The first negative answer and the cached one carry the same SOA TTL.
        assert entry is not None and entry.ttl == expected == entry.soa[0].ttl


def test_negative_ttl_caps_at_max_negative_ttl(clock: FakeClock) -> None:
    cache = RRsetCache(max_negative_ttl=100, clock=clock)
    assert cache.negative_ttl(soa("example.", 86400, 86400)) == 100
    assert cache.negative_ttl(soa("example.", 2**31 + 5, 2**32 - 1)) == 100
    with pytest.raises(ValueError):
        cache.negative_ttl(a("example.", "192.0.2.1"))


def test_a_configured_max_ttl_above_the_rfc_2181_limit_is_capped(clock: FakeClock) -> None:
    cache = RRsetCache(max_ttl=2**32, clock=clock)
    assert cache.clamp([a("t.example.", "192.0.2.1", ttl=2**32 - 1)])[0].ttl == 2**31 - 1


def test_ttl_zero_glue_is_not_cached(cache: RRsetCache) -> None:
    # The iterator uses TTL-0 glue straight from the referral that carried it; the cache never
    # keeps it, so no later question can be sent to an address the zone said not to remember.
    assert cache.put([a("ns1.zero.example.", "192.0.2.53", ttl=0)], Trust.ADDITIONAL) is False
    assert cache.get("ns1.zero.example.", QTYPE.A) is None
    assert cache.clamp([a("ns1.zero.example.", "192.0.2.53", ttl=0)])[0].ttl == 0


# -- ghost domains (CVE-2012-1033) ----------------------------------------------------------


def test_a_removed_delegation_dies_with_its_original_ttl(
    cache: RRsetCache, clock: FakeClock
) -> None:
    # The parent's referral gave ghost.example. a 1-hour NS set; the parent then removed the
    # delegation, but the child's servers keep answering with their own NS set, at every trust.
    cache.put([ns("ghost.example.", "ns.ghost.example.", ttl=3600)], Trust.AUTHORITY)
    for trust in (Trust.AUTHORITY, Trust.AUTH_AUTHORITY, Trust.AUTH_ANSWER):
        clock.advance(1000)
        assert cache.put([ns("ghost.example.", "ns.ghost.example.", ttl=86400)], trust)
        got = cache.get("ghost.example.", QTYPE.NS)
        assert got is not None and got.trust == trust
        assert got.ttl <= 3600 - (clock.now - 1000)  # never past the referral's expiry
    clock.advance(600)  # 3600 s after the referral
    assert cache.get("ghost.example.", QTYPE.NS) is None
    assert cache.closest_zone_cut("www.ghost.example.") is None


def test_a_replacing_ns_set_may_shorten_the_expiry(cache: RRsetCache, clock: FakeClock) -> None:
    cache.put([ns("example.", "ns.example.", ttl=3600)], Trust.AUTHORITY)
    cache.put([ns("example.", "ns.example.", ttl=60)], Trust.AUTH_ANSWER)
    got = cache.get("example.", QTYPE.NS)
    assert got is not None and got.ttl == 60
    clock.advance(60)
    # Once it has expired, a fresh referral starts a new lifetime.
    assert cache.put([ns("example.", "ns.example.", ttl=3600)], Trust.AUTHORITY)
    got = cache.get("example.", QTYPE.NS)
    assert got is not None and got.ttl == 3600


@pytest.mark.parametrize("rtype", ["A", "AAAA"])
@pytest.mark.parametrize("trust", [Trust.NONAUTH_EXTRA, Trust.ADDITIONAL, Trust.AUTHORITY])
def test_glue_never_extends_a_live_address_rrset(
    cache: RRsetCache, clock: FakeClock, rtype: str, trust: Trust
) -> None:
    def address(ttl: int) -> RR:
        if rtype == "A":
            return a("ns.ghost.example.", "192.0.2.53", ttl=ttl)
        return RR(DNSLabel("ns.ghost.example."), QTYPE.AAAA, ttl=ttl, rdata=AAAA("2001:db8::53"))

    cache.put([address(600)], trust)
    clock.advance(500)
    assert cache.put([address(86400)], trust)
    got = cache.get("ns.ghost.example.", getattr(QTYPE, rtype))
    assert got is not None and got.ttl == 100
    clock.advance(100)
    assert cache.get("ns.ghost.example.", getattr(QTYPE, rtype)) is None


def test_answers_do_refresh_addresses(cache: RRsetCache, clock: FakeClock) -> None:
    cache.put([a("ns.example.", "192.0.2.53", ttl=600)], Trust.ADDITIONAL)
    clock.advance(500)
    assert cache.put([a("ns.example.", "192.0.2.53", ttl=600)], Trust.ANSWER_NONAUTH)
    got = cache.get("ns.example.", QTYPE.A)
    assert got is not None and got.ttl == 600


# -- negative data never removes more trusted positive data --------------------------------


def test_a_parents_nodata_keeps_the_childs_authoritative_rrset(cache: RRsetCache) -> None:
    cache.put([a("www.child.example.", "192.0.2.80")], Trust.AUTH_ANSWER)
    cache.put_negative(
        "www.child.example.", QTYPE.A, RCODE.NOERROR, soa("example.", 3600, 300)
    )  # default trust: AUTH_AUTHORITY, below the child's AA answer
    got = cache.get("www.child.example.", QTYPE.A)
    assert got is not None and str(got.records[0].rdata) == "192.0.2.80"


@pytest.mark.parametrize(
    ("positive", "negative", "kept"),
    [
        (Trust.ADDITIONAL, Trust.AUTH_AUTHORITY, False),
        (Trust.ANSWER_NONAUTH, Trust.AUTH_AUTHORITY, False),
        (Trust.AUTH_AUTHORITY, Trust.AUTH_AUTHORITY, False),  # equal: the newer statement wins
        (Trust.AUTH_ANSWER, Trust.AUTH_AUTHORITY, True),
        (Trust.AUTH_ANSWER, Trust.ANSWER_NONAUTH, True),
    ],
)
@pytest.mark.parametrize("rcode", [RCODE.NOERROR, RCODE.NXDOMAIN])
def test_negative_data_removes_only_positive_data_it_outranks(
    cache: RRsetCache, positive: Trust, negative: Trust, kept: bool, rcode: int
) -> None:
    cache.put([a("h.example.", "192.0.2.1")], positive)
    cache.put_negative("h.example.", QTYPE.A, rcode, soa("example.", 3600, 300), trust=negative)
    assert (cache.get("h.example.", QTYPE.A) is not None) is kept
    entry = cache.get_negative("h.example.", QTYPE.A)
    assert entry is not None and entry.trust == negative


def test_nxdomain_hides_every_weaker_rrset_at_the_name_but_not_newer_ones(
    cache: RRsetCache,
) -> None:
    cache.put([ns("gone.example.", "ns.gone.example.")], Trust.AUTHORITY)
    cache.put([a("gone.example.", "192.0.2.1")], Trust.ANSWER_NONAUTH)
    cache.put_negative("gone.example.", None, RCODE.NXDOMAIN, soa("example.", 3600, 300))
    assert cache.get("gone.example.", QTYPE.NS) is None
    assert cache.get("gone.example.", QTYPE.A) is None
    assert cache.closest_zone_cut("www.gone.example.") is None
    # Glue stored after the NXDOMAIN is not hidden by it (and does not overrule it either).
    cache.put([a("gone.example.", "192.0.2.9")], Trust.ADDITIONAL)
    assert cache.get("gone.example.", QTYPE.A) is not None
    assert cache.get_negative("gone.example.", QTYPE.A) is not None


def test_weaker_negative_data_does_not_replace_stronger(cache: RRsetCache) -> None:
    strong = soa("example.", 3600, 300)
    weak = soa("example.", 3600, 60)
    cache.put_negative("h.example.", QTYPE.A, RCODE.NOERROR, strong, trust=Trust.AUTH_ANSWER)
    cache.put_negative("h.example.", QTYPE.A, RCODE.NOERROR, weak, trust=Trust.ANSWER_NONAUTH)
    entry = cache.get_negative("h.example.", QTYPE.A)
    assert entry is not None and entry.ttl == 300 and entry.trust == Trust.AUTH_ANSWER


# -- resolution failures (RFC 9520) ---------------------------------------------------------


def test_a_failure_is_remembered_for_a_second_then_backs_off(
    cache: RRsetCache, clock: FakeClock
) -> None:
    assert FAILURE_TTL_MIN == 1 and FAILURE_TTL_MAX == 5
    assert cache.get_failure("dead.example.", QTYPE.A) is None
    seen = []
    for _ in range(6):
        ttl = cache.put_failure("dead.example.", QTYPE.A, "all servers timed out")
        seen.append(ttl)
        entry = cache.get_failure("Dead.Example", QTYPE.A)
        assert isinstance(entry, FailureEntry)
        assert entry.ttl == ttl and entry.reason == "all servers timed out"
        clock.advance(ttl - 0.5)
        assert cache.get_failure("dead.example.", QTYPE.A) is not None
        clock.advance(0.5)
        assert cache.get_failure("dead.example.", QTYPE.A) is None  # retried once it lapses
    assert seen == [1, 2, 4, 5, 5, 5]
    assert cache.get_failure("dead.example.", QTYPE.AAAA) is None  # per question


def test_a_failure_streak_ends_after_a_quiet_spell(cache: RRsetCache, clock: FakeClock) -> None:
    for _ in range(3):
        clock.advance(cache.put_failure("flaky.example.", QTYPE.A, "timeout"))
    clock.advance(FAILURE_TTL_MAX + 1)
    assert cache.put_failure("flaky.example.", QTYPE.A, "timeout") == FAILURE_TTL_MIN


def test_an_answer_or_a_negative_answer_clears_the_failure(cache: RRsetCache) -> None:
    cache.put_failure("back.example.", QTYPE.A, "timeout")
    cache.put([a("back.example.", "192.0.2.1")], Trust.AUTH_ANSWER)
    assert cache.get_failure("back.example.", QTYPE.A) is None
    for rtype, rcode in ((QTYPE.AAAA, RCODE.NOERROR), (QTYPE.MX, RCODE.NXDOMAIN)):
        cache.put_failure("back.example.", rtype, "timeout")
        cache.put_negative("back.example.", rtype, rcode, soa("example.", 3600, 300))
        assert cache.get_failure("back.example.", rtype) is None
    # Even an answer the cache does not keep (TTL 0) shows the question resolves again.
    cache.put_failure("back.example.", QTYPE.TXT, "timeout")
    assert cache.put([RR(DNSLabel("back.example."), QTYPE.TXT, ttl=0, rdata=TXT("x"))],
                     Trust.AUTH_ANSWER) is False
    assert cache.get_failure("back.example.", QTYPE.TXT) is None
    # A cleared streak starts again at the floor.
    assert cache.put_failure("back.example.", QTYPE.A, "timeout") == FAILURE_TTL_MIN


def test_failures_share_the_cache_bound(clock: FakeClock) -> None:
    failure = _cost(lambda c: c.put_failure("f0.example.", QTYPE.A, "timeout"))
    cache = RRsetCache(max_bytes=3 * failure, clock=clock)  # three failures
    for i in range(10):
        cache.put_failure(f"f{i}.example.", QTYPE.A, "timeout")
        assert len(cache) <= 3
    cache.put([a("h.example.", "192.0.2.1")], Trust.AUTH_ANSWER)
    assert len(cache) == 3 and cache.get("h.example.", QTYPE.A) is not None


# -- stamps: which stored entry get() would serve -----------------------------------------------


def test_a_stamp_names_the_stored_entry_until_it_is_replaced(cache: RRsetCache) -> None:
    assert cache.stamp("example.com.", QTYPE.NS) is None
    cache.put([ns("example.com.", "ns1.example.com.")], Trust.AUTHORITY)
    first = cache.stamp("Example.COM", QTYPE.NS)
    assert first is not None and cache.stamp("example.com.", QTYPE.NS) == first
    cache.get("example.com.", QTYPE.NS)
    assert cache.stamp("example.com.", QTYPE.NS) == first  # reading changes nothing
    cache.put([ns("example.com.", "ns1.example.com.")], Trust.AUTH_AUTHORITY)
    assert cache.stamp("example.com.", QTYPE.NS) not in (None, first)


def test_a_stamp_is_gone_when_get_would_serve_nothing(cache: RRsetCache,
                                                      clock: FakeClock) -> None:
    cache.put([a("ns1.example.com.", "127.0.0.1", ttl=60)], Trust.ADDITIONAL)
    assert cache.stamp("ns1.example.com.", QTYPE.A) is not None
    clock.advance(60)
    assert cache.stamp("ns1.example.com.", QTYPE.A) is None  # expired
    cache.put([a("ns1.example.com.", "127.0.0.1")], Trust.ADDITIONAL)
    cache.remove("ns1.example.com.", QTYPE.A)
    assert cache.stamp("ns1.example.com.", QTYPE.A) is None  # removed
    cache.put([a("ns1.example.com.", "127.0.0.1")], Trust.ADDITIONAL)
    cache.put_negative("ns1.example.com.", None, RCODE.NXDOMAIN, soa("example.com.", 300, 300))
    assert cache.get("ns1.example.com.", QTYPE.A) is None
    assert cache.stamp("ns1.example.com.", QTYPE.A) is None  # hidden by a newer NXDOMAIN


# -- the same RRset again --------------------------------------------------------------------


def test_an_ns_rrset_sent_again_keeps_its_entry_and_stamp(cache: RRsetCache,
                                                          clock: FakeClock) -> None:
    # An authoritative server repeats its zone's NS RRset with every positive answer: under the
    # ghost-domain ceiling its expiry cannot move, so the stored entry (and what was built from
    # it, the zone-cut memo) stays.
    assert cache.put([ns("example.", "ns1.example."), ns("example.", "ns2.example.")],
                     Trust.AUTH_AUTHORITY)
    before = cache.stamp("example.", QTYPE.NS)
    clock.advance(100)
    assert cache.put([ns("example.", "ns1.example."), ns("example.", "ns2.example.")],
                     Trust.AUTH_AUTHORITY)
    assert cache.stamp("example.", QTYPE.NS) == before
    got = cache.get("example.", QTYPE.NS)
    assert got is not None and got.ttl == 3500 and got.trust == Trust.AUTH_AUTHORITY


def test_the_same_rrset_is_stored_anew_when_anything_but_its_records_would_change(
    cache: RRsetCache, clock: FakeClock
) -> None:
    assert cache.put([ns("example.", "ns1.example.")], Trust.AUTHORITY)
    stamp = cache.stamp("example.", QTYPE.NS)
    # A trust upgrade: the child's own NS RRset replaces the parent's.
    assert cache.put([ns("example.", "ns1.example.")], Trust.AUTH_AUTHORITY)
    upgraded = cache.get("example.", QTYPE.NS)
    assert upgraded is not None and upgraded.trust == Trust.AUTH_AUTHORITY
    assert cache.stamp("example.", QTYPE.NS) != stamp
    # Other records: replaced.
    stamp = cache.stamp("example.", QTYPE.NS)
    assert cache.put([ns("example.", "ns9.example.")], Trust.AUTH_AUTHORITY)
    assert cache.stamp("example.", QTYPE.NS) != stamp
    # Data other than NS takes its new TTL (refreshed), so it is a new entry.
    assert cache.put([a("www.example.", "192.0.2.1")], Trust.AUTH_ANSWER)
    clock.advance(100)
    stamp = cache.stamp("www.example.", QTYPE.A)
    assert cache.put([a("www.example.", "192.0.2.1")], Trust.AUTH_ANSWER)
    refreshed = cache.get("www.example.", QTYPE.A)
    assert refreshed is not None and refreshed.ttl == 300
    assert cache.stamp("www.example.", QTYPE.A) != stamp


def test_an_rrset_hidden_by_a_newer_nxdomain_comes_back_when_sent_again(
    cache: RRsetCache,
) -> None:
    # A referral's NS RRset, then an authoritative NXDOMAIN for the same name: hidden. The
    # parent sending the delegation again is newer than the denial, as before.
    assert cache.put([ns("gone.example.", "ns.gone.example.")], Trust.AUTHORITY)
    cache.put_negative("gone.example.", None, RCODE.NXDOMAIN, soa("example.", 3600, 300),
                       Trust.AUTH_AUTHORITY)
    assert cache.get("gone.example.", QTYPE.NS) is None
    assert cache.put([ns("gone.example.", "ns.gone.example.")], Trust.AUTHORITY)
    assert cache.get("gone.example.", QTYPE.NS) is not None


def _probes_find(cache: RRsetCache, name: str, qtype: int) -> bool:
    """Whether any probe of the cache-answer path finds something for name/qtype."""
    from resolver.nxcut import nxdomain_above

    return any((cache.get(name, qtype), cache.get(name, QTYPE.CNAME),
                cache.get_negative(name, qtype), nxdomain_above(cache, name, qtype),
                cache.get_failure(name, qtype)))


@pytest.mark.parametrize("store", ["rrset", "cname", "nxdomain", "nxdomain_above", "nodata",
                                   "failure", "other_type", "nxdomain_sibling"])
def test_may_answer_is_false_only_when_every_probe_finds_nothing(
    cache: RRsetCache, store: str
) -> None:
    name = "www.Example.com."
    if store == "rrset":
        cache.put([a(name, "192.0.2.1")], Trust.AUTH_ANSWER)
    elif store == "cname":
        cache.put([RR(DNSLabel(name), QTYPE.CNAME, ttl=60, rdata=CNAME("x.test."))],
                  Trust.AUTH_ANSWER)
    elif store == "nxdomain":
        cache.put_negative(name, None, RCODE.NXDOMAIN, soa("example.com.", 300, 300))
    elif store == "nxdomain_above":
        cache.put_negative("example.com.", None, RCODE.NXDOMAIN, soa("com.", 300, 300))
    elif store == "nodata":
        cache.put_negative(name, QTYPE.A, RCODE.NOERROR, soa("example.com.", 300, 300))
    elif store == "failure":
        cache.put_failure(name, QTYPE.A, "servers-failed")
    elif store == "other_type":
        cache.put([RR(DNSLabel(name), QTYPE.AAAA, ttl=60, rdata=AAAA("2001:db8::1"))],
                  Trust.AUTH_ANSWER)
    else:
        cache.put_negative("ftp.example.com.", None, RCODE.NXDOMAIN,
                           soa("example.com.", 300, 300))
    found = _probes_find(cache, name, QTYPE.A)
    assert found == (store not in ("other_type", "nxdomain_sibling"))
    assert cache.may_answer(name, QTYPE.A) or not found
    if store in ("other_type", "nxdomain_sibling"):
        assert not cache.may_answer(name, QTYPE.A)
    # Names dnslib must read (escapes) are never declared empty.
    assert cache.may_answer("a\\.b.example.com.", QTYPE.A)


def test_may_hold_is_false_only_when_get_finds_nothing(
    cache: RRsetCache, clock: FakeClock
) -> None:
    assert not cache.may_hold("example.com.", QTYPE.NS)
    cache.put([ns("example.com.", "ns1.example.com.", ttl=60)], Trust.AUTHORITY)
    assert cache.may_hold("example.com.", QTYPE.NS)
    assert cache.get("example.com.", QTYPE.NS) is not None
    assert not cache.may_hold("www.example.com.", QTYPE.NS)
    assert not cache.may_hold("example.com.", QTYPE.A)
    clock.advance(60)  # expired but not yet dropped: a key only, get() decides
    assert cache.get("example.com.", QTYPE.NS) is None
    assert not cache.may_hold("example.com.", QTYPE.NS)  # get() dropped it


def test_stamps_hold_while_each_rrset_is_the_one_stamped(
    cache: RRsetCache, clock: FakeClock
) -> None:
    cache.put([ns("example.com.", "ns1.example.com.")], Trust.AUTHORITY)
    cache.put([a("ns1.example.com.", "192.0.2.1")], Trust.ADDITIONAL)

    def stamps() -> tuple[StampCheck, ...]:
        return cache.stamp_checks(
            [(owner, rtype, cache.stamp(owner, rtype)) for owner, rtype in
             (("example.com.", QTYPE.NS), ("ns1.example.com.", QTYPE.A),
              ("ns1.example.com.", QTYPE.AAAA))])

    taken = stamps()
    assert taken[2][5] is None and cache.stamps_hold(taken)
    clock.advance(10)
    assert cache.stamps_hold(taken)  # the same entries, older
    cache.put([a("ns1.example.com.", "192.0.2.2")], Trust.ADDITIONAL)  # replaced
    assert not cache.stamps_hold(taken)
    taken = stamps()
    cache.put([RR(DNSLabel("ns1.example.com."), QTYPE.AAAA, ttl=60, rdata=AAAA("2001:db8::1"))],
              Trust.ADDITIONAL)  # absent, now stored
    assert not cache.stamps_hold(taken)
    taken = stamps()
    cache.put_negative("ns1.example.com.", None, RCODE.NXDOMAIN, soa("example.com.", 300, 300))
    assert not cache.stamps_hold(taken)  # the name was since found not to exist
    taken = stamps()
    assert cache.stamps_hold(taken)
    clock.advance(3600)  # the NS RRset expired
    assert not cache.stamps_hold(taken)


def test_checking_a_zone_cuts_stamps_keeps_its_rrsets_in_a_full_cache(clock: FakeClock) -> None:
    # Every miss under a zone checks the zone cut's RRsets (the memo's stamps_hold): that is a
    # use, so a flood of denials evicts the older denials, never the zone's NS and A RRsets.
    def zone(cache: RRsetCache) -> None:
        cache.put([ns("example.com.", "ns1.example.com.")], Trust.AUTHORITY)
        cache.put([a("ns1.example.com.", "192.0.2.1")], Trust.ADDITIONAL)

    def deny(cache: RRsetCache, name: str) -> None:
        cache.put_negative(name, None, RCODE.NXDOMAIN, soa("example.com.", 300, 300))

    cache = RRsetCache(max_bytes=_cost(zone) + 3 * _cost(lambda c: deny(c, "n00.example.com.")),
                       clock=clock)
    zone(cache)
    checks = cache.stamp_checks(
        [(owner, rtype, cache.stamp(owner, rtype)) for owner, rtype in
         (("example.com.", QTYPE.NS), ("ns1.example.com.", QTYPE.A),
          ("ns1.example.com.", QTYPE.AAAA))])
    for i in range(20):
        assert cache.stamps_hold(checks)
        deny(cache, f"n{i:02}.example.com.")
    assert cache.stamps_hold(checks)
    assert cache.get_negative("n00.example.com.", QTYPE.A) is None  # evicted long ago
    assert cache.get_negative("n19.example.com.", QTYPE.A) is not None


def test_records_built_directly_are_dnslib_records_alike() -> None:
    from resolver.cache_entry import new_rr, new_soa, with_ttl

    owner, mname, rname = DNSLabel("Example.com."), DNSLabel("ns1.example.com."), DNSLabel("h.")
    times = (1, 7200, 3600, 1209600, 4294967295)
    built = new_rr(owner, QTYPE.SOA, 1, 300, new_soa(mname, rname, times))
    made = RR(owner, QTYPE.SOA, 1, 300, SOA(mname, rname, times))
    assert vars(built).keys() == vars(made).keys() and vars(built.rdata) == vars(made.rdata)
    assert built == made and built.ttl == 300 and built.toZone() == made.toZone()
    copy = with_ttl(made, 60)
    assert copy == made and copy.ttl == 60 and made.ttl == 300 and copy.rdata is made.rdata
    assert vars(copy).keys() == vars(made).keys()


def test_a_negative_entry_holds_its_soa_as_dnslib_writes_it_uncompressed() -> None:
    from dnslib import DNSBuffer

    from resolver import cache_entry

    class Uncompressed(DNSBuffer):
        def encode_name(self, name: DNSLabel | str) -> None:
            self.encode_name_nocompress(name)

    for record in (soa("Example.com.", 300, 60),
                   RR(DNSLabel("."), QTYPE.SOA, ttl=4294967295,
                      rdata=SOA("a.root-servers.net.", "nstld.", (1, 2, 3, 4, 4294967295)))):
        written = Uncompressed()
        record.pack(written)
        entry = cache_entry.pack(expires=1.0, serial=1, ttl=0, trust=4, rcode=3, security=None,
                                 records=(record,))
        assert entry[cache_entry.HEAD_SIZE:] == written.data
