"""The lab internet: every host of a topology, serving its zones on its own loopback address."""

from __future__ import annotations

import functools
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections import Counter, deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TextIO

from dnslib import QTYPE, RR

from .authority import Authority, read_question
from .faults import Fault, FaultState, Reply, reply_to
from .network import LabNetwork
from .scenarios import SCENARIOS, Scenario
from .signing import SignedLab, sign_zones
from .topology import DEFAULT_NETWORK, DEFAULT_TOPOLOGY, ZONES_DIR, AddressMap, HostSpec, zone_file
from .zone import Zone, ZoneError, key_to_text, load_zone, name_key

MAX_QUERY_LOG = 100_000  # entries kept for inspection; counts stay exact beyond it
HINTS_TTL = 3600000  # the TTL IANA's named.root uses
DNSSEC_SEED = b"resolver-lab"  # the default seed of the lab's keys: same keys every run
SIGNING_PERIOD = 86400  # signing time rounds down to the day, so labs of a day share signatures


@dataclass
class LabHost:
    """A running lab host. `fault` is the fault in force now (None: healthy)."""

    name: str
    address: str
    zones: list[str]
    fault: Fault | None = None


@dataclass(frozen=True)
class QueryLogEntry:
    """One query a host received; qname is lower-case ("" if the question was unreadable)."""

    host: str
    qname: str
    qtype: int
    protocol: str


@dataclass
class _Runtime:
    host: LabHost
    engine: Authority
    state: FaultState = field(repr=False)


class Lab:
    """The offline internet. Use as a context manager, or call start() and stop()."""

    def __init__(
        self,
        network: str = DEFAULT_NETWORK,
        port: int | None = None,
        topology: Iterable[HostSpec] | None = None,
        faults: Mapping[str, Fault | None] | None = None,
        zones_dir: str | Path | None = None,
        dnssec: bool = True,
        dnssec_seed: bytes = DNSSEC_SEED,
        dnssec_now: int | None = None,
    ) -> None:
        self._map = AddressMap(network)
        self.network = str(self._map.network)
        self.requested_port = port
        self.port: int | None = None  # set by start()
        self.hints_path: str | None = None  # set by start()
        zones_dir = Path(zones_dir) if zones_dir is not None else ZONES_DIR
        specs = list(topology if topology is not None else DEFAULT_TOPOLOGY)
        overrides = dict(faults or {})
        self._specs = {spec.name.lower(): spec for spec in specs}
        unknown = set(overrides) - set(self._specs)
        if unknown:
            raise KeyError(f"faults for hosts not in the topology: {sorted(unknown)}")
        zones = {
            origin: self._load(origin, zones_dir)
            for spec in specs
            for origin in spec.zones
        }
        # Signed when the lab starts, with keys derived from the seed (signing.py, SIGNING).
        self.signed: SignedLab | None = None
        self.trust_anchor_path: str | None = None  # set by start() when the lab is signed
        if dnssec:
            now = int(time.time()) // SIGNING_PERIOD * SIGNING_PERIOD if dnssec_now is None \
                else dnssec_now
            self.signed = _signed_cached(
                tuple((origin, zones[origin]) for origin in sorted(zones)), dnssec_seed, now
            )
            zones = dict(self.signed.zones)
        self._default_faults = {
            spec.name.lower(): overrides.get(spec.name.lower(), spec.fault) for spec in specs
        }
        self._runtimes: dict[str, _Runtime] = {}
        for spec in specs:
            moved = self._map.host(spec)
            fault = self._default_faults[spec.name.lower()]
            host = LabHost(moved.name, moved.address, list(moved.zones), fault)
            engine = Authority(zones[origin] for origin in spec.zones)
            self._runtimes[spec.name.lower()] = _Runtime(host, engine, FaultState(fault))
        self.hosts: dict[str, LabHost] = {r.host.name: r.host for r in self._runtimes.values()}
        root = zones.get(".")
        if root is None and zone_file(".", zones_dir).exists():
            # A lab of a few hosts (no root server among them) still knows the root NS set:
            # its hints, and what a lame host in an "upward" mode refers to.
            root = self._load(".", zones_dir)
        self._upward: tuple[RR, ...] = _root_referral(root) if root else ()
        self._root_hints = root
        self._lock = threading.Lock()
        self._log: deque[QueryLogEntry] = deque(maxlen=MAX_QUERY_LOG)
        self._counts: Counter[str] = Counter()
        self._network: LabNetwork | None = None
        self._tempdir: str | None = None

    def _load(self, origin: str, zones_dir: Path) -> Zone:
        path = zone_file(origin, zones_dir)
        zone = _load_cached(str(path), _mtime(path), str(self._map.network))
        expected = self._map.text_name(origin).lower()
        if zone.origin != expected:
            raise ZoneError(f"{path}: holds zone {zone.origin}, the topology expects {expected}")
        return zone

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> Lab:
        if self._network is not None:
            return self
        handlers = [(r.host.address, self._handler(r)) for r in self._runtimes.values()]
        network = LabNetwork(handlers, self.requested_port)
        self.port = network.start()
        self._network = network
        self._tempdir = tempfile.mkdtemp(prefix="resolver-lab-")
        hints = Path(self._tempdir) / "root.hints"
        hints.write_text(self.root_hints_text(), encoding="ascii")
        self.hints_path = str(hints)
        if self.signed is not None and self.signed.root_ds:
            anchor = Path(self._tempdir) / "root.key"
            anchor.write_text(self.signed.trust_anchor_text(), encoding="ascii")
            self.trust_anchor_path = str(anchor)
        return self

    def stop(self) -> None:
        if self._network is not None:
            self._network.stop()
            self._network = None
        if self._tempdir is not None:
            shutil.rmtree(self._tempdir, ignore_errors=True)
            self._tempdir = None

    def __enter__(self) -> Lab:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._network is not None

    @property
    def errors(self) -> list[str]:
        """Tracebacks of bugs hit while answering (each cost one reply); empty when healthy."""
        return list(self._network.errors) if self._network else []

    # ------------------------------------------------------------------ faults and counters

    def set_fault(self, host_name: str, fault: Fault | None) -> None:
        """Change a host's fault now; takes effect from the next query it receives."""
        runtime = self._runtime(host_name)
        with self._lock:
            runtime.host.fault = fault
            runtime.state = FaultState(fault)

    def reset_faults(self) -> None:
        """Put every host back to the fault the topology (or the constructor) gave it."""
        for name, fault in self._default_faults.items():
            self.set_fault(name, fault)

    def query_count(self, host_name: str | None = None) -> int:
        with self._lock:
            if host_name is None:
                return sum(self._counts.values())
            return self._counts[self._runtime(host_name).host.name]

    @property
    def query_log(self) -> list[QueryLogEntry]:
        with self._lock:
            return list(self._log)

    def reset_counters(self) -> None:
        with self._lock:
            self._log.clear()
            self._counts.clear()

    # ------------------------------------------------------------------ what others need

    def resolver_options(self) -> dict:
        """Everything a resolver needs to use this lab instead of the internet."""
        self._require_started()
        return {
            "root_hints": self.hints_path,
            "upstream_port": self.port,
            "allowed_networks": [self.network],
            **({"trust_anchors": self.trust_anchor_path} if self.trust_anchor_path else {}),
        }

    def scenario(self, name: str) -> Scenario:
        """SCENARIOS[name] with its qname moved into this lab's block."""
        scenario = SCENARIOS[name]
        return replace(scenario, qname=self._map.text_name(scenario.qname))

    def respond(self, address: str, wire: bytes, protocol: str = "udp") -> Reply | None:
        """What the host at `address` sends back for `wire`, with no sockets: faults apply and
        the query is counted, as on the network. Lets a simulation with a fake clock use the
        lab's hosts. None when no lab host has that address (packets to it vanish)."""
        runtime = next((r for r in self._runtimes.values() if r.host.address == address), None)
        return None if runtime is None else self._handler(runtime)(wire, protocol)

    def address_of(self, host_name: str) -> str:
        return self._runtime(host_name).host.address

    def root_hints_text(self) -> str:
        """named.root-format hints for this lab's root servers (from its root zone)."""
        lines = [
            f"; Root hints for the resolver lab on {self.network}"
            + (f", port {self.port}" if self.port is not None else ""),
            "; Generated from the lab's root zone; the port is not part of this format.",
        ]
        for rr in self._upward:
            rtype = QTYPE.get(rr.rtype)
            data = str(rr.rdata)
            lines.append(f"{str(rr.rname):<24} {HINTS_TTL:<10} {rtype:<5} {data}")
        return "\n".join(lines) + "\n"

    def describe(self) -> str:
        """A table of hosts for people: name, address, zones, fault."""
        rows = [f"lab network {self.network}, port {self.port}, root hints {self.hints_path}"]
        width = max(len(host.name) for host in self.hosts.values())
        for host in self.hosts.values():
            fault = f"  [{host.fault.describe()}]" if host.fault else ""
            zones = " ".join(host.zones)
            rows.append(f"  {host.name:<{width}}  {host.address:<15}  {zones}{fault}")
        return "\n".join(rows)

    # ------------------------------------------------------------------ internals

    def _runtime(self, host_name: str) -> _Runtime:
        key = host_name.lower()
        if not key.endswith("."):
            key += "."
        try:
            return self._runtimes[key]
        except KeyError:
            raise KeyError(f"no lab host named {host_name!r}") from None

    def _require_started(self) -> None:
        if self._network is None:
            raise RuntimeError("the lab is not running: call start() or use it in a with block")

    def _handler(self, runtime: _Runtime):
        name = runtime.host.name

        def handle(wire: bytes, protocol: str) -> Reply:
            parsed = read_question(wire)
            qname = key_to_text(tuple(x.lower() for x in parsed[0])) if parsed else ""
            entry = QueryLogEntry(name, qname, parsed[1] if parsed else 0, protocol)
            with self._lock:
                self._log.append(entry)
                self._counts[name] += 1
                state = runtime.state
            return reply_to(runtime.engine, state, wire, protocol, self._upward)

        return handle


def _root_referral(root: Zone) -> tuple[RR, ...]:
    """The root NS set and its servers' addresses: the hints, and a lame host's upward referral."""
    ns = root.rrsets[root.origin_key][QTYPE.NS]
    records: list[RR] = list(ns)
    for rr in ns:
        types = root.rrsets.get(name_key(rr.rdata.label), {})
        for rtype in (QTYPE.A, QTYPE.AAAA):
            records.extend(types.get(rtype, ()))
    return tuple(records)


def _mtime(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError as exc:
        raise ZoneError(f"{path}: cannot read zone file: {exc}") from None


@functools.lru_cache(maxsize=256)
def _load_cached(path: str, mtime_ns: int, network: str) -> Zone:
    """Zones are immutable once built; tests start many labs from the same files."""
    return load_zone(path, remap=AddressMap(network).record)


_SIGNED: dict[tuple, tuple[SignedLab, tuple[Zone, ...]]] = {}
_SIGNED_KEEP = 8


def _signed_cached(zones: tuple[tuple[str, Zone], ...], seed: bytes, now: int) -> SignedLab:
    """Signing costs a few hundred signatures; tests start many labs from the same zones
    (the zone objects are shared through _load_cached, so their identity is the key)."""
    key = (tuple((origin, id(zone)) for origin, zone in zones), seed, now)
    found = _SIGNED.get(key)
    if found is None:
        if len(_SIGNED) >= _SIGNED_KEEP:
            _SIGNED.pop(next(iter(_SIGNED)))
        found = (sign_zones(dict(zones), now, seed), tuple(zone for _, zone in zones))
        _SIGNED[key] = found
    return found[0]


def run_lab_forever(
    network: str = DEFAULT_NETWORK, port: int | None = None, out: TextIO = sys.stdout
) -> None:
    """Serve the default lab until SIGINT or SIGTERM (the `resolve lab` command)."""
    stop = threading.Event()
    handlers = {}
    for signum in (signal.SIGINT, signal.SIGTERM):
        handlers[signum] = signal.signal(signum, lambda *_: stop.set())
    try:
        with Lab(network=network, port=port) as lab:
            print(lab.describe(), file=out)
            if lab.trust_anchor_path is not None:
                print(f"zones signed; trust anchor (the root's DS): {lab.trust_anchor_path}",
                      file=out)  # fmt: skip
            print(
                f"resolve with: --root-hints {lab.hints_path} --upstream-port {lab.port}"
                + (f" --trust-anchor {lab.trust_anchor_path}" if lab.trust_anchor_path else "")
                + "; Ctrl-C stops the lab",
                file=out,
            )
            out.flush()
            while not stop.wait(1.0):  # short waits keep the main thread responsive to signals
                pass
        print("lab stopped", file=out)
        out.flush()
    finally:
        for signum, previous in handlers.items():
            signal.signal(signum, previous)
