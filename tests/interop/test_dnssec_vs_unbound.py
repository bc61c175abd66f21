"""Our validator against Unbound's, both validating the lab's signed zones served by NSD.

The signed lab zones (`SignedLab.zone_text`: every RRset, its RRSIGs, the NSEC or NSEC3 chain)
moved into a free 127.N.0.0/16 block are served by NSD on port 53, faults emulated as in
test_resolver_vs_unbound.py (same helpers). Unbound runs "validator iterator" with the lab's
root DS as its trust-anchor-file; our Resolver validates from the same file. Every DNSSEC
scenario of the lab is asked of both (Unbound with AD=1, so it says whether the data is
secure, RFC 6840 §5.7): rcode, the AD bit (ours: `Answer.security` is secure) and the answer
section without RRSIGs (a set of owner, type, RDATA) must agree.
"""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

import pytest
from dnslib import RCODE, DNSRecord

from resolver import Resolver
from resolver.dnssec import Security
from resolver.lab import Lab, zone_file
from resolver.lab.topology import AddressMap
from tests.interop.test_resolver_vs_unbound import (
    NSD,
    UNBOUND,
    UPSTREAM_PORT,
    Unbound,
    lab_served_by_nsd,
    require_tool,
    unavailable,
)

pytestmark = pytest.mark.interop

DNSSEC_SCENARIOS = [
    "dnssec_secure", "nsec_nxdomain", "nsec_nodata", "nsec3_nxdomain", "nsec3_nodata",
    "nsec3_opt_out", "insecure_delegation", "signed_wildcard", "nsec3_wildcard",
    "unsupported_algorithm", "cname_signed_to_unsigned", "bogus_signature", "bogus_expired",
    "bogus_ds_mismatch", "bogus_ds_for_unsigned", "cname_chain", "cname_into_child",
    "wildcard_below_existing", "empty_non_terminal",
]  # fmt: skip
RRSIG = 46


def _records(section) -> set[tuple[str, str, str]]:
    return {
        (str(rr.rname).lower(), str(rr.rtype), rr.rdata.toZone())
        for rr in section if rr.rtype != RRSIG
    }  # fmt: skip


def write_signed_lab(lab: Lab, network: str, workdir: Path) -> dict[str, Path]:
    """The signed lab's zone files (origin -> path, for `lab_served_by_nsd`), its root hints
    (workdir/root.hints) and its trust anchor, the root DS (workdir/root.key)."""
    assert lab.signed is not None
    paths = {}
    for key in lab.signed.zones:
        origin = AddressMap(network).text_name(key)  # the reverse zone moves
        path = zone_file(origin, workdir)
        path.write_text(f"$ORIGIN {origin}\n" + lab.signed.zone_text(key), encoding="utf-8")
        paths[origin] = path
    (workdir / "root.hints").write_text(lab.root_hints_text(), encoding="ascii")
    (workdir / "root.key").write_text(lab.signed.trust_anchor_text(), encoding="ascii")
    return paths


@pytest.fixture(scope="module")
def signed_hierarchy():
    require_tool(NSD, "nsd")
    require_tool(UNBOUND, "unbound")
    with lab_served_by_nsd("interop-signed-", write_signed_lab, []) as served, \
            ExitStack() as stack:
        if served is not None:
            lab, _, workdir, _ = served
            hints, anchor = workdir / "root.hints", workdir / "root.key"
            unbound = Unbound(str(hints), trust_anchor=str(anchor)).start()
            stack.callback(unbound.stop)
            resolver = Resolver(root_hints=str(hints), upstream_port=UPSTREAM_PORT,
                                allowed_networks=[lab.network], trust_anchors=str(anchor))
            stack.callback(resolver.close)
            yield lab, unbound, resolver
            return
    unavailable("no signed NSD hierarchy on port 53 (needs root and a free 127.N.0.0/16)")


@pytest.mark.parametrize("name", DNSSEC_SCENARIOS)
def test_validation_agrees_with_unbound(signed_hierarchy, name):
    lab, unbound, resolver = signed_hierarchy
    scenario = lab.scenario(name)
    theirs: DNSRecord | None = unbound.query(scenario.qname, scenario.qtype, ad=True)
    assert theirs is not None, f"Unbound gave no reply: {unbound.log()[-1500:]}"
    ours = resolver.query(scenario.qname, scenario.qtype)
    assert ours.rcode == theirs.header.rcode, (
        f"{name}: ours {RCODE.get(ours.rcode)}, Unbound {RCODE.get(theirs.header.rcode)}"
    )
    assert (ours.security is Security.SECURE) == bool(theirs.header.ad), (
        f"{name}: ours {ours.security}, Unbound AD={theirs.header.ad}"
    )
    assert _records(ours.answer_records) == _records(theirs.rr), name
