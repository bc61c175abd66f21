"""Extended DNS Errors (RFC 8914): every SERVFAIL says why, on the exception, on the Answer and
in the nameserver's OPT record (option 15)."""

from __future__ import annotations

import pytest

from resolver.ede import EdeCode
from resolver.errors import NoNameservers
from resolver.limits import Limits
from tests.scripted import (
    EXAMPLE1,
    EXAMPLE2,
    ROOTS,
    ScriptedNetwork,
    ask_nameserver,
    client_query,
    ede_options,
    small_internet,
)


def _dead_example(net: ScriptedNetwork) -> None:
    small_internet(net, ["www.example.com. 300 A 127.9.0.1"])
    net.host(EXAMPLE1, dead=True)
    net.host(EXAMPLE2, dead=True)


def test_every_server_of_the_zone_dead_is_22_no_reachable_authority():
    net = ScriptedNetwork()
    _dead_example(net)
    with net.resolver(ROOTS) as resolver, pytest.raises(NoNameservers) as raised:
        resolver.resolve("www.example.com.")
    ede = raised.value.ede
    assert ede is not None and ede.code == EdeCode.NO_REACHABLE_AUTHORITY
    assert "example.com." in ede.text
    assert str(ede).startswith("22 (No Reachable Authority): ")


def test_an_untraced_walk_still_says_why_it_failed():
    # A server asks without a trace (trace=False): the walk keeps only its last event, which
    # carries the failure behind the SERVFAIL and so its EDE.
    import asyncio

    net = ScriptedNetwork()
    _dead_example(net)
    with net.resolver(ROOTS) as resolver:
        traced = resolver.query("www.example.com.")
    with net.resolver(ROOTS) as resolver:
        untraced = asyncio.run(resolver.query_async("www.example.com.", trace=False))
    assert len(traced.trace) > 1 and [e.kind for e in untraced.trace] == ["resolution_finished"]
    assert untraced.rcode == 2 and untraced.ede == traced.ede
    assert untraced.ede.code == EdeCode.NO_REACHABLE_AUTHORITY


def test_a_limit_is_0_other_naming_the_limit():
    net = ScriptedNetwork()
    small_internet(net, ["www.example.com. 300 A 127.9.0.1"])
    with net.resolver(ROOTS, limits=Limits(max_referrals=1)) as resolver:
        answer = resolver.query("www.example.com.")
    assert answer.rcode == 2
    assert answer.ede.code == EdeCode.OTHER and "max_referrals" in answer.ede.text


def test_an_answer_carries_no_ede():
    net = ScriptedNetwork()
    small_internet(net, ["www.example.com. 300 A 127.9.0.1"])
    with net.resolver(ROOTS) as resolver:
        assert resolver.query("www.example.com.").ede is None


def test_the_nameserver_servfail_carries_the_ede_option_when_the_client_sent_edns():
    net = ScriptedNetwork()
    _dead_example(net)
    with net.resolver(ROOTS) as resolver:
        reply = ask_nameserver(resolver, client_query("www.example.com."))
        assert reply.header.rcode == 2
        [ede] = ede_options(reply)
        assert ede.code == EdeCode.NO_REACHABLE_AUTHORITY and "example.com." in ede.text
        # Without EDNS there is no OPT record to carry it (RFC 8914 §3).
        plain = ask_nameserver(resolver, client_query("www.example.com.", edns=False))
        assert plain.header.rcode == 2 and not ede_options(plain)


def test_the_cli_prints_the_ede_of_a_server_reply_as_dig_does():
    from resolver.cli.dig_output import Reply, render_dig
    from resolver.cli.options import OUTPUT_PARTS
    from resolver.render import Style

    net = ScriptedNetwork()
    _dead_example(net)
    with net.resolver(ROOTS) as resolver:
        reply = ask_nameserver(resolver, client_query("www.example.com."))
    shown = Reply(reply, len(reply.pack()), 0.01, server="127.0.0.1#5353(127.0.0.1)",
                  protocol="UDP")
    text = render_dig(shown, dict.fromkeys(OUTPUT_PARTS, True), Style())
    assert "; EDE: 22 (No Reachable Authority): (no server of example.com. answered" in text
