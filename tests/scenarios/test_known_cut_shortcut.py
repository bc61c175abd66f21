"""The known-cut shortcut (resolver/shortcut.py): a miss the server resolves under a zone cut
the cache knows is one exchange run on callbacks, and its answer, cache contents and upstream
queries are the walk's. Whatever the walk would do more (a timeout, a lame or truncating
server, a referral, a CNAME) it hands over to the walk, which goes on from what the shortcut
learned without asking the same question again.

Each scenario asks the same questions of two resolvers over the same scripted internet: one
the way `resolve serve` does (untraced, on the resolver's loop: the shortcut), one traced (the
walk alone), and compares.
"""

from __future__ import annotations

import asyncio
import gc
import threading

import pytest
from dnslib import RCODE

from resolver import shortcut
from resolver.dnssec import Security
from resolver.infra import RTT_ALPHA
from tests.fakenet import hermetic_resolver
from tests.scripted import (
    ANY,
    COM,
    EXAMPLE1,
    EXAMPLE2,
    ROOTS,
    ScriptedNetwork,
    records,
    referral,
    small_internet,
    soa,
)

OTHER = "127.1.3.1"  # other.com.'s server
SUB = "127.1.4.1"  # sub.example.com.'s server


@pytest.fixture
def taken(monkeypatch):
    """How many misses the shortcut sent a query for."""
    counts = {"sent": 0}
    start = shortcut.start

    def counting(iterator, resolution, done):
        pending = start(iterator, resolution, done)
        if pending is not None and pending is not shortcut._ANSWERED:
            counts["sent"] += 1
        return pending

    monkeypatch.setattr(shortcut, "start", counting)
    return counts


def internet(**hosts: dict) -> ScriptedNetwork:
    net = ScriptedNetwork()
    small_internet(net, [
        "www.example.com. 300 A 192.0.2.80",
    ])
    for address in (EXAMPLE1, EXAMPLE2):
        net.script(address, "alias.example.com.", ANY, aa=True,
                   answer=["alias.example.com. 300 CNAME www.other.com."])
        net.script(address, "sub.example.com.", ANY, authority=[
            "sub.example.com. 300 NS ns.sub.example.com."],
            additional=[f"ns.sub.example.com. 300 A {SUB}"])
        net.script(address, "x.sub.example.com.", ANY, authority=[
            "sub.example.com. 300 NS ns.sub.example.com."],
            additional=[f"ns.sub.example.com. 300 A {SUB}"])
    net.zone(SUB, apex="sub.example.com.", records=[
        "sub.example.com. 300 NS ns.sub.example.com.", f"ns.sub.example.com. 300 A {SUB}",
        soa("sub.example.com."), "sub.example.com. 300 A 192.0.2.53"])
    # The CNAME's target is in another zone: other.com.
    for name in ("other.com.", "www.other.com."):
        net.script(COM, name, ANY, **referral("other.com.", {"ns.other.com.": OTHER}))
    net.zone(OTHER, apex="other.com.", records=[
        "other.com. 300 NS ns.other.com.", f"ns.other.com. 300 A {OTHER}",
        soa("other.com."), "www.other.com. 300 A 192.0.2.99"])
    for address, settings in hosts.items():
        net.host(address, **settings)
    return net


def serve(net: ScriptedNetwork, questions: list[tuple[str, str]], warm: bool = True,
          then=None):
    """Ask as the server does (query_future, untraced), after one traced lookup that caches
    the example.com. zone cut (and `then()`); returns the answers and the queries each one
    sent."""
    resolver = net.resolver(ROOTS)

    async def run():
        assert resolver.bind_to_running_loop()
        if warm:
            await resolver.query_async("www.example.com.", "A")
        if then is not None:
            then()
        answers, sent = [], []
        for name, qtype in questions:
            before = len(net.sent)
            answers.append(await resolver.query_future(name, qtype, trace=False))
            sent.append(net.sent[before:])
        return answers, sent

    try:
        return asyncio.run(run())
    finally:
        resolver.close()


def walk(net: ScriptedNetwork, questions: list[tuple[str, str]], warm: bool = True):
    """The same questions walked with a trace (no shortcut)."""
    with net.resolver(ROOTS) as resolver:
        if warm:
            resolver.query("www.example.com.", "A")
        answers, sent = [], []
        for name, qtype in questions:
            before = len(net.sent)
            answers.append(resolver.query(name, qtype))
            sent.append(net.sent[before:])
        return answers, sent


def summary(answer) -> tuple:
    authority = [(str(rr.rname).lower(), rr.rtype, rr.ttl) for rr in answer.authority_records]
    return answer.rcode, answer.canonical_name, records(answer), authority


def asked(sent) -> list[tuple[str, str, str, str]]:
    """What was asked of which zone's servers (selection picks among a zone's at random)."""
    zones = {EXAMPLE1: "example.com.", EXAMPLE2: "example.com.", OTHER: "other.com.",
             SUB: "sub.example.com.", COM: "com."}
    return [(zones.get(s.address, s.address), s.qname, s.qtype, s.protocol) for s in sent]


def test_a_miss_under_a_known_cut_is_one_query_with_the_walks_answer(taken):
    questions = [("nx1.example.com.", "A"), ("www.example.com.", "AAAA"),
                 ("www.example.com.", "MX"), ("nx2.example.com.", "TXT")]
    answers, sent = serve(internet(), questions)
    expected, expected_sent = walk(internet(), questions)
    assert [summary(a) for a in answers] == [summary(a) for a in expected]
    assert [len(s) for s in sent] == [1, 1, 1, 1] == [len(s) for s in expected_sent]
    assert taken["sent"] == 4
    assert [a.rcode for a in answers] == [3, 0, 0, 3]


def test_a_positive_answer_and_a_denial_are_cached_as_the_walk_caches_them(taken):
    net = internet()
    answers, sent = serve(net, [("new.example.com.", "A"), ("new.example.com.", "A"),
                                ("below.new.example.com.", "A")])
    assert [len(s) for s in sent] == [1, 0, 0]  # the NXDOMAIN, then RFC 8020 below it
    assert [a.rcode for a in answers] == [3, 3, 3]
    assert answers[1].from_cache


def test_a_referral_from_the_known_cut_is_followed_without_asking_again(taken):
    questions = [("sub.example.com.", "A")]
    answers, sent = serve(internet(), questions)
    expected, expected_sent = walk(internet(), questions)
    assert summary(answers[0]) == summary(expected[0])
    assert records(answers[0]) == [("sub.example.com.", "A", 300, "192.0.2.53")]
    assert asked(sent[0]) == asked(expected_sent[0])  # the parent once, then the child


def test_a_cname_into_another_zone_is_followed_by_the_walk(taken):
    questions = [("alias.example.com.", "A")]
    answers, sent = serve(internet(), questions)
    expected, expected_sent = walk(internet(), questions)
    assert summary(answers[0]) == summary(expected[0])
    assert records(answers[0])[-1] == ("www.other.com.", "A", 300, "192.0.2.99")
    assert asked(sent[0]) == asked(expected_sent[0])
    assert [s.qname for s in sent[0]].count("alias.example.com.") == 1


def test_a_lost_datagram_is_retransmitted_by_the_walk(taken):
    net = internet()

    def lossy():
        net.host(EXAMPLE1, lose=1)
        net.host(EXAMPLE2, lose=1)

    answers, sent = serve(net, [("nx4.example.com.", "A")], then=lossy)
    assert answers[0].rcode == 3
    assert 2 <= len(sent[0]) <= 3  # a datagram lost (one or both), then answered
    assert taken["sent"] == 1


@pytest.mark.parametrize("rcode", [5, 2])  # REFUSED, SERVFAIL: lame for this zone
def test_a_lame_server_sends_the_question_to_the_other_one(taken, rcode):
    net = internet()
    net.script(EXAMPLE1, ANY, ANY, rcode=rcode)
    net.script(EXAMPLE2, ANY, ANY, rcode=rcode)
    net.script(EXAMPLE1, "www.example.com.", "A", aa=True,
               answer=["www.example.com. 300 A 192.0.2.80"])
    net.script(EXAMPLE2, "www.example.com.", "A", aa=True,
               answer=["www.example.com. 300 A 192.0.2.80"])
    net.zone(EXAMPLE2, apex="example.com.", records=["example.com. 3600 NS ns1.example.com.",
                                                      soa("example.com.")])
    answers, sent = serve(net, [("nx5.example.com.", "A")])
    assert answers[0].rcode == 3
    assert EXAMPLE2 in [s.address for s in sent[0]]


def test_a_truncated_reply_is_asked_again_over_tcp(taken):
    net = internet()
    for address in (EXAMPLE1, EXAMPLE2):
        net.script(address, "big.example.com.", "TXT", aa=True, tc_over_udp=True,
                   answer=['big.example.com. 300 TXT "' + "x" * 200 + '"'])
    answers, sent = serve(net, [("big.example.com.", "TXT")])
    assert answers[0].rcode == 0 and len(records(answers[0])) == 1
    assert [s.protocol for s in sent[0]][-1] == "tcp"


def test_without_a_known_cut_the_walk_primes_and_walks_from_the_root(taken):
    answers, sent = serve(internet(), [("nx6.example.com.", "A")], warm=False)
    expected, expected_sent = walk(internet(), [("nx6.example.com.", "A")], warm=False)
    assert summary(answers[0]) == summary(expected[0])
    assert asked(sent[0]) == asked(expected_sent[0])
    assert taken["sent"] == 0  # nothing known: the root first


def test_a_name_two_labels_below_the_cut_is_minimised_by_the_walk(taken):
    questions = [("a.b.example.com.", "A")]
    answers, sent = serve(internet(), questions)
    expected, expected_sent = walk(internet(), questions)
    assert summary(answers[0]) == summary(expected[0])
    assert asked(sent[0]) == asked(expected_sent[0])
    assert taken["sent"] == 0


def test_closing_the_resolver_while_a_shortcut_waits_ends_it(taken):
    net = internet()
    resolver = net.resolver(ROOTS)
    sends = []
    send_udp = net.send_udp

    def recording(*args):
        sends.append(send_udp(*args))
        return sends[-1]

    net.send_udp = recording  # type: ignore[method-assign]

    async def run():
        assert resolver.bind_to_running_loop()
        await resolver.query_async("www.example.com.", "A")
        net.host(EXAMPLE1, hold=held)  # both answer only when the test says so
        net.host(EXAMPLE2, hold=held)
        future = resolver.query_future("nx7.example.com.", "A", trace=False)
        await asyncio.sleep(0)
        resolver.close()  # on its own loop: every walk in flight is cancelled soon
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        held.set()  # the scripted servers' waiting threads end (the waits were cancelled)
        return future

    held = threading.Event()
    try:
        future = asyncio.run(run())
    finally:
        held.set()
    assert future.cancelled()
    assert taken["sent"] == 1
    assert sends and sends[-1].cancelled()  # the shortcut's query stopped waiting too


# ---- validating: the signed lab (tests/fakenet.py), trust anchored at its root ------------------

SIGNED = ["dnssec_secure", "nsec_nxdomain", "nsec_nodata", "nsec3_nxdomain", "nsec3_nodata",
          "nsec3_opt_out", "insecure_delegation", "signed_wildcard", "nsec3_wildcard",
          "unsupported_algorithm", "bogus_signature", "bogus_expired", "bogus_ds_mismatch",
          "bogus_ds_for_unsigned"]


def _validated(tmp_path, scenario: str, server_path: bool):
    """Warm the scenario's zone (its cut and chain of trust) with the scenario's own question,
    then ask a never-seen sibling name and the scenario again: as the server does (untraced,
    the shortcut) or traced (the walk alone)."""
    tmp_path.mkdir(exist_ok=True)
    resolver, lab, _, network = hermetic_resolver(tmp_path)
    s = lab.scenario(scenario)
    sibling = "shortcut-probe." + s.qname.split(".", 1)[1]

    async def run():
        assert resolver.bind_to_running_loop()
        await resolver.query_async(s.qname, s.qtype)
        asked = []
        for name in (sibling, s.qname):
            before = len(network.sent)
            if server_path:
                answer = await resolver.query_future(name, s.qtype, trace=False)
            else:
                answer = await resolver.query_async(name, s.qtype)
            asked.append(len(network.sent) - before)
            results.append((answer.rcode, answer.security,
                            answer.ede.code if answer.ede else None,
                            sorted(str(rr) for rr in answer.answer_records)))
        return asked

    results: list = []
    try:
        asked = asyncio.run(run())
    finally:
        resolver.close()
    return results, asked


@pytest.mark.parametrize("scenario", SIGNED)
def test_a_validating_miss_under_a_known_trust_gets_the_walks_verdict(tmp_path, taken,
                                                                      scenario):
    """Secure answers and denials (NSEC, NSEC3, wildcards), insecure delegations and bogus
    zones: the shortcut's rcode, DNSSEC status, EDE and records are the walk's, with as many
    upstream queries."""
    ours, ours_asked = _validated(tmp_path / "a", scenario, server_path=True)
    walks, walk_asked = _validated(tmp_path / "b", scenario, server_path=False)
    assert ours == walks
    assert ours_asked == walk_asked


def test_the_shortcut_validates_once_the_zones_trust_is_known(tmp_path, taken):
    ours, asked = _validated(tmp_path, "nsec3_nxdomain", server_path=True)
    assert ours[0][:2] == (RCODE.NXDOMAIN, Security.SECURE)
    assert asked[0] == 1 and taken["sent"] == 1  # one query, sent by the shortcut


def test_a_miss_leaves_nothing_for_the_garbage_collector(taken):
    """Every object of a shortcut miss goes when its last reference does: a reference cycle
    per miss made the collector's young collections take up to 100 ms under load (issue 11's
    mixed-load p99)."""
    net = internet()
    resolver = net.resolver(ROOTS)

    async def run():
        assert resolver.bind_to_running_loop()
        await resolver.query_async("www.example.com.", "A")
        gc.collect()
        gc.disable()
        gc.set_debug(gc.DEBUG_SAVEALL)
        try:
            for index in range(50):
                answer = await resolver.query_future(f"nx{index}.example.com.", "A", trace=False)
                assert answer.rcode == 3
            del answer
            gc.collect()
            return [type(o).__name__ for o in gc.garbage if type(o).__module__.startswith(
                ("resolver.", "asyncio"))]
        finally:
            gc.set_debug(0)
            gc.garbage.clear()
            gc.enable()

    try:
        left = asyncio.run(run())
    finally:
        resolver.close()
    assert taken["sent"] == 50
    assert left == []


def test_a_denial_the_shortcut_caches_lives_for_its_negative_ttl_and_times_the_server(taken):
    # example.com.'s SOA gives a denial 300 s (RFC 2308 §5: min(SOA TTL, MINIMUM)). The
    # shortcut's one exchange is one RTT sample for server selection (RFC 6298 §2), as the
    # walk's would be: its servers now answer in 40 ms, after 10 ms while warming up.
    net = internet()
    resolver = net.resolver(ROOTS)
    infra = resolver.iterator.infra

    async def run():
        assert resolver.bind_to_running_loop()
        await resolver.query_async("www.example.com.", "A")
        before = {address: infra.stats(address) for address in (EXAMPLE1, EXAMPLE2)}
        for address in before:
            net.host(address, rtt=0.040)
        start = len(net.sent)
        first = await resolver.query_future("gone.example.com.", "A", trace=False)
        sent = net.sent[start:]
        after = infra.stats(sent[0].address)
        net.clock.advance(299)  # the denial was stored when the reply came
        kept = await resolver.query_future("gone.example.com.", "A", trace=False)
        net.clock.advance(1)
        again_from = len(net.sent)
        again = await resolver.query_future("gone.example.com.", "A", trace=False)
        return before, after, first, sent, kept, again, net.sent[again_from:]

    try:
        before, after, first, sent, kept, again, sent_again = asyncio.run(run())
    finally:
        resolver.close()
    assert taken["sent"] == 2 and len(sent) == 1 and len(sent_again) == 1
    assert first.rcode == kept.rcode == again.rcode == RCODE.NXDOMAIN
    assert [rr.ttl for rr in first.authority_records] == [300]
    assert kept.from_cache and [rr.ttl for rr in kept.authority_records] == [1]
    assert not again.from_cache and [rr.ttl for rr in again.authority_records] == [300]
    earlier = before[sent[0].address]
    expected = 0.040 if earlier is None else (1 - RTT_ALPHA) * earlier.srtt + RTT_ALPHA * 0.040
    assert after.srtt == pytest.approx(expected)
