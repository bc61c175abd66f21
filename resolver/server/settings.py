"""The settings of `resolve serve`: one table that drives the command-line flags, the TOML config
file's keys, `resolve serve --help`, `resolve config example` and the README's reference section,
so that the four never disagree.

A config file is TOML (stdlib tomllib) with the settings' names as top-level keys:

    port = 53
    access-control = ["10.0.0.0/8 allow", "0.0.0.0/0 refuse"]
    local-zone = ["corp.example. static"]

Unknown keys and bad values are rejected with the file, the line, the key and the reason.
Command-line flags override the file. No dnslib, no asyncio: `resolve serve --help` stays fast.
"""

from __future__ import annotations

import argparse
import ipaddress
import re
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from resolver import memory
from resolver.server.config import DEFAULT_ALLOW, DEFAULT_PORT, ServerError

LOG_LEVELS = ("debug", "info", "warning", "error")
# Unbound's local-zone types we implement (unbound.conf(5)), and `nodefault`, which removes one
# of the RFC 6303 / RFC 6761 default local zones.
LOCAL_ZONE_TYPES = (
    "static",
    "refuse",
    "deny",
    "redirect",
    "always_nxdomain",
    "transparent",
    "typetransparent",
    "nodefault",
)
# What a client in a netblock gets (Unbound's access-control actions).
ACL_ACTIONS = ("allow", "refuse", "deny", "allow_snoop")


class ConfigError(ServerError):
    """A config file or a setting's value is wrong: the message names where and why."""


# --------------------------------------------------------------------------------------------
# Value readers: each turns one text item into a value or raises ValueError with the reason.


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"not a port number: {text!r}") from None
    if not 0 <= value <= 65535:
        raise ValueError(f"port {value} is out of range 0-65535")
    return value


def _upstream_port(text: str) -> int:
    value = _port(text)
    if value == 0:
        raise ValueError("port 0 cannot be queried")
    return value


def _count(minimum: int) -> Callable[[str], int]:
    def read(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise ValueError(f"not a whole number: {text!r}") from None
        if value < minimum:
            raise ValueError(f"must be at least {minimum}, not {value}")
        return value

    return read


def _workers(text: str) -> int:
    """A number of worker processes, or "auto": the CPUs this process may run on."""
    if text.strip().lower() == "auto":
        from resolver.server.workers import usable_cpus

        return usable_cpus()
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"not a whole number or 'auto': {text!r}") from None
    if value < 1:
        raise ValueError(f"must be at least 1 (or 'auto'), not {value}")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"not a number of seconds: {text!r}") from None
    if not 0 < value < float("inf"):
        raise ValueError(f"must be a positive number of seconds: {text!r}")
    return value


def _boolean(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("true", "yes", "1", "on"):
        return True
    if lowered in ("false", "no", "0", "off"):
        return False
    raise ValueError(f"not true or false: {text!r}")


def _size(text: str) -> int:
    # InvalidCacheSize is a ValueError: its one line becomes the flag's or the file's error.
    return memory.parse_size(text)


def _text(text: str) -> str:
    if not text.strip():
        raise ValueError("must not be empty")
    return text


def _network(text: str) -> str:
    try:
        return str(ipaddress.ip_network(text.strip(), strict=False))
    except ValueError:
        raise ValueError(f"not an IP network: {text!r}") from None


def host_port(text: str, default_port: int | None = None) -> tuple[str, int | None]:
    """ "127.0.0.1", "127.0.0.1:53", "::1", "[::1]:53" -> (address, port or default_port).
    A bare IPv6 address never carries a port: write [::1]:53."""
    text = text.strip()
    port: int | None = default_port
    if text.startswith("["):
        host, sep, rest = text[1:].partition("]")
        if not sep or (rest and not rest.startswith(":")):
            raise ValueError(f"expected [IPv6]:PORT, got {text!r}")
        if rest:
            port = _port(rest[1:])
    elif text.count(":") == 1:
        host, _, port_text = text.partition(":")
        port = _port(port_text)
    else:
        host = text
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(
            f"not an IP address: {host!r} (use ADDR, ADDR:PORT or [IPv6]:PORT)"
        ) from None
    return str(address), port


def _address_port(text: str) -> tuple[str, int]:
    host, port = host_port(text)
    if port is None:
        raise ValueError(f"needs a port: {text!r} (ADDR:PORT or [IPv6]:PORT)")
    return host, port


def _address(text: str) -> str:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        raise ValueError(f"not an IP address: {text!r}") from None


def _zone_name(text: str) -> str:
    name = text.strip().lower()
    if not name:
        raise ValueError("empty zone name")
    if not name.endswith("."):
        name += "."
    labels = name[:-1].split(".") if name != "." else []
    if any(not label or len(label) > 63 for label in labels) or len(name) > 254:
        raise ValueError(f"not a domain name: {text!r}")
    return name


def _acl_rule(text: str) -> tuple[str, str]:
    parts = text.split()
    if len(parts) != 2:
        raise ValueError(f"expected 'NETWORK ACTION', got {text!r}")
    if parts[1] not in ACL_ACTIONS:
        raise ValueError(f"unknown action {parts[1]!r} (one of {', '.join(ACL_ACTIONS)})")
    return _network(parts[0]), parts[1]


def _local_zone(text: str) -> tuple[str, str]:
    parts = text.split()
    if len(parts) != 2:
        raise ValueError(f"expected 'ZONE TYPE', got {text!r}")
    if parts[1] not in LOCAL_ZONE_TYPES:
        raise ValueError(f"unknown type {parts[1]!r} (one of {', '.join(LOCAL_ZONE_TYPES)})")
    return _zone_name(parts[0]), parts[1]


def _zone_servers(text: str) -> tuple[str, list[tuple[str, int | None]]]:
    parts = text.split()
    if len(parts) < 2:
        raise ValueError(f"expected 'ZONE ADDR[:PORT] ...', got {text!r}")
    return _zone_name(parts[0]), [host_port(part) for part in parts[1:]]


def _local_data(text: str) -> str:
    # Checked fully (by dnslib) when the local zones are built; here only the shape.
    if len(text.split()) < 3:
        raise ValueError(f"expected a record 'NAME [TTL] [IN] TYPE DATA', got {text!r}")
    return text.strip()


def _log_level(text: str) -> str:
    if text.lower() not in LOG_LEVELS:
        raise ValueError(f"unknown level {text!r} (one of {', '.join(LOG_LEVELS)})")
    return text.lower()


# --------------------------------------------------------------------------------------------
# The table


@dataclass(frozen=True)
class Setting:
    """One setting: its name is the config key and, with `--` before it, the flag."""

    name: str
    kind: str  # "integer", "number", "boolean", "string", "list", "size": the TOML value it
    # takes ("size": bytes as an integer, or a string such as "64M")
    default: Any  # as written in the config file; None = unset
    help: str
    read: Callable[[str], Any]  # one text item (a flag's argument, a list's element) -> value
    unit: str = ""
    metavar: str = ""
    group: str = "server"
    # False: the flag is declared by a parser `resolve NAME` shares (--lab, --root-hints...).
    own_flag: bool = True

    @property
    def flag(self) -> str:
        return f"--{self.name}"

    @property
    def dest(self) -> str:
        return self.name.replace("-", "_")


SETTINGS: tuple[Setting, ...] = (
    # listening and access
    Setting("listen", "list", ["127.0.0.1", "::1"], "addresses to serve on (UDP and TCP); IPv6 "
            "as [::1]:53", host_port, metavar="ADDR[:PORT]", group="listening and access"),
    Setting("port", "integer", DEFAULT_PORT, "port for listen addresses given without one",
            _port, metavar="PORT", group="listening and access"),
    Setting("allow", "list", list(DEFAULT_ALLOW), "client networks allowed to query (the "
            "'allow' action); every other client is refused", _network, metavar="NET",
            group="listening and access"),
    Setting("access-control", "list", [], "'NETWORK ACTION' rules, ACTION one of allow, refuse, "
            "deny (drop silently), allow_snoop (as allow: RD=0 is always answered from the cache "
            "only); the most "
            "specific network wins, over allow", _acl_rule, metavar="'NET ACTION'",
            group="listening and access"),
    Setting("stats-from", "list", list(DEFAULT_ALLOW), "client networks that may read the "
            "live counters (CH TXT stats.resolver., `resolve stats`); others get REFUSED",
            _network, metavar="NET", group="listening and access"),
    Setting("workers", "integer or auto", 1, "processes serving the same addresses "
            "(SO_REUSEPORT), each with its own cache; 'auto' = the CPUs usable; above 1 a "
            "supervisor owns the control socket and metrics and sums the counters", _workers,
            metavar="N|auto", group="listening and access"),
    Setting("user", "string", None, "after binding, drop root to this user (and its groups)",
            _text, metavar="NAME", group="listening and access"),
    # resolution
    Setting("lab", "boolean", False, "resolve inside the offline lab internet, started "
            "in-process", _boolean, group="resolution", own_flag=False),
    Setting("root-hints", "string", None, "root hints file (named.root format) instead of the "
            "IANA one", _text, metavar="FILE", group="resolution", own_flag=False),
    Setting("upstream-port", "integer", None, "port the authoritative servers listen on "
            "(default 53)", _upstream_port, metavar="N", group="resolution", own_flag=False),
    Setting("ipv4-only", "boolean", False, "ask upstream servers over IPv4 only (flag -4)",
            _boolean, group="resolution", own_flag=False),
    Setting("validation", "boolean", True, "validate DNSSEC (RFC 4035) from the trust anchors: "
            "AD for secure data, SERVFAIL with EDE for bogus (flag --no-dnssec)", _boolean,
            group="resolution", own_flag=False),
    Setting("trust-anchor", "string", None, "trust anchors file (DS or DNSKEY records, Unbound's "
            "trust-anchor-file) instead of the IANA root anchors", _text, metavar="FILE",
            group="resolution", own_flag=False),
    Setting("qname-minimisation", "boolean", True, "send each server only one label more than "
            "its zone (RFC 9156, relaxed; flag --no-qname-minimisation)", _boolean,
            group="resolution", own_flag=False),
    Setting("serve-stale", "boolean", False, "when resolving fails, answer with data expired up "
            "to a day ago (RFC 8767; TTL 30, EDE 3)", _boolean, group="resolution",
            own_flag=False),
    Setting("prefetch", "boolean", False, "refresh a cached answer asked for in the last 10 % "
            "of its TTL, in the background", _boolean, group="resolution", own_flag=False),
    Setting("use-0x20", "boolean", False, "randomise the letter case of each question sent "
            "upstream; a reply must echo it", _boolean, group="resolution", own_flag=False),
    Setting("forward-zone", "list", [], "'ZONE ADDR[:PORT] ...': names in ZONE ('.' for all) "
            "are sent to these recursive resolvers (RD=1) in turn", _zone_servers,
            metavar="'ZONE ADDR...'", group="resolution"),
    Setting("stub-zone", "list", [], "'ZONE ADDR[:PORT] ...': the authoritative servers of ZONE; "
            "iteration starts there", _zone_servers, metavar="'ZONE ADDR...'",
            group="resolution"),
    # cache
    Setting("cache-size", "size", memory.format_size(memory.DEFAULT_CACHE_SIZE), "memory for "
            "every cache together (RRsets, negative answers, packed replies, server records, "
            "DNSSEC keys), split as the README's Memory section says: 64M, 512K, 1G or bytes",
            _size, metavar="SIZE", group="cache"),
    Setting("min-ttl", "integer", 0, "cache records at least this long", _count(0),
            unit="seconds", metavar="S", group="cache"),
    Setting("max-ttl", "integer", 86_400, "cache records at most this long", _count(1),
            unit="seconds", metavar="S", group="cache"),
    Setting("max-inflight", "integer", 1000, "distinct resolutions at once; beyond it SERVFAIL",
            _count(1), unit="resolutions", metavar="N", group="cache"),
    Setting("cache-file", "string", None, "save the cache here at shutdown and load it at start "
            "(expired entries skipped)", _text, metavar="FILE", group="cache"),
    # local data
    Setting("default-local-zones", "boolean", True, "answer the RFC 6303 / RFC 6761 zones "
            "(private reverse zones, localhost., invalid., test., ...) locally", _boolean,
            group="local data"),
    Setting("local-zone", "list", [], "'ZONE TYPE', TYPE one of static, refuse, deny, redirect, "
            "always_nxdomain, transparent, typetransparent, nodefault (as in Unbound)",
            _local_zone, metavar="'ZONE TYPE'", group="local data"),
    Setting("local-data", "list", [], "a record answered locally, zone-file syntax",
            _local_data, metavar="'RR'", group="local data"),
    Setting("hosts-file", "string", None, "a hosts(5) file: its names answered locally (A, AAAA "
            "and PTR)", _text, metavar="FILE", group="local data"),
    Setting("blocklist-file", "string", None, "one domain per line ('#' comments): it and the "
            "names below it are blocked", _text, metavar="FILE", group="local data"),
    Setting("blocklist-address", "list", [], "answer blocked names with these addresses "
            "instead of NXDOMAIN", _address, metavar="ADDR", group="local data"),
    # control and observability
    Setting("control-socket", "string", None, "UNIX socket of `resolve control` (its file "
            "permissions decide who may use it)", _text, metavar="PATH",
            group="control and observability"),
    Setting("metrics", "string", None, "serve Prometheus metrics over HTTP at /metrics",
            _address_port, metavar="ADDR:PORT", group="control and observability"),
    Setting("log-level", "string", "info", "least severe message logged: debug, info, warning, "
            "error", _log_level, metavar="LEVEL", group="control and observability"),
    Setting("log-json", "boolean", False, "log JSON lines instead of text", _boolean,
            group="control and observability"),
    Setting("log-queries", "boolean", False, "log one line per query", _boolean,
            group="control and observability"),
    Setting("stats-interval", "number", None, "log the counters every S seconds", _seconds,
            unit="seconds", metavar="S", group="control and observability"),
)
BY_NAME = {setting.name: setting for setting in SETTINGS}
BY_DEST = {setting.dest: setting for setting in SETTINGS}


# --------------------------------------------------------------------------------------------
# Reading a value as TOML gives it


def convert(setting: Setting, value: Any) -> Any:
    """A TOML value (or a default) as the setting's Python value; ValueError says why not."""
    if setting.kind == "list":
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            raise ValueError(f"expected a list of strings, got {_toml_type(value)}")
        result = []
        for item in value:
            if not isinstance(item, str):
                raise ValueError(f"expected a list of strings, found {_toml_type(item)}")
            result.append(setting.read(item))
        return result
    if value is None:
        return None
    if setting.kind == "boolean":
        if not isinstance(value, bool):
            raise ValueError(f"expected true or false, got {_toml_type(value)}")
        return value
    if setting.kind == "integer or auto" and isinstance(value, str):
        return setting.read(value)
    if setting.kind in ("integer", "integer or auto"):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"expected an integer, got {_toml_type(value)}")
        return setting.read(str(value))
    if setting.kind == "size":
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise ValueError(f"expected a size such as \"64M\" or bytes, got {_toml_type(value)}")
        return setting.read(str(value))
    if setting.kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"expected a number, got {_toml_type(value)}")
        return setting.read(str(value))
    if not isinstance(value, str):
        raise ValueError(f"expected a string, got {_toml_type(value)}")
    return setting.read(value)


def _toml_type(value: Any) -> str:
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string",
            list: "a list", dict: "a table"}.get(type(value), type(value).__name__)


def defaults() -> dict[str, Any]:
    """Every setting at its default value (converted)."""
    return {setting.name: convert(setting, setting.default) for setting in SETTINGS}


def _key_line(text: str, key: str) -> int | None:
    pattern = re.compile(rf"^[ \t]*[\"']?{re.escape(key)}[\"']?[ \t]*=", re.MULTILINE)
    match = pattern.search(text)
    return text.count("\n", 0, match.start()) + 1 if match else None


def parse_text(text: str, where: str) -> dict[str, Any]:
    """The settings a config file's text sets (converted); ConfigError names line, key, why."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{where}: not valid TOML: {error}") from None
    values: dict[str, Any] = {}
    for key, value in document.items():
        line = _key_line(text, key)
        at = f"{where}:{line}" if line else where
        setting = BY_NAME.get(key)
        if setting is None:
            close = [name for name in BY_NAME if name.replace("-", "") == key.replace("_", "")
                     .replace("-", "")]
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ConfigError(f"{at}: unknown key {key!r}{hint}")
        try:
            values[key] = convert(setting, value)
        except ValueError as error:
            raise ConfigError(f"{at}: {key}: {error}") from None
    return values


def read_file(path: str) -> dict[str, Any]:
    """The settings a config file sets; ConfigError when it cannot be read or is wrong."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise ConfigError(f"{path}: cannot read: {reason}") from None
    return parse_text(text, path)


# --------------------------------------------------------------------------------------------
# Flags


class _Reader:
    """An argparse `type=` from a setting's reader (argparse shows ArgumentTypeError's text)."""

    def __init__(self, read: Callable[[str], Any]) -> None:
        self.read = read
        self.__name__ = getattr(read, "__name__", "value")

    def __call__(self, text: str) -> Any:
        try:
            return self.read(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None


def default_text(setting: Setting) -> str:
    value = setting.default
    if value is None or value == []:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)


def flag_help(setting: Setting) -> str:
    text = setting.help
    if setting.kind == "list":
        text += "; repeatable"
    default = default_text(setting)
    if default:
        unit = f" {setting.unit}" if setting.unit and setting.kind != "list" else ""
        text += f" (default {default}{unit})"
    elif setting.unit:
        text += f" ({setting.unit})"
    return text.replace("%", "%%")


def add_flags(parser: argparse.ArgumentParser) -> None:
    """One flag per setting, grouped as in the table; every default is None ("not given") so
    that a flag overrides the config file only when it was given."""
    groups: dict[str, Any] = {}
    for setting in SETTINGS:
        if not setting.own_flag:
            continue
        group = groups.get(setting.group)
        if group is None:
            group = groups[setting.group] = parser.add_argument_group(setting.group)
        if setting.kind == "boolean":
            group.add_argument(setting.flag, dest=setting.dest,
                               action=argparse.BooleanOptionalAction, default=None,
                               help=flag_help(setting))
        elif setting.kind == "list":
            group.add_argument(setting.flag, dest=setting.dest, action="append", default=None,
                               type=_Reader(setting.read), metavar=setting.metavar,
                               help=flag_help(setting))
        else:
            group.add_argument(setting.flag, dest=setting.dest, default=None,
                               type=_Reader(setting.read), metavar=setting.metavar,
                               help=flag_help(setting))


def given_flags(args: argparse.Namespace) -> dict[str, Any]:
    """The settings given on the command line (a shared boolean counts when it differs from
    its default: -4, --serve-stale, --no-qname-minimisation...)."""
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        value = getattr(args, setting.dest, None)
        if value is None or (not setting.own_flag and value == setting.default):
            continue
        values[setting.name] = value
    return values


def merge(file_values: dict[str, Any], flag_values: dict[str, Any]) -> dict[str, Any]:
    """Defaults, then the file, then the flags (a list flag replaces the file's list)."""
    values = defaults()
    values.update(file_values)
    values.update(flag_values)
    if (values["min-ttl"] or 0) > (values["max-ttl"] or 0):
        raise ConfigError(f"min-ttl {values['min-ttl']} is above max-ttl {values['max-ttl']}")
    if values["lab"] and (values["root-hints"] or values["upstream-port"] is not None):
        raise ConfigError("lab brings its own root hints and port: drop root-hints and "
                          "upstream-port")
    return values


def changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What differs between two merged settings, one 'name: old -> new' per setting."""
    def show(name: str, value: Any) -> str:
        if BY_NAME[name].kind == "size" and isinstance(value, int):
            return memory.format_size(value)
        return _show(value)

    return [f"{name}: {show(name, old.get(name))} -> {show(name, new.get(name))}"
            for name in BY_NAME if old.get(name) != new.get(name)]


def _show(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_show(item) for item in value) + "]"
    if isinstance(value, tuple):
        if len(value) == 2 and isinstance(value[1], int | None) and not isinstance(value[1], bool):
            host, port = value  # an address and its port
            return host if port is None else (f"[{host}]:{port}" if ":" in host else
                                              f"{host}:{port}")
        return " ".join(" ".join(_show(i) for i in item) if isinstance(item, list)
                        else _show(item) for item in value)
    return "unset" if value is None else str(value)


# --------------------------------------------------------------------------------------------
# Documents generated from the table


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    return str(value)


EXAMPLES: dict[str, Any] = {
    "user": "resolver",
    "root-hints": "/usr/share/dns/root.hints",
    "upstream-port": 53,
    "access-control": ["192.0.2.0/24 allow", "198.51.100.0/24 allow_snoop",
                       "203.0.113.0/24 deny"],
    "forward-zone": ["corp.example. 192.0.2.53 192.0.2.54:5300"],
    "stub-zone": ["lab.example. 192.0.2.10"],
    "cache-file": "/var/cache/resolver/cache.txt",
    "local-zone": ["ads.example. always_nxdomain", "home.example. static"],
    "local-data": ["printer.home.example. 3600 IN A 192.0.2.80"],
    "hosts-file": "/etc/hosts",
    "blocklist-file": "/etc/resolver/blocklist.txt",
    "blocklist-address": ["0.0.0.0", "::"],
    "control-socket": "/run/resolver/control.sock",
    "metrics": "127.0.0.1:9153",
    "stats-interval": 3600,
}


def example_config() -> str:
    """A commented TOML config with every setting: defaults set, the rest commented out."""
    lines = ["# resolve serve --config FILE: every setting, its default, an example for the rest.",
             "# Command-line flags override what is set here; `resolve config check FILE`",
             "# validates a file.", ""]
    group = None
    for setting in SETTINGS:
        if setting.group != group:
            group = setting.group
            lines += ["", f"# ---- {group}"]
        unit = f" [{setting.unit}]" if setting.unit else ""
        lines.append(f"# {setting.help}{unit}")
        if setting.default not in (None, []) and setting.default is not False:
            lines.append(f"{setting.name} = {_toml_value(setting.default)}")
        elif setting.name in EXAMPLES:
            lines.append(f"# {setting.name} = {_toml_value(EXAMPLES[setting.name])}")
        else:
            lines.append(f"# {setting.name} = {_toml_value(setting.default or True)}")
    return "\n".join(lines).strip("\n") + "\n"


README_BEGIN = "<!-- settings table: generated by resolver.server.settings.reference_markdown -->"
README_END = "<!-- end of settings table -->"


def reference_markdown() -> str:
    """The README's reference table of the settings."""
    rows = ["| setting (config key, `--flag`) | type | default | unit | what |",
            "|---|---|---|---|---|"]
    for setting in SETTINGS:
        flag = setting.flag if setting.own_flag else shared_flag(setting)
        default = default_text(setting)
        rows.append(f"| `{setting.name}` (`{flag}`) | {setting.kind} | "
                    f"{('`' + default + '`') if default else '—'} | {setting.unit or '—'} | "
                    f"{setting.help.replace('|', '/')} |")
    return "\n".join([README_BEGIN, *rows, README_END])


def shared_flag(setting: Setting) -> str:
    """The command-line spelling of a setting whose flag a shared parser declares."""
    return _SHARED_SPELLINGS.get(setting.name, setting.flag)


_SHARED_SPELLINGS = {"ipv4-only": "-4", "qname-minimisation": "--no-qname-minimisation",
                     "validation": "--no-dnssec"}


def names() -> Sequence[str]:
    return [setting.name for setting in SETTINGS]


# --------------------------------------------------------------------------------------------
# What the merged settings mean to the server and the resolver


def server_config(values: dict[str, Any], config: Any = None) -> Any:
    """A ServerConfig from merged settings (onto `config` when given, else a new one)."""
    from resolver.server.config import ServerConfig

    config = config if config is not None else ServerConfig()
    port = values["port"]
    config.listen = [(host, port if own is None else own) for host, own in values["listen"]]
    config.allow = list(values["allow"])
    config.access_control = list(values["access-control"])
    config.stats_from = list(values["stats-from"])
    config.max_inflight = values["max-inflight"]
    config.answer_cache_bytes = cache_shares(values).replies
    config.stats_interval = values["stats-interval"]
    config.log_queries = values["log-queries"]
    config.log_level = values["log-level"]
    config.log_json = values["log-json"]
    config.default_local_zones = values["default-local-zones"]
    config.local_zones = list(values["local-zone"])
    if values["lab"] and "127.in-addr.arpa." not in {zone for zone, _ in config.local_zones}:
        # The lab's servers live in 127.42/16 and it serves their reverse names.
        config.local_zones.append(("127.in-addr.arpa.", "nodefault"))
    config.local_data = list(values["local-data"])
    config.hosts_file = values["hosts-file"]
    config.blocklist_file = values["blocklist-file"]
    config.blocklist_address = list(values["blocklist-address"])
    config.control_socket = values["control-socket"]
    config.cache_file = values["cache-file"]
    config.metrics = values["metrics"]
    config.user = values["user"]
    config.workers = values["workers"]
    return config


def cache_shares(values: dict[str, Any]) -> memory.ServerShares:
    """One server process's shares of `cache-size`: each worker process (setting `workers`,
    where there is one) keeps caches of its own, so the size is divided among them; a worker's
    Resolver gets at least the smallest cache size."""
    workers = values.get("workers") or 1
    shares = memory.ServerShares.of(values["cache-size"] // workers)
    return memory.ServerShares(shares.replies, max(shares.resolver, memory.MIN_CACHE_SIZE))


def resolver_options(values: dict[str, Any]) -> dict[str, Any]:
    """Keyword arguments of `Resolver(...)` from merged settings."""
    options: dict[str, Any] = {
        "ipv4_only": values["ipv4-only"],
        "cache_size": cache_shares(values).resolver,
        "min_ttl": values["min-ttl"],
        "max_ttl": values["max-ttl"],
        "dnssec": values["validation"],
        "qname_minimisation": values["qname-minimisation"],
        "serve_stale": values["serve-stale"],
        "prefetch": values["prefetch"],
        "use_0x20": values["use-0x20"],
    }
    if values["upstream-port"] is not None:
        options["upstream_port"] = values["upstream-port"]
    if values["trust-anchor"] is not None:
        options["trust_anchors"] = values["trust-anchor"]
    if values["forward-zone"]:
        options["forward_zones"] = zone_table(values["forward-zone"])
    if values["stub-zone"]:
        options["stub_zones"] = zone_table(values["stub-zone"])
    return options


def zone_table(entries: list[tuple[str, list[tuple[str, int | None]]]]) -> dict[str, list[str]]:
    """[(zone, [(addr, port)])] -> {zone: ["addr", "addr:port", "[v6]:port"]}, as
    `Resolver(forward_zones=..., stub_zones=...)` takes them; a zone given twice adds up."""
    table: dict[str, list[str]] = {}
    for zone, servers in entries:
        texts = table.setdefault(zone, [])
        for host, port in servers:
            if port is None:
                texts.append(host)
            else:
                texts.append(f"[{host}]:{port}" if ":" in host else f"{host}:{port}")
    return table


# Settings a running server cannot take on SIGHUP: they need a restart.
RESTART_ONLY = ("listen", "port", "workers", "user", "lab", "root-hints", "upstream-port",
                "ipv4-only", "cache-size", "min-ttl", "max-ttl", "cache-file", "control-socket",
                "metrics", "max-inflight")
