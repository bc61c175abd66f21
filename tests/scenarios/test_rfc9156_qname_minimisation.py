"""QNAME minimisation (RFC 9156), relaxed: each server hears one label more than its zone, as
type A, until the zone that holds the name answers the full question; a bad reply to a shortened
name falls back to the full name; and the NXDOMAIN cut (RFC 8020) answers below a denial."""

from __future__ import annotations

from resolver.minimise import MAX_MINIMISE_COUNT
from tests.scripted import (
    ANY,
    COM,
    EXAMPLE1,
    EXAMPLE2,
    ROOT,
    ROOTS,
    ScriptedNetwork,
    addresses,
    small_internet,
    soa,
)

WWW = "www.example.com. 300 A 127.9.0.1"
DEEP = "a.b.example.com. 300 A 127.9.0.2"


def _questions(net: ScriptedNetwork, start: int = 0) -> list[tuple[str, str, str]]:
    return [(s.address, s.qname, s.qtype) for s in net.sent[start:]]


def test_each_server_hears_one_label_more_than_its_zone():
    net = ScriptedNetwork()
    small_internet(net, [WWW])
    with net.resolver(ROOTS) as resolver:
        resolver.query(".", "NS")  # priming and the root's own answer, out of the way
        before = len(net.sent)
        answer = resolver.query("www.example.com.", "AAAA")
    assert answer.rcode == 0 and not answer.answer_records  # NODATA, found the same way
    asked = _questions(net, before)
    assert asked[0] == (ROOT, "com.", "A")
    assert asked[1] == (COM, "example.com.", "A")
    assert asked[2][1:] == ("www.example.com.", "AAAA")  # the zone's server gets it all
    assert asked[2][0] in (EXAMPLE1, EXAMPLE2)
    shown = [(e.qname, e.qtype) for e in answer.trace if e.kind == "query_sent"]
    assert ("example.com.", "A") in shown  # the trace shows the shortened question


def test_turned_off_every_server_hears_the_full_name():
    net = ScriptedNetwork()
    small_internet(net, [WWW])
    with net.resolver(ROOTS, qname_minimisation=False) as resolver:
        assert addresses(resolver.query("www.example.com.")) == ["127.9.0.1"]
    assert {s.qname for s in net.sent if s.address in (ROOT, COM)} <= {"www.example.com.", "."}


def _with_empty_non_terminal(net: ScriptedNetwork, broken: bool) -> None:
    small_internet(net, [DEEP])
    for address in (EXAMPLE1, EXAMPLE2):
        if not broken:  # b.example.com. exists (it has a name below): NODATA, not NXDOMAIN
            net.script(address, "b.example.com.", ANY, aa=True, authority=[soa("example.com.")])


def test_an_empty_non_terminal_answers_nodata_and_the_walk_goes_on():
    net = ScriptedNetwork()
    _with_empty_non_terminal(net, broken=False)
    with net.resolver(ROOTS) as resolver:
        answer = resolver.query("a.b.example.com.")
    assert addresses(answer) == ["127.9.0.2"]
    assert [q for _, q, t in _questions(net) if q.endswith("example.com.")] == [
        "example.com.", "b.example.com.", "a.b.example.com."]
    assert not any(e.kind == "minimisation_stopped" for e in answer.trace)


def test_nxdomain_for_an_empty_non_terminal_from_a_broken_server_falls_back_to_the_full_name():
    net = ScriptedNetwork()
    _with_empty_non_terminal(net, broken=True)
    with net.resolver(ROOTS) as resolver:
        answer = resolver.query("a.b.example.com.")
        assert addresses(answer) == ["127.9.0.2"]
        [stopped] = [e for e in answer.trace if e.kind == "minimisation_stopped"]
        assert (stopped.qname, stopped.reason) == ("b.example.com.", "nxdomain")
        # The shortened denial was not cached, so it denies nothing below it (RFC 8020 cut).
        sent = len(net.sent)
        assert resolver.query("c.b.example.com.").rcode == 3
        assert net.asked("c.b.example.com.", "A") and len(net.sent) > sent


def test_refused_to_a_shortened_name_falls_back_without_blaming_the_server():
    net = ScriptedNetwork()
    small_internet(net, [WWW])
    net.script(COM, "example.com.", "A", rcode=5)  # a middlebox that dislikes short names
    with net.resolver(ROOTS) as resolver:
        answer = resolver.query("www.example.com.")
    assert addresses(answer) == ["127.9.0.1"]
    [stopped] = [e for e in answer.trace if e.kind == "minimisation_stopped"]
    assert stopped.reason == "refused" and stopped.zone == "com."
    assert [a for a, q, _ in _questions(net) if q == "www.example.com."][0] == COM


def test_a_real_nxdomain_ends_the_walk_and_answers_for_every_name_below():
    net = ScriptedNetwork()
    small_internet(net, [WWW])
    with net.resolver(ROOTS) as resolver:
        assert resolver.query("x.nope.example.com.").rcode == 3
        sent = len(net.sent)
        below = resolver.query("deeper.x.nope.example.com.", "MX")
        assert below.rcode == 3 and below.from_cache  # RFC 8020: no query at all
        assert any(e.kind == "cache_hit" and e.name == "x.nope.example.com." for e in below.trace)
        assert len(net.sent) == sent


def test_long_names_are_minimised_in_at_most_max_minimise_count_steps():
    labels = ".".join(f"l{i}" for i in range(30))
    name = f"{labels}.example.com."
    net = ScriptedNetwork()
    small_internet(net, [f"{name} 300 A 127.9.0.3"])
    for address in (EXAMPLE1, EXAMPLE2):  # every name between is an empty non-terminal
        for i in range(1, 30):
            ent = ".".join(f"l{j}" for j in range(i, 30)) + ".example.com."
            net.script(address, ent, ANY, aa=True, authority=[soa("example.com.")])
    with net.resolver(ROOTS) as resolver:
        answer = resolver.query(name)
    assert addresses(answer) == ["127.9.0.3"]
    shortened = [s for s in net.sent if s.qname not in (name, ".")]
    assert len(shortened) <= MAX_MINIMISE_COUNT
    assert net.asked(name, "A")
