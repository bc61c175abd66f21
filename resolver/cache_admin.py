"""Administering the RRset cache: flush by name, zone or kind, and dump / load it as zone-file
text with the remaining TTLs, so a restarted server does not start cold.

The dump format, one block per entry (Unbound's dump_cache is similar in spirit):

    ;; resolver cache dump
    ;; dumped-at 1764585600.25                  wall-clock seconds when written
    ;; rrset AUTH_ANSWER security=secure          trust, DNSSEC status if validated, then the
                                                RRset with remaining TTLs
    www.example.com. 299 IN A 192.0.2.1
    ;; negative nope.example.com. NXDOMAIN - AUTH_ANSWER   name, rcode, type (- for all), trust
    example.com. 60 IN SOA ns.example.com. admin.example.com. 1 7200 3600 1209600 300

Loading subtracts the time since the dump from every TTL and skips what expired. The DNSSEC
status is the validator's verdict when the entry was cached, trusted on load like the rest of
the operator's own file (as Unbound's load_cache does); RRSIGs are not dumped, so a client
asking with DO gets loaded answers without them until they are refreshed.
Resolution failures are not dumped (RFC 9520 caches them only briefly).
"""

from __future__ import annotations

import time

from dnslib import QTYPE, RCODE, RR

from resolver.cache import RRsetCache, Trust, canonical_name
from resolver.errors import ResolverError

HEADER = ";; resolver cache dump"


class CacheFileError(ResolverError, ValueError):
    """A cache dump cannot be read: the message names the line."""


def _in_zone(owner: str, zone: str) -> bool:
    return zone == "." or owner == zone or owner.endswith("." + zone)


def flush(cache: RRsetCache, *, name: str | None = None, zone: str | None = None,
          negative: bool = False) -> int:
    """Remove the entries at `name`, or in `zone` (`.`: all), or every negative and failure
    entry; returns how many were removed."""
    name = canonical_name(name) if name is not None else None
    zone = canonical_name(zone) if zone is not None else None
    removed = 0
    for key, _ in cache.items():
        owner = key[1]
        if (
            (name is not None and owner == name)
            or (zone is not None and _in_zone(owner, zone))
            or (negative and key[0] in ("-", "!"))
        ):
            cache.discard(key)
            removed += 1
    return removed


def dump(cache: RRsetCache, clock: float, wall: float | None = None) -> str:
    """The cache as text; `clock` is the cache's clock now (its expiry times are on it)."""
    wall = time.time() if wall is None else wall
    lines = [HEADER, f";; dumped-at {wall:.3f}"]
    for key, stored in cache.items():
        if key[0] == "!":
            continue
        remaining = int(stored.expires - clock)
        if remaining <= 0:
            continue
        status = f" security={stored.security}" if stored.security is not None else ""
        if key[0] == "+":
            lines.append(f";; rrset {Trust(stored.trust).name}{status}")
            lines += [_line(rr, remaining) for rr in stored.records]
        else:
            rtype = "-" if stored.rtype is None else QTYPE.get(stored.rtype)
            lines.append(f";; negative {key[1]} {RCODE.get(stored.rcode)} {rtype} "
                         f"{Trust(stored.trust).name}{status}")
            lines.append(_line(stored.records[0], remaining))
    return "\n".join(lines) + "\n"


def _line(rr: RR, ttl: int) -> str:
    rr = RR(rr.rname, rr.rtype, rr.rclass, ttl, rr.rdata)
    return rr.toZone().replace("\t", " ").strip()


def load(cache: RRsetCache, text: str, wall: float | None = None) -> tuple[int, int]:
    """Put a dump's entries back, TTLs reduced by the time since the dump; returns (loaded,
    skipped as expired). CacheFileError names a line that cannot be read."""
    wall = time.time() if wall is None else wall
    lines = text.splitlines()
    if not lines or lines[0].strip() != HEADER:
        raise CacheFileError("line 1: not a resolver cache dump")
    age = 0.0
    loaded = skipped = 0
    block: tuple[str, list[str], str | None] | None = None
    records: list[RR] = []

    def finish() -> None:
        nonlocal loaded, skipped
        if block is None:
            return
        kept = [rr for rr in records if rr.ttl > age]
        if not records or len(kept) != len(records):
            skipped += 1
            return
        for rr in kept:
            rr.ttl = int(rr.ttl - age)
        kind, fields, security = block
        if kind == "rrset":
            cache.put(kept, Trust[fields[0]], security=security)
        else:
            name, rcode, rtype = fields[0], getattr(RCODE, fields[1]), fields[2]
            qtype = QTYPE.A if rtype == "-" else getattr(QTYPE, rtype)  # NXDOMAIN: every type
            cache.put_negative(name, qtype, rcode, kept[0], Trust[fields[3]],
                               security=security)
        loaded += 1

    for number, line in enumerate(lines[1:], 2):
        text_line = line.strip()
        if not text_line:
            continue
        try:
            if text_line.startswith(";; dumped-at "):
                age = max(wall - float(text_line.split()[2]), 0.0)
            elif text_line.startswith(";; rrset ") or text_line.startswith(";; negative "):
                finish()
                words = text_line.split()
                status = [w.split("=", 1)[1] for w in words if w.startswith("security=")]
                words = [w for w in words if not w.startswith("security=")]
                block, records = (words[1], words[2:], status[0] if status else None), []
                Trust[words[-1]]  # noqa: B018 (checks the trust name now, with the line)
            elif text_line.startswith(";"):
                continue
            else:
                if block is None:
                    raise ValueError("a record before any ';; rrset' line")
                records.extend(RR.fromZone(text_line))
        except (ValueError, KeyError, IndexError, AttributeError) as error:
            raise CacheFileError(f"line {number}: {error}") from None
        except Exception as error:  # dnslib raises assorted errors on bad record text
            raise CacheFileError(f"line {number}: {error}") from None
    try:
        finish()
    except ValueError as error:  # e.g. an unknown security= status in the last block
        raise CacheFileError(f"line {len(lines)}: {error}") from None
    return loaded, skipped
