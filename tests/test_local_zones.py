"""Local zones as Unbound defines them, the RFC 6303 / 6761 defaults, hosts and blocklist
files: first the lookup itself, then through the nameserver on a loopback socket."""

from __future__ import annotations

import pytest
from dnslib import QTYPE, DNSRecord

from resolver.server.config import ServerConfig
from resolver.server.local_zones import LocalDataError, build
from tests.test_server import FakeResolver, ServerThread

NOERROR, NXDOMAIN, REFUSED = 0, 3, 5


def zones(**config: object):
    return build(ServerConfig(**config))


def test_defaults_answer_localhost_and_refuse_to_leak_private_reverse_names():
    local = zones(default_local_zones=True)
    answer = local.lookup("localhost.", QTYPE.A)
    assert [str(r.rdata) for r in answer.answer] == ["127.0.0.1"]
    assert [str(r.rdata) for r in local.lookup("localhost.", QTYPE.AAAA).answer] == ["::1"]
    ptr = local.lookup("1.0.0.127.in-addr.arpa.", QTYPE.PTR)
    assert [str(r.rdata) for r in ptr.answer] == ["localhost."]
    for name in ("5.1.168.192.in-addr.arpa.", "1.0.0.10.in-addr.arpa.", "9.9.20.172.in-addr.arpa.",
                 "www.test.", "nothing.invalid.", "x.onion.", "printer.home.arpa."):
        found = local.lookup(name, QTYPE.PTR)
        assert found.rcode == NXDOMAIN, name
        assert found.authority[0].rtype == QTYPE.SOA  # RFC 6303 §3: the zone's SOA
    assert local.lookup("1.0.0.11.in-addr.arpa.", QTYPE.PTR) is None  # public: resolved
    assert local.lookup("www.example.com.", QTYPE.A) is None


def test_defaults_off_and_nodefault():
    assert zones().lookup("localhost.", QTYPE.A) is None
    local = zones(default_local_zones=True, local_zones=[("10.in-addr.arpa.", "nodefault")])
    assert local.lookup("1.0.0.10.in-addr.arpa.", QTYPE.PTR) is None
    assert local.lookup("1.1.168.192.in-addr.arpa.", QTYPE.PTR).rcode == NXDOMAIN


ZONES = [
    ("st.example.", "static"),
    ("ref.example.", "refuse"),
    ("den.example.", "deny"),
    ("red.example.", "redirect"),
    ("nx.example.", "always_nxdomain"),
    ("tr.example.", "transparent"),
    ("tt.example.", "typetransparent"),
]
DATA = [
    "www.st.example. 300 IN A 192.0.2.1",
    "www.ref.example. IN A 192.0.2.2",
    "www.den.example. IN A 192.0.2.3",
    "red.example. 60 IN A 192.0.2.4",
    "www.nx.example. IN A 192.0.2.5",
    "www.tr.example. IN A 192.0.2.6",
    "www.tt.example. IN A 192.0.2.7",
    "solo.example. IN TXT \"alone\"",
]


@pytest.mark.parametrize(
    ("name", "qtype", "rcode", "addresses", "drop"),
    [
        ("www.st.example.", "A", NOERROR, ["192.0.2.1"], False),
        ("www.st.example.", "AAAA", NOERROR, [], False),  # NODATA
        ("other.st.example.", "A", NXDOMAIN, [], False),
        ("www.ref.example.", "A", NOERROR, ["192.0.2.2"], False),
        ("other.ref.example.", "A", REFUSED, [], False),
        ("www.den.example.", "A", NOERROR, ["192.0.2.3"], False),
        ("other.den.example.", "A", REFUSED, [], True),
        ("any.thing.red.example.", "A", NOERROR, ["192.0.2.4"], False),
        ("www.nx.example.", "A", NXDOMAIN, [], False),
        ("www.tr.example.", "A", NOERROR, ["192.0.2.6"], False),
        ("www.tr.example.", "AAAA", NOERROR, [], False),
        ("www.tt.example.", "A", NOERROR, ["192.0.2.7"], False),
    ],
)
def test_each_unbound_local_zone_type(name, qtype, rcode, addresses, drop):
    local = zones(local_zones=ZONES, local_data=DATA)
    found = local.lookup(name, getattr(QTYPE, qtype))
    assert found is not None
    assert (found.rcode, found.drop) == (rcode, drop)
    assert [str(r.rdata) for r in found.answer] == addresses
    assert all(str(r.rname) == name for r in found.answer)


def test_transparent_zones_and_plain_local_data_fall_through_to_resolution():
    local = zones(local_zones=ZONES, local_data=DATA)
    assert local.lookup("other.tr.example.", QTYPE.A) is None
    assert local.lookup("www.tt.example.", QTYPE.AAAA) is None  # typetransparent: other type
    assert local.lookup("solo.example.", QTYPE.TXT).answer[0].rdata.data == [b"alone"]
    assert local.lookup("below.solo.example.", QTYPE.A) is None
    assert local.hits["transparent"] == 1


def test_hosts_file_names_and_reverse_names(tmp_path):
    hosts = tmp_path / "hosts"
    hosts.write_text("# comment\n192.0.2.10 nas.home nas  # the NAS\n2001:db8::10 nas.home\n")
    local = zones(hosts_file=str(hosts))
    assert [str(r.rdata) for r in local.lookup("nas.home.", QTYPE.A).answer] == ["192.0.2.10"]
    assert [str(r.rdata) for r in local.lookup("nas.", QTYPE.A).answer] == ["192.0.2.10"]
    assert [str(r.rdata) for r in local.lookup("nas.home.", QTYPE.AAAA).answer] == ["2001:db8::10"]
    ptr = local.lookup("10.2.0.192.in-addr.arpa.", QTYPE.PTR)
    assert [str(r.rdata) for r in ptr.answer] == ["nas.home."]


def test_blocklist_nxdomain_or_addresses_with_counters(tmp_path):
    blocklist = tmp_path / "blocked"
    blocklist.write_text("ads.example\n0.0.0.0 tracker.example.net\n\n# end\n")
    local = zones(blocklist_file=str(blocklist))
    assert local.lookup("ads.example.", QTYPE.A).rcode == NXDOMAIN
    assert local.lookup("x.y.ads.example.", QTYPE.A).rcode == NXDOMAIN
    assert local.lookup("tracker.example.net.", QTYPE.AAAA).rcode == NXDOMAIN
    assert local.lookup("example.net.", QTYPE.A) is None
    assert local.hits["blocklist"] == 3
    sinkhole = zones(blocklist_file=str(blocklist), blocklist_address=["0.0.0.0", "::"])
    assert [str(r.rdata) for r in sinkhole.lookup("a.ads.example.", QTYPE.A).answer] == ["0.0.0.0"]
    assert [str(r.rdata) for r in sinkhole.lookup("ads.example.", QTYPE.AAAA).answer] == ["::"]
    assert sinkhole.lookup("ads.example.", QTYPE.MX).answer == []


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"local_data": ["www.x. IN A 1.2.3"]}, "local-data #1"),
        ({"hosts_file": "/nonexistent/hosts"}, "cannot read"),
    ],
)
def test_bad_local_data_is_an_error_that_says_where(config, message):
    with pytest.raises(LocalDataError, match=message):
        zones(**config)


def test_bad_lines_in_files_name_the_line(tmp_path):
    hosts = tmp_path / "hosts"
    hosts.write_text("127.0.0.1 localhost\nnot-an-address name\n")
    with pytest.raises(LocalDataError, match=rf"{hosts}:2: not an IP address"):
        zones(hosts_file=str(hosts))
    blocklist = tmp_path / "blocked"
    blocklist.write_text("ok.example\nbad..example\n")
    with pytest.raises(LocalDataError, match=rf"{blocklist}:2: not a domain name"):
        zones(blocklist_file=str(blocklist))


def test_the_nameserver_answers_local_data_before_resolving():
    fake = FakeResolver()
    config = {"default_local_zones": True, "local_zones": ZONES, "local_data": DATA}
    with ServerThread(fake, **config) as server:
        reply = server.ask(DNSRecord.question("localhost.", "A"))
        assert [str(r.rdata) for r in reply.rr] == ["127.0.0.1"]
        assert reply.header.rcode == NOERROR and reply.header.ra == 1
        assert server.ask(DNSRecord.question("x.nx.example.", "A")).header.rcode == NXDOMAIN
        sock = server.udp_socket()
        sock.settimeout(0.5)
        denied = DNSRecord.question("other.den.example.", "A").pack()
        sock.sendto(denied, (server.host, server.port))
        with pytest.raises(TimeoutError):
            sock.recvfrom(512)  # deny: no reply at all
        sock.close()
        assert server.ask(DNSRecord.question("www.example.test.", "A")).header.rcode == NXDOMAIN
        assert fake.calls == []  # nothing above reached the resolver
        counters = server.nameserver.snapshot()["local_answers"]
        assert counters == {"always_nxdomain": 1, "deny": 1, "static": 2}


def test_a_zone_at_the_root_or_a_top_level_domain_covers_every_name_below_it():
    # Most names are found outside every zone by their last label alone: these are not.
    root = zones(local_zones=[(".", "refuse")])
    assert root.lookup("www.example.com.", QTYPE.A).rcode == REFUSED
    assert root.lookup(".", QTYPE.NS).rcode == REFUSED
    tld = zones(local_zones=[("corp.", "static")], local_data=["x.lan. IN A 192.0.2.8"])
    assert tld.lookup("a.b.CORP.".lower(), QTYPE.A).rcode == NXDOMAIN
    assert tld.lookup("x.lan.", QTYPE.A).answer[0].rdata is not None
    assert tld.lookup("a.example.", QTYPE.A) is None
    assert tld.lookup("corp\\.x.", QTYPE.A) is None  # one label "corp.x": not under corp.
    assert tld.lookup(".", QTYPE.NS) is None
