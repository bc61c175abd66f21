"""dig's words on our command line, and `NAME [TYPE]` questions.

`translate` turns dig's spellings into our options before argparse sees them: `@ADDR` becomes
`--server ADDR`, `+short` becomes `--short`, `+noall` `--noall`, `+time=2` `--timeout 2`. An
unknown `+word` is a usage error, never a query name: a name that starts with `+` or `@` must be
written with its trailing dot. Questions are read from the remaining words, dig-style.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Iterator, Sequence
from typing import NamedTuple

from resolver.cli.options import UsageError

# dig's on/off +options we honour -> our long option. Every one also has its +no form.
DIG_FLAGS = {
    "short": "short",
    "json": "json",
    "trace": "trace",
    "rec": "rec",
    "recurse": "rec",
    "tcp": "tcp",
    "vc": "tcp",
    "dnssec": "dnssec",
    "cd": "cd",
    "cdflag": "cd",
    "all": "all",
    "cmd": "cmd",
    "comments": "comments",
    "question": "question",
    "answer": "answer",
    "authority": "authority",
    "additional": "additional",
    "stats": "stats",
}
# dig's +option=VALUE forms we honour -> our option taking that value.
DIG_VALUES = {"time": "--timeout", "timeout": "--timeout"}

# Meta-types a resolver does not answer through a normal query.
UNASKABLE_TYPES = ("OPT", "AXFR", "IXFR", "TSIG", "TKEY", "MAILA", "MAILB")


class Translated(NamedTuple):
    argv: list[str]  # our options only
    at_server: bool  # the server came as dig's @ADDR (its port then defaults to 53)


def _plus_option(word: str) -> list[str]:
    body = word[1:]
    name, eq, value = body.partition("=")
    key = name.lower()
    if eq:
        option = DIG_VALUES.get(key)
        if option is None or not value:
            raise UsageError(f"unknown or incomplete dig option {word!r} (see 'resolve --help')")
        return [option, value]
    negated = key.startswith("no") and key[2:] in DIG_FLAGS
    target = DIG_FLAGS.get(key[2:] if negated else key)
    if target is None:
        raise UsageError(
            f"unknown dig option {word!r} (see 'resolve --help'; a name that starts with "
            f"'+' needs its trailing dot: {word}.)"
        )
    return [f"--no{target}" if negated else f"--{target}"]


def translate(argv: Sequence[str]) -> Translated:
    """Rewrite dig's `@server` and `+options` as our options; everything else passes as is."""
    out: list[str] = []
    at_server = False
    for i, word in enumerate(argv):
        if word == "--":
            out += argv[i:]
            break
        is_name = word.endswith(".") and len(word) > 1  # "+x." and "@x." are names
        if word.startswith("+") and not is_name:
            out += _plus_option(word)
        elif word.startswith("@") and not is_name:
            if len(word) == 1:
                raise UsageError("@ needs a server address: @ADDR, @[IPv6]:PORT")
            out.append(f"--server={word[1:]}")
            at_server = True
        else:
            out.append(word)
    return Translated(out, at_server)


# --------------------------------------------------------------------------------------------
# NAME [TYPE] ...


class Question(NamedTuple):
    name: str  # validated, absolute
    rdtype: int


def _type_or_none(word: str) -> int | None:
    from resolver.api import parse_rdtype

    try:
        return parse_rdtype(word)
    except ValueError:
        return None


def _check_query_type(rdtype: int, word: str) -> int:
    from dnslib import QTYPE

    if QTYPE.get(rdtype, "") in UNASKABLE_TYPES:
        raise UsageError(f"{word.upper()} is not a type a resolver can be asked for")
    return rdtype


def parse_type(word: str) -> int:
    """A TYPE word (A, mx, TYPE99) as its number; UsageError for anything else."""
    rdtype = _type_or_none(word)
    if rdtype is None:
        raise UsageError(f"unknown record type {word!r}")
    return _check_query_type(rdtype, word)


def validate_name(text: str) -> str:
    """The name, absolute; UsageError when it cannot be a domain name."""
    from resolver.api import normalize_name
    from resolver.errors import InvalidName

    try:
        return normalize_name(text)
    except InvalidName as exc:
        raise UsageError(str(exc)) from None


def questions_from_words(words: Sequence[str], default_type: int) -> list[Question]:
    """dig-style: NAME [TYPE] [NAME [TYPE]] ...; a TYPE may also come before its NAME."""
    pending: list[tuple[str, int | None]] = []
    type_first: str | None = None
    for word in words:
        if word.upper() == "IN":
            continue  # the only class there is; dig users type it
        follows_untyped_name = bool(pending) and pending[-1][1] is None and type_first is None
        rdtype = _type_or_none(word)
        if rdtype is not None and (follows_untyped_name or "." not in word):
            if follows_untyped_name:
                pending[-1] = (pending[-1][0], _check_query_type(rdtype, word))
            elif type_first is not None:
                raise UsageError(f"two types in a row: {type_first} {word}")
            else:
                type_first = word
            continue
        if follows_untyped_name and "." not in word and word.isalnum():
            raise UsageError(
                f"unknown record type {word!r} (a single-label name needs its trailing dot: "
                f"{word}.)"
            )
        pending.append((word, parse_type(type_first) if type_first else None))
        type_first = None
    if type_first is not None:
        hint = "" if pending else f" (write a single-label name with its dot: {type_first}.)"
        raise UsageError(f"type {type_first.upper()} is not followed by a name{hint}")
    return [Question(validate_name(name), t or default_type) for name, t in pending]


def reverse_question(text: str) -> Question:
    """-x ADDR: the PTR question of an IPv4 or IPv6 address."""
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        raise UsageError(f"-x needs an IPv4 or IPv6 address, not {text!r}") from None
    return Question(address.reverse_pointer + ".", 12)  # PTR


def batch_lines(lines: Iterable[str], default_type: int) -> Iterator[Question]:
    """The questions of a batch file, line by line as the lines are read (`-f -` on a pipe
    answers each line as it arrives). '#' starts a comment; dig's +options are not allowed."""
    for line in lines:
        words = line.split("#", 1)[0].split()
        if any(w.startswith(("+", "@", "-")) and not w.endswith(".") for w in words):
            raise UsageError(f"a batch line holds only NAME [TYPE]: {line.strip()!r}")
        yield from questions_from_words(words, default_type)
