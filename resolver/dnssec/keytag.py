"""The key tag of a DNSKEY (RFC 4034 Appendix B): how RRSIGs and DS records name their key."""

from __future__ import annotations

from resolver.records import DNSKEY


def key_tag(dnskey: DNSKEY) -> int:
    """The 16-bit key tag: a ones'-complement-like sum of the rdata (RFC 4034 Appendix B)."""
    data = dnskey.to_wire()
    if dnskey.algorithm == 1:
        # RSA/MD5 (Appendix B.1): the third-to-last and second-to-last octets of the modulus.
        return int.from_bytes(data[-3:-1], "big") if len(data) >= 3 else 0
    total = 0
    for index, octet in enumerate(data):
        total += octet if index & 1 else octet << 8
    total += (total >> 16) & 0xFFFF
    return total & 0xFFFF
