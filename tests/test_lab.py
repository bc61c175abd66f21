"""The lab internet: real queries over loopback UDP and TCP, and the pure engine directly.

The `lab` fixture (tests/lab_fixtures.py, imported by conftest) is one session-wide lab.

Each scenario is checked at the servers that take part in it (referrals with glue, the final
authoritative answer), the topology is checked for consistency (a small iterative walk that
uses only what the servers say must reach every resolvable scenario), and every fault mode,
EDNS case, malformed message and zone-file error is exercised. Interop with NSD lives in
tests/interop/test_lab_vs_nsd.py.
"""

from __future__ import annotations

import ipaddress
import os
import random
import signal
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest
from dnslib import EDNS0, QTYPE, RCODE, DNSHeader, DNSQuestion, DNSRecord
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from resolver.hints import load_root_hints
from resolver.lab import (
    DEFAULT_TOPOLOGY,
    FORGED_ADDRESS,
    SCENARIOS,
    Authority,
    Fault,
    Lab,
    LabNetworkError,
    ZoneError,
    load_zone,
    parse_zone,
    zone_file,
)
from resolver.lab.topology import ZONES_DIR, AddressMap
from resolver.lab.zone import name_key

REPLY_TIMEOUT = 2.0  # generous: a healthy lab host answers in well under a millisecond
SILENCE_TIMEOUT = 0.3  # how long we listen before calling a host silent


# ---------------------------------------------------------------------------- helpers


def query(name: str, qtype: str | int = "A", *, edns: int | None = None, qid: int = 4242,
          version: int = 0, do: bool = False) -> DNSRecord:
    qtype = getattr(QTYPE, qtype) if isinstance(qtype, str) else qtype
    record = DNSRecord(DNSHeader(id=qid, rd=0), q=DNSQuestion(name, qtype))
    if edns is not None:
        record.add_ar(EDNS0(udp_len=edns, version=version, flags="do" if do else ""))
    return record


def udp_raw(lab: Lab, host: str, wire: bytes, timeout: float = REPLY_TIMEOUT) -> bytes | None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        sock.sendto(wire, (lab.address_of(host), lab.port))
        try:
            return sock.recv(65535)
        except TimeoutError:
            return None


def udp(lab: Lab, host: str, record: DNSRecord, timeout: float = REPLY_TIMEOUT):
    reply = udp_raw(lab, host, record.pack(), timeout)
    return None if reply is None else DNSRecord.parse(reply)


def recv_exactly(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise EOFError("connection closed")
        data += chunk
    return data


def tcp_exchange(sock: socket.socket, wire: bytes) -> DNSRecord:
    sock.sendall(struct.pack("!H", len(wire)) + wire)
    size = struct.unpack("!H", recv_exactly(sock, 2))[0]
    return DNSRecord.parse(recv_exactly(sock, size))


def tcp(lab: Lab, host: str, record: DNSRecord) -> DNSRecord:
    with socket.create_connection((lab.address_of(host), lab.port), REPLY_TIMEOUT) as sock:
        return tcp_exchange(sock, record.pack())


def rcode(reply: DNSRecord) -> str:
    return RCODE.get(reply.header.rcode)


def rrs(section, rtype: str | None = None) -> list[tuple[str, str, str]]:
    return [
        (str(rr.rname).lower(), QTYPE.get(rr.rtype), str(rr.rdata))
        for rr in section
        if rr.rtype != QTYPE.OPT and (rtype is None or QTYPE.get(rr.rtype) == rtype)
    ]


def opt_of(reply: DNSRecord):
    opts = [rr for rr in reply.ar if rr.rtype == QTYPE.OPT]
    return opts[0] if opts else None


def engine_for(host: str) -> Authority:
    spec = next(spec for spec in DEFAULT_TOPOLOGY if spec.name == host)
    return Authority(load_zone(zone_file(origin)) for origin in spec.zones)


# ---------------------------------------------------------------------------- scenarios


def test_deep_name_walks_four_levels_with_glue_at_each_cut(lab):
    name = SCENARIOS["deep_name"].qname
    steps = [
        ("a.root-servers.net.", "edu.", {"a.edu-servers.net.": "127.42.1.3"}),
        ("a.edu-servers.net.", "cornell.edu.",
         {"ns1.cornell.edu.": "127.42.10.1", "ns2.cornell.edu.": "127.42.10.2"}),
        ("ns1.cornell.edu.", "cs.cornell.edu.", {"ns.cs.cornell.edu.": "127.42.10.3"}),
    ]
    for host, cut, glue in steps:
        reply = udp(lab, host, query(name))
        assert rcode(reply) == "NOERROR" and not reply.header.aa and not reply.rr
        assert {owner for owner, _, _ in rrs(reply.auth, "NS")} == {cut}
        assert {owner: data for owner, _, data in rrs(reply.ar, "A")} == glue
    reply = udp(lab, "ns.cs.cornell.edu.", query(name))
    assert reply.header.aa and rrs(reply.rr) == [(name, "A", "127.42.10.81")]


def test_cname_inside_a_zone_is_followed_by_the_server(lab):
    reply = udp(lab, "ns1.example.com.", query(SCENARIOS["cname"].qname))
    assert reply.header.aa and rcode(reply) == "NOERROR"
    assert rrs(reply.rr) == [
        ("alias.example.com.", "CNAME", "www.example.com."),
        ("www.example.com.", "A", "127.42.20.80"),
    ]


def test_cname_chain_crosses_three_zones_in_three_tlds(lab):
    hops = [
        ("ns1.example.com.", "chain.example.com.", "chain.example.net."),
        ("ns1.example.net.", "chain.example.net.", "chain.example.org."),
    ]
    for host, owner, target in hops:
        reply = udp(lab, host, query(owner))
        assert reply.header.aa and rcode(reply) == "NOERROR"
        assert rrs(reply.rr) == [(owner, "CNAME", target)]  # the target is in no zone it serves
    reply = udp(lab, "ns1.example.org.", query("chain.example.org."))
    assert rrs(reply.rr) == [("chain.example.org.", "A", "127.42.22.81")]


def test_host_serving_parent_and_child_answers_from_the_child(lab):
    reply = udp(lab, "ns1.example.org.", query(SCENARIOS["cname_into_child"].qname))
    assert reply.header.aa
    assert rrs(reply.rr) == [
        ("alias.example.org.", "CNAME", "www.lab.example.org."),
        ("www.lab.example.org.", "A", "127.42.22.82"),
    ]
    assert rrs(reply.auth) == [("lab.example.org.", "NS", "ns1.example.org.")]
    # DS belongs to the parent side of the cut (RFC 4035 §3.1.4.1)
    reply = udp(lab, "ns1.example.org.", query("lab.example.org.", "DS"))
    assert rrs(reply.auth)[0][:2] == ("example.org.", "SOA")


def test_cname_loop_spans_two_zones(lab):
    first = udp(lab, "ns1.example.com.", query("loop.example.com."))
    second = udp(lab, "ns1.example.net.", query("loop.example.net."))
    assert rrs(first.rr) == [("loop.example.com.", "CNAME", "loop.example.net.")]
    assert rrs(second.rr) == [("loop.example.net.", "CNAME", "loop.example.com.")]


def test_glueless_delegation_names_servers_in_another_tld_without_addresses(lab):
    reply = udp(lab, "a0.nic.org.", query(SCENARIOS["glueless"].qname))
    assert not reply.header.aa
    assert {data for _, _, data in rrs(reply.auth, "NS")} == {
        "ns1.dns-host.net.", "ns2.dns-host.net."}
    assert rrs(reply.ar) == []
    reply = udp(lab, "a.gtld-servers.net.", query("ns1.dns-host.net."))
    assert rrs(reply.ar, "A")[0] == ("ns1.dns-host.net.", "A", "127.42.30.1")
    reply = udp(lab, "ns1.dns-host.net.", query("www.glueless.org."))
    assert reply.header.aa and rrs(reply.rr) == [("www.glueless.org.", "A", "127.42.30.80")]


def test_cyclic_glueless_delegations_carry_no_glue_anywhere(lab):
    com = udp(lab, "a.gtld-servers.net.", query("www.cycle-a.com."))
    net = udp(lab, "a.gtld-servers.net.", query("ns.cycle-b.net."))
    assert rrs(com.auth, "NS") == [("cycle-a.com.", "NS", "ns.cycle-b.net.")]
    assert rrs(net.auth, "NS") == [("cycle-b.net.", "NS", "ns.cycle-a.com.")]
    assert rrs(com.ar) == [] and rrs(net.ar) == []


@pytest.mark.parametrize(
    ("scenario", "host", "expected_rcode"),
    [
        ("nxdomain", "ns1.example.com.", "NXDOMAIN"),
        ("nodata", "ns1.example.com.", "NOERROR"),
        ("empty_non_terminal", "ns1.cornell.edu.", "NOERROR"),
        ("wildcard_existing_name", "ns1.example.com.", "NOERROR"),
        ("wildcard_below_existing", "ns1.example.com.", "NXDOMAIN"),
    ],
)
def test_negative_answers_carry_the_soa_with_the_negative_ttl(lab, scenario, host, expected_rcode):
    case = SCENARIOS[scenario]
    reply = udp(lab, host, query(case.qname, case.qtype))
    assert rcode(reply) == expected_rcode and reply.header.aa
    assert reply.rr == []
    (soa,) = reply.auth
    assert QTYPE.get(soa.rtype) == "SOA" and soa.ttl == 300  # min(SOA TTL 3600, MINIMUM 300)


@pytest.mark.parametrize(
    "qname", ["anything.wild.example.com.", "a.b.c.wild.example.com.", "*.wild.example.com."]
)
def test_wildcard_synthesises_answers_owned_by_the_query_name(lab, qname):
    reply = udp(lab, "ns1.example.com.", query(qname))
    assert reply.header.aa and rrs(reply.rr) == [(qname, "A", "127.42.20.99")]


def test_wildcard_does_not_cover_names_below_an_empty_non_terminal(lab):
    ent = udp(lab, "ns1.example.com.", query("sub.wild.example.com."))
    below = udp(lab, "ns1.example.com.", query("x.sub.wild.example.com."))
    assert rcode(ent) == "NOERROR" and ent.rr == []
    assert rcode(below) == "NXDOMAIN"


def test_large_rrset_truncates_without_edns_and_fits_with_it(lab):
    name = SCENARIOS["large_over_512"].qname
    plain = udp(lab, "ns1.example.com.", query(name, "TXT"))
    assert plain.header.tc and plain.rr == [] and plain.questions[0].qname == name
    assert len(plain.pack()) <= 512
    edns = udp(lab, "ns1.example.com.", query(name, "TXT", edns=1232))
    assert not edns.header.tc and len(rrs(edns.rr, "TXT")) == 3
    assert 512 < len(udp_raw(lab, "ns1.example.com.", query(name, "TXT", edns=1232).pack())) <= 1232


def test_rrset_over_1232_needs_tcp(lab):
    name = SCENARIOS["large_over_1232"].qname
    over_udp = udp(lab, "ns1.example.com.", query(name, "TXT", edns=4096))
    assert over_udp.header.tc and over_udp.rr == []
    assert opt_of(over_udp).rclass == 1232  # we advertise, and cap replies at, 1232
    over_tcp = tcp(lab, "ns1.example.com.", query(name, "TXT", edns=4096))
    assert not over_tcp.header.tc and len(rrs(over_tcp.rr, "TXT")) == 10
    assert len(over_tcp.pack()) > 1232


def test_record_types_and_their_additional_data(lab):
    host = "ns1.example.com."
    mx = udp(lab, host, query("example.com.", "MX"))
    assert rrs(mx.rr) == [("example.com.", "MX", "10 mail.example.com.")]
    assert ("mail.example.com.", "A", "127.42.20.25") in rrs(mx.ar)
    srv = udp(lab, host, query("_sip._tcp.example.com.", "SRV"))
    assert rrs(srv.rr) == [("_sip._tcp.example.com.", "SRV", "10 60 5060 sip.example.com.")]
    assert ("sip.example.com.", "A", "127.42.20.60") in rrs(srv.ar)
    assert rrs(udp(lab, host, query("example.com.", "TXT")).rr) == [
        ("example.com.", "TXT", '"v=spf1 mx -all"')]
    assert rrs(udp(lab, host, query("example.com.", "CAA")).rr) == [
        ("example.com.", "CAA", '0 issue "letsencrypt.org"')]
    assert rrs(udp(lab, host, query("www.example.com.", "AAAA")).rr) == [
        ("www.example.com.", "AAAA", "2001:db8::80")]
    short = udp(lab, host, query(SCENARIOS["short_ttl"].qname))
    assert [rr.ttl for rr in short.rr] == [2]
    ptr = udp(lab, "rev.dns-host.net.", query(SCENARIOS["ptr"].qname, "PTR"))
    assert rrs(ptr.rr) == [("80.10.42.127.in-addr.arpa.", "PTR", "www.cornell.edu.")]


def test_names_are_case_insensitive_and_the_question_keeps_its_case(lab):
    reply = udp(lab, "ns1.example.com.", query("WWW.Example.COM."))
    assert str(reply.questions[0].qname) == "WWW.Example.COM."
    assert [str(rr.rdata) for rr in reply.rr] == ["127.42.20.80"]


def test_foreign_zones_are_refused_without_aa(lab):
    reply = udp(lab, "ns1.example.com.", query("www.cornell.edu."))
    assert rcode(reply) == "REFUSED" and not reply.header.aa and reply.rr == []
    assert str(reply.questions[0].qname) == "www.cornell.edu."


def test_every_scenario_is_answered_by_some_host(lab):
    """A tiny iterative walk that trusts only what servers say: every scenario that should
    resolve does, and the two that must not (loop, cycle) end where they should."""
    results = {name: walk(lab, case.qname, case.qtype) for name, case in SCENARIOS.items()}
    assert results["deep_name"] == ("NOERROR", ["127.42.10.81"])
    assert results["cname_chain"] == ("NOERROR", ["127.42.22.81"])
    assert results["glueless"] == ("NOERROR", ["127.42.30.80"])
    assert results["flaky_servers"] == ("NOERROR", ["127.42.23.80"])
    assert results["poisoning_target"] == ("NOERROR", ["127.42.25.80"])
    assert results["cname_loop"] == ("LOOP", [])
    assert results["cyclic_glueless"] == ("UNREACHABLE", [])
    assert results["nxdomain"][0] == "NXDOMAIN"
    assert results["renumbered_ns"] == ("NOERROR", ["127.42.32.80"])  # by the parent's glue
    assert results["short_glue_ttl"] == ("NOERROR", ["127.42.33.80"])
    assert results["lossy_server"] == ("NOERROR", ["127.42.34.80"])  # on the second try
    assert results["aa_referral"] == ("NOERROR", ["127.42.35.81"])
    assert results["lame_aa_upward"] == ("UNREACHABLE", [])
    assert results["all_servers_dead"] == ("UNREACHABLE", [])
    for name, (outcome, _) in results.items():
        assert outcome in ("NOERROR", "NXDOMAIN", "LOOP", "UNREACHABLE"), name


def test_every_scenario_has_its_line_in_the_readme():
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("## The offline lab", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    for name in SCENARIOS:
        assert any(f"`{name}`" in row.split("|")[1] for row in rows), name
    hosts = len(DEFAULT_TOPOLOGY)
    zones = len({zone for spec in DEFAULT_TOPOLOGY for zone in spec.zones})
    prose = " ".join(section.split())
    assert f"internet of {hosts} authoritative servers" in prose
    assert f"serving {zones} zones" in prose


def walk(lab: Lab, qname: str, qtype: int, depth: int = 0) -> tuple[str, list[str]]:
    """Root to answer, following referrals (glue, or a nested walk for glueless NS names)
    and CNAMEs. A silent server is asked once more (a lossy one may answer then); servers
    that refuse, or refer upward or sideways (whatever their AA bit says), are skipped."""
    if depth > 3:
        return "UNREACHABLE", []
    seen: set[str] = set()
    root = [lab.address_of(name) for name in ("a.root-servers.net.",)]
    servers, zone, name = root, ".", qname
    for _ in range(20):
        reply = None
        for address in servers:
            reply = _ask_until_answered(lab, address, name, qtype, zone)
            if reply is not None:
                break
        if reply is None:
            return "UNREACHABLE", []
        referral = _referral_below(reply, zone)
        if referral is None:
            data = [str(rr.rdata) for rr in reply.rr if rr.rtype == qtype]
            if data or rcode(reply) == "NXDOMAIN" or not reply.rr:
                return rcode(reply), data
            target = str(reply.rr[-1].rdata).lower()  # follow the last CNAME
            if target in seen:
                return "LOOP", []
            seen.add(name.lower())
            servers, zone, name = root, ".", target
            continue
        zone = referral
        ns_names = [str(rr.rdata).lower() for rr in reply.auth if rr.rtype == QTYPE.NS]
        glue = {str(rr.rname).lower(): str(rr.rdata) for rr in reply.ar if rr.rtype == QTYPE.A}
        servers = [glue[n] for n in ns_names if n in glue]
        if not servers:
            for ns in ns_names:
                outcome, addresses = walk(lab, ns, QTYPE.A, depth + 1)
                servers += addresses
        if not servers:
            return "UNREACHABLE", []
    return "UNREACHABLE", []


def _ask_until_answered(lab: Lab, address: str, name: str, qtype: int, zone: str):
    """The server's usable reply (an answer or a referral downwards), or None."""
    host = next(h.name for h in lab.hosts.values() if h.address == address)
    for _ in range(2):
        reply = udp(lab, host, query(name, qtype, edns=1232), SILENCE_TIMEOUT)
        if reply is not None:
            break
    if reply is not None and reply.header.tc:
        reply = tcp(lab, host, query(name, qtype))
    if reply is None or rcode(reply) not in ("NOERROR", "NXDOMAIN"):
        return None
    answered = reply.rr or rcode(reply) == "NXDOMAIN" or rrs(reply.auth, "SOA")
    if not answered and _referral_below(reply, zone) is None:
        return None  # no answer, no SOA and no referral downwards: lame
    return reply


def _referral_below(reply: DNSRecord, zone: str) -> str | None:
    """The cut a reply refers to, when it is a referral to a zone below `zone`."""
    if reply.rr or rcode(reply) != "NOERROR" or rrs(reply.auth, "SOA"):
        return None
    cuts = {owner for owner, _, _ in rrs(reply.auth, "NS")}
    if len(cuts) != 1:
        return None
    cut = cuts.pop()
    below = zone == "." and cut != "." or cut.endswith("." + zone)
    return cut if below else None


# ---------------------------------------------------------------------------- topology


def _lab_zones() -> dict[str, object]:
    return {origin: load_zone(zone_file(origin))
            for spec in DEFAULT_TOPOLOGY for origin in spec.zones}


# The renumbered_ns scenario on purpose: the child zone's A record for its server is stale and
# points at the old, switched-off host, which no zone names.
STALE_ADDRESSES = {"ns.renumbered.com.": "127.42.32.99"}
UNNAMED_HOSTS = {"old-ns.renumbered.com."}


def test_topology_matches_the_zone_data():
    """Hosts serve what the parents delegate to them, at the addresses the data gives."""
    zones = _lab_zones()
    hosts = {spec.name: spec for spec in DEFAULT_TOPOLOGY}
    addresses = {}
    for zone in zones.values():
        for rr in zone.all_records():
            if rr.rtype == QTYPE.A and str(rr.rname).lower() in hosts:
                addresses.setdefault(str(rr.rname).lower(), set()).add(str(rr.rdata))
    for name, spec in hosts.items():
        if name in UNNAMED_HOSTS:
            continue
        stale = {STALE_ADDRESSES[name]} if name in STALE_ADDRESSES else set()
        assert addresses.get(name) == {spec.address} | stale, name
    for name, stale in STALE_ADDRESSES.items():
        assert any(h.address == stale for h in hosts.values() if h.name in UNNAMED_HOSTS), name
    for origin, zone in zones.items():
        apex_ns = {str(rr.rdata).lower() for rr in zone.rrsets[zone.origin_key][QTYPE.NS]}
        for ns in apex_ns:
            assert origin in hosts[ns].zones, f"{ns} is an NS of {origin} but does not serve it"
        if origin == ".":
            continue
        parent_origin = next(p for p in sorted(zones, key=len, reverse=True)
                             if p != origin and (p == "." or origin.endswith("." + p)))
        parent = zones[parent_origin]
        delegated = parent.rrsets[name_key(origin)][QTYPE.NS]
        assert {str(rr.rdata).lower() for rr in delegated} == apex_ns, origin


def test_root_hints_file_lists_the_lab_root_servers(lab):
    hints = load_root_hints(lab.hints_path)
    assert hints.ns_names == ("a.root-servers.net.", "b.root-servers.net.", "c.root-servers.net.")
    assert hints.addresses["a.root-servers.net."] == ("127.42.0.1",)
    assert lab.resolver_options() == {
        "root_hints": lab.hints_path, "upstream_port": lab.port, "allowed_networks": [lab.network],
        "trust_anchors": lab.trust_anchor_path,  # the signed lab's root DS
    }


def test_all_hosts_share_one_port_and_answer_on_it(lab):
    for host in lab.hosts.values():
        if host.fault is None:
            reply = udp(lab, host.name, query(host.zones[0], "SOA"))
            assert reply.header.aa and rcode(reply) == "NOERROR", host.name


def test_query_log_and_counters(lab):
    udp(lab, "ns1.example.com.", query("www.example.com."))
    tcp(lab, "ns1.example.com.", query("WWW.example.com.", "AAAA"))
    assert lab.query_count("ns1.example.com.") == 2
    assert lab.query_count() == 2
    assert [(e.host, e.qname, e.qtype, e.protocol) for e in lab.query_log] == [
        ("ns1.example.com.", "www.example.com.", QTYPE.A, "udp"),
        ("ns1.example.com.", "www.example.com.", QTYPE.AAAA, "tcp"),
    ]
    lab.reset_counters()
    assert lab.query_count() == 0 and lab.query_log == []
    with pytest.raises(KeyError):
        lab.query_count("no-such-host.example.")


# ---------------------------------------------------------------------------- EDNS


def test_edns_is_echoed_with_our_payload_and_version_0(lab):
    reply = udp(lab, "ns1.example.com.", query("www.example.com.", edns=4096, do=True))
    opt = opt_of(reply)
    assert opt.rclass == 1232 and (opt.ttl >> 16) & 0xFF == 0 and opt.ttl & 0x8000
    assert opt_of(udp(lab, "ns1.example.com.", query("www.example.com."))) is None


def test_client_size_below_512_counts_as_512(lab):
    reply = udp(lab, "ns1.example.com.", query("big.example.com.", "TXT", edns=100))
    assert reply.header.tc  # 512 is the floor, and the RRset needs ~700
    reply = udp(lab, "ns1.example.com.", query("www.example.com.", edns=100))
    assert not reply.header.tc and reply.rr


def test_unknown_edns_version_gets_badvers(lab):
    reply = udp(lab, "ns1.example.com.", query("www.example.com.", edns=1232, version=1))
    opt = opt_of(reply)
    assert (opt.ttl >> 24) << 4 | reply.header.rcode == 16  # BADVERS, RFC 6891 §6.1.3
    assert (opt.ttl >> 16) & 0xFF == 0 and reply.rr == []


# ---------------------------------------------------------------------------- malformed input


def collect_replies(sock: socket.socket, quiet: float = SILENCE_TIMEOUT) -> list[bytes]:
    """Every datagram that arrives until the socket has been quiet for `quiet` seconds."""
    sock.settimeout(quiet)
    replies = []
    while True:
        try:
            replies.append(sock.recv(65535))
        except TimeoutError:
            return replies


def test_malformed_messages_get_formerr_or_nothing_and_the_host_keeps_answering(lab):
    base = query("www.example.com.", qid=999).pack()
    rng = random.Random(7)
    garbage = [bytes(rng.getrandbits(8) for _ in range(rng.randrange(0, 80))) for _ in range(60)]
    garbage += [b"", base[:5], base[:11], base[:12], base[:20], base + b"\xff" * 3,
                base[:12] + b"\xc0\x0c\x00\x01\x00\x01"]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        target = (lab.address_of("ns1.example.com."), lab.port)
        for wire in garbage:
            sock.sendto(wire, target)
        sock.sendto(base, target)  # after all that, a good query still gets its answer
        replies = [DNSRecord.parse(reply) for reply in collect_replies(sock)]
    assert all(r.header.qr for r in replies)
    assert {rcode(r) for r in replies if r.header.id != 999} <= {
        "FORMERR", "NOTIMP", "REFUSED", "NOERROR", "NXDOMAIN", "NOTAUTH"}
    good = [r for r in replies if r.header.id == 999 and r.rr]
    assert rrs(good[0].rr) == [("www.example.com.", "A", "127.42.20.80")]
    assert udp_raw(lab, "ns1.example.com.", base[:11], timeout=SILENCE_TIMEOUT) is None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=120) | st.builds(
    lambda wire, at, byte: wire[:at] + bytes([byte]) + wire[at + 1:],
    st.sampled_from([query("www.example.com.").pack(),
                     query("big.example.com.", "TXT", edns=1232).pack()]),
    st.integers(0, 60), st.integers(0, 255)))
def test_engine_never_raises_on_arbitrary_bytes(wire):
    for protocol in ("udp", "tcp"):
        reply = FUZZ_ENGINE.respond(wire, protocol)
        if reply is not None:  # (dnslib cannot parse every name we echo, e.g. non-UTF-8)
            assert len(reply) >= 12 and reply[2] & 0x80 and reply[:2] == bytes(wire[:2])


FUZZ_ENGINE = Authority(
    load_zone(zone_file(origin)) for origin in ("example.com.", "com.", "cornell.edu.")
)


@pytest.mark.parametrize(
    ("label", "mutate", "expected"),
    [
        ("qdcount 0", lambda w: w[:4] + b"\x00\x00" + w[6:], "FORMERR"),
        ("qdcount 2", lambda w: w[:4] + b"\x00\x02" + w[6:], "FORMERR"),
        ("ancount 1", lambda w: w[:6] + b"\x00\x01" + w[8:], "FORMERR"),
        ("opcode STATUS", lambda w: w[:2] + bytes([w[2] | 2 << 3]) + w[3:], "NOTIMP"),
        ("opcode UPDATE", lambda w: w[:2] + bytes([w[2] | 5 << 3]) + w[3:], "NOTIMP"),
    ],
)
def test_bad_header_fields(lab, label, mutate, expected):
    wire = mutate(query("www.example.com.").pack())
    reply = DNSRecord.parse(udp_raw(lab, "ns1.example.com.", wire))
    assert rcode(reply) == expected and reply.header.id == 4242 and reply.rr == []


def test_zone_transfers_and_other_classes_are_refused(lab):
    axfr = udp(lab, "ns1.example.com.", query("example.com.", "AXFR"))
    assert rcode(axfr) == "NOTIMP"  # as NSD: AXFR over UDP is not a thing
    assert rcode(tcp(lab, "ns1.example.com.", query("example.com.", "AXFR"))) == "REFUSED"
    assert rcode(udp(lab, "ns1.example.com.", query("example.com.", "IXFR"))) == "REFUSED"
    chaos = DNSRecord(DNSHeader(id=1), q=DNSQuestion("version.bind.", QTYPE.TXT, 3))
    assert rcode(udp(lab, "ns1.example.com.", chaos)) == "REFUSED"


def test_tcp_carries_several_queries_and_survives_byte_by_byte_writes(lab):
    address = (lab.address_of("ns1.example.com."), lab.port)
    with socket.create_connection(address, REPLY_TIMEOUT) as sock:
        first = query("www.example.com.", qid=1).pack()
        framed = struct.pack("!H", len(first)) + first
        for i in range(len(framed)):  # partial writes: one octet at a time
            sock.sendall(framed[i : i + 1])
        size = struct.unpack("!H", recv_exactly(sock, 2))[0]
        assert DNSRecord.parse(recv_exactly(sock, size)).header.id == 1
        pipelined = b"".join(
            struct.pack("!H", len(w)) + w
            for w in (query("mail.example.com.", qid=2).pack(), b"\x01\x02\x03",
                      query("huge.example.com.", "TXT", qid=3).pack())
        )
        sock.sendall(pipelined)
        replies = []
        for _ in range(2):  # the 3-octet message has no header: no reply, connection lives on
            size = struct.unpack("!H", recv_exactly(sock, 2))[0]
            replies.append(DNSRecord.parse(recv_exactly(sock, size)))
        assert [r.header.id for r in replies] == [2, 3]
        assert len(replies[1].rr) == 10 and not replies[1].header.tc


# ---------------------------------------------------------------------------- faults


def test_default_faults_are_in_place(lab):
    assert lab.hosts["ns1.flaky.com."].fault == Fault.dead()
    assert lab.hosts["ns2.flaky.com."].fault == Fault.lame()
    assert lab.hosts["ns3.flaky.com."].fault is None
    assert lab.hosts["ns.evil.com."].fault == Fault.malicious()
    assert lab.hosts["ns.slow.net."].fault.kind == "slow"
    assert lab.hosts["ns.aaref.com."].fault == Fault.aa_referral()
    assert lab.hosts["ns.lame-aa.net."].fault == Fault.lame("upward_aa")
    assert lab.hosts["ns1.down.com."].fault == lab.hosts["ns2.down.com."].fault == Fault.dead()
    assert lab.hosts["old-ns.renumbered.com."].fault == Fault.dead()
    assert lab.hosts["ns.stale.net."].fault == Fault.silent_after(1)


def test_dead_host_is_silent_over_udp_and_tcp(lab):
    assert udp(lab, "ns1.flaky.com.", query("www.flaky.com."), SILENCE_TIMEOUT) is None
    with socket.create_connection((lab.address_of("ns1.flaky.com."), lab.port), 1) as sock:
        sock.settimeout(SILENCE_TIMEOUT)
        wire = query("www.flaky.com.").pack()
        sock.sendall(struct.pack("!H", len(wire)) + wire)
        with pytest.raises(TimeoutError):
            sock.recv(2)
    assert lab.query_count("ns1.flaky.com.") == 2  # it heard them; it just never answers


def test_lame_host_refuses(lab):
    reply = udp(lab, "ns2.flaky.com.", query("www.flaky.com."))
    assert rcode(reply) == "REFUSED" and not reply.header.aa and reply.rr == []


def test_lame_upward_referral_points_at_the_root(lab):
    lab.set_fault("ns3.flaky.com.", Fault.lame("upward"))
    reply = udp(lab, "ns3.flaky.com.", query("www.flaky.com."))
    assert rcode(reply) == "NOERROR" and not reply.header.aa and reply.rr == []
    assert {owner for owner, _, _ in rrs(reply.auth, "NS")} == {"."}
    assert ("a.root-servers.net.", "A", "127.42.0.1") in rrs(reply.ar)


def test_faults_reset_to_the_topology_defaults(lab):
    lab.set_fault("ns3.flaky.com.", Fault.dead())
    lab.set_fault("ns1.flaky.com.", None)
    assert udp(lab, "ns1.flaky.com.", query("www.flaky.com.")).header.aa
    lab.reset_faults()
    assert lab.hosts["ns3.flaky.com."].fault is None
    assert udp(lab, "ns3.flaky.com.", query("www.flaky.com.")).header.aa
    assert udp(lab, "ns1.flaky.com.", query("www.flaky.com."), SILENCE_TIMEOUT) is None


def test_slow_host_answers_late(lab):
    lab.set_fault("ns.bank.com.", Fault.slow(0.2))
    started = time.monotonic()
    reply = udp(lab, "ns.bank.com.", query("www.bank.com."))
    assert reply.header.aa and time.monotonic() - started >= 0.15
    started = time.monotonic()
    tcp(lab, "ns.bank.com.", query("www.bank.com."))
    assert time.monotonic() - started >= 0.15


def test_lossy_host_drops_the_seeded_share_of_udp_queries(lab):
    lab.set_fault("ns.bank.com.", Fault.lossy(0.5, seed=3))
    expected = random.Random(3)
    dropped = {qid for qid in range(16) if expected.random() < 0.5}
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for qid in range(16):  # in order: the host draws one number per query it hears
            sock.sendto(query("www.bank.com.", qid=qid).pack(),
                        (lab.address_of("ns.bank.com."), lab.port))
        answered = {DNSRecord.parse(reply).header.id for reply in collect_replies(sock)}
    assert answered == set(range(16)) - dropped and 0 < len(dropped) < 16
    assert tcp(lab, "ns.bank.com.", query("www.bank.com.")).header.aa  # TCP never drops


def test_truncating_host_forces_tcp(lab):
    lab.set_fault("ns.bank.com.", Fault.truncate())
    over_udp = udp(lab, "ns.bank.com.", query("www.bank.com.", edns=1232))
    assert over_udp.header.tc and over_udp.rr == [] and opt_of(over_udp) is not None
    over_tcp = tcp(lab, "ns.bank.com.", query("www.bank.com."))
    assert not over_tcp.header.tc and rrs(over_tcp.rr) == [("www.bank.com.", "A", "127.42.25.80")]


def test_malicious_host_adds_forged_out_of_bailiwick_records(lab):
    reply = udp(lab, "ns.evil.com.", query(SCENARIOS["malicious"].qname))
    forged = ("www.bank.com.", "A", FORGED_ADDRESS)
    assert rrs(reply.rr) == [("www.evil.com.", "A", "127.42.24.80")]
    assert forged in rrs(reply.auth) and forged in rrs(reply.ar)
    real = udp(lab, "ns.bank.com.", query("www.bank.com."))
    assert rrs(real.rr) == [("www.bank.com.", "A", "127.42.25.80")]


def test_lossy_every_drops_exactly_every_other_udp_query(lab):
    """The lossy_server scenario's host: the 1st, 3rd, 5th... UDP query go unanswered."""
    host = "ns.lossy.org."
    assert lab.hosts[host].fault == Fault.lossy_every(2)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for qid in range(8):
            sock.sendto(query("www.lossy.org.", qid=qid).pack(), (lab.address_of(host), lab.port))
        answered = sorted(DNSRecord.parse(reply).header.id for reply in collect_replies(sock))
    assert answered == [1, 3, 5, 7]
    assert tcp(lab, host, query("www.lossy.org.")).header.aa  # TCP never drops
    assert udp(lab, host, query("www.lossy.org."), SILENCE_TIMEOUT) is None  # the 9th
    assert rrs(udp(lab, host, query("www.lossy.org.")).rr) == [
        ("www.lossy.org.", "A", "127.42.34.80")]  # the 10th: answered, as a retry would be


def test_silent_after_answers_its_first_queries_then_nothing():
    """serve_stale's host: a count of answered queries, UDP and TCP alike, then silence;
    set_fault starts the count again. In-process (Lab.respond): no sockets, no waiting."""
    lab = Lab()
    host = "ns.stale.net."
    address = lab.address_of(host)
    wire = query(SCENARIOS["serve_stale"].qname).pack()
    first = lab.respond(address, wire, "udp")
    assert rrs(DNSRecord.parse(first.data).rr) == [("www.stale.net.", "A", "127.42.38.80")]
    assert DNSRecord.parse(first.data).rr[0].ttl == 2
    assert lab.respond(address, wire, "udp").data is None
    assert lab.respond(address, wire, "tcp").data is None  # TCP does not bring it back
    lab.set_fault(host, Fault.silent_after(2))
    replies = [lab.respond(address, wire, protocol).data for protocol in ("tcp", "udp", "udp")]
    assert [reply is not None for reply in replies] == [True, True, False]
    assert lab.query_count(host) == 6  # it hears every query; it answers the first ones
    assert Fault.silent_after(1).describe() == "silent after 1 answer"
    row = next(line for line in lab.describe().splitlines() if host in line)
    assert row.split() == [host, "127.42.38.1", "stale.net.", "[silent", "after", "2", "answers]"]


def test_renumbered_zone_contradicts_the_parents_glue(lab):
    """renumbered_ns: com's glue leads to the live server, which hands out a stale address
    for itself, where the old server is switched off."""
    name = SCENARIOS["renumbered_ns"].qname
    referral = udp(lab, "a.gtld-servers.net.", query(name))
    assert rrs(referral.ar, "A") == [("ns.renumbered.com.", "A", "127.42.32.1")]
    answer = udp(lab, "ns.renumbered.com.", query(name))
    assert answer.header.aa and rrs(answer.rr) == [(name, "A", "127.42.32.80")]
    assert rrs(answer.ar, "A") == [("ns.renumbered.com.", "A", "127.42.32.99")]
    own = udp(lab, "ns.renumbered.com.", query("ns.renumbered.com."))
    assert own.header.aa and rrs(own.rr) == [("ns.renumbered.com.", "A", "127.42.32.99")]
    assert lab.address_of("old-ns.renumbered.com.") == "127.42.32.99"
    assert udp(lab, "old-ns.renumbered.com.", query(name), SILENCE_TIMEOUT) is None


def test_short_glue_ttl_outlives_nothing_but_the_ns_set(lab):
    """short_glue_ttl: the referral's NS set lives two days, its glue 3 seconds, and the
    child's own addresses for its servers are as short."""
    name = SCENARIOS["short_glue_ttl"].qname
    referral = udp(lab, "a.gtld-servers.net.", query(name))
    assert {rr.ttl for rr in referral.auth if rr.rtype == QTYPE.NS} == {172800}
    assert {rr.ttl for rr in referral.ar if rr.rtype == QTYPE.A} == {3}
    assert len(rrs(referral.ar, "A")) == 2
    answer = udp(lab, "ns1.shortglue.net.", query(name))
    assert answer.header.aa and rrs(answer.rr) == [(name, "A", "127.42.33.80")]
    assert {rr.ttl for rr in answer.auth if rr.rtype == QTYPE.NS} == {86400}
    assert {rr.ttl for rr in answer.ar if rr.rtype == QTYPE.A} == {3}


def test_aa_referral_host_sets_aa_on_referrals_only(lab):
    name = SCENARIOS["aa_referral"].qname
    host = "ns.aaref.com."
    referral = udp(lab, host, query(name))
    assert referral.header.aa and rcode(referral) == "NOERROR" and referral.rr == []
    assert rrs(referral.auth) == [("sub.aaref.com.", "NS", "ns.sub.aaref.com.")]
    assert rrs(referral.ar, "A") == [("ns.sub.aaref.com.", "A", "127.42.35.2")]
    assert not engine_for(host).answer(query(name)).header.aa  # the fault is what sets it
    nxdomain = udp(lab, host, query("nope.aaref.com."))
    assert rcode(nxdomain) == "NXDOMAIN" and rrs(nxdomain.auth)[0][1] == "SOA"
    assert rrs(udp(lab, host, query("www.aaref.com.")).rr) == [
        ("www.aaref.com.", "A", "127.42.35.80")]
    child = udp(lab, "ns.sub.aaref.com.", query(name))
    assert child.header.aa and rrs(child.rr) == [(name, "A", "127.42.35.81")]


def test_lame_aa_upward_referral_claims_authority_and_points_at_the_root(lab):
    reply = udp(lab, "ns.lame-aa.net.", query(SCENARIOS["lame_aa_upward"].qname))
    assert rcode(reply) == "NOERROR" and reply.header.aa and reply.rr == []
    assert {owner for owner, _, _ in rrs(reply.auth, "NS")} == {"."}
    assert rrs(reply.auth, "SOA") == []
    assert ("a.root-servers.net.", "A", "127.42.0.1") in rrs(reply.ar)


def test_every_server_of_the_dead_delegation_is_silent(lab):
    name = SCENARIOS["all_servers_dead"].qname
    referral = udp(lab, "a.gtld-servers.net.", query(name))
    assert {data for _, _, data in rrs(referral.auth, "NS")} == {"ns1.down.com.", "ns2.down.com."}
    for host in ("ns1.down.com.", "ns2.down.com."):
        assert udp(lab, host, query(name), SILENCE_TIMEOUT) is None


def test_a_lab_without_a_root_server_still_refers_upward_to_the_root():
    """A lab of a few hosts (the interop tests run faulty hosts this way) knows the root."""
    spec = next(s for s in DEFAULT_TOPOLOGY if s.name == "ns.lame-aa.net.")
    with Lab(port=0, topology=[spec]) as small:
        reply = udp(small, "ns.lame-aa.net.", query("www.lame-aa.net."))
        assert {owner for owner, _, _ in rrs(reply.auth, "NS")} == {"."}
        assert "a.root-servers.net." in Path(small.hints_path).read_text()


def test_fault_arguments_are_checked():
    for bad in (lambda: Fault.lame("sideways"), lambda: Fault.slow(-1),
                lambda: Fault.lossy(1.5), lambda: Fault("haunted"),
                lambda: Fault.lossy_every(0), lambda: Fault.lame("aa"),
                lambda: Fault.silent_after(-1)):
        with pytest.raises(ValueError):
            bad()


# ---------------------------------------------------------------------------- zone files


BROKEN_ZONES = [
    ("www IN A 1.2.3\n", 6, "1.2.3"),
    ("www IN FOO 1\n", 6, "unknown record type"),
    ("www.elsewhere.test. IN A 1.2.3.4\n", 6, "outside the zone"),
    ("www IN CNAME x\nwww IN A 1.2.3.4\n", 6, "CNAME"),
    ("sub IN NS ns.sub\nwww.sub IN TXT \"x\"\n", 7, "below the zone cut"),
    ("www IN TXT \"unterminated (\n", 6, None),
    ("$INCLUDE other.zone\n", 6, "unsupported directive"),
    ("bad{name IN MX 10\n", 6, "cannot parse"),
]


@pytest.mark.parametrize(("tail", "line", "reason"), BROKEN_ZONES)
def test_broken_zone_file_fails_at_load_with_file_line_and_reason(tmp_path, tail, line, reason):
    head = (
        "$ORIGIN example.test.\n$TTL 300\n@ IN SOA ns1 host 1 2 3 4 5\n@ IN NS ns1\n"
        "ns1 A 127.1.1.1\n"
    )
    path = tmp_path / "example.test.zone"
    path.write_text(head + tail)
    with pytest.raises(ZoneError) as error:
        load_zone(path)
    message = str(error.value)
    if reason is None:  # an unterminated quote swallows the rest: any located error will do
        assert str(path) in message
    else:
        assert message.startswith(f"{path}:{line}: ") and reason in message, message


def test_zone_without_soa_or_ns_at_the_apex_is_refused():
    with pytest.raises(ZoneError, match="no SOA"):
        parse_zone("$ORIGIN x.test.\n$TTL 60\n@ NS ns\n", "x.zone", origin="x.test.")
    with pytest.raises(ZoneError, match="no NS"):
        parse_zone("$ORIGIN x.test.\n$TTL 60\n@ SOA a b 1 2 3 4 5\n", "x.zone")


def test_zone_syntax_rfc1035_details():
    zone = parse_zone(
        "$ORIGIN x.test.\n$TTL 1h\n@ IN SOA a b (1 2\n 3 4 5) ; comment\n"
        "@ NS ns\nns 300 IN A 10.0.0.1\n   in 60 AAAA ::1\nt TXT \"(not a paren)\" \"b c\"\n",
        "x.zone",
    )
    records = {(str(rr.rname), QTYPE.get(rr.rtype)): rr for rr in zone.all_records()}
    assert records[("x.test.", "SOA")].ttl == 3600
    assert records[("ns.x.test.", "A")].ttl == 300
    assert records[("ns.x.test.", "AAAA")].ttl == 60
    assert str(records[("t.x.test.", "TXT")].rdata) == '"(not a paren)","b c"'


def test_broken_zone_in_a_lab_fails_when_the_lab_is_built(tmp_path):
    for path in ZONES_DIR.glob("*.zone"):
        (tmp_path / path.name).write_text(path.read_text())
    (tmp_path / "bank.com.zone").write_text("$ORIGIN bank.com.\n$TTL 60\nwww A 1.2.3\n")
    with pytest.raises(ZoneError, match=r"bank\.com\.zone:3: "):
        Lab(port=0, zones_dir=tmp_path)


# ---------------------------------------------------------------------------- the engine alone


def test_engine_answers_parsed_queries_without_sockets():
    engine = engine_for("ns1.example.com.")
    reply = engine.answer(query("www.example.com."), "udp")
    assert reply.header.aa and [str(rr.rdata) for rr in reply.rr] == ["127.42.20.80"]
    assert engine.answer(DNSRecord(DNSHeader(id=1, qr=1), q=DNSQuestion("x.")), "udp") is None
    assert engine.respond(b"\x00" * 5, "udp") is None
    big = query("huge.example.com.", "TXT")
    assert engine.answer(big, "udp").header.tc and not engine.answer(big, "tcp").header.tc


def test_engine_picks_the_most_specific_zone():
    engine = engine_for("a.ns.arpa.")
    assert engine.zone_for(name_key("1.0.42.127.in-addr.arpa.")).origin == "in-addr.arpa."
    assert engine.zone_for(name_key("in-addr.arpa."), QTYPE.DS).origin == "arpa."
    assert engine.zone_for(name_key("example.com.")) is None


# ---------------------------------------------------------------------------- lifecycle


def test_lab_starts_fast_and_stops_cleanly():
    started = time.perf_counter()
    fresh = Lab(port=0).start()
    elapsed = time.perf_counter() - started
    try:
        assert elapsed < 5.0  # typically ~0.03 s; the bound only proves it does not hang
        assert Path(fresh.hints_path).is_file()
        assert udp(fresh, "a.root-servers.net.", query(".", "NS")).header.aa
    finally:
        fresh.stop()
    assert not Path(fresh.hints_path).exists()
    fresh.stop()  # stopping twice is harmless


def test_another_block_moves_addresses_reverse_zone_and_hints():
    with Lab(network="127.53.0.0/16", port=0) as moved:
        assert moved.address_of("ns.cs.cornell.edu.") == "127.53.10.3"
        assert "53.127.in-addr.arpa." in moved.hosts["rev.dns-host.net."].zones
        referral = udp(moved, "a.edu-servers.net.", query("www.cornell.edu."))
        assert ("ns1.cornell.edu.", "A", "127.53.10.1") in rrs(referral.ar)
        ptr = moved.scenario("ptr")
        assert ptr.qname == "80.10.53.127.in-addr.arpa."
        assert rrs(udp(moved, "rev.dns-host.net.", query(ptr.qname, "PTR")).rr)[0][2] == (
            "www.cornell.edu.")
        assert load_root_hints(moved.hints_path).addresses["b.root-servers.net."] == (
            "127.53.0.2",)
        forged = udp(moved, "ns.evil.com.", query("www.evil.com."))
        assert ("www.bank.com.", "A", FORGED_ADDRESS) in rrs(forged.ar)  # outside: not moved


@pytest.mark.parametrize("network", ["10.42.0.0/16", "127.42.0.0/24", "::1/128", "nonsense"])
def test_lab_networks_outside_loopback_or_too_small_are_refused(network):
    with pytest.raises(ValueError):
        AddressMap(network)


def test_explicit_port_and_port_clash():
    with Lab(port=0) as first:
        with Lab(network="127.56.0.0/16", port=first.port) as second:  # another block: free...
            pass
        with pytest.raises(LabNetworkError):
            Lab(port=first.port).start()  # ...the same block is not
    assert second.port == first.port


def test_port_none_prefers_53_and_falls_back_to_a_shared_high_port():
    with Lab(network="127.54.0.0/16", port=None) as chosen:
        assert chosen.port == 53 or chosen.port > 1023
        for host in ("a.root-servers.net.", "ns.cs.cornell.edu."):
            assert udp(chosen, host, query(".", "SOA") if host[0] == "a" else
                       query("cs.cornell.edu.", "SOA")).header.aa


def test_run_lab_forever_prints_the_hosts_and_stops_on_sigterm():
    code = ("from resolver.lab import run_lab_forever; "
            "run_lab_forever(network='127.55.0.0/16', port=0)")
    process = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, cwd=Path(__file__).resolve().parent.parent,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        lines = []
        while True:
            line = process.stdout.readline()
            assert line, process.stderr.read()
            lines.append(line)
            if line.startswith("resolve with:"):
                break
        header = lines[0]
        port = int(header.split("port ")[1].split(",")[0])
        assert "127.55.0.1" in "".join(lines) and "[dead]" in "".join(lines)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.settimeout(REPLY_TIMEOUT)
            sock.sendto(query(".", "SOA").pack(), ("127.55.0.1", port))
            assert DNSRecord.parse(sock.recv(4096)).header.aa
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=10)
        assert process.returncode == 0, err
        assert "lab stopped" in out
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_addresses_are_all_inside_the_lab_block(lab):
    block = ipaddress.ip_network(lab.network)
    assert all(ipaddress.ip_address(h.address) in block for h in lab.hosts.values())
    assert len({h.address for h in lab.hosts.values()}) == len(lab.hosts)
