"""The lab's serve_stale and prefetch scenarios, as a teacher shows them with `--trace`: the
lab in-process on a fake clock (tests/fakenet.py), so the TTLs run out without waiting.

- serve_stale: www.stale.net (TTL 2) is served by a host that answers its first query and
  then goes silent; asked again after the TTL, only serve-stale answers (RFC 8767: TTL 30,
  EDE 3), and the trace says so.
- prefetch: ttl2.example.com (TTL 2) asked in its last second starts a background refresh,
  which the trace names; the next question, after the first answer's expiry, is a cache hit.
"""

from __future__ import annotations

from resolver.ede import EdeCode
from resolver.lab import SCENARIOS
from resolver.render import Style, render_trace
from resolver.stale import STALE_TTL
from resolver.trace import CacheHit, CacheWhat, PrefetchStarted
from tests.fakenet import hermetic_resolver

STALE = SCENARIOS["serve_stale"].qname
PREFETCH = SCENARIOS["prefetch"].qname
TTL = 2


def flat(text: str) -> str:
    return " ".join(text.split())


def addresses(answer) -> list[str]:
    return [str(rr.rdata) for rr in answer.answer_records]


def test_a_zone_gone_silent_is_answered_stale_with_serve_stale(tmp_path):
    resolver, lab, clock, _ = hermetic_resolver(tmp_path, serve_stale=True)
    with resolver:
        first = resolver.query(STALE)
        assert addresses(first) == ["127.42.38.80"] and first.ttl == TTL
        clock.advance(TTL + 1)
        again = resolver.query(STALE)
    assert again.rcode_text == "NOERROR" and addresses(again) == ["127.42.38.80"]
    assert again.ttl == STALE_TTL and again.ede.code == EdeCode.STALE_ANSWER
    assert again.upstream_queries > 0  # it did try the zone's server first
    stale_hits = [e for e in again.trace if isinstance(e, CacheHit) and e.what == CacheWhat.STALE]
    assert [(e.name, e.ttl) for e in stale_hits] == [(STALE, STALE_TTL)]
    text = flat(render_trace(again, Style(color=False)))
    assert "timed out" in text
    assert f"[cache] stale data (RFC 8767: resolving failed, served with TTL 30) for {STALE} A" \
        in text
    assert "Extended DNS Error 3 (Stale Answer): resolving failed: no server of stale.net." \
        in text
    assert lab.query_count("ns.stale.net.") == again.upstream_queries + 1  # one answered


def test_without_serve_stale_the_silent_zone_fails(tmp_path):
    resolver, _, clock, _ = hermetic_resolver(tmp_path)
    with resolver:
        resolver.query(STALE)
        clock.advance(TTL + 1)
        again = resolver.query(STALE)
    assert again.rcode_text == "SERVFAIL" and again.ede.code == EdeCode.NO_REACHABLE_AUTHORITY


def _settle(resolver) -> None:
    """Let the background refreshes started so far finish (on the resolver's own loop)."""
    resolver._run(resolver.iterator.refreshes_done())


def test_a_question_in_the_last_second_starts_a_prefetch_the_trace_names(tmp_path):
    resolver, lab, clock, _ = hermetic_resolver(tmp_path, prefetch=True)
    with resolver:
        resolver.query(PREFETCH)
        clock.advance(1.2)  # 0.8 s of 2 left: the record's last second
        late = resolver.query(PREFETCH)
        _settle(resolver)
        clock.advance(0.9)  # past the first answer's expiry, not in the refreshed one's last second
        after = resolver.query(PREFETCH)
    assert late.from_cache and late.ttl == 1 and addresses(late) == ["127.42.20.3"]
    started = [e for e in late.trace if isinstance(e, PrefetchStarted)]
    assert [(e.name, e.qtype, e.ttl, e.original_ttl) for e in started] == [(PREFETCH, "A", 1, 2)]
    text = flat(render_trace(late, Style(color=False)))
    assert (f"prefetch: {PREFETCH} A has 1 s of its 2 s TTL left (its last second): refreshing "
            "it in the background, so the next client gets fresh data without waiting") in text
    assert after.from_cache and after.upstream_queries == 0 and addresses(after) == ["127.42.20.3"]
    asked = [e for e in lab.query_log if e.qname == PREFETCH]
    assert len(asked) == 2  # the first walk and the refresh; the third question asked nobody
    assert resolver.stats()["prefetches"] == 1


def test_without_prefetch_the_question_after_expiry_walks(tmp_path):
    resolver, lab, clock, _ = hermetic_resolver(tmp_path)
    with resolver:
        resolver.query(PREFETCH)
        clock.advance(1.2)
        late = resolver.query(PREFETCH)
        clock.advance(0.9)
        after = resolver.query(PREFETCH)
    assert not any(isinstance(e, PrefetchStarted) for e in late.trace)
    assert not after.from_cache and after.upstream_queries > 0
