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

import itertools
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
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
    _free_networks,
    _serve,
    require_tool,
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


def write_signed_lab(lab: Lab, workdir: Path) -> tuple[dict[str, Path], Path, Path]:
    """The signed lab's zone files (origin -> path, for `_serve`), its root hints and its
    trust anchor (root DS) file, written into `workdir`; benchmarks/dnssec_vs_unbound.py too."""
    assert lab.signed is not None
    paths = {}
    for key in lab.signed.zones:
        origin = AddressMap(lab.network).text_name(key)  # the reverse zone moves
        path = zone_file(origin, workdir)
        path.write_text(f"$ORIGIN {origin}\n" + lab.signed.zone_text(key), encoding="utf-8")
        paths[origin] = path
    hints = workdir / "root.hints"
    hints.write_text(lab.root_hints_text(), encoding="ascii")
    anchor = workdir / "root.key"
    anchor.write_text(lab.signed.trust_anchor_text(), encoding="ascii")
    return paths, hints, anchor


@contextmanager
def serve_signed_lab(prefix: str) -> Iterator[tuple[Lab, Path, Path, Path] | None]:
    """The signed lab served by NSD on port 53 of a free 127.N.0.0/16 (faulty hosts as in
    `_serve`): (lab, workdir, root hints, trust anchor), or None when no block could be had.
    Everything started and written is undone on exit; benchmarks/dnssec_vs_unbound.py too."""
    # Another run may take a block between our check and NSD's bind: then try the next one.
    for network in itertools.islice(_free_networks(), 3):
        with ExitStack() as stack:
            workdir = Path(tempfile.mkdtemp(prefix=prefix))
            stack.callback(shutil.rmtree, workdir, ignore_errors=True)
            lab = Lab(network=network)
            paths, hints, anchor = write_signed_lab(lab, workdir)
            try:
                _serve(lab, paths, stack)
            except (OSError, RuntimeError):
                continue
            yield lab, workdir, hints, anchor
            return
    yield None


@pytest.fixture(scope="module")
def signed_hierarchy():
    require_tool(NSD, "nsd")
    require_tool(UNBOUND, "unbound")
    with serve_signed_lab("interop-signed-") as served, ExitStack() as stack:
        if served is not None:
            lab, _, hints, anchor = served
            unbound = Unbound(str(hints), trust_anchor=str(anchor)).start()
            stack.callback(unbound.stop)
            resolver = Resolver(root_hints=str(hints), upstream_port=UPSTREAM_PORT,
                                allowed_networks=[lab.network], trust_anchors=str(anchor))
            stack.callback(resolver.close)
            yield lab, unbound, resolver
            return
    message = "no signed NSD hierarchy on port 53 (needs root and a free 127.N.0.0/16)"
    if os.environ.get("RESOLVER_REQUIRE_INTEROP") == "1":
        pytest.fail(message)
    pytest.skip(message)


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
