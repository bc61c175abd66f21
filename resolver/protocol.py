"""Protocol constants and names shared by every layer: EDNS sizes, rcode and type names.

One place, so the iterator, the nameserver and the renderers agree.
"""

from __future__ import annotations

# No dnslib at import: the server's config (and so `resolve --help`) reads these constants.

# DNS flag day 2020: 1232 octets avoids IP fragmentation on common paths; we advertise it
# upstream and to our own clients.
EDNS_PAYLOAD = 1232
# RFC 1035 §4.2.1: the classic UDP limit for clients without EDNS.
CLASSIC_UDP_PAYLOAD = 512
# Where `resolve serve` listens and `resolve --server` looks by default: not 53, which needs
# privileges and usually has a system resolver on it.
DEFAULT_SERVER_PORT = 5353
# RFC 6891 §9: BADVERS is an extended rcode (16), carried half in the header, half in OPT.
BADVERS = 16


def type_name(rtype: int) -> str:
    """"A", "MX", ... or RFC 3597's "TYPE65280" for types without a mnemonic."""
    from dnslib import QTYPE

    return QTYPE.get(rtype, f"TYPE{rtype}")


def rcode_name(rcode: int) -> str:
    """"NOERROR", "SERVFAIL", ... "BADVERS", or "RCODE23" for codes without a mnemonic."""
    if rcode == BADVERS:
        return "BADVERS"
    from dnslib import RCODE

    return RCODE.get(rcode, f"RCODE{rcode}")
