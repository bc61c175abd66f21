"""Flushing the cache by name, zone and kind; dumping it as zone-file text with remaining TTLs
and loading it back with the time since the dump taken off (expired entries skipped)."""

from __future__ import annotations

import pytest
from dnslib import QTYPE, RCODE, RR

from resolver import cache_admin
from resolver.cache import RRsetCache, Trust
from tests.fakenet import FakeClock

SOA = "example.com. 300 IN SOA ns.example.com. admin.example.com. 1 7200 3600 1209600 120"


def rr(text: str) -> RR:
    return RR.fromZone(text)[0]


def filled(clock: FakeClock) -> RRsetCache:
    cache = RRsetCache(clock=clock)
    www = [rr("www.example.com. 300 IN A 192.0.2.1"), rr("www.example.com. 300 IN A 192.0.2.2")]
    cache.put(www, Trust.AUTH_ANSWER)
    cache.put([rr("mail.example.com. 60 IN A 192.0.2.3")], Trust.AUTH_ANSWER)
    cache.put([rr("www.example.org. 900 IN AAAA 2001:db8::1")], Trust.ANSWER_NONAUTH)
    cache.put_negative("nope.example.com.", QTYPE.A, RCODE.NXDOMAIN, rr(SOA))
    cache.put_failure("broken.example.net.", QTYPE.A, "servers_failed")
    return cache


def test_flush_by_name_zone_and_negative():
    clock = FakeClock()
    cache = filled(clock)
    assert cache_admin.flush(cache, name="WWW.example.com") == 1
    assert cache.get("www.example.com.", QTYPE.A) is None
    assert cache.get("mail.example.com.", QTYPE.A) is not None
    assert cache_admin.flush(cache, negative=True) == 2  # the NXDOMAIN and the failure
    assert cache.get_negative("nope.example.com.", QTYPE.A) is None
    assert cache_admin.flush(cache, zone="example.com.") == 1
    assert cache.get("www.example.org.", QTYPE.AAAA) is not None
    assert cache_admin.flush(cache, zone=".") == 1 and len(cache) == 0


def test_dump_then_load_keeps_remaining_ttls_and_skips_what_expired():
    clock = FakeClock()
    cache = filled(clock)
    clock.advance(10)
    text = cache_admin.dump(cache, clock(), wall=1000.0)
    assert "www.example.com. 290 IN A 192.0.2.1" in " ".join(text.split())
    assert "broken.example.net" not in text  # failures are not kept
    later = RRsetCache(clock=FakeClock())
    loaded, skipped = cache_admin.load(later, text, wall=1100.0)  # 100 s after the dump
    assert (loaded, skipped) == (3, 1)  # mail (50 s left) expired meanwhile
    www = later.get("www.example.com.", QTYPE.A)
    assert www.ttl == 190 and www.trust == Trust.AUTH_ANSWER and len(www.records) == 2
    assert later.get("www.example.org.", QTYPE.AAAA).ttl == 790
    negative = later.get_negative("nope.example.com.", QTYPE.MX)
    assert negative.rcode == RCODE.NXDOMAIN and negative.ttl == 10
    assert str(negative.soa[0].rname) == "example.com."


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("garbage\n", "line 1: not a resolver cache dump"),
        (";; resolver cache dump\nwww.x. 300 IN A 192.0.2.1\n", "line 2: a record before"),
        (";; resolver cache dump\n;; rrset NOSUCHTRUST\n", "line 2"),
        (";; resolver cache dump\n;; rrset AUTH_ANSWER\nwww.x. 300 IN A 999.0.2.1\n", "line 3"),
    ],
)
def test_a_bad_dump_names_its_line(text, message):
    with pytest.raises(cache_admin.CacheFileError, match=message):
        cache_admin.load(RRsetCache(), text)


def test_an_unknown_dnssec_status_in_a_dump_names_its_line() -> None:
    text = (";; resolver cache dump\n;; dumped-at 1000.000\n;; rrset AUTH_ANSWER security=weird\n"
            "www.example.com. 300 IN A 192.0.2.1\n")
    with pytest.raises(cache_admin.CacheFileError, match="line 4: unknown DNSSEC status"):
        cache_admin.load(RRsetCache(), text, wall=1000.0)
