"""ZoneCutMemo: a zone cut built from cached RRsets is reused only while they are the same."""

from __future__ import annotations

from collections.abc import Iterable

from dnslib import QTYPE

from resolver.zonecut import DelegationStore, Side, ZoneCut, ZoneCutMemo
from tests.fakenet import FakeClock


class Stamps:
    """A cache stand-in: the stamp of each (owner, type), set by the test."""

    def __init__(self) -> None:
        self.stamps: dict[tuple[str, int], int] = {}

    def stamp(self, name: str, rtype: int) -> int | None:
        return self.stamps.get((name, rtype))

    def stamp_checks(self, rrsets: Iterable[tuple[str, int, int | None]]
                     ) -> tuple[tuple[str, int, int | None], ...]:
        return tuple(rrsets)

    def stamps_hold(self, rrsets: Iterable[tuple[str, int, int | None]],
                    now: float | None = None) -> bool:
        return all(self.stamp(owner, rtype) == stamp for owner, rtype, stamp in rrsets)


def example_cut() -> ZoneCut:
    cut = ZoneCut("example.com.", [])
    cut.add("ns1.example.com.", ["127.1.2.1"], Side.CHILD)
    cut.add("ns2.example.com.", ["127.1.2.2"], Side.PARENT)
    return cut


SOURCES = [("example.com.", QTYPE.NS, 1), ("ns1.example.com.", QTYPE.A, 2),
           ("ns1.example.com.", QTYPE.AAAA, None)]


def memo_with_example() -> tuple[ZoneCutMemo, Stamps, DelegationStore, FakeClock]:
    clock = FakeClock()
    memo, cache, delegations = ZoneCutMemo(clock), Stamps(), DelegationStore(clock)
    cache.stamps = {("example.com.", QTYPE.NS): 1, ("ns1.example.com.", QTYPE.A): 2}
    assert memo.get("example.com.", cache, delegations) is None  # binds the memo to them
    memo.put("example.com.", example_cut(), SOURCES, None, clock() + 300)
    return memo, cache, delegations, clock


def test_a_memoised_cut_comes_back_as_a_fresh_copy_each_time():
    memo, cache, delegations, _ = memo_with_example()
    first = memo.get("example.com.", cache, delegations)
    assert first is not None and first.primary() == example_cut().primary()
    first.attempt("127.1.2.1")
    first.failed.add("127.1.2.2")
    first.add("ns3.example.com.", ["127.1.2.3"], Side.CHILD)
    second = memo.get("example.com.", cache, delegations)
    assert second is not None
    assert not second.tried and not second.failed
    assert second.ns_names == ["ns1.example.com.", "ns2.example.com."]


def test_a_replaced_removed_or_new_rrset_drops_the_cut():
    for change in ({("ns1.example.com.", QTYPE.A): 7},  # replaced
                   {("ns1.example.com.", QTYPE.A): None},  # removed or expired
                   {("ns1.example.com.", QTYPE.AAAA): 8}):  # absent before, cached now
        memo, cache, delegations, _ = memo_with_example()
        for key, stamp in change.items():
            if stamp is None:
                del cache.stamps[key]
            else:
                cache.stamps[key] = stamp
        assert memo.get("example.com.", cache, delegations) is None
        assert len(memo) == 0


def test_the_cut_expires_with_its_first_ttl():
    memo, cache, delegations, clock = memo_with_example()
    clock.advance(299)
    assert memo.get("example.com.", cache, delegations) is not None
    clock.advance(1)
    assert memo.get("example.com.", cache, delegations) is None


def test_a_new_delegation_from_the_parent_drops_the_cut():
    memo, cache, delegations, _ = memo_with_example()
    delegations.put("example.com.", [("ns1.example.com.", 3600)], [])
    assert memo.get("example.com.", cache, delegations) is None


def test_another_cache_or_delegation_store_empties_the_memo():
    memo, cache, delegations, clock = memo_with_example()
    assert memo.get("example.com.", Stamps(), delegations) is None
    assert len(memo) == 0
    memo, cache, delegations, clock = memo_with_example()
    assert memo.get("example.com.", cache, DelegationStore(clock)) is None
    assert len(memo) == 0


def test_the_memo_is_bounded_in_entries_and_in_bytes():
    clock = FakeClock()
    cache, delegations = Stamps(), DelegationStore(clock)
    cache.stamps = {("example.com.", QTYPE.NS): 1, ("ns1.example.com.", QTYPE.A): 2}
    memo = ZoneCutMemo(clock, max_entries=3)
    memo.get(".", cache, delegations)
    for i in range(5):
        memo.put(f"zone{i}.", example_cut(), SOURCES, None, clock() + 300)
    assert len(memo) == 3
    assert memo.get("zone0.", cache, delegations) is None  # least recently used went first
    assert memo.get("zone4.", cache, delegations) is not None

    one = memo.size // len(memo)
    memo = ZoneCutMemo(clock, max_bytes=2 * one + one // 2)
    memo.get(".", cache, delegations)
    for i in range(5):
        memo.put(f"zone{i}.", example_cut(), SOURCES, None, clock() + 300)
    assert len(memo) == 2 and memo.size <= memo.max_bytes
    big = ZoneCut("big.", [])
    for i in range(200):
        big.add(f"ns{i}.big.", [f"127.2.{i}.1"], Side.PARENT)
    memo.put("big.", big, SOURCES, None, clock() + 300)  # larger than the whole bound: not kept
    assert memo.get("big.", cache, delegations) is None and memo.size <= memo.max_bytes


def test_the_zones_ns_rrset_in_every_answer_keeps_the_memoised_cut():
    # Like NSD, the zone's servers put its NS RRset in the authority section of every positive
    # answer. Stored again unchanged (its expiry held by the ghost-domain ceiling), it keeps
    # its stamp, so the cut built from it is reused rather than rebuilt after every answer.
    from tests.scripted import ANY, EXAMPLE1, EXAMPLE2, ROOTS, ScriptedNetwork, small_internet

    net = ScriptedNetwork()
    small_internet(net)
    apex_ns = ["example.com. 3600 NS ns1.example.com.", "example.com. 3600 NS ns2.example.com."]
    for address in (EXAMPLE1, EXAMPLE2):
        for number in range(4):
            net.script(address, f"www{number}.example.com.", ANY, aa=True,
                       answer=[f"www{number}.example.com. 300 A 127.9.0.{number + 1}"],
                       authority=apex_ns)
    with net.resolver(ROOTS, qname_minimisation=False) as resolver:
        iterator = resolver.iterator
        # The first answer upgrades the referral's NS RRset to the child's; the second walk
        # builds the cut from the cache and memoises it.
        for number in (0, 1):
            assert resolver.query(f"www{number}.example.com.").rcode == 0
        stamp = iterator.cache.stamp("example.com.", QTYPE.NS)
        for number in (2, 3):
            net.clock.advance(10)
            assert iterator.cut_memo.get("example.com.", iterator.cache,
                                         iterator.delegations) is not None
            answer = resolver.query(f"www{number}.example.com.")
            assert answer.rcode == 0 and answer.upstream_queries == 1
            assert iterator.cache.stamp("example.com.", QTYPE.NS) == stamp
        assert iterator.cut_memo.get("example.com.", iterator.cache,
                                     iterator.delegations) is not None


def test_a_copy_and_its_original_never_see_each_others_additions():
    # The memo stores a copy of the cut it built and the walk goes on with the original (and
    # each later miss with a copy of the copy): they share their address tables until one
    # adds to them, as a walk does when it resolves an NS name's address.
    original = example_cut()
    original_primary = dict(original.primary())
    copy = original.copy()
    assert copy.primary() == original_primary and not copy.useless()
    original.add("ns3.example.com.", ["127.1.2.3"], Side.CHILD)
    original.add("ns1.example.com.", ["127.1.2.9"], Side.CHILD)
    assert copy.ns_names == ["ns1.example.com.", "ns2.example.com."]
    assert copy.child == {"ns1.example.com.": ["127.1.2.1"]}
    assert copy.primary() == original_primary
    assert set(original.primary()) == {"127.1.2.1", "127.1.2.9", "127.1.2.2", "127.1.2.3"}
    other = copy.copy()
    other.add("ns2.example.com.", ["127.1.2.4"], Side.CHILD)
    assert other.primary()["127.1.2.4"] == ("ns2.example.com.", Side.CHILD)
    assert "127.1.2.2" not in other.primary()  # the child's address is preferred to the glue
    assert copy.primary() == original_primary and copy.child == {
        "ns1.example.com.": ["127.1.2.1"]}


def test_whether_a_cut_is_useless_follows_its_addresses():
    # No address and every NS name inside the zone: useless until an address is added.
    cut = ZoneCut("example.com.", [])
    cut.add("ns1.example.com.", [], Side.PARENT)
    copy = cut.copy()
    assert cut.useless() and copy.useless()
    copy.add("ns1.example.com.", ["127.1.2.1"], Side.PARENT)
    assert not copy.useless() and cut.useless()
    cut.add("ns.example.net.", [], Side.PARENT)  # a name out of bailiwick can be resolved
    assert not cut.useless()


def test_the_walks_own_state_is_never_shared():
    memo, cache, delegations, _ = memo_with_example()
    first = memo.get("example.com.", cache, delegations)
    second = memo.get("example.com.", cache, delegations)
    assert first is not None and second is not None
    first.attempt("127.1.2.1")
    first.timed_out.add("127.1.2.1")
    first.failed.add("127.1.2.2")
    first.looked_up.add("ns2.example.com.")
    assert not (second.tried or second.timed_out or second.failed or second.looked_up)


def test_may_hold_is_false_only_when_no_delegation_is_stored():
    clock = FakeClock()
    delegations = DelegationStore(clock)
    assert not delegations.may_hold("example.com.")
    delegations.put("example.com.", [("ns1.example.com.", 60)], [])
    assert delegations.may_hold("example.com.") and delegations.get("example.com.") is not None
    assert not delegations.may_hold("www.example.com.")
    clock.advance(60)
    assert delegations.get("example.com.") is None and not delegations.may_hold("example.com.")
