"""Read root hints (the named.root format IANA publishes) into a root delegation."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from dnslib import QTYPE, RR

from resolver.errors import ResolverError

_PACKAGED_HINTS = Path(__file__).with_name("root.hints")  # present in an installed wheel
_CHECKOUT_HINTS = Path(__file__).resolve().parent.parent / "root.hints"  # a source checkout


class HintsError(ResolverError, ValueError):
    """The root hints file is missing, unreadable or holds no usable root server."""


@dataclass(frozen=True)
class RootHints:
    """The root zone's NS names and their addresses, as the hints file states them."""

    path: str
    ns_names: tuple[str, ...]
    addresses: dict[str, tuple[str, ...]] = field(default_factory=dict)
    ttl: int = 3600000

    def all_addresses(self) -> list[tuple[str, str]]:
        """(NS name, address) pairs in file order."""
        return [(name, addr) for name in self.ns_names for addr in self.addresses.get(name, ())]


def default_hints_path() -> Path:
    """The real IANA root hints shipped with the project."""
    for candidate in (_PACKAGED_HINTS, _CHECKOUT_HINTS):
        if candidate.is_file():
            return candidate
    raise HintsError("the bundled root.hints file is missing from this installation")


def _parse_error(path: Path, text: str) -> str:
    """Say which line of a hints file is not a resource record, in words a user can act on."""
    for number, line in enumerate(text.splitlines(), 1):
        body = line.split(";", 1)[0].strip()
        if not body or body.startswith("$"):
            continue
        try:
            RR.fromZone(body)
        except Exception:  # dnslib raises several types on bad zone text
            shown = body if len(body) <= 50 else body[:47] + "..."
            return (
                f"root hints {path} is not a named.root file: line {number} is not a resource "
                f"record: {shown!r}"
            )
    return f"root hints {path} is not a named.root file: its records cannot be read"


def load_root_hints(path: str | Path | None = None) -> RootHints:
    """Parse a named.root-style file; raise HintsError with the file name on any problem."""
    path = Path(path) if path is not None else default_hints_path()
    try:
        text = path.read_text(encoding="ascii", errors="strict")
    except UnicodeDecodeError as exc:
        raise HintsError(
            f"root hints {path} is not a named.root file: byte 0x{exc.object[exc.start]:02x} "
            f"at offset {exc.start} is not ASCII text"
        ) from exc
    except OSError as exc:
        raise HintsError(f"cannot read root hints {path}: {exc.strerror or exc}") from exc
    try:
        records = RR.fromZone(text)
    except Exception as exc:  # dnslib raises several types on bad zone text
        raise HintsError(_parse_error(path, text)) from exc

    ns_names: list[str] = []
    addresses: dict[str, list[str]] = {}
    ttl = 3600000
    for rr in records:
        owner = str(rr.rname).lower()
        if rr.rtype == QTYPE.NS and owner == ".":
            name = str(rr.rdata.label).lower()
            if name not in ns_names:
                ns_names.append(name)
            ttl = min(ttl, rr.ttl)
        elif rr.rtype in (QTYPE.A, QTYPE.AAAA):
            addresses.setdefault(owner, []).append(str(rr.rdata))
    usable = [n for n in ns_names if addresses.get(n)]
    if not usable:
        raise HintsError(f"root hints {path} name no root server with an address")
    return RootHints(
        path=str(path),
        ns_names=tuple(ns_names),
        addresses={n: tuple(a) for n, a in addresses.items() if n in ns_names},
        ttl=ttl,
    )
