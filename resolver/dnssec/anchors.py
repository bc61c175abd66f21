"""Trust anchors: where the chain of trust starts (RFC 4033 §5, RFC 7958).

The IANA root anchors ship here as DS records (root-anchors.xml: KSK-2017 and KSK-2024). Other
anchors are read from zone-file text holding DS or DNSKEY records, several per file, the format
of Unbound's `trust-anchor-file`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from resolver.errors import ResolverError
from resolver.records import DNSKEY, DS, Name, RdataError, from_text
from resolver.records.types import CLASS_VALUES, type_value


class TrustAnchorError(ResolverError, ValueError):
    """A trust anchor file that cannot be read or holds something other than DS/DNSKEY."""


@dataclass(frozen=True)
class TrustAnchor:
    """The DS records and/or DNSKEYs a zone's keys are trusted by."""

    zone: Name
    ds: tuple[DS, ...] = ()
    dnskeys: tuple[DNSKEY, ...] = ()


# https://data.iana.org/root-anchors/root-anchors.xml
ROOT_ANCHOR_TEXT = """\
. IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D
. IN DS 38696 8 2 683D2D0ACB8C9B712A1948B27F741219298D0A450D612C483AF444A4C0FB2B16
"""


def parse_trust_anchors(text: str, source: str = "<trust anchors>") -> dict[Name, TrustAnchor]:
    """DS and DNSKEY records in zone-file syntax (owner [TTL] [class] type rdata; comments,
    parentheses and $ORIGIN/$TTL lines allowed), grouped by zone."""
    found: dict[Name, tuple[list[DS], list[DNSKEY]]] = {}
    origin = Name(())
    for line_number, line in _logical_lines(text):
        where = f"{source}:{line_number}"
        words = line.split()
        if words[0].upper() == "$ORIGIN" and len(words) == 2:
            origin = _name(words[1], origin, where)
            continue
        if words[0].upper() == "$TTL":
            continue
        owner = _name(words.pop(0), origin, where)
        while words and (words[0].isdigit() or words[0].upper() in CLASS_VALUES):
            words.pop(0)
        if not words:
            raise TrustAnchorError(f"{where}: a record without a type")
        try:
            rdtype = type_value(words[0])
            rdata = from_text(rdtype, " ".join(words[1:]))
        except (ValueError, RdataError) as exc:
            raise TrustAnchorError(f"{where}: {exc}") from None
        ds_list, keys = found.setdefault(owner, ([], []))
        if isinstance(rdata, DNSKEY) and rdtype == DNSKEY.rdtype:
            keys.append(rdata)
        elif isinstance(rdata, DS) and rdtype == DS.rdtype:
            ds_list.append(rdata)
        else:
            raise TrustAnchorError(f"{where}: a trust anchor is a DS or DNSKEY, not {words[0]}")
    return {zone: TrustAnchor(zone, tuple(ds), tuple(keys)) for zone, (ds, keys) in found.items()}


def read_trust_anchor_file(path: str | Path) -> dict[Name, TrustAnchor]:
    """The anchors in one file (TrustAnchorError if it cannot be read or parsed)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TrustAnchorError(f"{path}: cannot read trust anchor file: {exc}") from None
    return parse_trust_anchors(text, str(path))


def merge_anchors(*groups: dict[Name, TrustAnchor]) -> dict[Name, TrustAnchor]:
    """Anchors from several files; records for one zone are pooled."""
    merged: dict[Name, TrustAnchor] = {}
    for group in groups:
        for zone, anchor in group.items():
            old = merged.get(zone, TrustAnchor(zone))
            merged[zone] = TrustAnchor(zone, old.ds + anchor.ds, old.dnskeys + anchor.dnskeys)
    return merged


def root_trust_anchors() -> dict[Name, TrustAnchor]:
    """The IANA root trust anchors (key tags 20326 and 38696)."""
    return parse_trust_anchors(ROOT_ANCHOR_TEXT, "<IANA root anchors>")


def anchor_for(anchors: dict[Name, TrustAnchor], name: Name) -> TrustAnchor | None:
    """The closest anchor at or above `name` (where validation of `name` starts)."""
    for zone in sorted(anchors, key=len, reverse=True):
        if name.is_subdomain(zone):
            return anchors[zone]
    return None


def _name(text: str, origin: Name, where: str) -> Name:
    try:
        if text == "@":
            return origin
        if text.endswith("."):
            return Name.from_text(text)
        return Name((*Name.from_text(text).labels[:-1], *origin.labels))
    except ResolverError as exc:
        raise TrustAnchorError(f"{where}: {exc}") from None


def _logical_lines(text: str) -> Iterable[tuple[int, str]]:
    """Lines with comments removed and parenthesised groups joined."""
    pending: list[str] = []
    start = 0
    depth = 0
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split(";", 1)[0]  # DS/DNSKEY rdata holds no quoted strings
        if not pending:
            start = number
        depth += line.count("(") - line.count(")")
        pending.append(line.replace("(", " ").replace(")", " "))
        if depth <= 0:
            joined = " ".join(pending).strip()
            pending, depth = [], 0
            if joined:
                yield start, joined
    if pending and " ".join(pending).strip():
        raise TrustAnchorError(f"line {start}: unbalanced parenthesis")
