"""RFC 6672 DNAME, and CNAME chains inside one response: linear time, cut at the limit."""

from __future__ import annotations

import asyncio
import time

from dnslib import QTYPE, DNSRecord

from resolver.limits import Limits
from resolver.server.config import ServerConfig
from resolver.server.nameserver import Nameserver
from tests.scripted import (
    EXAMPLE1,
    EXAMPLE2,
    ROOTS,
    ScriptedNetwork,
    addresses,
    records,
    small_internet,
)


def test_a_dname_is_cached_and_answered_with_its_synthesised_cname():
    net = ScriptedNetwork()
    small_internet(net, ["www.new.example.com. 300 A 127.9.0.5",
                         "ftp.new.example.com. 300 A 127.9.0.6"])
    for address in (EXAMPLE1, EXAMPLE2):
        net.script(address, "www.old.example.com.", "A", aa=True, answer=[
            "old.example.com. 300 DNAME new.example.com.",
            "www.old.example.com. 300 CNAME www.new.example.com.",
            "www.new.example.com. 300 A 127.9.0.5",
        ])
    with net.resolver(ROOTS) as resolver:
        answer = resolver.query("www.old.example.com.")
        assert addresses(answer) == ["127.9.0.5"]
        assert [r[1] for r in records(answer)] == ["DNAME", "CNAME", "A"]
        assert resolver.iterator.cache.get("old.example.com.", QTYPE.DNAME) is not None
        # Another name below the DNAME owner is rewritten from the cache.
        before = len(net.sent)
        other = resolver.query("ftp.old.example.com.")
        assert any(e.kind == "cache_hit" and e.what == "dname" for e in other.trace)
        assert [r[1] for r in records(other)] == ["DNAME", "CNAME", "A"]
        assert addresses(other) == ["127.9.0.6"]
        assert all(s.qname != "ftp.old.example.com." for s in net.sent[before:])


def test_a_2000_link_cname_chain_in_one_reply_is_cut_in_linear_time():
    net = ScriptedNetwork()
    links = [f"c{i}.example.com. 300 CNAME c{i + 1}.example.com." for i in range(2000)]
    small_internet(net)
    for address in (EXAMPLE1, EXAMPLE2):
        net.script(address, "c0.example.com.", "A", aa=True, answer=links)
    with net.resolver(ROOTS, limits=Limits(max_cname_links=12)) as resolver:
        started = time.process_time()
        answer = resolver.query("c0.example.com.")
        spent = time.process_time() - started
        assert answer.rcode == 2
        assert spent < 2.0  # a complexity guard (it took 6 s of CPU), not a benchmark


def test_the_nameserver_serves_the_dname_with_its_synthesised_cname():
    # Like Unbound: a dig user sees the DNAME the CNAME was synthesised from.
    net = ScriptedNetwork()
    small_internet(net, ["www.new.example.com. 300 A 127.9.0.5"])
    for address in (EXAMPLE1, EXAMPLE2):
        net.script(address, "www.old.example.com.", "A", aa=True, answer=[
            "old.example.com. 300 DNAME new.example.com.",
            "www.old.example.com. 300 CNAME www.new.example.com.",
            "www.new.example.com. 300 A 127.9.0.5",
        ])

    class Channel:
        udp = True

        def __init__(self) -> None:
            self.replies: asyncio.Queue[bytes] = asyncio.Queue()

        def deferred(self) -> None:
            pass

        def deliver(self, reply: bytes, client: tuple) -> None:
            self.replies.put_nowait(reply)

    async def ask(nameserver: Nameserver, name: str) -> DNSRecord:
        channel = Channel()
        query = bytes(DNSRecord.question(name).pack())
        now = nameserver.handle(query, ("127.0.0.1", 5300), channel)
        return DNSRecord.parse(now if now is not None else await channel.replies.get())

    with net.resolver(ROOTS) as resolver:
        nameserver = Nameserver(ServerConfig(), resolver)
        for _ in range(2):  # a miss, then a hit from the packed-reply cache
            reply = asyncio.run(ask(nameserver, "www.old.example.com."))
            assert [QTYPE.get(rr.rtype) for rr in reply.rr] == ["DNAME", "CNAME", "A"]
            assert str(reply.rr[2].rdata) == "127.9.0.5"
