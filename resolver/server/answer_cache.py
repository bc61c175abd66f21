"""The cache of packed replies that makes a cache hit cheap.

A reply is packed once, on the miss that produced it. A hit copies it with the client's ID, RD
and CD bits and question bytes (so the question comes back in the client's own letter case), and
with every TTL lowered by the whole seconds spent in the cache. TTL positions are found once at
insert; the aged copy is remade at most once per second per entry, so a hit is a dict lookup and
a few byte concatenations - no parsing, no dnslib.

An entry lives until its smallest TTL runs out and is never served after that. The cache is
bounded in bytes: each entry counts by `entry_bytes` (its key and reply, twice once aged, plus
a measured overhead), so one 64 KB answer counts as much as a few hundred small ones.
"""

from __future__ import annotations

import struct

from resolver.lru import ByteLRU
from resolver.server.replies import OPT_SIZE
from resolver.wire import rr_ttl_offsets

_TTL = struct.Struct(">I")
# Header variants and OPT records repeat across entries (same flags and counts); one shared copy
# each keeps an entry small. Bounded so odd replies cannot grow it without limit.
_SHARED_MAX = 4096
_shared: dict[object, object] = {}

# What an entry costs beyond its key and reply bytes: the PackedReply and its own objects (the
# TTL positions, the times), the OrderedDict slot, the key's and the reply's bytes headers.
# Measured with tracemalloc by tests/test_cache_bytes.py.
REPLY_OVERHEAD = 470
# Header variants not shared (the shared table was full when the entry was made): two tuples of
# eight 12-octet bytes objects of its own.
UNSHARED_HEADERS = 1000


def _share(value: object) -> object:
    if len(_shared) >= _SHARED_MAX:
        return _shared.get(value, value)
    return _shared.setdefault(value, value)


# (flags and counts, edns, secure, do) -> the shared header variants they make: most replies
# are one of a few shapes, so an entry's headers are usually found, not built.
_made_headers: dict[tuple[bytes, bool, bool, bool], tuple[object, object]] = {}


def _headers(flags_counts: bytes, edns: bool, secure: bool, do: bool) -> tuple[object, object]:
    """The eight header variants (octets 2-11) of a reply, and of its truncated form, indexed
    by RD | CD << 1 | AD << 2 of the query; shared copies when the shared table has room."""
    shape = (flags_counts, edns, secure, do)
    made = _made_headers.get(shape)
    if made is not None:
        return made
    flags = int.from_bytes(flags_counts[0:2], "big") & ~0x0130  # RD, CD and AD: per client
    counts = flags_counts[2:10]
    truncated_counts = b"\x00\x01\x00\x00\x00\x00\x00" + (b"\x01" if edns else b"\x00")
    headers = []
    truncated_headers = []
    for index in range(8):  # index = RD | CD << 1 | AD << 2 of the query
        bits = flags | (0x0100 if index & 1 else 0) | (0x0010 if index & 2 else 0)
        if secure and (do or index & 4):
            bits |= 0x0020
        headers.append(bits.to_bytes(2, "big") + counts)
        truncated_headers.append((bits | 0x0200).to_bytes(2, "big") + truncated_counts)
    made = (_share(tuple(headers)), _share(tuple(truncated_headers)))
    # Remembered only when both are the shared copies (entry_bytes counts unshared ones).
    if all(_shared.get(part) is part for part in made) and len(_made_headers) < _SHARED_MAX:
        _made_headers[shape] = made
    return made


class PackedReply:
    """One packed reply ready to be re-addressed to any client asking the same question."""

    __slots__ = (
        "headers",
        "truncated_headers",
        "opt",
        "template",
        "tail",
        "ttls",
        "stored",
        "expires",
        "age",
        "size",
        "rcode",
    )

    def __init__(
        self, reply: bytes, question_end: int, now: float, *, edns: bool, lifetime: float | None,
        opt_size: int = OPT_SIZE,
        secure: bool = False, do: bool = False, ttl_offsets: list[int] | None = None,
    ) -> None:
        """`reply` is a full reply to one query (wire.WireError if it does not parse);
        `lifetime` caps how long it may be served (a negative answer's SOA minimum, RFC 2308
        §5); the smallest record TTL caps it too. `opt_size`: the length of the reply's OPT
        record, which ends it (longer than ours without options when it carries an EDE).
        `secure` data gets AD=1 for clients that set DO (`do`: this is the DO variant) or AD
        (RFC 6840 §5.7). `ttl_offsets`: where the records' TTLs are, when the caller wrote the
        reply and knows (else the reply is read for them)."""
        offsets = rr_ttl_offsets(reply) if ttl_offsets is None else ttl_offsets
        # Flat (offset in tail, original TTL, ...): smaller than a list of pairs.
        flat: list[int] = []
        smallest = None
        unpack = _TTL.unpack_from
        for offset in offsets:
            ttl = unpack(reply, offset)[0]
            flat += (offset - question_end, ttl)
            if smallest is None or ttl < smallest:
                smallest = ttl
        if smallest is None:
            smallest = 0
        if lifetime is not None and lifetime < smallest:
            smallest = lifetime
        self.headers, self.truncated_headers = _headers(reply[2:12], edns, secure, do)
        self.opt = _share(reply[-opt_size:]) if edns else b""
        self.template = reply[question_end:]
        self.tail = self.template
        self.ttls = tuple(flat)
        self.stored = now
        self.expires = now + smallest
        self.age = 0
        self.size = len(reply)
        self.rcode = reply[3] & 0x0F

    def render(self, data: bytes, question_end: int, limit: int, now: float) -> bytes:
        """This reply for the query `data` (its question ends at `question_end`), at most
        `limit` octets (else TC=1 with the question only), TTLs aged to `now`."""
        index = (data[2] & 0x01) | ((data[3] >> 3) & 0x02) | ((data[3] >> 3) & 0x04)
        if self.size > limit:
            return data[:2] + self.truncated_headers[index] + data[12:question_end] + self.opt
        age = int(now - self.stored)
        if age != self.age:
            self._age_to(age)
        return data[:2] + self.headers[index] + data[12:question_end] + self.tail

    def _age_to(self, age: int) -> None:
        tail = bytearray(self.template)
        pack = _TTL.pack_into
        ttls = self.ttls
        for i in range(0, len(ttls), 2):
            pack(tail, ttls[i], max(ttls[i + 1] - age, 0))
        self.tail = bytes(tail)
        self.age = age


def entry_bytes(key: bytes, entry: PackedReply) -> int:
    """What one packed reply costs in the cache: the same figure when stored and removed."""
    size = REPLY_OVERHEAD + len(key) + 2 * len(entry.template)  # tail: an aged copy
    if _shared.get(entry.headers) is not entry.headers:
        size += UNSHARED_HEADERS
    return size


class AnswerCache:
    """Packed replies by cache key, at most `max_bytes` by `entry_bytes`; the oldest insert
    leaves first.

    A ByteLRU whose hits are never recorded as uses: the hot path reads `entries` by key, so
    the order stays the order of insertion and a hit touches nothing; popular names are
    re-inserted on their next miss anyway. Expired entries stay until read or evicted (counted
    all along).
    """

    def __init__(self, max_bytes: int) -> None:
        self._store: ByteLRU[bytes, PackedReply] = ByteLRU(max(max_bytes, 1), entry_bytes)
        self.entries = self._store.data  # read-only; the hot path's lookups

    @property
    def max_bytes(self) -> int:
        return self._store.max_bytes

    @property
    def used(self) -> int:
        """Accounted bytes of the entries held."""
        return self._store.used

    def get(self, key: bytes, now: float) -> PackedReply | None:
        entry = self.entries.get(key)
        if entry is None:
            return None
        if entry.expires <= now:
            self._store.pop(key)
            return None
        return entry

    def put(self, key: bytes, entry: PackedReply) -> None:
        """Keep `entry` (not if it alone is larger than the cache), the oldest leaving first."""
        self._store.put(key, entry)

    def clear(self) -> None:
        self._store.clear()

    def __len__(self) -> int:
        return len(self.entries)
