"""Signing the lab's zones: keys, DNSKEY and DS records, RRSIGs, NSEC or NSEC3 chains.

What dnssec-signzone or ldns-signzone do to a zone file, done in memory when the lab starts:
each zone in `SIGNING` gets a KSK and a ZSK (derived from the lab's seed, so a run can be
reproduced), the DNSKEY RRset at its apex, a DS in its parent, an RRSIG over every
authoritative RRset, and an NSEC or NSEC3 chain (with opt-out where the plan says). Bogus
zones are signed wrongly on purpose, one fault each. Zones not in the plan stay unsigned:
the parent's NSEC/NSEC3 proves their delegation insecure.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum

from dnslib import QTYPE, RR, DNSLabel
from dnslib.dns import RD

from resolver.dnssec.algorithms import ECDSAP256SHA256, ED25519
from resolver.dnssec.digest import make_ds
from resolver.dnssec.nsec3 import b32hex, nsec3_hash
from resolver.lab.signer import KSK_FLAGS, ZSK_FLAGS, SigningKey, generate_key, sign_rrset
from resolver.records import DNSKEY, DS, NSEC, NSEC3, NSEC3PARAM, Name
from resolver.records.rrset import rrsets_from_dnslib

from .zone import Key, Zone, is_subdomain

DNSKEY_TTL = 3600
DAY = 86400
VALIDITY = 30 * DAY  # signatures valid from an hour before the lab starts to 30 days after
RRSIG_TYPE, NSEC_TYPE, NSEC3_TYPE, NSEC3PARAM_TYPE = 46, 47, 50, 51


_RRsets = dict[Key, dict[int, tuple[RR, ...]]]


class Denial(Enum):
    NSEC = "nsec"
    NSEC3 = "nsec3"
    NSEC3_OPT_OUT = "nsec3-opt-out"


class Fault(Enum):
    """How a bogus zone is broken."""

    CORRUPT_SIGNATURE = "corrupt-signature"  # one bit of every data RRSIG flipped
    EXPIRED = "expired"  # every signature expired a day before the lab started
    DS_MISMATCH = "ds-mismatch"  # the parent's DS is the digest of a key the zone never had
    DS_FOR_UNSIGNED = "ds-for-unsigned"  # the parent has a DS; the zone is not signed at all
    # Not bogus: the parent's DS names a private algorithm (253, RFC 4034 A.1), which no
    # validator implements, so the zone is insecure (RFC 4035 §5.2).
    PRIVATE_ALGORITHM_DS = "private-algorithm-ds"


@dataclass(frozen=True)
class ZonePlan:
    algorithm: int
    denial: Denial = Denial.NSEC
    fault: Fault | None = None
    nsec3_iterations: int = 0  # RFC 9276 §3.1: 0 extra iterations, no salt
    nsec3_salt: bytes = b""


_ECDSA, _ED = ECDSAP256SHA256, ED25519
# Which zones are signed, how; others stay unsigned (insecure delegations).
SIGNING: dict[str, ZonePlan] = {
    ".": ZonePlan(_ECDSA),
    "edu.": ZonePlan(_ECDSA),
    "cornell.edu.": ZonePlan(_ED),
    "cs.cornell.edu.": ZonePlan(_ED),
    "com.": ZonePlan(_ECDSA),
    "example.com.": ZonePlan(_ED),
    "net.": ZonePlan(_ECDSA, Denial.NSEC3),
    "example.net.": ZonePlan(_ED, Denial.NSEC3, nsec3_iterations=5, nsec3_salt=b"\xab\xcd"),
    "org.": ZonePlan(_ECDSA, Denial.NSEC3_OPT_OUT),
    "example.org.": ZonePlan(_ED, Denial.NSEC3),
    "badsig.com.": ZonePlan(_ED, fault=Fault.CORRUPT_SIGNATURE),
    "expired.com.": ZonePlan(_ED, fault=Fault.EXPIRED),
    "wrongds.com.": ZonePlan(_ED, fault=Fault.DS_MISMATCH),
    "ghostds.com.": ZonePlan(_ED, fault=Fault.DS_FOR_UNSIGNED),
    "privalg.com.": ZonePlan(_ED, fault=Fault.PRIVATE_ALGORITHM_DS),
}
PRIVATE_ALGORITHM = 253


@dataclass
class ZoneSignatures:
    """What a signed zone adds to the data an authoritative server answers from."""

    denial: Denial
    ksk: SigningKey
    zsk: SigningKey
    # (owner key, covered type) -> the RRSIG RRs, owner as stored (a wildcard stays "*")
    rrsigs: dict[tuple[Key, int], tuple[RR, ...]] = field(default_factory=dict)
    # NSEC: (canonical sort key, owner key) in canonical order; NSEC3: (hash, owner key)
    nsec_chain: list[tuple[tuple[bytes, ...], Key]] = field(default_factory=list)
    nsec3_chain: list[tuple[bytes, Key]] = field(default_factory=list)
    nsec3_records: dict[Key, tuple[RR, ...]] = field(default_factory=dict)
    nsec3_salt: bytes = b""
    nsec3_iterations: int = 0

    def sigs(self, key: Key, rtype: int) -> tuple[RR, ...]:
        return self.rrsigs.get((key, rtype), ())

    # ---- NSEC

    def nsec_covering(self, key: Key) -> Key:
        """The owner of the NSEC that covers (or matches) `key`: the last owner <= key."""
        order = _sort_key(key)
        owner = self.nsec_chain[-1][1]  # before the first name: the last NSEC wraps around
        for entry_order, entry_key in self.nsec_chain:
            if entry_order > order:
                break
            owner = entry_key
        return owner

    # ---- NSEC3

    def nsec3_hash(self, key: Key) -> bytes:
        return nsec3_hash(_name(key), self.nsec3_salt, self.nsec3_iterations)

    def nsec3_owner(self, key: Key, cover: bool) -> Key | None:
        """The NSEC3 owner matching `key` (cover=False) or covering its hash (cover=True)."""
        digest = self.nsec3_hash(key)
        if not cover:
            return next((owner for h, owner in self.nsec3_chain if h == digest), None)
        owner = self.nsec3_chain[-1][1]
        for entry_hash, entry_owner in self.nsec3_chain:
            if entry_hash >= digest:
                break
            owner = entry_owner
        return owner


@dataclass
class SignedLab:
    """Every zone after signing, the keys, and the root's DS (the lab's trust anchor)."""

    zones: dict[str, Zone]
    root_ds: tuple[DS, ...]
    root_dnskeys: tuple[DNSKEY, ...]

    def zone_text(self, origin: str) -> str:
        """The zone as a signed master file (what dnssec-signzone writes): every RRset, its
        RRSIGs, the NSEC or NSEC3 chain; for NSD, or any other server, to load."""
        zone = self.zones[origin]
        records: list[RR] = [rr for rrset in zone.rrsets.values() for rr in
                             (r for records in rrset.values() for r in records)]  # fmt: skip
        signed: ZoneSignatures | None = zone.dnssec
        if signed is not None:
            records += [rr for sigs in signed.rrsigs.values() for rr in sigs]
            records += [rr for chain in signed.nsec3_records.values() for rr in chain]
        lines = [f"; {origin} as the resolver lab signed it"]
        for rrset in rrsets_from_dnslib(records):
            lines.extend(rrset.to_text().splitlines())
        return "\n".join(lines) + "\n"

    def trust_anchor_text(self) -> str:
        """The root trust anchor in Unbound's trust-anchor-file format (DS records)."""
        lines = ["; Trust anchor of the resolver lab's root zone (generated at lab start)"]
        lines += [f".\t{DNSKEY_TTL}\tIN\tDS\t{ds.to_text()}" for ds in self.root_ds]
        return "\n".join(lines) + "\n"


def sign_zones(
    zones: Mapping[str, Zone], now: int, seed: bytes, plans: Mapping[str, ZonePlan] = SIGNING
) -> SignedLab:
    """Sign every zone that has a plan, children before parents so each parent gets its
    children's DS; zone names are the keys of `zones` (the lab's own block)."""
    keys: dict[str, tuple[SigningKey, SigningKey]] = {}
    for origin, plan in plans.items():
        if origin in zones:
            zone_name = Name.from_text(origin)
            keys[origin] = (
                generate_key(zone_name, plan.algorithm, KSK_FLAGS, seed=seed),
                generate_key(zone_name, plan.algorithm, ZSK_FLAGS, seed=seed),
            )
    ds_at: dict[str, list[DS]] = {}
    for origin, (ksk, _) in keys.items():
        if plans[origin].fault is Fault.DS_MISMATCH:
            algorithm = plans[origin].algorithm
            ksk = generate_key(Name.from_text(origin), algorithm, KSK_FLAGS, seed=seed + b"?")
        ds = make_ds(Name.from_text(origin), ksk.dnskey)
        if plans[origin].fault is Fault.PRIVATE_ALGORITHM_DS:
            ds = dataclasses.replace(ds, algorithm=PRIVATE_ALGORITHM)
        ds_at[origin] = [ds]
    out: dict[str, Zone] = dict(zones)
    for origin in sorted(zones, key=lambda o: -len(zones[o].origin_key)):
        zone = zones[origin]
        children = {
            other.origin_key: ds_at[name]
            for name, other in zones.items()
            if name in ds_at and other.origin_key in zone.cuts
        }
        zone_plan = plans.get(origin)
        if zone_plan is None or zone_plan.fault is Fault.DS_FOR_UNSIGNED:
            out[origin] = _with_ds(zone, children) if children else zone
            continue
        out[origin] = _sign(zone, zone_plan, *keys[origin], children, now)
    root_keys = keys.get(".")
    return SignedLab(
        out, tuple(ds_at.get(".", ())), (root_keys[0].dnskey,) if root_keys else ()
    )


# ------------------------------------------------------------------------------ internals


def _name(key: Key) -> Name:
    return Name(key)


def _sort_key(key: Key) -> tuple[bytes, ...]:
    return tuple(reversed(key))


def _rr(key_or_label: Key | DNSLabel, rtype: int, ttl: int, data: bytes) -> RR:
    label = key_or_label if isinstance(key_or_label, DNSLabel) else DNSLabel(list(key_or_label))
    return RR(label, rtype, 1, ttl, RD(data))


def _with_ds(zone: Zone, children: Mapping[Key, list[DS]]) -> Zone:
    rrsets = {k: dict(v) for k, v in zone.rrsets.items()}
    for cut, ds_list in children.items():
        ttl = rrsets[cut][QTYPE.NS][0].ttl
        rrsets[cut][QTYPE.DS] = tuple(_rr(cut, QTYPE.DS, ttl, ds.to_wire()) for ds in ds_list)
    return dataclasses.replace(zone, rrsets=rrsets)


def _bitmap(types: Iterable[int]) -> tuple[tuple[int, bytes], ...]:
    windows: dict[int, bytearray] = {}
    for rtype in sorted(set(types)):
        window, low = divmod(rtype, 256)
        bitmap = windows.setdefault(window, bytearray())
        while len(bitmap) <= low // 8:
            bitmap.append(0)
        bitmap[low // 8] |= 0x80 >> (low % 8)
    return tuple((w, bytes(b)) for w, b in sorted(windows.items()))


def _sign(
    zone: Zone, plan: ZonePlan, ksk: SigningKey, zsk: SigningKey,
    children: Mapping[Key, list[DS]], now: int,
) -> Zone:
    zone = _with_ds(zone, children)
    apex = zone.origin_key
    rrsets = {k: dict(v) for k, v in zone.rrsets.items()}
    rrsets[apex][QTYPE.DNSKEY] = tuple(
        _rr(apex, QTYPE.DNSKEY, DNSKEY_TTL, key.dnskey.to_wire()) for key in (ksk, zsk)
    )
    negative_ttl = zone.negative_soa.ttl
    authoritative = [
        key for key in rrsets
        if is_subdomain(key, apex) and not _below_cut(key, zone)
    ]  # fmt: skip
    signed = ZoneSignatures(plan.denial, ksk, zsk)
    if plan.denial is Denial.NSEC:
        _nsec_chain(rrsets, authoritative, zone, negative_ttl, signed)
    else:
        _nsec3_chain(rrsets, authoritative, zone, plan, negative_ttl, signed)
    inception, expiration = now - 3600, now + VALIDITY
    if plan.fault is Fault.EXPIRED:
        inception, expiration = now - VALIDITY, now - DAY
    for key in authoritative:
        for rtype, records in rrsets[key].items():
            if key in zone.cuts and rtype not in (QTYPE.DS, NSEC_TYPE):
                continue  # the delegation NS set and glue are not signed (RFC 4035 §2.2)
            signer = ksk if rtype == QTYPE.DNSKEY else zsk
            signed.rrsigs[(key, rtype)] = (
                _signature(records, signer, inception, expiration, plan, rtype),
            )
    for owner, records in signed.nsec3_records.items():
        signed.rrsigs[(owner, NSEC3_TYPE)] = (
            _signature(records, zsk, inception, expiration, plan, NSEC3_TYPE),
        )
    return dataclasses.replace(zone, rrsets=rrsets, dnssec=signed)


def _signature(
    records: tuple[RR, ...], key: SigningKey, inception: int, expiration: int, plan: ZonePlan,
    rtype: int,
) -> RR:
    rrset = rrsets_from_dnslib(records)[0]
    sig = sign_rrset(rrset, key, inception, expiration)
    if plan.fault is Fault.CORRUPT_SIGNATURE and rtype != QTYPE.DNSKEY:
        flipped = bytearray(sig.signature)
        flipped[0] ^= 0x01
        sig = dataclasses.replace(sig, signature=bytes(flipped))
    return _rr(records[0].rname, RRSIG_TYPE, rrset.ttl, sig.to_wire())


def _below_cut(key: Key, zone: Zone) -> bool:
    cut = zone.cut_covering(key)
    return cut is not None and cut != key


def _nsec_chain(
    rrsets: _RRsets, authoritative: list[Key], zone: Zone, ttl: int, signed: ZoneSignatures
) -> None:
    owners = sorted(authoritative, key=_sort_key)
    signed.nsec_chain = [(_sort_key(key), key) for key in owners]
    for index, key in enumerate(owners):
        following = owners[(index + 1) % len(owners)]
        types = set(rrsets[key])
        if key in zone.cuts:
            types &= {QTYPE.NS, QTYPE.DS}  # addresses at a cut are glue, not the zone's data
        types |= {NSEC_TYPE, RRSIG_TYPE}  # the NSEC itself is signed, even at a cut
        rdata = NSEC(_name(following), _bitmap(types))
        rrsets[key][NSEC_TYPE] = (_rr(key, NSEC_TYPE, ttl, rdata.to_wire()),)


def _nsec3_chain(
    rrsets: _RRsets, authoritative: list[Key], zone: Zone, plan: ZonePlan, ttl: int,
    signed: ZoneSignatures,
) -> None:
    apex = zone.origin_key
    opt_out = plan.denial is Denial.NSEC3_OPT_OUT
    signed.nsec3_salt, signed.nsec3_iterations = plan.nsec3_salt, plan.nsec3_iterations
    rrsets[apex][NSEC3PARAM_TYPE] = (
        _rr(apex, NSEC3PARAM_TYPE, 0, NSEC3PARAM(1, 0, plan.nsec3_iterations,
                                                 plan.nsec3_salt).to_wire()),
    )  # fmt: skip
    names: dict[Key, set[int]] = {}
    for key in authoritative:
        unsigned_cut = key in zone.cuts and QTYPE.DS not in rrsets[key]
        if opt_out and unsigned_cut:
            continue  # RFC 5155 §6: opt-out leaves unsigned delegations out of the chain
        types = set(rrsets[key])
        if key in zone.cuts:
            types &= {QTYPE.NS, QTYPE.DS}
        if not unsigned_cut:
            types.add(RRSIG_TYPE)
        names[key] = types
        for start in range(1, len(key) - len(apex)):
            names.setdefault(key[start:], set())  # empty non-terminals get NSEC3s too
    hashed = sorted(
        (nsec3_hash(_name(k), plan.nsec3_salt, plan.nsec3_iterations), k) for k in names
    )
    signed.nsec3_chain = [(digest, (b32hex(digest).encode(), *apex)) for digest, _ in hashed]
    for index, (digest, key) in enumerate(hashed):
        following = hashed[(index + 1) % len(hashed)][0]
        rdata = NSEC3(
            1, 1 if opt_out else 0, plan.nsec3_iterations, plan.nsec3_salt, following,
            _bitmap(names[key]),
        )
        owner = (b32hex(digest).encode(), *apex)
        signed.nsec3_records[owner] = (_rr(owner, NSEC3_TYPE, ttl, rdata.to_wire()),)
