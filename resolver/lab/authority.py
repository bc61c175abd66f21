"""The authoritative server engine: query bytes in, response bytes out, no I/O.

Answers follow RFC 1034 §4.3.2 with wildcards per RFC 4592, and copy NSD 4.6 wherever the RFCs
leave a choice, because the resolver will be judged against real authoritative servers
(tests/interop/test_lab_vs_nsd.py compares the two query by query):

- a positive answer carries the zone's NS set in authority and the servers' addresses in
  additional, both dropped silently when they do not fit (they are optional);
- negative answers carry the SOA with TTL min(SOA TTL, MINIMUM) (RFC 2308 §3);
- CNAMEs are followed through every zone this server serves; the chain stops at a repeat;
- a referral (AA=0) carries the cut's NS set and any addresses the parent zone holds for them;
- ANY returns the first RRset at the name in zone-file order (RFC 8482 §4.1 allows one set);
- over UDP, a response that does not fit the client's size loses the RRset that did not fit and
  everything after it, and gets TC=1 (so a single large RRset leaves header + question);
- malformed queries get FORMERR (header only) or no reply when not even a query header is there.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import IntEnum

from dnslib import QTYPE, RR, DNSLabel
from dnslib.label import DNSBuffer

from .zone import Key, Zone, is_subdomain, name_key

# Header flag bits (RFC 1035 §4.1.1, RFC 4035 §3.2 for AD).
QR = 0x8000
AA = 0x0400
TC = 0x0200
RD = 0x0100
AD = 0x0020

OPCODE_QUERY = 0
OPCODE_NOTIFY = 4

NOERROR, FORMERR, SERVFAIL, NXDOMAIN, NOTIMP, REFUSED = 0, 1, 2, 3, 4, 5
NOTAUTH = 9
BADVERS = 16  # an extended RCODE: the upper 8 bits travel in the OPT record (RFC 6891 §6.1.3)

CLASS_IN, CLASS_CH, CLASS_ANY = 1, 3, 255

# Extended DNS Error info codes (RFC 8914 §4), attached the way NSD attaches them.
EDE_PROHIBITED = 18
EDE_NOT_AUTHORITATIVE = 20
EDE_NOT_SUPPORTED = 21

EDNS_PAYLOAD = 1232  # what we advertise and the most we send over UDP (DNS flag day 2020, NSD)
CLASSIC_UDP_PAYLOAD = 512  # RFC 1035 §4.2.1: the limit without EDNS, and the floor with it
TCP_PAYLOAD = 65535  # the 2-byte length prefix (RFC 1035 §4.2.2)
MAX_NAME_WIRE = 255  # RFC 1035 §2.3.4
MAX_CNAME_CHAIN = 32  # bounds work on hostile zone data; NSD stops only at a repeated CNAME
OPT_RR_SIZE = 11  # root name, type, class, TTL, RDLENGTH: room kept free for our OPT record
HEADER = struct.Struct("!HHHHHH")
_POINTER_LIMIT = 0x4000  # compression pointers have 14 bits (RFC 1035 §4.1.4)


class Section(IntEnum):
    """Where an RRset goes, in NSD's encoding order; the optional ones are dropped first."""

    ANSWER = 1
    AUTHORITY = 2
    OPTIONAL_AUTHORITY = 3  # the zone's NS set with a positive answer
    ADDITIONAL_A = 4
    ADDITIONAL_AAAA = 5


_ADDRESS_SECTIONS = ((QTYPE.A, Section.ADDITIONAL_A), (QTYPE.AAAA, Section.ADDITIONAL_AAAA))


@dataclass(frozen=True)
class Edns:
    """The client's OPT record (RFC 6891 §6.1.2)."""

    payload: int
    version: int
    dnssec_ok: bool


@dataclass(frozen=True)
class Question:
    """A query that passed the checks every query must pass; `labels` keep the client's case."""

    id: int
    flags: int
    labels: tuple[bytes, ...]
    qtype: int
    qclass: int
    edns: Edns | None
    tcp: bool

    @property
    def key(self) -> Key:
        return tuple(label.lower() for label in self.labels)

    @property
    def qname(self) -> DNSLabel:
        return DNSLabel(list(self.labels))


@dataclass
class _Entry:
    section: Section
    owner: DNSLabel
    rrset: tuple[RR, ...]
    identity: tuple


class _Answer:
    """The RRsets chosen for a response, each once, in the order they were chosen."""

    def __init__(self) -> None:
        self.entries: list[_Entry] = []

    def add(
        self, section: Section, owner: DNSLabel, rrset: tuple[RR, ...], identity: tuple
    ) -> bool:
        """Add an RRset; an RRset already present only moves to a more important section."""
        for entry in self.entries:
            if entry.identity == identity:
                if section < entry.section:
                    entry.section = section
                    return True
                return False
        self.entries.append(_Entry(section, owner, rrset, identity))
        return True


@dataclass
class Resolution:
    """What the zone data says about a question, before it is fitted into a packet."""

    rcode: int = NOERROR
    authoritative: bool = False
    delegation: bool = False
    refused: bool = False
    answer: _Answer = field(default_factory=_Answer)
    # What a signed zone must prove with NSEC/NSEC3 when DO=1: (zone, kind, name, matched)
    denials: list[tuple[Zone, str, Key, Key]] = field(default_factory=list)


class Authority:
    """An authoritative server for a set of zones. Pure: no sockets, no clock, no randomness."""

    def __init__(self, zones: Iterable[Zone], edns_payload: int = EDNS_PAYLOAD) -> None:
        self.zones: dict[Key, Zone] = {}
        for zone in zones:
            if zone.origin_key in self.zones:
                raise ValueError(f"zone {zone.origin} given twice")
            self.zones[zone.origin_key] = zone
        self.edns_payload = edns_payload

    # ----------------------------------------------------------------- public entry points

    def respond(self, wire: bytes, protocol: str = "udp") -> bytes | None:
        """The response to one query message, or None when no reply should be sent."""
        tcp = _is_tcp(protocol)
        if len(wire) < HEADER.size:
            return None  # not even a header: nothing to answer to
        msg_id, flags, qdcount, ancount, nscount, arcount = HEADER.unpack_from(wire)
        if flags & QR:
            return None  # a response, not a query: answering could start a loop
        opcode = (flags >> 11) & 0xF
        parsed = read_question(wire)
        if parsed is None:
            return _header_only(msg_id, (flags & RD) | (opcode << 11), FORMERR)
        labels, qtype, qclass, end = parsed
        if opcode != OPCODE_QUERY:
            rcode = NOTIMP
            if opcode == OPCODE_NOTIFY:
                # We take no zone transfers, so no one may notify us (NSD without an ACL).
                rcode = REFUSED if _lower(labels) in self.zones else NXDOMAIN
            return _header_only(msg_id, flags & ~AD & ~0xF, rcode)
        if qdcount != 1:
            return _header_only(msg_id, 0, FORMERR)
        if ancount or nscount:
            return _header_only(msg_id, flags & RD, FORMERR)
        edns, ok = _read_additional(wire, end, arcount)
        if not ok:
            return _header_only(msg_id, flags & RD, FORMERR)
        question = Question(msg_id, flags, labels, qtype, qclass, edns, tcp)
        return self._answer_question(question)

    def answer(self, query: object, protocol: str = "udp"):
        """Answer a parsed query (dnslib.DNSRecord); returns the parsed response or None."""
        from dnslib import DNSRecord

        reply = self.respond(query.pack(), protocol)  # type: ignore[attr-defined]
        return None if reply is None else DNSRecord.parse(reply)

    def zone_for(self, key: Key, qtype: int = QTYPE.A) -> Zone | None:
        """The most specific zone served that holds `key`; the parent for DS at a child apex."""
        for start in range(len(key) + 1):
            zone = self.zones.get(key[start:])
            if zone is not None:
                if qtype == QTYPE.DS and start == 0 and key:
                    # RFC 4035 §3.1.4.1: DS lives in the parent; answer from it if we serve it.
                    parent = self.zone_for(key[1:], QTYPE.A)
                    if parent is not None:
                        return parent
                return zone
        return None

    # ----------------------------------------------------------------- query classes

    def _answer_question(self, q: Question) -> bytes:
        flags = q.flags & RD
        if q.edns is not None and q.edns.version != 0:
            return self._encode(q, flags, BADVERS, _Answer(), delegation=False)
        if q.qclass not in (CLASS_IN, CLASS_ANY):
            # NSD keeps the question for CHAOS (its own class of server queries) only.
            return self._encode(
                q, flags, REFUSED, _Answer(), False, ede=EDE_NOT_SUPPORTED,
                keep_question=q.qclass == CLASS_CH,
            )
        if q.qtype in (QTYPE.AXFR, QTYPE.IXFR):
            return self._refuse_transfer(q, flags)
        resolution = self.resolve(q)
        if resolution.refused:
            return self._encode(q, flags, REFUSED, _Answer(), False, ede=EDE_NOT_AUTHORITATIVE)
        if resolution.authoritative:
            flags |= AA
        if q.edns is not None and q.edns.dnssec_ok:
            self._add_dnssec(resolution)
        return self._encode(q, flags, resolution.rcode, resolution.answer, resolution.delegation)

    def _refuse_transfer(self, q: Question, flags: int) -> bytes:
        """No zone transfers here; the error NSD gives depends on transport and zone."""
        if q.qtype == QTYPE.AXFR and not q.tcp:
            return self._encode(q, flags, NOTIMP, _Answer(), False)
        if q.key in self.zones:
            return self._encode(q, flags, REFUSED, _Answer(), False, ede=EDE_PROHIBITED)
        return self._encode(q, flags, NOTAUTH, _Answer(), False)

    # ----------------------------------------------------------------- RFC 1034 §4.3.2

    def resolve(self, q: Question) -> Resolution:
        """Look the question up in the zone data (steps 2-6 of RFC 1034 §4.3.2)."""
        key = q.key
        zone = self.zone_for(key, q.qtype)
        if zone is None:
            return Resolution(refused=True)
        result = Resolution()
        answer = result.answer
        owner = q.qname
        class_any = q.qclass == CLASS_ANY
        for hops in range(MAX_CNAME_CHAIN + 1):
            cut = zone.cut_covering(key)
            if cut is not None and not (q.qtype == QTYPE.DS and cut == key):
                # Step 3b: a referral. After a CNAME the answer itself was authoritative.
                result.authoritative = hops > 0
                result.delegation = True
                ns = zone.rrsets[cut][QTYPE.NS]
                identity = (zone.origin_key, cut, cut, QTYPE.NS)
                self._add(answer, zone, Section.AUTHORITY, ns[0].rname, ns, identity)
                result.denials.append((zone, "referral", cut, cut))
                return result
            result.authoritative = not class_any
            if key in zone.names:
                match = key
            else:
                encloser = zone.closest_encloser(key)
                wildcard = (b"*",) + encloser
                if wildcard not in zone.names:
                    # Step 3c: the name does not exist (also after a CNAME, RFC 6604 §2.1).
                    result.rcode = NXDOMAIN
                    self._add_negative_soa(answer, zone, class_any)
                    result.denials.append((zone, "nxdomain", key, key))
                    return result
                match = wildcard  # RFC 4592 §3.3.1: synthesise from the source of synthesis
            types = zone.rrsets.get(match, {})
            identity = (zone.origin_key, match)
            if q.qtype == QTYPE.ANY:
                if types:
                    rtype, rrset = next(iter(types.items()))
                    self._add(answer, zone, Section.ANSWER, owner, rrset, identity + (key, rtype))
                else:
                    self._add_negative_soa(answer, zone, class_any)
                return result
            rrset = types.get(q.qtype)
            if match != key and (rrset is not None or QTYPE.CNAME in types):
                result.denials.append((zone, "wildcard", key, match))
            if rrset is not None:
                self._add(answer, zone, Section.ANSWER, owner, rrset, identity + (key, q.qtype))
                if not class_any and q.qtype not in (QTYPE.DNSKEY, QTYPE.DS):
                    apex_ns = zone.rrsets[zone.origin_key][QTYPE.NS]
                    self._add(
                        answer, zone, Section.OPTIONAL_AUTHORITY, apex_ns[0].rname, apex_ns,
                        (zone.origin_key, zone.origin_key, zone.origin_key, QTYPE.NS),
                    )
                return result
            cname = types.get(QTYPE.CNAME)
            if cname is None:
                self._add_negative_soa(answer, zone, class_any)  # NODATA (RFC 2308 §2.2)
                result.denials.append((zone, "nodata", key, match))
                return result
            cname_identity = identity + (key, QTYPE.CNAME)
            if not self._add(answer, zone, Section.ANSWER, owner, cname, cname_identity):
                return result  # a CNAME loop: this link is already in the answer
            owner = cname[0].rdata.label
            key = name_key(owner)
            next_zone = self.zone_for(key, q.qtype)
            if next_zone is None:
                return result  # the chain leaves our zones; the resolver continues it
            zone = next_zone
        return result

    def _add_negative_soa(self, answer: _Answer, zone: Zone, class_any: bool) -> None:
        if not class_any:
            soa = (zone.negative_soa,)
            identity = (zone.origin_key, zone.origin_key, zone.origin_key, QTYPE.SOA, "negative")
            self._add(answer, zone, Section.AUTHORITY, zone.negative_soa.rname, soa, identity)

    def _add(
        self, answer: _Answer, zone: Zone, section: Section, owner: DNSLabel,
        rrset: tuple[RR, ...], identity: tuple,
    ) -> bool:
        """Add an RRset plus the addresses its targets need (RFC 1035 §3.3, additional data).

        `identity` is (zone, stored owner, owner as written, type): a wildcard's RRset written
        under two query names is two RRsets; one RRset reached twice is added once."""
        added = answer.add(section, owner, rrset, identity)
        rtype = rrset[0].rtype
        if rtype == QTYPE.NS:
            targets, allow_glue = [rr.rdata.label for rr in rrset], True
        elif rtype == QTYPE.MX:
            targets, allow_glue = [rr.rdata.label for rr in rrset], False
        elif rtype == QTYPE.SRV:
            targets, allow_glue = [rr.rdata.target for rr in rrset], False
        else:
            return added
        for target in targets:
            self._add_addresses(answer, zone, target, allow_glue)
        return added

    def _add_addresses(
        self, answer: _Answer, zone: Zone, target: DNSLabel, allow_glue: bool
    ) -> None:
        key = name_key(target)
        if not is_subdomain(key, zone.origin_key):
            return  # only this zone's data goes in (NSD looks in the answering zone alone)
        if not allow_glue and zone.cut_covering(key) is not None:
            return  # glue is for referrals, not for MX or SRV targets
        match = key
        if key not in zone.names:
            wildcard = (b"*",) + zone.closest_encloser(key)
            if wildcard not in zone.names:
                return
            match = wildcard
        types = zone.rrsets.get(match, {})
        for rtype, section in _ADDRESS_SECTIONS:
            rrset = types.get(rtype)
            if rrset is not None:
                answer.add(section, target, rrset, (zone.origin_key, match, key, rtype))

    # ----------------------------------------------------------------- DNSSEC (DO=1)

    def _add_dnssec(self, resolution: Resolution) -> None:
        """What a signer's server adds for DO=1 (RFC 4035 §3.1): the DS or the proof of its
        absence with a referral, NSEC/NSEC3 for negative answers and wildcard expansions,
        and the RRSIGs of each RRset of a signed zone in every section (glue below a cut is not
        signed, so it gets none)."""
        answer = resolution.answer
        for zone, kind, key, match in resolution.denials:
            if zone.dnssec is not None:
                for owner, rrset, identity in denial_records(zone, kind, key, match):
                    answer.add(Section.AUTHORITY, owner, rrset, identity)
        entries: list[_Entry] = []
        for entry in answer.entries:
            entries.append(entry)
            if len(entry.identity) < 4:
                continue
            zone = self.zones.get(entry.identity[0])
            if zone is None or zone.dnssec is None:
                continue
            sigs = zone.dnssec.sigs(entry.identity[1], entry.identity[3])
            if sigs:
                ttl = entry.rrset[0].ttl  # the negative SOA's TTL is lower than the signed one
                records = tuple(RR(rr.rname, rr.rtype, rr.rclass, ttl, rr.rdata) for rr in sigs)
                identity = (*entry.identity, "RRSIG")
                entries.append(_Entry(entry.section, entry.owner, records, identity))
        answer.entries = entries

    # ----------------------------------------------------------------- wire encoding

    def _encode(
        self, q: Question, flags: int, rcode: int, answer: _Answer, delegation: bool,
        ede: int | None = None, keep_question: bool = True,
    ) -> bytes:
        """Fit the answer into the size the transport allows, the way NSD does."""
        if q.tcp:
            limit = TCP_PAYLOAD
        elif q.edns is not None and q.edns.payload > CLASSIC_UDP_PAYLOAD:
            limit = min(q.edns.payload, self.edns_payload)
        else:
            limit = CLASSIC_UDP_PAYLOAD
        opt = b""
        if q.edns is not None:
            opt = _opt_record(self.edns_payload, rcode >> 4, q.edns.dnssec_ok, ede)
        writer = _Writer(limit - (OPT_RR_SIZE if opt else 0))
        writer.buffer.data.extend(bytes(HEADER.size))
        writer.buffer.offset = HEADER.size
        if keep_question:
            writer.buffer.encode_name(q.qname)
            writer.buffer.pack("!HH", q.qtype, q.qclass)
        counts = dict.fromkeys(Section, 0)
        truncated = False
        done = False
        for section in Section:
            optional = section >= Section.OPTIONAL_AUTHORITY
            for entry in answer.entries:
                if entry.section != section:
                    continue
                mark = writer.mark()
                written = 0
                for rr in entry.rrset:
                    if not writer.write(entry.owner, rr):
                        break
                    written += 1
                if written == len(entry.rrset):
                    counts[section] += written
                elif optional and not q.tcp:
                    writer.rollback(mark)  # an optional RRset goes whole or not at all
                    done = True
                elif optional:
                    counts[section] += written
                else:
                    writer.rollback(mark)  # RFC 2181 §9: never a partial RRset; tell the client
                    truncated = True
                    break
            if truncated:
                break
            if done:
                if section == Section.ADDITIONAL_A and delegation and not counts[section]:
                    truncated = True  # a referral without a single usable address is useless
                break
        data = writer.buffer.data
        if truncated:
            flags |= TC
        ancount = counts[Section.ANSWER]
        nscount = counts[Section.AUTHORITY] + counts[Section.OPTIONAL_AUTHORITY]
        arcount = counts[Section.ADDITIONAL_A] + counts[Section.ADDITIONAL_AAAA]
        if opt:
            data.extend(opt)
            arcount += 1
        flags |= QR | (rcode & 0xF)
        HEADER.pack_into(data, 0, q.id, flags, 1 if keep_question else 0, ancount, nscount, arcount)
        return bytes(data)


def denial_records(
    zone: Zone, kind: str, key: Key, match: Key
) -> list[tuple[DNSLabel, tuple[RR, ...], tuple]]:
    """The NSEC or NSEC3 RRsets (and a referral's DS) that prove what `kind` says about `key`
    in a signed zone: "nxdomain", "nodata" (`match` is the wildcard when one matched),
    "wildcard" (an answer expanded from `match`) or "referral" (to the cut `key`)."""
    signed = zone.dnssec
    origin = zone.origin_key
    out: list[tuple[DNSLabel, tuple[RR, ...], tuple]] = []

    def stored(owner: Key, rtype: int) -> None:
        rrset = zone.rrsets.get(owner, {}).get(rtype) or signed.nsec3_records.get(owner)
        if rrset and all(entry[2] != (origin, owner, owner, rtype) for entry in out):
            out.append((rrset[0].rname, rrset, (origin, owner, owner, rtype)))

    if kind == "referral" and QTYPE.DS in zone.rrsets.get(key, {}):
        stored(key, QTYPE.DS)
        return out
    wildcard = match if match != key else None
    if signed.denial.value == "nsec":
        nsec = QTYPE.NSEC
        if kind in ("nxdomain", "wildcard") or wildcard is not None:
            stored(signed.nsec_covering(key), nsec)  # key itself does not exist
        if kind == "nxdomain":
            stored(signed.nsec_covering((b"*",) + zone.closest_encloser(key)), nsec)
        elif kind == "nodata":
            stored(signed.nsec_covering(wildcard or key), nsec)  # matches, or covers an ENT
        elif kind == "referral":
            stored(key, nsec)
        return out
    nsec3 = QTYPE.NSEC3

    def encloser_proof(name: Key) -> Key:
        """Closest encloser (matching NSEC3) and the NSEC3 covering the next closer name."""
        encloser = name[1:]
        while len(encloser) > len(origin) and signed.nsec3_owner(encloser, False) is None:
            encloser = encloser[1:]
        stored(signed.nsec3_owner(encloser, False), nsec3)
        stored(signed.nsec3_owner(name[len(name) - len(encloser) - 1 :], True), nsec3)
        return encloser

    if kind == "nxdomain":
        encloser = encloser_proof(key)
        stored(signed.nsec3_owner((b"*",) + encloser, True), nsec3)
    elif kind == "wildcard":
        assert wildcard is not None
        encloser = wildcard[1:]
        stored(signed.nsec3_owner(key[len(key) - len(encloser) - 1 :], True), nsec3)
    elif kind == "nodata" and wildcard is not None:
        encloser_proof(key)
        stored(signed.nsec3_owner(wildcard, False), nsec3)
    else:  # nodata or an unsigned referral: the NSEC3 of the name, else opt-out coverage
        owner = signed.nsec3_owner(key, False)
        if owner is not None:
            stored(owner, nsec3)
        else:
            encloser_proof(key)
    return out


class _CompressingBuffer(DNSBuffer):
    """dnslib's buffer, but never records a name where a 14-bit pointer cannot reach."""

    def encode_name(self, name: DNSLabel | str) -> None:
        if self.offset < _POINTER_LIMIT:
            super().encode_name(name)
            return
        names, self.names = self.names, dict(self.names)
        try:
            super().encode_name(name)
        finally:
            self.names = names


class _Writer:
    """Appends RRs while they fit under `limit`; rolls back to a mark, compression included."""

    def __init__(self, limit: int) -> None:
        self.buffer = _CompressingBuffer()
        self.limit = limit

    def mark(self) -> int:
        return len(self.buffer.data)

    def rollback(self, mark: int) -> None:
        del self.buffer.data[mark:]
        self.buffer.offset = mark
        self.buffer.names = {k: v for k, v in self.buffer.names.items() if v < mark}

    def write(self, owner: DNSLabel, rr: RR) -> bool:
        mark = self.mark()
        buffer = self.buffer
        buffer.encode_name(owner)
        buffer.pack("!HHI", rr.rtype, rr.rclass, rr.ttl)
        length_at = buffer.offset
        buffer.pack("!H", 0)
        rr.rdata.pack(buffer)
        buffer.update(length_at, "!H", buffer.offset - length_at - 2)
        if len(buffer.data) > self.limit:
            self.rollback(mark)
            return False
        return True


def _opt_record(payload: int, ext_rcode: int, dnssec_ok: bool, ede: int | None) -> bytes:
    options = b"" if ede is None else struct.pack("!HHH", 15, 2, ede)  # EDE option, RFC 8914
    ttl = (ext_rcode << 24) | (0x8000 if dnssec_ok else 0)
    return b"\x00" + struct.pack("!HHIH", QTYPE.OPT, payload, ttl, len(options)) + options


def _header_only(msg_id: int, flags: int, rcode: int) -> bytes:
    return HEADER.pack(msg_id, (flags & ~0xF) | QR | rcode, 0, 0, 0, 0)


def read_question(wire: bytes) -> tuple[tuple[bytes, ...], int, int, int] | None:
    """The first question, read strictly: no compression pointers, at most 255 octets."""
    pos = HEADER.size
    labels = []
    while True:
        if pos >= len(wire):
            return None
        length = wire[pos]
        if length == 0:
            pos += 1
            break
        if length & 0xC0 or pos + length + 1 >= len(wire):
            return None
        labels.append(bytes(wire[pos + 1 : pos + 1 + length]))
        pos += length + 1
        if pos - HEADER.size > MAX_NAME_WIRE:
            return None
    if pos - HEADER.size > MAX_NAME_WIRE or pos + 4 > len(wire):
        return None
    qtype, qclass = struct.unpack_from("!HH", wire, pos)
    return tuple(labels), qtype, qclass, pos + 4


def _read_additional(wire: bytes, offset: int, count: int) -> tuple[Edns | None, bool]:
    """The OPT record if any; (None, False) if the section is malformed or holds anything else."""
    buffer = DNSBuffer(wire)
    buffer.offset = offset
    edns = None
    for _ in range(count):
        try:
            rr = RR.parse(buffer)
        except Exception:  # dnslib raises DNSError, BufferError and friends on bad records
            return None, False
        if rr.rtype != QTYPE.OPT or edns is not None or rr.rname.label:
            return None, False  # a second OPT, an OPT not at the root, or TSIG and the like
        version = (rr.ttl >> 16) & 0xFF
        edns = Edns(payload=rr.rclass, version=version, dnssec_ok=bool(rr.ttl & 0x8000))
    return edns, True


def _lower(labels: tuple[bytes, ...]) -> Key:
    return tuple(label.lower() for label in labels)


def _is_tcp(protocol: str) -> bool:
    if protocol not in ("udp", "tcp"):
        raise ValueError(f"protocol must be 'udp' or 'tcp', not {protocol!r}")
    return protocol == "tcp"
