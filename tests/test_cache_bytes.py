"""Every cache bounded in bytes from one cache size: sizes, eviction, honest accounting.

The accounting tests measure real memory with tracemalloc and check that each cache counts an
entry at no less than it costs, so that the bound on the accounted total bounds real memory.
"""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Callable

import pytest
from dnslib import QTYPE, RCODE, RR, SOA, TXT, A, DNSLabel, DNSRecord

from resolver import Resolver
from resolver.answer import Answer
from resolver.api import DEFAULT_CACHE_SIZE
from resolver.cache import RRsetCache, Trust
from resolver.dnssec.status import Security, Verdict
from resolver.errors import InvalidCacheSize, ResolverError
from resolver.infra import Feedback, ServerRecords
from resolver.memory import MIB, ResolverShares, ServerShares, format_size, parse_size
from resolver.records import Name, RRset
from resolver.records.rdata import DNSKEY
from resolver.server import settings
from resolver.server.answer_cache import AnswerCache, PackedReply, entry_bytes
from resolver.server.query import parse_query
from resolver.server.replies import answer_reply
from resolver.validator import Validator, ZoneTrust
from resolver.wire import build_query
from resolver.zonecut import DelegationStore


class FakeClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def a(name: str, address: str = "192.0.2.1", ttl: int = 300) -> RR:
    return RR(DNSLabel(name), QTYPE.A, ttl=ttl, rdata=A(address))


SOA_RR = RR(DNSLabel("example.com."), QTYPE.SOA, ttl=3600,
            rdata=SOA("ns1.example.com.", "admin.example.com.", (1, 7200, 3600, 1209600, 300)))


def txt_rrset(name: str, records: int, octets: int) -> list[RR]:
    return [RR(DNSLabel(name), QTYPE.TXT, ttl=300, rdata=TXT(f"{i:04d}" + "x" * (octets - 4)))
            for i in range(records)]


def wire_length(records: list[RR]) -> int:
    packet = DNSRecord()
    for rr in records:
        packet.add_answer(rr)
    return len(packet.pack()) - 12


# -- one setting, one byte size ---------------------------------------------------------------


@pytest.mark.parametrize(("text", "size"), [
    ("64M", 64 * MIB), ("512K", 512 * 1024), ("256k", 256 * 1024), ("1G", 1024 * MIB),
    ("2m", 2 * MIB),
    ("16MB", 16 * MIB), ("16MiB", 16 * MIB), ("1048576", MIB), (" 8M ", 8 * MIB),
])
def test_a_cache_size_is_read_in_bytes(text: str, size: int) -> None:
    assert parse_size(text) == size
    values = settings.parse_text(f'cache-size = "{text}"\n', "test.toml")
    assert values["cache-size"] == size


@pytest.mark.parametrize("junk", ["64X", "lots", "", "-5M", "1.5G", "64 M B", "12"])
def test_a_bad_cache_size_is_one_clear_line(junk: str) -> None:
    with pytest.raises(settings.ConfigError) as error:
        settings.parse_text(f'cache-size = "{junk}"\n', "test.toml")
    message = str(error.value)
    assert message.startswith("test.toml:1: cache-size: ") and "\n" not in message
    with pytest.raises(InvalidCacheSize):
        Resolver(cache_size=junk)


def test_the_setting_takes_bytes_as_a_toml_integer_and_shows_sizes_in_changes() -> None:
    assert settings.parse_text("cache-size = 33554432\n", "f")["cache-size"] == 32 * MIB
    with pytest.raises(settings.ConfigError, match="expected a size"):
        settings.parse_text("cache-size = true\n", "f")
    old = settings.merge({}, {})
    new = settings.merge({"cache-size": 32 * MIB}, {})
    assert settings.changes(old, new) == ["cache-size: 64M -> 32M"]
    assert format_size(old["cache-size"]) == "64M" == format_size(DEFAULT_CACHE_SIZE)


def test_the_library_takes_the_same_byte_size() -> None:
    resolver = Resolver(cache_size="16M")
    try:
        assert resolver.cache_size == 16 * MIB
        shares = ResolverShares.of(16 * MIB)
        assert resolver.iterator.cache.max_bytes == shares.rrsets
    finally:
        resolver.close()
    # The old meaning (RRsets) is refused rather than read as a tiny number of bytes.
    with pytest.raises(ResolverError, match="out of range"):
        Resolver(cache_size=100_000)


def test_the_split_adds_up_to_the_cache_size() -> None:
    for total in (MIB, 64 * MIB, 3 * 1024 * MIB + 7):
        server = ServerShares.of(total)
        resolver = ResolverShares.of(server.resolver)
        assert server.replies + server.resolver == total
        assert resolver.rrsets + resolver.infra + resolver.zone_trust <= server.resolver
    values = settings.merge({"cache-size": 100 * MIB}, {})
    config = settings.server_config(values)
    options = settings.resolver_options(values)
    assert config.answer_cache_bytes == ServerShares.of(100 * MIB).replies
    assert options["cache_size"] == ServerShares.of(100 * MIB).resolver
    # Worker processes each keep caches of their own: they share the one cache size.
    assert settings.cache_shares({"cache-size": 64 * MIB, "workers": 2}) == ServerShares.of(
        32 * MIB)


# -- the RRset cache ----------------------------------------------------------------------------


def test_a_large_rrset_counts_by_its_size() -> None:
    cache = RRsetCache(clock=FakeClock())
    cache.put([a("small.example.")], Trust.AUTH_ANSWER)
    small = cache.used_bytes
    big = txt_rrset("big.example.", 200, 200)  # about 40 KB on the wire
    cache.put(big, Trust.AUTH_ANSWER)
    large = cache.used_bytes - small
    assert large >= wire_length(big) - 200 * len("big.example.")  # its rdata, at least
    assert large > 100 * small
    cache.remove("big.example.", QTYPE.TXT)
    assert cache.used_bytes == small


def test_far_more_than_the_bound_keeps_the_total_under_it_least_recently_used_first() -> None:
    clock = FakeClock()
    cache = RRsetCache(max_bytes=64 * 1024, clock=clock)
    cache.put([a("kept.example.")], Trust.AUTH_ANSWER)
    for i in range(5000):
        if i % 2:
            cache.put(txt_rrset(f"t{i}.example.", 1 + i % 7, 20 + i % 200), Trust.AUTH_ANSWER)
        else:
            cache.put_negative(f"n{i}.example.", QTYPE.A, RCODE.NXDOMAIN, SOA_RR)
        assert cache.get("kept.example.", QTYPE.A) is not None  # used all along: kept
        assert cache.used_bytes <= cache.max_bytes
    assert cache.get_negative("n0.example.", QTYPE.A) is None  # the oldest went first
    assert cache.get("t4999.example.", QTYPE.TXT) is not None  # the newest is there
    assert len(cache) > 50


def test_an_rrset_larger_than_the_whole_cache_is_not_stored() -> None:
    cache = RRsetCache(max_bytes=8 * 1024, clock=FakeClock())
    cache.put([a("one.example.")], Trust.AUTH_ANSWER)
    assert cache.put(txt_rrset("huge.example.", 100, 200), Trust.AUTH_ANSWER) is False
    assert cache.get("huge.example.", QTYPE.TXT) is None
    assert cache.get("one.example.", QTYPE.A) is not None  # nothing evicted for it


def test_records_come_back_exactly_as_stored() -> None:
    cache = RRsetCache(clock=FakeClock())
    odd = DNSLabel([b"W\\ww", b"a.b", b"x y", b"\xff", b"Example", b"com"])
    records = [RR(odd, QTYPE.A, ttl=300, rdata=A("192.0.2.7")),
               RR(odd, QTYPE.A, ttl=300, rdata=A("192.0.2.8"))]
    cache.put(records, Trust.AUTH_ANSWER, security="secure")
    got = cache.get(str(odd), QTYPE.A)
    assert got is not None and got.security == "secure" and got.trust == Trust.AUTH_ANSWER
    assert [rr.rname.label for rr in got.records] == [odd.label, odd.label]
    assert [str(rr.rdata) for rr in got.records] == ["192.0.2.7", "192.0.2.8"]
    assert got.name == str(odd)
    cache.put_negative("Gone.Example.com", QTYPE.AAAA, RCODE.NOERROR, SOA_RR)
    negative = cache.get_negative("gone.example.com.", QTYPE.AAAA)
    assert negative is not None and negative.name == "Gone.Example.com"
    assert negative.soa[0].rdata.times == SOA_RR.rdata.times
    assert negative.soa[0].ttl == negative.ttl == 300


def test_a_stamp_names_the_stored_rrset_without_rebuilding_it() -> None:
    clock = FakeClock()
    cache = RRsetCache(clock=clock)
    assert cache.stamp("ns.example.", QTYPE.A) is None
    cache.put([a("ns.example.", ttl=100)], Trust.AUTH_ANSWER)
    first = cache.stamp("NS.example.", QTYPE.A)
    assert first is not None and first.expires == 1100.0
    assert cache.stamp("ns.example.", QTYPE.A) == first  # reading does not change it
    cache.put([a("ns.example.", ttl=100)], Trust.AUTH_ANSWER)
    assert cache.stamp("ns.example.", QTYPE.A) == first  # the very same entry: kept as it is
    clock.now += 1
    cache.put([a("ns.example.", ttl=100)], Trust.AUTH_ANSWER)
    second = cache.stamp("ns.example.", QTYPE.A)
    assert second is not None and second.serial > first.serial  # refreshed: a new one
    assert second.expires == 1101.0
    cache.put_negative("ns.example.", None, RCODE.NXDOMAIN, SOA_RR, Trust.AUTH_ANSWER)
    assert cache.stamp("ns.example.", QTYPE.A) is None  # hidden, as get() sees it
    assert cache.get("ns.example.", QTYPE.A) is None


def test_cached_entries_give_the_garbage_collector_nothing_to_walk() -> None:
    cache = RRsetCache(clock=FakeClock())
    prepared = [[a(f"h{i}.example.")] for i in range(2000)]
    gc.collect()
    before = len(gc.get_objects())
    for i, records in enumerate(prepared):
        cache.put(records, Trust.AUTH_ANSWER)
        cache.put_negative(f"n{i}.example.", None, RCODE.NXDOMAIN, SOA_RR)
        cache.put_failure(f"f{i}.example.", QTYPE.A, "timeout")
    gc.collect()
    assert len(gc.get_objects()) - before < 100  # 6000 entries, no tracked object each


def _real_and_accounted(count: int, fill: Callable[[int], object],
                        accounted: Callable[[], int]) -> tuple[float, float]:
    gc.collect()
    tracemalloc.start()
    for i in range(count):
        fill(i)
    used, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return used / count, accounted() / count


# Just past a growth of the dict (2/3 of 2**14 + 1): the costliest fill per entry.
AFTER_GROWTH = 10_923


def test_the_rrset_cache_counts_no_less_than_an_entry_really_costs() -> None:
    for kind in ("rrset", "negative", "failure"):
        cache = RRsetCache(max_bytes=1 << 40, clock=FakeClock())
        records = [[a(f"n{i}.wild.example.com.", "127.42.20.99", 3600)]
                   for i in range(AFTER_GROWTH)]
        names = [f"m{i:012d}.example.com." for i in range(AFTER_GROWTH)]
        fill = {
            "rrset": lambda i: cache.put(records[i], Trust.AUTH_ANSWER),  # noqa: B023
            "negative": lambda i: cache.put_negative(names[i], 1, RCODE.NXDOMAIN, SOA_RR),  # noqa: B023
            "failure": lambda i: cache.put_failure(names[i], 1, "timeout"),  # noqa: B023
        }[kind]
        real, accounted = _real_and_accounted(AFTER_GROWTH, fill,
                                              lambda: cache.used_bytes)  # noqa: B023
        assert real <= accounted <= 1.6 * real, kind
    # The small RRset of run.py's memory figure: a few hundred bytes, not the 2 KB of before.
    assert accounted < 500


def test_the_answer_cache_counts_no_less_than_an_entry_really_costs() -> None:
    prepared = []
    for i in range(AFTER_GROWTH):
        name = f"n{i}.wild.example.com."
        query = parse_query(build_query(name, 1, 7, rd=True, edns_payload=1232))
        answer = Answer(name, 1, 1, 0, name, answer=RR.fromZone(f"{name} 3600 IN A 127.0.0.1"))
        prepared.append((query, answer_reply(query, answer)))
    cache = AnswerCache(1 << 40)

    def fill(i: int) -> None:
        query, reply = prepared[i]
        entry = PackedReply(reply, query.question_end, 0.0, edns=True, lifetime=None)
        cache.put(bytes(bytearray(query.key)), entry)  # a key of its own, as a served query's
        entry.render(reply, query.question_end, 1232, 5.0)  # aged: a second copy of the tail

    real, accounted = _real_and_accounted(AFTER_GROWTH, fill, lambda: cache.used)
    assert real <= accounted <= 1.3 * real


def test_the_answer_cache_keeps_its_share_and_a_large_answer_counts_by_its_size() -> None:
    query = parse_query(build_query("big.example.", QTYPE.TXT, 7, rd=True, edns_payload=1232))
    big = Answer("big.example.", QTYPE.TXT, 1, 0, "big.example.",
                 answer=txt_rrset("big.example.", 250, 250))
    big_reply = answer_reply(query, big)
    assert len(big_reply) > 60_000
    cache = AnswerCache(256 * 1024)
    entry = PackedReply(big_reply, query.question_end, 0.0, edns=True, lifetime=None)
    assert entry_bytes(query.key, entry) > 2 * 60_000  # the reply and an aged copy
    for i in range(3000):
        name = f"n{i}.example."
        small = parse_query(build_query(name, 1, 7, rd=True, edns_payload=1232))
        answer = Answer(name, 1, 1, 0, name, answer=[a(name)])
        cache.put(small.key, PackedReply(answer_reply(small, answer), small.question_end, 0.0,
                                         edns=True, lifetime=None))
        if i % 500 == 0:
            cache.put(query.key + bytes([i % 256]), PackedReply(
                big_reply, query.question_end, 0.0, edns=True, lifetime=None))
        assert cache.used <= cache.max_bytes
        assert cache.used == sum(entry_bytes(k, v) for k, v in cache.entries.items())
    cache.clear()
    assert cache.used == 0 and len(cache) == 0


def test_infra_records_count_by_size_and_keep_their_share() -> None:
    clock = FakeClock()
    records = ServerRecords(clock=clock, max_bytes=64 * 1024)
    for i in range(2000):
        address = f"2001:db8::{i:x}"
        records.report(address, "example.", Feedback.OK, rtt=0.01)
        for zone in range(i % 5):
            records.report(address, f"z{zone}.example.", Feedback.LAME)
        assert records._servers.currsize <= 64 * 1024
    assert 40 < len(records._servers) < 200  # some hundreds of bytes each, marks included

    # Real cost: a record with no marks, and with 64 (the most a server keeps).
    for marks, servers in ((0, 2731), (64, 683)):  # each just past a growth of the dict
        measured = ServerRecords(clock=clock, max_bytes=1 << 40)
        zones = [f"zone{j}.example.{'x' * 20}." for j in range(marks)]
        addresses = [f"2001:db8:{i >> 16:x}:{i & 0xffff:x}::53" for i in range(servers)]

        def fill(i: int) -> None:
            measured.report(addresses[i], "example.", Feedback.OK, rtt=0.01)  # noqa: B023
            for zone in zones:  # noqa: B023
                measured.report(addresses[i], zone, Feedback.LAME)  # noqa: B023

        real, accounted = _real_and_accounted(
            len(addresses), fill, lambda: measured._servers.currsize)  # noqa: B023
        assert real <= accounted <= 2 * real


def test_dnssec_zone_outcomes_count_by_their_keys_and_keep_their_share() -> None:
    def outcome(i: int, keys: int) -> ZoneTrust:
        zone = Name.from_text(f"zone{i}.example.com.")
        dnskeys = RRset(zone, 3600, 48, [DNSKEY(256 + (k == 0), 3, 8, bytes([k]) * 260)
                                         for k in range(keys)]) if keys else None
        verdict = Verdict(Security.SECURE if keys else Security.INSECURE, None, zone, 48)
        return ZoneTrust(zone, verdict, dnskeys, 1000.0 + i, "example.com.", False,
                         ((12345, 8, 2),), ((12345, 8, 2),))

    def keep(validator: Validator, trust: ZoneTrust) -> None:
        validator._zones.put(trust.zone, trust)

    for keys in (0, 2, 4):  # each outcome made while measured: the cache is all that holds it
        validator = Validator({}, max_bytes=1 << 40)
        real, accounted = _real_and_accounted(
            1366, lambda i: keep(validator, outcome(i, keys)),  # noqa: B023
            lambda: validator._zones.used)  # noqa: B023
        assert real <= accounted <= 1.5 * real, keys
    small = Validator({}, max_bytes=64 * 1024)
    for i in range(500):
        small._zones.put(outcome(i, 2).zone, outcome(i, 2))
        assert small._zones.used <= 64 * 1024
    assert 20 < len(small._zones) < 60


def _delegation(store: DelegationStore, i: int, ns_names: list[str], addresses: list[str],
                ttl: int = 3600) -> None:
    zone = f"zone{i:07d}.example.com."
    store.put(zone, [(name, ttl) for name in ns_names],
              [(name, address, ttl) for name, address in zip(ns_names, addresses, strict=True)])


def test_parent_side_delegations_count_by_size_and_keep_their_bound() -> None:
    clock = FakeClock()
    store = DelegationStore(clock, max_bytes=64 * 1024)
    for i in range(2000):  # a zone handing out referrals for every random name it is asked
        names = [f"ns{k}.zone{i:07d}.example.com." for k in range(1 + i % 4)]
        _delegation(store, i, names, [f"192.0.2.{k}" for k in range(len(names))])
        assert store._entries.used <= 64 * 1024
    assert 40 < len(store) < 200
    assert store.get("zone0001999.example.com.") is not None  # the newest is kept
    assert store.get("zone0000000.example.com.") is None  # the oldest went first

    # Real cost: each NS name, glue address and the stored tuples are separate objects, as
    # when they come from a parsed referral.
    measured = DelegationStore(clock, max_bytes=1 << 40)
    count = AFTER_GROWTH
    names = [[f"ns{k}.zone{i:07d}.example.com." for k in range(2)] for i in range(count)]
    glue_names = [[f"ns{k}.zone{i:07d}.example.com." for k in range(2)] for i in range(count)]
    addresses = [[f"192.0.{i >> 8 & 255}.{i & 255}", f"2001:db8::{i:x}"] for i in range(count)]

    def fill(i: int) -> None:
        zone = f"zone{i:07d}.example.com."
        measured.put(zone, [(name, 3600) for name in names[i]],
                     [(name, address, 3600)
                      for name, address in zip(glue_names[i], addresses[i], strict=True)])

    real, accounted = _real_and_accounted(count, fill, lambda: measured._entries.used)
    assert real <= accounted <= 2 * real


def test_an_expired_delegation_is_gone_and_frees_its_bytes() -> None:
    clock = FakeClock()
    store = DelegationStore(clock, max_bytes=64 * 1024)
    _delegation(store, 1, ["ns1.example.net."], ["192.0.2.1"], ttl=60)
    assert store.get("zone0000001.example.com.") is not None
    clock.now += 61
    assert store.get("zone0000001.example.com.") is None
    assert store._entries.used == 0
