"""0x20 (draft-vixie-dnsext-dns0x20): the letter case of each outgoing question is randomised,
and a reply counts only if it echoes the question with exactly that case, so a forger must
guess one more bit per letter. Off by default (`Resolver(use_0x20=True)`, `--use-0x20`; Knot
Resolver turns it on by default).

A server that does not preserve case (it answers in lower case) gets the question again in
plain case, and keeps getting it for the rest of this resolver's life: resolution must work
with such servers (Knot and Unbound fall back the same way).

After a verified reply the question's octets are put back in the walk's own case before the
reply is read, so every name compressed against the question (the answer's owner, a CNAME
target in the zone) reads as it would have without 0x20.
"""

from __future__ import annotations

import secrets

from resolver import wire

MAX_CASE_IGNORANT = 10_000  # servers remembered as not preserving case; cleared when full


def randomise_case(name: str) -> str:
    """The name with each ASCII letter's case chosen at random (from the OS CSPRNG); never all
    lower case when it has a letter, so every such question is checked."""
    bits = secrets.randbits(max(1, len(name)))
    mixed = "".join(
        (ch.upper() if bits >> i & 1 else ch.lower()) if ch.isascii() and ch.isalpha() else ch
        for i, ch in enumerate(name)
    )
    if mixed == name.lower():
        for i, ch in enumerate(mixed):
            if ch.isascii() and ch.isalpha():
                return mixed[:i] + ch.upper() + mixed[i + 1 :]
    return mixed


def question_octets(name: str) -> bytes:
    return wire.encode_name(name)


def echoed(reply: bytes, asked: bytes) -> bool:
    """Whether the reply's question name is the asked octets exactly (case included)."""
    start = wire.HEADER_SIZE
    return reply[start : start + len(asked)] == asked


def restore_case(reply: bytes, asked: bytes, plain: bytes) -> bytes:
    """The reply with the question's name octets replaced by the walk's own (same length)."""
    start = wire.HEADER_SIZE
    return reply[:start] + plain + reply[start + len(asked) :]
