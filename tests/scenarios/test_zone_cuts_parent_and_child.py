"""Zone cuts: the parent's delegation and the child's data kept apart, glue that expires before
its NS set, TTL-0 glue, ghost domains (CVE-2012-1033), and glue cycles."""

from __future__ import annotations

from dnslib import QTYPE

from tests.scripted import (
    ANY,
    COM,
    EXAMPLE1,
    ROOT,
    ROOTS,
    ScriptedNetwork,
    addresses,
    referral,
    small_internet,
    soa,
)

DEAD = "127.1.9.9"


def one_server_child(net: ScriptedNetwork, *, ns_ttl: int = 86400, glue_ttl: int = 86400,
                     child_address: str = EXAMPLE1) -> None:
    """com. delegates example.com. to ns1.example.com. only (glue EXAMPLE1); the child's own
    zone says ns1.example.com. is at `child_address`."""
    small_internet(net, ["www.example.com. 300 A 127.9.0.1"])
    net.script(COM, ANY, ANY, **referral("example.com.", {"ns1.example.com.": EXAMPLE1},
                                         ttl=ns_ttl, glue_ttl=glue_ttl))
    net.zone(EXAMPLE1, apex="example.com.", records=[
        "example.com. 3600 NS ns1.example.com.",
        f"ns1.example.com. 3600 A {child_address}",
        soa("example.com."),
        "www.example.com. 300 A 127.9.0.1",
        "mail.example.com. 300 A 127.9.0.2",
    ])


def test_the_parents_glue_is_the_last_resort_when_the_childs_address_is_broken():
    net = ScriptedNetwork()
    one_server_child(net, child_address=DEAD)
    net.host(DEAD, dead=True)
    with net.resolver(ROOTS) as resolver:
        # The child's own (broken) address for its server lands in the cache...
        assert addresses(resolver.query("ns1.example.com.")) == [DEAD]
        # ...and the zone still answers: the child's address times out, the glue works.
        answer = resolver.query("mail.example.com.")
        assert answer.rcode == 0 and addresses(answer) == ["127.9.0.2"]
        sent = [s.address for s in net.asked("mail.example.com.", "A")]
        assert sent[-1] == EXAMPLE1 and DEAD in sent
        assert any(e.kind == "query_sent" and e.why == "last_resort" for e in answer.trace)


def test_glue_expiring_before_the_ns_set_sends_the_walk_back_to_the_parent():
    net = ScriptedNetwork()
    one_server_child(net, ns_ttl=86400, glue_ttl=60)
    net.host(EXAMPLE1).replies.clear()
    net.zone(EXAMPLE1, apex="example.com.", records=[  # the child does not say it either
        soa("example.com."), "www.example.com. 300 A 127.9.0.1", "mail.example.com. 30 A 127.9.0.2",
    ])
    with net.resolver(ROOTS) as resolver:
        assert addresses(resolver.query("www.example.com.")) == ["127.9.0.1"]
        net.clock.advance(600)  # glue gone, NS set (1 day) still cached
        before = len(net.sent)
        answer = resolver.query("mail.example.com.")
        assert answer.rcode == 0 and addresses(answer) == ["127.9.0.2"]
        assert any(e.kind == "zone_cut_skipped" and e.zone == "example.com."
                   for e in answer.trace)
        assert net.sent[before].address == COM  # fresh glue from com. (asked example.com. A)


def test_ttl0_glue_is_used_for_the_referral_it_came_with():
    net = ScriptedNetwork()
    one_server_child(net, glue_ttl=0)
    with net.resolver(ROOTS) as resolver:
        answer = resolver.query("www.example.com.")
        assert answer.rcode == 0 and addresses(answer) == ["127.9.0.1"]
        assert resolver.iterator.cache.get("ns1.example.com.", QTYPE.A) is None  # not cached


def test_a_delegation_the_parent_removed_disappears_when_its_ttl_runs_out():
    # Ghost domain: the child's servers keep re-sending their NS set with a fresh TTL.
    net = ScriptedNetwork()
    one_server_child(net, ns_ttl=3600)
    net.script(EXAMPLE1, "example.com.", "NS", aa=True,
               answer=["example.com. 86400 NS ns1.example.com."],
               additional=[f"ns1.example.com. 86400 A {EXAMPLE1}"])
    with net.resolver(ROOTS) as resolver:
        assert resolver.query("www.example.com.").rcode == 0
        net.script(COM, ANY, ANY, rcode=3, aa=True, authority=[soa("com.")])  # revoked
        for _ in range(5):  # the child's NS set refreshed again and again within the hour
            net.clock.advance(600)
            resolver.query("example.com.", "NS")
        net.clock.advance(900)  # past the parent's original 3600 s
        resolver.iterator.cache.remove("mail.example.com.", QTYPE.A)
        answer = resolver.query("mail.example.com.")
        assert answer.rcode == 3  # com. says the name is gone


def test_a_genuine_glue_cycle_fails_fast():
    net = ScriptedNetwork()
    small_internet(net)
    net.script(COM, ANY, ANY, **referral("example.com.", {"ns.example.net.": None}))
    net.script(ROOT, "example.net.", ANY, **referral("net.", {"ns.net.": "127.1.3.1"}))
    net.script(ROOT, "ns.example.net.", ANY, **referral("net.", {"ns.net.": "127.1.3.1"}))
    net.script("127.1.3.1", ANY, ANY, **referral("example.net.", {"ns.example.com.": None}))
    with net.resolver(ROOTS) as resolver:
        answer = resolver.query("www.example.com.")
        assert answer.rcode == 2
        assert answer.upstream_queries < 15


# -- a zone cut reused from the cache follows the RRsets it was built from --------------------
# The iterator keeps the zone cut it built from cached RRsets (ZoneCutMemo) and reuses it for the
# next names in the zone. Each test walks the zone twice first, so the second walk reuses the
# cut, then changes one RRset the cut came from: the very next walk must see the change.

NEW = "127.1.2.9"


def test_a_renumbered_name_server_is_asked_at_its_new_address_by_the_next_walk():
    net = ScriptedNetwork()
    one_server_child(net)
    with net.resolver(ROOTS) as resolver:
        assert resolver.query("www.example.com.").rcode == 0
        assert resolver.query("mail.example.com.").rcode == 0  # from the cached zone cut
        # The child renumbers its server: its own answer replaces the parent's glue.
        for address in (EXAMPLE1, NEW):
            net.zone(address, apex="example.com.", records=[
                "example.com. 3600 NS ns1.example.com.", f"ns1.example.com. 3600 A {NEW}",
                soa("example.com."), "new.example.com. 300 A 127.9.0.3",
            ])
        assert addresses(resolver.query("ns1.example.com.")) == [NEW]
        before = len(net.sent)
        answer = resolver.query("new.example.com.")
        assert addresses(answer) == ["127.9.0.3"]
        assert [s.address for s in net.sent[before:]] == [NEW]


def test_the_childs_ns_set_replacing_the_parents_is_used_by_the_next_walk():
    net = ScriptedNetwork()
    one_server_child(net)
    with net.resolver(ROOTS) as resolver:
        assert resolver.query("www.example.com.").rcode == 0
        assert resolver.query("mail.example.com.").rcode == 0
        cut = [e for e in resolver.query("ftp.example.com.").trace if e.kind == "zone_cut"]
        assert cut[-1].ns_names == ("ns1.example.com.",)
        # The child's own NS set names a second server, with its address.
        net.script(EXAMPLE1, "example.com.", "NS", aa=True,
                   answer=["example.com. 3600 NS ns1.example.com.",
                           "example.com. 3600 NS ns2.example.com."])
        net.script(EXAMPLE1, "ns2.example.com.", "A", aa=True,
                   answer=[f"ns2.example.com. 3600 A {NEW}"])
        assert resolver.query("example.com.", "NS").rcode == 0
        assert addresses(resolver.query("ns2.example.com.")) == [NEW]
        answer = resolver.query("other.example.com.")
        cut = [e for e in answer.trace if e.kind == "zone_cut"]
        assert cut[-1].zone == "example.com."
        assert set(cut[-1].ns_names) == {"ns1.example.com.", "ns2.example.com."}


def test_glue_expiring_after_the_zone_cut_was_reused_sends_the_walk_back_to_the_parent():
    net = ScriptedNetwork()
    one_server_child(net, ns_ttl=86400, glue_ttl=60)
    net.host(EXAMPLE1).replies.clear()
    net.zone(EXAMPLE1, apex="example.com.", records=[  # the child does not name its server
        soa("example.com."), "www.example.com. 300 A 127.9.0.1",
        "mail.example.com. 300 A 127.9.0.2", "ftp.example.com. 300 A 127.9.0.4",
    ])
    with net.resolver(ROOTS) as resolver:
        assert addresses(resolver.query("www.example.com.")) == ["127.9.0.1"]
        before = len(net.sent)
        assert addresses(resolver.query("mail.example.com.")) == ["127.9.0.2"]
        assert [s.address for s in net.sent[before:]] == [EXAMPLE1]  # the cached cut, reused
        net.clock.advance(61)  # the glue is gone, the NS set (1 day) is still cached
        before = len(net.sent)
        answer = resolver.query("ftp.example.com.")
        assert addresses(answer) == ["127.9.0.4"]
        assert any(e.kind == "zone_cut_skipped" and e.zone == "example.com."
                   for e in answer.trace)
        assert net.sent[before].address == COM  # fresh glue from com.
