"""Local zones: names the nameserver answers itself, before any resolution.

What is answered locally, as Unbound defines it (unbound.conf(5), local-zone and local-data):
- the RFC 6761 special-use names and RFC 6303 locally served reverse zones (private networks,
  loopback, link-local, documentation prefixes): NXDOMAIN below them, never a query to the root;
  `localhost.` is 127.0.0.1 and ::1, and the loopback addresses' reverse names are `localhost.`;
- `local-zone` entries, each with a type:
  static: local data, else NXDOMAIN / NODATA (with the zone's SOA when it has one);
  refuse: local data, else REFUSED;  deny: local data, else the query is dropped;
  redirect: every name in the zone gets the apex's local data;
  always_nxdomain: NXDOMAIN, local data or not;
  transparent: local data, else resolved as usual (NODATA when the name has other types);
  typetransparent: local data of the asked type, else resolved;
  nodefault: removes a default local zone of that name;
- `local-data` records (a name with data but no zone is a transparent zone of its own);
- a hosts(5) file: A/AAAA for each name, PTR for each address;
- a blocklist file: one domain per line, blocked with its subdomains: NXDOMAIN, or redirected to
  the configured addresses.
"""

from __future__ import annotations

import ipaddress
from collections import Counter
from dataclasses import dataclass, field

from dnslib import QTYPE, RR

from resolver.server.config import ServerConfig, ServerError

LOCAL_TTL = 3600  # TTL of local data written without one, and of hosts and blocklist answers
NOERROR, NXDOMAIN, REFUSED = 0, 3, 5
# RFC 6303 §3: the SOA and NS of a locally served zone.
DEFAULT_SOA = "{zone} 10800 IN SOA localhost. nobody.invalid. 1 3600 1200 604800 10800"
DEFAULT_NS = "{zone} 10800 IN NS localhost."


def _reverse_zones() -> list[str]:
    """RFC 6303 §4 and Unbound's list: reverse zones no public server should be asked about."""
    zones = ["10.in-addr.arpa.", "168.192.in-addr.arpa.", "0.in-addr.arpa.",
             "254.169.in-addr.arpa.", "2.0.192.in-addr.arpa.", "100.51.198.in-addr.arpa.",
             "113.0.203.in-addr.arpa.", "255.255.255.255.in-addr.arpa.",
             "d.f.ip6.arpa.", "8.e.f.ip6.arpa.", "9.e.f.ip6.arpa.", "a.e.f.ip6.arpa.",
             "b.e.f.ip6.arpa.", "8.b.d.0.1.0.0.2.ip6.arpa.", "0." * 32 + "ip6.arpa."]
    zones += [f"{n}.172.in-addr.arpa." for n in range(16, 32)]
    zones += [f"{n}.100.in-addr.arpa." for n in range(64, 128)]  # RFC 6598 shared space
    return zones


LOOPBACK6_REVERSE = "1." + "0." * 31 + "ip6.arpa."
# RFC 6761 §6 and RFC 8375, RFC 7686: special-use names, static.
SPECIAL_USE = ["localhost.", "127.in-addr.arpa.", LOOPBACK6_REVERSE, "test.", "invalid.",
               "onion.", "home.arpa."]
DEFAULT_DATA = [
    "localhost. 10800 IN A 127.0.0.1",
    "localhost. 10800 IN AAAA ::1",
    "1.0.0.127.in-addr.arpa. 10800 IN PTR localhost.",
    f"{LOOPBACK6_REVERSE} 10800 IN PTR localhost.",
]


class LocalDataError(ServerError):
    """Local data, a hosts file or a blocklist file cannot be read; says where and why."""


@dataclass
class LocalAnswer:
    """What to reply from local data: an rcode with records, or `drop` (send nothing)."""

    rcode: int
    answer: list[RR] = field(default_factory=list)
    authority: list[RR] = field(default_factory=list)
    drop: bool = False
    kind: str = "local"  # the zone type, or "blocklist": what the counters count


class LocalZones:
    """The zones and records answered locally; `lookup` is the whole of the query path."""

    def __init__(self) -> None:
        self.zones: dict[str, str] = {}  # zone name (lower case, trailing dot) -> type
        self.data: dict[str, dict[int, list[RR]]] = {}  # owner -> type -> records
        self.blocked: set[str] = set()
        self.block_addresses: list[str] = []
        self.hits: Counter[str] = Counter()  # kind -> answers given
        # The last labels of every zone, owner and blocked name (None: not worked out since the
        # last change), so most names are found to be outside them all with one set test.
        self._tops: frozenset[str] | None = None

    def __len__(self) -> int:
        return len(self.zones) + len(self.data) + len(self.blocked)

    # ---- building -------------------------------------------------------------------------

    def add_zone(self, zone: str, kind: str) -> None:
        self.zones[zone.lower()] = kind
        self._tops = None

    def add_record(self, record: RR) -> None:
        owner = str(record.rname).lower()
        self._tops = None
        records = self.data.setdefault(owner, {}).setdefault(record.rtype, [])
        if all(existing.rdata != record.rdata for existing in records):
            records.append(record)

    def add_text(self, text: str, where: str) -> None:
        """One record in zone-file syntax ("NAME [TTL] [IN] TYPE DATA")."""
        tokens = text.split()
        if len(tokens) > 1 and not tokens[1].isdigit():
            tokens.insert(1, str(LOCAL_TTL))
        try:
            records = RR.fromZone(" ".join(tokens))
        except Exception as error:  # dnslib raises assorted errors on bad text
            raise LocalDataError(f"{where}: bad local-data {text!r}: {error}") from None
        if len(records) != 1:
            raise LocalDataError(f"{where}: local-data {text!r} is not one record")
        self.add_record(records[0])

    # ---- answering ------------------------------------------------------------------------

    def lookup(self, qname: str, qtype: int) -> LocalAnswer | None:
        """The local answer to (qname, qtype), or None: resolve as usual. qname lower case,
        with its trailing dot."""
        tops = self._tops
        if tops is None:
            tops = self._tops = self._top_labels()
        if _top(qname) not in tops and "." not in tops:
            return None  # below no zone, owner or blocked name: most queries
        zone, kind = self._closest_zone(qname)
        if kind is None:
            return None
        if kind == "blocklist":
            return self._blocked(qname, qtype, zone)
        found = self.data.get(qname)
        if kind == "always_nxdomain":
            return self._count(LocalAnswer(NXDOMAIN, authority=self._soa(zone)), kind)
        if kind == "redirect":
            found = self.data.get(zone)
            if found is None:
                return self._count(LocalAnswer(NXDOMAIN, authority=self._soa(zone)), kind)
            return self._count(self._from(found, qname, qtype, zone), kind)
        if found is not None:
            if kind == "typetransparent" and qtype not in found and QTYPE.CNAME not in found:
                return None
            return self._count(self._from(found, qname, qtype, zone), kind)
        if kind in ("transparent", "typetransparent"):
            return None
        if kind == "refuse":
            return self._count(LocalAnswer(REFUSED), kind)
        if kind == "deny":
            return self._count(LocalAnswer(REFUSED, drop=True), kind)
        # static: NODATA for a name with data below it (an empty non-terminal), else NXDOMAIN
        suffix = "." + qname
        exists = any(owner.endswith(suffix) for owner in self.data if owner != qname)
        return self._count(
            LocalAnswer(NOERROR if exists else NXDOMAIN, authority=self._soa(zone)), kind
        )

    def _top_labels(self) -> frozenset[str]:
        """`_top` of every name `_closest_zone` may find ("." when the root is one of them)."""
        return frozenset(_top(name) for names in (self.zones, self.data, self.blocked)
                         for name in names)

    def _closest_zone(self, qname: str) -> tuple[str, str | None]:
        name, data_owner = qname, None
        while True:
            if name in self.blocked:
                return name, "blocklist"
            kind = self.zones.get(name)
            if kind is not None:
                return name, kind
            if data_owner is None and name in self.data:
                data_owner = name
            if name == ".":
                break
            name = name.split(".", 1)[1] or "."
        # Local data outside every zone is a transparent zone of its own (as in Unbound).
        return (data_owner, "transparent") if data_owner is not None else (".", None)

    def _from(self, found: dict[int, list[RR]], qname: str, qtype: int, zone: str) -> LocalAnswer:
        records = found.get(qtype) or found.get(QTYPE.CNAME) or []
        if not records:
            return LocalAnswer(NOERROR, authority=self._soa(zone))
        return LocalAnswer(NOERROR, answer=[_renamed(record, qname) for record in records])

    def _soa(self, zone: str) -> list[RR]:
        return list(self.data.get(zone, {}).get(QTYPE.SOA, []))

    def _blocked(self, qname: str, qtype: int, zone: str) -> LocalAnswer:
        answer = LocalAnswer(NXDOMAIN, kind="blocklist")
        if self.block_addresses:
            answer.rcode = NOERROR
            for text in self.block_addresses:
                version = ipaddress.ip_address(text).version
                if (version, qtype) in ((4, QTYPE.A), (6, QTYPE.AAAA)):
                    rtype = "A" if version == 4 else "AAAA"
                    answer.answer.append(RR.fromZone(f"{qname} {LOCAL_TTL} IN {rtype} {text}")[0])
        return self._count(answer, "blocklist")

    def _count(self, answer: LocalAnswer, kind: str) -> LocalAnswer:
        answer.kind = kind
        self.hits[kind] += 1
        return answer


def _top(name: str) -> str:
    """The text after a name's last inner dot ("com." of "www.example.com.", "." of "."):
    every suffix `_closest_zone` tries but the root has the same `_top` as the name."""
    return name[name.rfind(".", 0, -1) + 1 :]


def _renamed(record: RR, qname: str) -> RR:
    if str(record.rname).lower() == qname:
        return record
    return RR(qname, record.rtype, record.rclass, record.ttl, record.rdata)


# ---- from the configuration -----------------------------------------------------------------


def build(config: ServerConfig) -> LocalZones:
    """The local zones a configuration asks for; LocalDataError names what is wrong."""
    local = LocalZones()
    removed = {zone for zone, kind in config.local_zones if kind == "nodefault"}
    if config.default_local_zones:
        for zone in [*SPECIAL_USE, *_reverse_zones()]:
            if zone in removed:
                continue
            local.add_zone(zone, "static")
            local.add_text(DEFAULT_SOA.format(zone=zone), "default local zone")
            local.add_text(DEFAULT_NS.format(zone=zone), "default local zone")
        for text in DEFAULT_DATA:
            owner = text.split()[0]
            if not any(owner == zone or owner.endswith("." + zone) for zone in removed):
                local.add_text(text, "default local data")
    for zone, kind in config.local_zones:
        if kind == "nodefault":
            local.zones.pop(zone, None)
        else:
            local.add_zone(zone, kind)
    for number, text in enumerate(config.local_data, 1):
        local.add_text(text, f"local-data #{number}")
    if config.hosts_file:
        _read_hosts(local, config.hosts_file)
    if config.blocklist_file:
        local.blocked = read_blocklist(config.blocklist_file)
        local._tops = None
        local.block_addresses = list(config.blocklist_address)
    return local


def _lines(path: str) -> list[str]:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read().splitlines()
    except OSError as error:
        raise LocalDataError(f"{path}: cannot read: {error.strerror or error}") from None


def _read_hosts(local: LocalZones, path: str) -> None:
    """hosts(5): "ADDRESS NAME [ALIAS...]"; '#' starts a comment."""
    for number, line in enumerate(_lines(path), 1):
        fields = line.split("#", 1)[0].split()
        if not fields:
            continue
        try:
            address = ipaddress.ip_address(fields[0].split("%", 1)[0])
        except ValueError:
            raise LocalDataError(f"{path}:{number}: not an IP address: {fields[0]!r}") from None
        if len(fields) < 2:
            raise LocalDataError(f"{path}:{number}: an address without a name")
        rtype = "A" if address.version == 4 else "AAAA"
        for index, name in enumerate(fields[1:]):
            owner = name.lower().rstrip(".") + "."
            local.add_text(f"{owner} {LOCAL_TTL} IN {rtype} {address}", f"{path}:{number}")
            if index == 0:
                local.add_text(f"{address.reverse_pointer}. {LOCAL_TTL} IN PTR {owner}",
                               f"{path}:{number}")


def read_blocklist(path: str) -> set[str]:
    """One domain per line ('#' comments; a hosts-style "0.0.0.0 name" line works too)."""
    blocked = set()
    for number, line in enumerate(_lines(path), 1):
        fields = line.split("#", 1)[0].split()
        if not fields:
            continue
        name = fields[-1].lower().rstrip(".")
        labels = name.split(".")
        if not name or any(not label or len(label) > 63 for label in labels) or len(name) > 253:
            raise LocalDataError(f"{path}:{number}: not a domain name: {fields[-1]!r}")
        blocked.add(name + ".")
    return blocked
