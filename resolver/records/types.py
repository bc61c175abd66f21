"""Record type and class mnemonics, spelled as dnspython spells them (RFC 3597 TYPEnnn else)."""

from __future__ import annotations

TYPE_NAMES: dict[int, str] = {
    1: "A", 2: "NS", 3: "MD", 4: "MF", 5: "CNAME", 6: "SOA", 7: "MB", 8: "MG", 9: "MR",
    10: "NULL", 11: "WKS", 12: "PTR", 13: "HINFO", 14: "MINFO", 15: "MX", 16: "TXT", 17: "RP",
    18: "AFSDB", 19: "X25", 20: "ISDN", 21: "RT", 22: "NSAP", 23: "NSAP-PTR", 24: "SIG",
    25: "KEY", 26: "PX", 27: "GPOS", 28: "AAAA", 29: "LOC", 30: "NXT", 33: "SRV", 35: "NAPTR",
    36: "KX", 37: "CERT", 38: "A6", 39: "DNAME", 41: "OPT", 42: "APL", 43: "DS", 44: "SSHFP",
    45: "IPSECKEY", 46: "RRSIG", 47: "NSEC", 48: "DNSKEY", 49: "DHCID", 50: "NSEC3",
    51: "NSEC3PARAM", 52: "TLSA", 53: "SMIMEA", 55: "HIP", 56: "NINFO", 59: "CDS",
    60: "CDNSKEY", 61: "OPENPGPKEY", 62: "CSYNC", 63: "ZONEMD", 64: "SVCB", 65: "HTTPS",
    66: "DSYNC", 67: "HHIT", 68: "BRID", 99: "SPF", 103: "UNSPEC", 104: "NID", 105: "L32",
    106: "L64", 107: "LP", 108: "EUI48", 109: "EUI64", 128: "NXNAME", 249: "TKEY", 250: "TSIG",
    251: "IXFR", 252: "AXFR", 253: "MAILB", 254: "MAILA", 255: "ANY", 256: "URI", 257: "CAA",
    258: "AVC", 260: "AMTRELAY", 261: "RESINFO", 262: "WALLET", 32768: "TA", 32769: "DLV",
}  # fmt: skip
TYPE_VALUES: dict[str, int] = {text: value for value, text in TYPE_NAMES.items()}

CLASS_NAMES: dict[int, str] = {1: "IN", 3: "CH", 4: "HS", 254: "NONE", 255: "ANY"}
CLASS_VALUES: dict[str, int] = {text: value for value, text in CLASS_NAMES.items()}

IN = 1


def type_text(rdtype: int) -> str:
    """15 -> "MX"; a type without a mnemonic -> "TYPE65280" (RFC 3597 section 5)."""
    return TYPE_NAMES.get(rdtype) or f"TYPE{rdtype}"


def class_text(rdclass: int) -> str:
    """1 -> "IN"; a class without a mnemonic -> "CLASS32" (RFC 3597 section 5)."""
    return CLASS_NAMES.get(rdclass) or f"CLASS{rdclass}"


def type_value(text: str) -> int:
    """ "MX", "mx" or "TYPE15" -> 15; ValueError for anything else."""
    upper = text.upper()
    if upper in TYPE_VALUES:
        return TYPE_VALUES[upper]
    if (
        upper.startswith("TYPE")
        and upper[4:].isascii()
        and upper[4:].isdigit()
        and int(upper[4:]) < 65536
    ):
        return int(upper[4:])
    raise ValueError(f"unknown record type {text!r}")
