"""Zone master files (RFC 1035 §5) read into the data an authoritative server answers from.

dnslib's `ZoneParser` does the lexing and record parsing ($ORIGIN, $TTL, parentheses, comments,
quoted strings); this module adds what a server needs before it may serve a zone: the line of
every error, RFC 1035 TTL defaulting, and the consistency rules NSD enforces at load time (one
SOA at the apex, NS at the apex, no data outside the zone, CNAME alone at its name, nothing but
addresses (glue) below a zone cut).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dnslib import CLASS, QTYPE, RDMAP, RR, SRV, DNSLabel, ZoneParser
from dnslib.dns import RD
from dnslib.dns import label as relative_label
from dnslib.label import DNSBuffer
from dnslib.lex import WordLexer

Key = tuple[bytes, ...]
"""A domain name as lower-cased wire labels, most specific first: the engine's lookup key."""

ROOT_KEY: Key = ()
_ADDRESS_TYPES = frozenset({QTYPE.A, QTYPE.AAAA})
# At a delegation point the parent holds only the NS set (and DS), plus addresses if the
# point names its own server.
_ALLOWED_AT_CUT = frozenset({QTYPE.NS, QTYPE.DS}) | _ADDRESS_TYPES
_CLASSES = {"IN": 1, "CH": 3, "HS": 4}  # RFC 1035 §3.2.4


class ZoneError(ValueError):
    """A zone file that cannot be served; the message names the file, the line and the reason."""


def name_key(name: DNSLabel | str) -> Key:
    """The lookup key of a name: case-insensitive (ASCII only, RFC 4343), label exact."""
    if not isinstance(name, DNSLabel):
        name = DNSLabel(name)
    return tuple(label.lower() for label in name.label)


def key_to_text(key: Key) -> str:
    """Presentation form of a key, absolute with the trailing dot ("." for the root)."""
    if not key:
        return "."
    return "".join(_escape_label(label) + "." for label in key)


def _escape_label(label: bytes) -> str:
    out = []
    for byte in label:
        char = chr(byte)
        if char in ".\\\"();@$":
            out.append("\\" + char)
        elif 0x21 <= byte <= 0x7E:
            out.append(char)
        else:
            out.append(f"\\{byte:03d}")
    return "".join(out)


def is_subdomain(key: Key, parent: Key) -> bool:
    """True if `key` is `parent` or below it."""
    return len(key) >= len(parent) and key[len(key) - len(parent) :] == parent


class _CountingLexer(WordLexer):
    """dnslib's word lexer, counting the newlines it consumes so errors can name a line."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.line = 1

    def read(self, n: int = 1) -> str:
        text = super().read(n)
        self.line += text.count("\n")
        return text

    def pushback(self, s: str) -> None:
        self.line -= s.count("\n")
        super().pushback(s)

    def lexQuote(self):  # noqa: N802 (dnslib's naming)
        # Tell quoted strings apart from bare words, so "(" inside a TXT string is just text.
        (_, content), state = super().lexQuote()
        return ("QUOTED", content), state


class _LineParser(ZoneParser):
    """ZoneParser that yields (line, RR) and follows RFC 1035 more closely.

    Differences from dnslib's own loop: records carry the line they start on; TTL and class may
    come in either order; type and class are case-insensitive; a record without a TTL takes
    $TTL or else the previous record's TTL (RFC 1035 §5.1); unknown directives are errors.
    """

    def __init__(self, text: str, origin: str) -> None:
        super().__init__("", origin)
        self.l = _CountingLexer(text)
        self.l.commentchars = {";"}
        self.l.nltok = ("NL", None)
        self.l.spacetok = ("SPACE", None)
        self.i = iter(self.l)
        self.ttl: int | None = None
        self.last_ttl: int | None = None

    def parse_rr(self, rr: list[str]) -> RR:
        label = self.parse_label(rr.pop(0))
        ttl: int | None = None
        rclass: str | None = None
        while rr and (ttl is None or rclass is None):
            token = rr[0]
            if ttl is None and token[:1].isdigit():
                ttl = _parse_ttl(rr.pop(0))
            elif rclass is None and token.upper() in _CLASSES:
                rclass = rr.pop(0).upper()
            else:
                break
        if not rr:
            raise ValueError("record has no type")
        rtype_text = rr.pop(0).upper()
        try:
            rtype = getattr(QTYPE, rtype_text)
        except Exception:  # dnslib's Bimap raises its own error for unknown names
            rtype = None
        if not isinstance(rtype, int):
            raise ValueError(f"unknown record type {rtype_text!r}")
        if ttl is None:
            ttl = self.ttl if self.ttl is not None else self.last_ttl
        if ttl is None:
            raise ValueError("record has no TTL and no $TTL is in force")
        self.last_ttl = ttl
        if rtype_text == "SRV" and len(rr) == 4:
            # dnslib leaves a relative SRV target relative; RFC 1035 §5.1 appends the origin.
            rdata = SRV(int(rr[0]), int(rr[1]), int(rr[2]), relative_label(rr[3], self.origin))
        else:
            rdata = RDMAP.get(rtype_text, RD).fromZone(rr, self.origin)
        record = RR(rname=label, rtype=rtype, rclass=_CLASSES[rclass or "IN"], ttl=ttl, rdata=rdata)
        record.pack(DNSBuffer())  # anything that cannot go on the wire fails here, not mid-answer
        return record

    def records(self, source: str):
        """Yield (line, RR); raise ZoneError naming source and line on any problem."""
        tokens: list[str] = []
        paren = False
        start = 1
        prev = "NL"
        while True:
            try:
                tok, val = next(self.i)
            except StopIteration:
                break
            except Exception as exc:  # the lexer raises ValueError on stray characters
                raise ZoneError(f"{source}:{self.l.line}: {exc}") from None
            if tok == "NL":
                if not paren and tokens:
                    yield start, self._record(tokens, source, start)
                    tokens = []
            elif tok == "SPACE" and prev == "NL" and not paren:
                if not tokens:
                    start = self.l.line
                tokens.append("")  # leading blank: same owner as the previous record
            elif tok == "QUOTED":
                tokens.append(val)
            elif tok == "ATOM":
                if val.startswith("$") and not tokens:
                    self._directive(val, source)
                    prev = tok
                    continue
                # "(" and ")" group lines; they may touch a word: "(1" or "300)"
                while val.startswith("("):
                    paren, val = True, val[1:]
                closes = len(val) - len(val.rstrip(")"))
                val = val[: len(val) - closes]
                if val:
                    if not tokens:
                        start = self.l.line
                    tokens.append(val)
                if closes:
                    paren = False
            prev = tok
        if paren:
            raise ZoneError(f"{source}:{start}: unbalanced parenthesis")
        if tokens:
            yield start, self._record(tokens, source, start)

    def _record(self, tokens: list[str], source: str, line: int) -> RR:
        try:
            return self.parse_rr(list(tokens))
        except ZoneError:
            raise
        except Exception as exc:  # dnslib raises many types (ValueError, IndexError, DNSError...)
            reason = str(exc) or type(exc).__name__
            text = " ".join(token or "<same owner>" for token in tokens)
            raise ZoneError(f"{source}:{line}: cannot parse record '{text}': {reason}") from None

    def _directive(self, word: str, source: str) -> None:
        line = self.l.line
        try:
            if word not in ("$ORIGIN", "$TTL"):
                raise ValueError(f"unsupported directive {word}")
            self.expect("SPACE")
            value = self.expect("ATOM")
            if word == "$ORIGIN":
                if not value.endswith("."):
                    value = str(self.origin.add(value))
                self.origin = self.label = DNSLabel(value)
            else:
                self.ttl = _parse_ttl(value)
        except Exception as exc:
            raise ZoneError(f"{source}:{line}: {exc}") from None


_TTL_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def _parse_ttl(text: str) -> int:
    """A TTL in seconds, with BIND's unit suffixes ("1h30m"); at most 2^31-1 (RFC 2181 §8)."""
    total = 0
    number = ""
    for char in text.lower():
        if char.isdigit():
            number += char
        elif char in _TTL_UNITS and number:
            total += int(number) * _TTL_UNITS[char]
            number = ""
        else:
            raise ValueError(f"bad TTL {text!r}")
    total += int(number) if number else 0
    if total > 0x7FFFFFFF:
        raise ValueError(f"TTL {text} exceeds 2^31-1 (RFC 2181 §8)")
    return total


@dataclass
class Zone:
    """One zone's data, ready for lookups. Build it with `load_zone` or `parse_zone`."""

    origin: str
    source: str
    origin_key: Key
    # owner key -> rtype -> RRset; dicts keep zone-file order (NSD answers ANY with the first set)
    rrsets: dict[Key, dict[int, tuple[RR, ...]]]
    names: frozenset[Key]  # every name that exists, empty non-terminals included
    cuts: frozenset[Key]  # delegation points (NS below the apex)
    soa: RR
    negative_soa: RR  # TTL = min(SOA TTL, MINIMUM), RFC 2308 §3
    # Signatures and denial chains when the lab signed the zone (resolver/lab/signing.py)
    dnssec: Any = None
    _first_line: dict[Key, int] = field(default_factory=dict, repr=False)

    def rrset(self, key: Key, rtype: int) -> tuple[RR, ...] | None:
        return self.rrsets.get(key, {}).get(rtype)

    def cut_covering(self, key: Key) -> Key | None:
        """The delegation point at or above `key` inside this zone, if any (the topmost one)."""
        for depth in range(len(self.origin_key) + 1, len(key) + 1):
            ancestor = key[len(key) - depth :]
            if ancestor in self.cuts:
                return ancestor
        return None

    def closest_encloser(self, key: Key) -> Key:
        """The longest existing ancestor of `key` (RFC 4592 §3.3.1)."""
        for start in range(len(key) - len(self.origin_key) + 1):
            ancestor = key[start:]
            if ancestor in self.names:
                return ancestor
        return self.origin_key

    def all_records(self) -> list[RR]:
        return [rr for types in self.rrsets.values() for rrset in types.values() for rr in rrset]


Remap = Callable[[RR], RR]


def load_zone(path: str | Path, origin: str | None = None, remap: Remap | None = None) -> Zone:
    """Read and check one master file. `origin` defaults to the file's own $ORIGIN."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ZoneError(f"{path}: cannot read zone file: {exc}") from None
    return parse_zone(text, str(path), origin=origin, remap=remap)


def parse_zone(
    text: str, source: str = "<zone>", origin: str | None = None, remap: Remap | None = None
) -> Zone:
    """Parse master-file text and check it can be served; `remap` rewrites each record."""
    parser = _LineParser(text, origin or ".")
    lines: list[tuple[int, RR]] = []
    for line, record in parser.records(source):
        if remap is not None:
            record = remap(record)
        lines.append((line, record))
    if origin is None:
        soas = [record for _, record in lines if record.rtype == QTYPE.SOA]
        if not soas:
            raise ZoneError(f"{source}: no SOA record, so the zone has no apex")
        origin_key = name_key(soas[0].rname)
    else:
        origin_key = name_key(origin)  # the zone's name as served (after any remap)
    return _build(lines, source, origin_key)


def _build(lines: list[tuple[int, RR]], source: str, origin_key: Key) -> Zone:
    origin = key_to_text(origin_key)
    rrsets: dict[Key, dict[int, list[RR]]] = {}
    first_line: dict[Key, int] = {}
    seen: set[tuple[Key, int, bytes]] = set()
    for line, record in lines:
        where = f"{source}:{line}"
        key = name_key(record.rname)
        if record.rclass != CLASS.IN:
            raise ZoneError(f"{where}: class {CLASS.get(record.rclass)} is not served (IN only)")
        if not is_subdomain(key, origin_key):
            raise ZoneError(f"{where}: {key_to_text(key)} is outside the zone {origin}")
        wire = _rdata_wire(record)
        if (key, record.rtype, wire) in seen:
            continue  # a duplicate RR is the same RR (RFC 2181 §5)
        seen.add((key, record.rtype, wire))
        rrsets.setdefault(key, {}).setdefault(record.rtype, []).append(record)
        first_line.setdefault(key, line)

    apex = rrsets.get(origin_key, {})
    soa = apex.get(QTYPE.SOA)
    if not soa:
        raise ZoneError(f"{source}: no SOA record at the apex {origin}")
    if len(soa) > 1:
        raise ZoneError(f"{source}:{first_line[origin_key]}: more than one SOA at the apex")
    if QTYPE.NS not in apex:
        raise ZoneError(f"{source}: no NS records at the apex {origin}")
    cuts = frozenset(k for k, types in rrsets.items() if QTYPE.NS in types and k != origin_key)
    for key, types in rrsets.items():
        where = f"{source}:{first_line[key]}"
        if QTYPE.SOA in types and key != origin_key:
            raise ZoneError(f"{where}: SOA at {key_to_text(key)}, which is not the apex")
        if QTYPE.CNAME in types and (len(types) > 1 or len(types[QTYPE.CNAME]) > 1):
            raise ZoneError(f"{where}: CNAME at {key_to_text(key)} must be its only record")
        above = _cut_above(key, origin_key, cuts)
        if above is not None and not set(types) <= _ADDRESS_TYPES:
            raise ZoneError(
                f"{where}: {key_to_text(key)} is below the zone cut {key_to_text(above)}; "
                "only glue addresses (A, AAAA) may be there"
            )
        if key in cuts and not set(types) <= _ALLOWED_AT_CUT:
            raise ZoneError(f"{where}: {key_to_text(key)} is a zone cut; only NS, DS, A, AAAA")

    names: set[Key] = set()
    for key in rrsets:
        for start in range(len(key) - len(origin_key) + 1):
            names.add(key[start:])
    soa_rr = soa[0]
    negative_ttl = min(soa_rr.ttl, soa_rr.rdata.times[-1])
    negative_soa = RR(soa_rr.rname, QTYPE.SOA, soa_rr.rclass, negative_ttl, soa_rr.rdata)
    return Zone(
        origin=origin,
        source=source,
        origin_key=origin_key,
        rrsets={k: {t: tuple(v) for t, v in types.items()} for k, types in rrsets.items()},
        names=frozenset(names),
        cuts=cuts,
        soa=soa_rr,
        negative_soa=negative_soa,
        _first_line=first_line,
    )


def _cut_above(key: Key, origin_key: Key, cuts: frozenset[Key]) -> Key | None:
    """A delegation point strictly above `key` (so `key` is occluded or glue), if any."""
    for start in range(1, len(key) - len(origin_key)):
        if key[start:] in cuts:
            return key[start:]
    return None


def _rdata_wire(record: RR) -> bytes:
    buffer = DNSBuffer()
    record.rdata.pack(buffer)
    return bytes(buffer.data).lower() if record.rtype in _NAME_RDATA else bytes(buffer.data)


# Types whose RDATA is a single domain name compared case-insensitively for duplicates.
_NAME_RDATA = frozenset({QTYPE.NS, QTYPE.CNAME, QTYPE.PTR})
