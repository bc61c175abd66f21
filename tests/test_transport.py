"""The transport over real loopback sockets: reply validation, TCP framing, timeouts, policy."""

from __future__ import annotations

import asyncio
import os
import socket
import struct
import threading

import pytest
from dnslib import RR, DNSRecord
from hypothesis import given, settings
from hypothesis import strategies as st

from resolver import wire
from resolver.policy import AddressPolicy
from resolver.transport import (
    ForbiddenAddress,
    NetworkTransport,
    QueryTimeout,
    TransportError,
    exchange,
    new_query_id,
    reply_matches,
)


def make_query(name: str = "www.example.com.") -> bytes:
    return wire.build_query(name, 1, new_query_id())


def answer_for(query: bytes, *, qid: int | None = None, name: str | None = None) -> bytes:
    request = DNSRecord.parse(query)
    if name is not None:
        request = DNSRecord.question(name, "A")
        request.header.id = DNSRecord.parse(query).header.id
    reply = request.reply()
    reply.add_answer(*RR.fromZone(f"{request.q.qname} 60 IN A 127.0.0.9"))
    if qid is not None:
        reply.header.id = qid
    return reply.pack()


class UdpServer:
    """Answers each query with the packets `respond(query)` returns, in order."""

    def __init__(self, respond) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.respond = respond
        self.peers: list[tuple[str, int]] = []
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self) -> None:
        while True:
            try:
                data, peer = self.sock.recvfrom(4096)
            except OSError:
                return
            self.peers.append(peer)
            for packet in self.respond(data):
                self.sock.sendto(packet, peer)

    def close(self) -> None:
        self.sock.close()


def test_reply_matches_checks_id_qr_and_question():
    query = make_query("WWW.Example.com.")
    good = answer_for(query)
    assert reply_matches(query, good)
    assert not reply_matches(query, answer_for(query, qid=(wire.unpack_u16(query, 0) + 1) % 65536))
    assert not reply_matches(query, answer_for(query, name="www.bank.com."))
    assert not reply_matches(query, query)  # QR=0: our own query echoed back
    assert not reply_matches(query, good[:5])


def reference_match(query: bytes, reply: bytes) -> bool:
    """reply_matches by its definition: same ID, QR=1, one question in the reply, and that
    question parse_question's equal of the query's first (names case-insensitively)."""
    if len(reply) < 12 or reply[:2] != query[:2] or not reply[2] & 0x80:
        return False
    if reply[4:6] != b"\x00\x01" or len(query) < 12 or query[4:6] == b"\x00\x00":
        return False
    try:
        ours, _ = wire.parse_question(query)
        theirs, _ = wire.parse_question(reply)
    except wire.WireError:
        return False
    return (wire.names_equal(ours.name, theirs.name)
            and (ours.qtype, ours.qclass) == (theirs.qtype, theirs.qclass))


_NAMES = st.lists(st.binary(min_size=1, max_size=70), min_size=0, max_size=5)


@settings(max_examples=400, deadline=None)
@given(labels=_NAMES, qtype=st.integers(0, 65535), data=st.data())
def test_reply_matches_accepts_exactly_the_same_question(labels, qtype, data):
    """Against queries of any labels (too long ones included) and replies that echo them,
    change their letter case, or are damaged: reply_matches is its definition."""
    question = b"".join(bytes([len(label) & 0xFF]) + label for label in labels) + b"\x00"
    query = (b"\xab\xcd\x00\x00\x00\x01\x00\x00\x00\x00\x00\x01" + question
             + qtype.to_bytes(2, "big") + b"\x00\x01" + b"\x00\x00\x29\x04\xd0" + bytes(6))
    reply = bytearray(query)
    reply[2] |= 0x80
    reply += data.draw(st.binary(max_size=8))
    for _ in range(data.draw(st.integers(0, 3))):
        action = data.draw(st.sampled_from(["case", "flip", "cut", "insert"]))
        at = data.draw(st.integers(0, len(reply) - 1)) if reply else 0
        if action == "case" and reply and chr(reply[at]).isalpha():
            reply[at] ^= 0x20
        elif action == "flip" and reply:
            reply[at] ^= 1 << data.draw(st.integers(0, 7))
        elif action == "cut":
            del reply[at:]
        elif action == "insert":
            reply[at:at] = bytes([data.draw(st.integers(0, 255))])
    damaged_query = bytearray(query)
    if data.draw(st.booleans()):  # the query itself may be one parse_question refuses
        damaged_query[data.draw(st.integers(0, len(query) - 1))] ^= 0xFF
    for asked in (query, bytes(damaged_query)):
        assert reply_matches(asked, bytes(reply)) == reference_match(asked, bytes(reply))


def test_mismatched_replies_are_ignored_until_the_real_one():
    def respond(query):
        wrong_id = (wire.unpack_u16(query, 0) ^ 0x5A5A) or 1
        return [
            answer_for(query, qid=wrong_id),
            answer_for(query, name="www.bank.com."),
            b"\x00garbage",
            answer_for(query),
        ]

    server = UdpServer(respond)
    try:
        query = make_query()
        result = asyncio.run(exchange("127.0.0.1", server.port, query, timeout=2.0))
        assert reply_matches(query, result.raw) and result.protocol == "udp"
    finally:
        server.close()


def test_only_forged_replies_end_in_a_timeout():
    server = UdpServer(lambda q: [answer_for(q, name="www.bank.com.")])
    try:
        with pytest.raises(QueryTimeout):
            asyncio.run(exchange("127.0.0.1", server.port, make_query(), timeout=0.3))
    finally:
        server.close()


def test_a_reply_waiting_when_the_deadline_passes_is_taken():
    """On a busy loop the reply and the deadline can come due in the same loop iteration, the
    deadline first: the reply is ours and valid, so it is the answer, not a timeout."""
    peer = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    peer.bind(("127.0.0.1", 0))
    query = make_query()

    async def race() -> bytes:
        # timeout=0: the deadline is due at the next iteration, before any reply is read.
        task = asyncio.create_task(exchange("127.0.0.1", peer.getsockname()[1], query,
                                            timeout=0))
        await asyncio.sleep(0)  # the exchange starts: its query waits for the turn's end
        await asyncio.sleep(0)  # the query is sent (the deadline is due now too)
        received, client = peer.recvfrom(4096)
        peer.sendto(answer_for(received), client)  # queued before the loop looks again
        return (await task).raw

    try:
        assert reply_matches(query, asyncio.run(race()))
    finally:
        peer.close()


def test_each_query_uses_a_fresh_source_port():
    server = UdpServer(lambda q: [answer_for(q)])
    try:
        for _ in range(5):
            asyncio.run(exchange("127.0.0.1", server.port, make_query(), timeout=2.0))
    finally:
        server.close()
    assert len({port for _, port in server.peers}) == 5


def test_tcp_framing_with_partial_writes():
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]

    def serve():
        conn, _ = listener.accept()
        with conn:
            length = struct.unpack("!H", conn.recv(2, socket.MSG_WAITALL))[0]
            query = conn.recv(length, socket.MSG_WAITALL)
            framed = struct.pack("!H", len(answer_for(query))) + answer_for(query)
            for i in range(0, len(framed), 3):  # dribble the reply out three octets at a time
                conn.sendall(framed[i : i + 3])

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        query = make_query()
        result = asyncio.run(exchange("127.0.0.1", port, query, timeout=2.0, tcp=True))
        assert reply_matches(query, result.raw) and result.protocol == "tcp"
    finally:
        thread.join(timeout=5)
        listener.close()


def test_connection_refused_is_a_transport_error():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once closed
    with pytest.raises(TransportError):
        asyncio.run(exchange("127.0.0.1", port, make_query(), timeout=1.0, tcp=True))


@pytest.mark.parametrize(
    ("address", "allowed"),
    [("198.41.0.4", False), ("0.0.0.0", False), ("224.0.0.251", False), ("127.42.0.1", True)],
)
def test_policy_refuses_before_sending(address, allowed):
    transport = NetworkTransport(AddressPolicy(["127.42.0.0/16"]))
    if allowed:
        assert transport.policy.permits(address)
        return
    with pytest.raises(ForbiddenAddress):
        asyncio.run(transport.query(address, 53, make_query(), timeout=0.5))


def test_loopback_needs_loopback_hints_or_an_allowed_network():
    assert not AddressPolicy().permits("127.0.0.1")
    assert AddressPolicy(allow_loopback=True).permits("127.0.0.1")
    assert AddressPolicy(["127.0.0.0/8"]).permits("127.0.0.1")
    assert AddressPolicy().permits("192.0.2.53")  # an ordinary unicast address


def _send_udp(port: int, query: bytes, timeout: float, cancel_after: float | None = None):
    """NetworkTransport.send_udp on a fresh loop: what its callback got (None if never
    called), and the file descriptors open before and after."""
    got: list[tuple] = []

    async def run() -> None:
        transport = NetworkTransport(AddressPolicy(["127.0.0.0/8"]))
        done = asyncio.get_running_loop().create_future()

        def on_done(reply, rtt, error):
            got.append((reply, rtt, error))
            done.set_result(None)

        pending = transport.send_udp("127.0.0.1", port, query, timeout, on_done)
        if cancel_after is None:
            await done
            return
        await asyncio.sleep(cancel_after)
        pending.cancel()
        pending.cancel()  # idempotent
        await asyncio.sleep(timeout + 0.05)  # past the deadline: nothing may fire

    before = len(os.listdir("/proc/self/fd"))
    asyncio.run(run())
    return (got[0] if got else None), before, len(os.listdir("/proc/self/fd"))


def test_send_udp_calls_back_with_the_reply_and_closes_its_socket():
    server = UdpServer(lambda q: [answer_for(q, name="www.bank.com."), answer_for(q)])
    try:
        query = make_query()
        (reply, rtt, error), before, after = _send_udp(server.port, query, 2.0)
        assert error is None and reply_matches(query, reply) and rtt > 0
        assert after == before
    finally:
        server.close()


def test_send_udp_calls_back_with_a_timeout():
    server = UdpServer(lambda q: [])
    try:
        (reply, _, error), before, after = _send_udp(server.port, make_query(), 0.2)
        assert reply is None and isinstance(error, QueryTimeout)
        assert after == before
    finally:
        server.close()


def test_a_cancelled_send_udp_never_calls_back_and_closes_its_socket():
    server = UdpServer(lambda q: [])
    try:
        got, before, after = _send_udp(server.port, make_query(), 0.2, cancel_after=0.01)
        assert got is None
        assert after == before
    finally:
        server.close()


def test_send_udp_refuses_a_forbidden_address():
    transport = NetworkTransport(AddressPolicy(["127.42.0.0/16"]))

    async def run() -> None:
        transport.send_udp("192.0.2.1", 53, make_query(), 1.0, lambda *a: None)

    with pytest.raises(ForbiddenAddress):
        asyncio.run(run())


def test_many_queries_at_once_each_get_their_own_reply_or_timeout():
    """Replies to some, silence for the others: every callback gets its own outcome, late
    deadlines included, and every socket is closed afterwards."""
    answered = UdpServer(lambda q: [answer_for(q)])
    silent = UdpServer(lambda q: [])
    transport = NetworkTransport(AddressPolicy(["127.0.0.0/8"]))
    outcomes: dict[int, str] = {}

    async def run() -> None:
        left = asyncio.get_running_loop().create_future()

        def on_done(index: int, query: bytes):
            def done(reply, rtt, error):
                if error is None:
                    outcomes[index] = "reply" if reply_matches(query, reply) else "wrong"
                else:
                    outcomes[index] = type(error).__name__
                if len(outcomes) == 300 and not left.done():
                    left.set_result(None)
            return done

        for index in range(300):
            query = make_query(f"n{index}.example.com.")
            # The answered ones get time to spare (their server is a thread of this busy
            # process); the silent ones' deadlines differ, so they come in a mixed order.
            port, timeout = (answered.port, 10.0) if index % 2 else (silent.port, 0.1)
            transport.send_udp("127.0.0.1", port, query, timeout + (index % 7) / 50,
                               on_done(index, query))
        await asyncio.wait_for(left, 20)

    before = len(os.listdir("/proc/self/fd"))
    try:
        asyncio.run(run())
    finally:
        answered.close()
        silent.close()
    assert {i: o for i, o in outcomes.items() if i % 2} == {i: "reply" for i in range(1, 300, 2)}
    assert {i: o for i, o in outcomes.items() if not i % 2} == {
        i: "QueryTimeout" for i in range(0, 300, 2)}
    assert len(os.listdir("/proc/self/fd")) <= before


def test_query_ids_cover_the_16_bit_space_without_a_pattern():
    """IDs come from the OS CSPRNG, read in batches: across several batches they spread over
    all 65 536 values, both octets vary, and consecutive IDs do not repeat a step."""
    ids = [new_query_id() for _ in range(4096)]  # eight batches
    assert all(0 <= i < 65536 for i in ids)
    assert len(set(ids)) > 3900  # about 3 970 expected from 4 096 random draws
    assert len({i >> 8 for i in ids}) > 240 and len({i & 0xFF for i in ids}) > 240
    steps = {(b - a) % 65536 for a, b in zip(ids, ids[1:], strict=False)}
    assert len(steps) > 3900


def _epoll_sets() -> int:
    """This process's open epoll sets."""
    return sum(os.readlink(f"/proc/self/fd/{fd}") == "anon_inode:[eventpoll]"
               for fd in os.listdir("/proc/self/fd") if os.path.exists(f"/proc/self/fd/{fd}"))


def test_the_epoll_set_outlives_a_quiet_moment_and_goes_with_its_loop():
    """Queries one after another share one epoll set of the transport's, beside the loop's own
    (not one opened and closed each time the last reply came); closing the loop closes it."""
    server = UdpServer(lambda q: [answer_for(q)])
    transport = NetworkTransport(AddressPolicy(["127.0.0.0/8"]))
    between: list[int] = []

    async def run() -> None:
        for index in range(3):
            done = asyncio.get_running_loop().create_future()
            transport.send_udp("127.0.0.1", server.port, make_query(f"q{index}.example.com."),
                               2.0, lambda reply, rtt, error, done=done: done.set_result(error))
            assert await done is None
            between.append(_epoll_sets())

    before = _epoll_sets()
    try:
        asyncio.run(run())
        after = _epoll_sets()
    finally:
        server.close()
    assert between == [before + 2] * 3  # the loop's selector and the transport's set
    assert after == before


def test_a_query_that_cannot_be_sent_ends_with_a_transport_error():
    """The send happens at the end of the loop turn, so its failure (here a datagram larger
    than UDP allows) reaches the callback, not the caller."""
    transport = NetworkTransport(AddressPolicy(["127.0.0.0/8"]))
    got: list = []

    async def run() -> None:
        done = asyncio.get_running_loop().create_future()
        transport.send_udp("127.0.0.1", 9, make_query() + bytes(70_000), 1.0,
                           lambda reply, rtt, error: done.set_result((reply, error)))
        got.append(await done)

    before = len(os.listdir("/proc/self/fd"))
    asyncio.run(run())
    [(reply, error)] = got
    assert reply is None and isinstance(error, TransportError)
    assert len(os.listdir("/proc/self/fd")) == before
