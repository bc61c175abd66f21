"""`Name`: a domain name as a value, compared and rendered the way dnspython's Name is."""

from __future__ import annotations

from collections.abc import Iterable

from resolver import wire
from resolver.errors import InvalidName

# dnspython escapes these with a backslash inside a label; other octets outside 0x21-0x7E
# become \DDD. Everything else shows as itself.
_SPECIAL = frozenset(b'"().;\\@$')
_RENDER = tuple(
    "\\" + chr(b) if b in _SPECIAL else chr(b) if 0x20 < b < 0x7F else f"\\{b:03d}"
    for b in range(256)
)
_PLAIN = bytes(b for b in range(0x21, 0x7F) if b not in _SPECIAL)


def _label_text(label: bytes) -> str:
    if not label.translate(None, _PLAIN):
        return label.decode("ascii")
    return "".join([_RENDER[b] for b in label])


class Name:
    """An absolute domain name: raw labels, with the root's empty label last (as dnspython).

    Equality and hashing ignore ASCII letter case; `str()` and `to_text()` keep it and end with
    the root's dot. Build one with `Name.from_text("www.example.com")`.
    """

    __slots__ = ("labels", "_key")

    labels: tuple[bytes, ...]
    """The raw labels, letter case kept, ending with the root's empty label."""
    _key: tuple[bytes, ...]

    def __init__(self, labels: Iterable[bytes]) -> None:
        given = [bytes(label) for label in labels]
        if given and given[-1] == b"":
            given.pop()
        try:
            checked = wire._check_labels(given, given)
        except wire.WireError as exc:
            raise InvalidName(str(exc)) from None
        object.__setattr__(self, "labels", (*checked, b""))
        object.__setattr__(self, "_key", tuple(label.lower() for label in checked))

    def __setattr__(self, key: str, value: object) -> None:
        raise AttributeError("Name is immutable")

    def __reduce__(self) -> tuple[type[Name], tuple[tuple[bytes, ...]]]:
        return Name, (self.labels,)

    @classmethod
    def from_text(cls, text: str | Name) -> Name:
        """Parse presentation text ("\\." and "\\DDD" escapes); a relative name is made absolute.
        A Name is returned as it is."""
        if isinstance(text, Name):
            return text
        try:
            return cls(wire.name_to_labels(text))
        except wire.WireError as exc:
            raise InvalidName(f"invalid domain name {text!r}: {exc}") from None

    def to_text(self, omit_final_dot: bool = False) -> str:
        """Presentation form: "www.example.com." ("www.example.com" with omit_final_dot)."""
        if len(self.labels) == 1:
            return "."
        text = ".".join([_label_text(label) for label in self.labels[:-1]])
        return text if omit_final_dot else text + "."

    def to_wire(self) -> bytes:
        """Uncompressed wire form, letter case kept."""
        return wire._labels_to_wire(self.labels[:-1])

    def canonicalize(self) -> Name:
        """The same name in lower case (RFC 4034 section 6.2)."""
        return Name(self._key)

    def is_absolute(self) -> bool:
        """Always True: every Name here is absolute (relative text is made absolute)."""
        return True

    def is_subdomain(self, other: Name) -> bool:
        """True if this name is `other` or below it."""
        size = len(other._key)
        return size == 0 or self._key[-size:] == other._key

    def parent(self) -> Name:
        """The name one label up; the root has none (InvalidName)."""
        if not self._key:
            raise InvalidName("the root name has no parent")
        return Name(self.labels[1:])

    def __len__(self) -> int:
        return len(self.labels)

    def __str__(self) -> str:
        return self.to_text()

    def __format__(self, spec: str) -> str:
        return format(self.to_text(), spec)

    def __repr__(self) -> str:
        return f"<DNS name {self.to_text()}>"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Name):
            return self._key == other._key
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._key)

    # DNSSEC canonical order (RFC 4034 section 6.1): compare label by label from the root.
    def _order(self) -> tuple[bytes, ...]:
        return self._key[::-1]

    def __lt__(self, other: Name) -> bool:
        return self._order() < other._order()

    def __le__(self, other: Name) -> bool:
        return self._order() <= other._order()

    def __gt__(self, other: Name) -> bool:
        return self._order() > other._order()

    def __ge__(self, other: Name) -> bool:
        return self._order() >= other._order()


ROOT = Name(())
"""The root name, "."."""


def from_text(text: str) -> Name:
    """dnspython's `dns.name.from_text`: a Name from presentation text (made absolute)."""
    return Name.from_text(text)
