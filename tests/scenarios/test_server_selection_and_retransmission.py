"""Server selection with feedback, retransmission, TCP timeouts, back-off and failure caching
(RFC 9520), and the address policy for IPv4-mapped addresses."""

from __future__ import annotations

from tests.scripted import (
    ANY,
    COM,
    EXAMPLE1,
    EXAMPLE2,
    ROOTS,
    ScriptedNetwork,
    addresses,
    referral,
    small_internet,
)

SLOW = "127.1.2.3"


def test_the_fastest_server_gets_almost_every_query():
    net = ScriptedNetwork()
    names = [f"h{i}.example.com. 300 A 127.9.1.{i}" for i in range(200)]
    small_internet(net, names)
    net.script(COM, ANY, ANY, **referral("example.com.", {
        "ns1.example.com.": EXAMPLE1, "ns2.example.com.": EXAMPLE2, "ns3.example.com.": SLOW}))
    net.zone(SLOW, apex="example.com.", records=names)
    net.host(EXAMPLE1, rtt=0.010)
    net.host(EXAMPLE2, rtt=0.012)
    net.host(SLOW, rtt=0.300)
    with net.resolver(ROOTS) as resolver:
        for i in range(200):
            assert resolver.query(f"h{i}.example.com.").rcode == 0
    to_zone = [s for s in net.sent if s.address in (EXAMPLE1, EXAMPLE2, SLOW)]
    slow = [s for s in to_zone if s.address == SLOW]
    assert len(slow) <= 0.10 * len(to_zone)  # about 5 % exploration; today a third


def test_one_lost_datagram_to_a_one_server_zone_is_retransmitted():
    net = ScriptedNetwork()
    small_internet(net, ["www.example.com. 300 A 127.9.0.1"])
    net.script(COM, ANY, ANY, **referral("example.com.", {"ns1.example.com.": EXAMPLE1}))
    with net.resolver(ROOTS) as resolver:
        resolver.query("example.com.", "SOA")  # warm up: the server is known and fast
        net.host(EXAMPLE1, lose=1)
        answer = resolver.query("www.example.com.")
        assert answer.rcode == 0 and addresses(answer) == ["127.9.0.1"]
        sent = net.asked("www.example.com.", "A")
        assert [s.address for s in sent] == [EXAMPLE1, EXAMPLE1]
        assert any(e.kind == "query_sent" and e.why == "retransmit" for e in answer.trace)


def test_a_lossy_one_server_zone_answers_every_query():
    net = ScriptedNetwork()
    names = [f"h{i}.example.com. 300 A 127.9.1.{i}" for i in range(50)]
    small_internet(net, names)
    net.script(COM, ANY, ANY, **referral("example.com.", {"ns1.example.com.": EXAMPLE1}))
    net.host(EXAMPLE1, loss_pattern=[False, False, False, False, True])  # 20 % loss
    with net.resolver(ROOTS) as resolver:
        failures = [i for i in range(50) if resolver.query(f"h{i}.example.com.").rcode != 0]
    assert failures == []


def test_tcp_after_truncation_allows_for_the_handshake():
    net = ScriptedNetwork()
    small_internet(net)
    for address in (EXAMPLE1, EXAMPLE2):
        net.host(address, rtt=0.050)  # TCP: two round trips, 100 ms
        net.script(address, "big.example.com.", "TXT", aa=True, tc_over_udp=True,
                   answer=[f'big.example.com. 300 TXT "{"x" * 200}"'] * 3)
    with net.resolver(ROOTS) as resolver:
        resolver.query("example.com.", "SOA")  # measured: RTO near its floor
        answer = resolver.query("big.example.com.", "TXT")
        assert answer.rcode == 0 and len(answer.answer_records) >= 1
        assert [s.protocol for s in net.asked("big.example.com.", "TXT")][-1] == "tcp"


def test_a_zone_whose_servers_are_all_backed_off_fails_at_once_then_comes_back():
    net = ScriptedNetwork()
    small_internet(net, [f"h{i}.example.com. 300 A 127.9.1.{i}" for i in range(20)])
    with net.resolver(ROOTS, lifetime=10.0) as resolver:
        assert resolver.query("h0.example.com.").rcode == 0
        net.host(EXAMPLE1, dead=True)
        net.host(EXAMPLE2, dead=True)
        for i in range(1, 4):  # timeouts pile up until both servers are backed off
            resolver.query(f"h{i}.example.com.")
        before = len(net.sent)
        started = net.clock()
        fast = resolver.query("h10.example.com.")
        assert fast.rcode == 2
        assert len(net.sent) - before <= 2  # at most a probe per server
        assert net.clock() - started < 3.0
        # The same question again within a second: the RFC 9520 failure cache answers.
        before = len(net.sent)
        cached = resolver.query("h10.example.com.")
        assert cached.rcode == 2 and len(net.sent) == before
        # The zone comes back: within seconds it answers again.
        net.host(EXAMPLE1, dead=False)
        net.host(EXAMPLE2, dead=False)
        net.clock.advance(6.0)
        back = resolver.query("h11.example.com.")
        assert back.rcode == 0


def test_ipv4_mapped_addresses_are_judged_as_the_ipv4_they_carry():
    net = ScriptedNetwork()
    small_internet(net, ["www.example.com. 300 A 127.9.0.1"])
    net.script(COM, ANY, ANY, **referral("example.com.", {
        "ns1.example.com.": "::ffff:0:0", "ns2.example.com.": EXAMPLE2}))
    with net.resolver(ROOTS) as resolver:
        answer = resolver.query("www.example.com.")
        assert answer.rcode == 0
        assert not net.queries_to("::ffff:0:0")
