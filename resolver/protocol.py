"""Protocol constants and names shared by every layer: EDNS sizes, rcode and type names.

One place, so the iterator, the nameserver and the renderers agree.
"""

from __future__ import annotations

from typing import Any

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
# The numbers the miss path compares with (dnslib's QTYPE.X and RCODE.X are lookups in a
# Python-level Bimap on every use).
NOERROR, NXDOMAIN, YXDOMAIN = 0, 3, 6
CLASS_IN = 1
TYPE_NS, TYPE_SOA, TYPE_DS = 2, 6, 43


def type_name(rtype: int) -> str:
    """"A", "MX", ... or RFC 3597's "TYPE65280" for types without a mnemonic."""
    return _dnslib().QTYPE.get(rtype, f"TYPE{rtype}")


def rcode_name(rcode: int) -> str:
    """"NOERROR", "SERVFAIL", ... "BADVERS", or "RCODE23" for codes without a mnemonic."""
    if rcode == BADVERS:
        return "BADVERS"
    return _dnslib().RCODE.get(rcode, f"RCODE{rcode}")


def _dnslib() -> Any:
    """dnslib, imported on first use (not at import: see above) and then kept at hand: an
    import statement on every call costs more than the lookup."""
    global _DNSLIB
    if _DNSLIB is None:
        import dnslib

        _DNSLIB = dnslib
    return _DNSLIB


_DNSLIB: Any = None
