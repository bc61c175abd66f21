"""NSEC and NSEC3 proofs as pure set logic: RFC 5155 Appendix B's example responses, over the
NSEC3 chain of its Appendix A zone, and NSEC coverage with wrap-around (RFC 4034 §4.1.1)."""

from __future__ import annotations

import dataclasses

import pytest

from resolver.dnssec import MAX_NSEC3_ITERATIONS, ValidationBudget
from resolver.dnssec.nsec import covers, has_type, proves_nodata, proves_nxdomain
from resolver.dnssec.nsec3 import Denial, Nsec3Set
from resolver.records import NSEC, NSEC3, Name, from_text

# RFC 5155 Appendix A: the NSEC3 chain of the example zone (opt-out set on every record).
CHAIN = """\
0p9mhaveqvm6t7vbl5lop2u3t2rp3tom 2t7b4g4vsa5smi47k61mv5bv1a22bojr NS SOA MX RRSIG DNSKEY NSEC3PARAM
2t7b4g4vsa5smi47k61mv5bv1a22bojr 2vptu5timamqttgl4luu9kg21e0aor3s A RRSIG
2vptu5timamqttgl4luu9kg21e0aor3s 35mthgpgcu1qg68fab165klnsnk3dpvl MX RRSIG
35mthgpgcu1qg68fab165klnsnk3dpvl b4um86eghhds6nea196smvmlo4ors995 NS DS RRSIG
b4um86eghhds6nea196smvmlo4ors995 gjeqe526plbf1g8mklp59enfd789njgi MX RRSIG
gjeqe526plbf1g8mklp59enfd789njgi ji6neoaepv8b5o6k4ev33abha8ht9fgc HINFO A AAAA RRSIG
ji6neoaepv8b5o6k4ev33abha8ht9fgc k8udemvp1j2f7eg6jebps17vp3n8i58h
k8udemvp1j2f7eg6jebps17vp3n8i58h kohar7mbb8dc2ce8a9qvl8hon4k53uhi
kohar7mbb8dc2ce8a9qvl8hon4k53uhi q04jkcevqvmu85r014c7dkba38o0ji5r A RRSIG
q04jkcevqvmu85r014c7dkba38o0ji5r r53bq7cc2uvmubfu5ocmm6pers9tk9en A RRSIG
r53bq7cc2uvmubfu5ocmm6pers9tk9en t644ebqk9bibcna874givr6joj62mlhv MX RRSIG
t644ebqk9bibcna874givr6joj62mlhv 0p9mhaveqvm6t7vbl5lop2u3t2rp3tom A HINFO AAAA RRSIG
"""
ZONE = Name.from_text("example.")


def name(text: str) -> Name:
    return Name.from_text(text)


def chain(opt_out: bool = True) -> list[tuple[Name, NSEC3]]:
    records = []
    for line in CHAIN.splitlines():
        owner, rest = line.split(" ", 1)
        rdata = from_text("NSEC3", f"1 {int(opt_out)} 12 aabbccdd {rest}")
        assert isinstance(rdata, NSEC3)
        records.append((name(owner + ".example."), rdata))
    return records


def nsec3set(opt_out: bool = True, **kwargs: int) -> Nsec3Set:
    return Nsec3Set(chain(opt_out), ZONE, ValidationBudget(), **kwargs)


def test_b1_name_error_proof_for_c_x_w_example() -> None:
    # closest encloser x.w.example, next closer c.x.w.example, wildcard *.x.w.example
    proof = nsec3set().closest_encloser(name("a.c.x.w.example."))
    assert proof is not None and proof[0] == name("x.w.example.")
    assert proof[1] == name("c.x.w.example.")
    assert nsec3set(opt_out=False).nxdomain(name("c.x.w.example.")) is Denial.PROVEN
    # the span covering the next closer is opt-out: an unsigned delegation could be there
    assert nsec3set().nxdomain(name("c.x.w.example.")) is Denial.OPT_OUT


def test_b2_no_data_error_and_b21_empty_non_terminal() -> None:
    assert nsec3set().nodata(name("ns1.example."), 15) is Denial.PROVEN  # MX at ns1: none
    assert nsec3set().nodata(name("ns1.example."), 1) is Denial.NOT_PROVEN  # A exists
    assert nsec3set().nodata(name("y.w.example."), 1) is Denial.PROVEN  # an empty non-terminal


def test_b3_referral_to_an_opt_out_unsigned_zone() -> None:
    assert nsec3set().no_ds(name("b.example.")) is Denial.OPT_OUT
    # a signed delegation (a.example has DS) is not an unsigned one
    assert nsec3set().no_ds(name("a.example.")) is Denial.NOT_PROVEN


def test_b4_wildcard_expansion() -> None:
    assert nsec3set().expansion(name("a.z.w.example."), name("*.w.example.")) is Denial.PROVEN
    # x.w.example exists: no expansion of *.w.example may answer for it
    assert nsec3set().expansion(name("x.w.example."), name("*.w.example.")) is Denial.NOT_PROVEN


def test_b5_wildcard_no_data_error() -> None:
    assert nsec3set(opt_out=False).nodata(name("a.z.w.example."), 28) is Denial.PROVEN
    assert nsec3set(opt_out=False).nodata(name("a.z.w.example."), 15) is Denial.NOT_PROVEN


def test_iterations_over_the_cap_are_insecure_not_bogus() -> None:
    assert MAX_NSEC3_ITERATIONS >= 12
    capped = nsec3set(max_iterations=10)
    assert capped.nodata(name("ns1.example."), 15) is Denial.ITERATIONS


def test_unknown_hash_algorithm_and_flags_are_ignored() -> None:
    odd = [(owner, dataclasses.replace(rdata, algorithm=2)) for owner, rdata in chain()]
    assert Nsec3Set(odd, ZONE, ValidationBudget()).nodata(name("ns1.example."), 15) is (
        Denial.NOT_PROVEN
    )


# --- NSEC ---------------------------------------------------------------------------------


def nsec(owner: str, following: str, *types: str) -> tuple[Name, NSEC]:
    rdata = from_text("NSEC", " ".join((following, *types)))
    assert isinstance(rdata, NSEC)
    return name(owner), rdata


def test_nsec_coverage_wraps_at_the_end_of_the_zone() -> None:
    owner, last = nsec("z.example.", "example.", "A", "RRSIG", "NSEC")
    assert covers(owner, last, name("zz.example."))
    assert not covers(owner, last, name("a.example."))
    assert has_type(last.windows, 1) and not has_type(last.windows, 15)


def test_nsec_nxdomain_needs_the_wildcard_denied_too() -> None:
    apex = nsec("example.", "a.example.", "NS", "SOA", "RRSIG", "NSEC")
    a = nsec("a.example.", "z.example.", "A", "RRSIG", "NSEC")
    z = nsec("z.example.", "example.", "A", "RRSIG", "NSEC")
    assert proves_nxdomain([a, apex], name("b.example."))  # *.example is before a.example
    assert not proves_nxdomain([a], name("b.example."))  # the wildcard is not denied
    assert proves_nodata([a, z], name("a.example."), 15)
    assert not proves_nodata([a, z], name("a.example."), 1)


def test_nsec_at_a_delegation_denies_nothing_below_it() -> None:
    cut = nsec("sub.example.", "z.example.", "NS", "RRSIG", "NSEC")
    apex = nsec("example.", "sub.example.", "NS", "SOA", "RRSIG", "NSEC")
    assert not proves_nxdomain([cut, apex], name("www.sub.example."))


@pytest.mark.parametrize("qtype", [43])
def test_ds_nodata_from_the_parent_side_only(qtype: int) -> None:
    parent_side = nsec("sub.example.", "z.example.", "NS", "RRSIG", "NSEC")
    child_apex = nsec("sub.example.", "www.sub.example.", "NS", "SOA", "RRSIG", "NSEC", "DNSKEY")
    assert proves_nodata([parent_side], name("sub.example."), qtype)
    assert not proves_nodata([child_apex], name("sub.example."), qtype)
