"""RFC 4035 §5 (with RFC 5155, 6840, 8914): the resolver validates the signed lab's answers.

Each scenario of the lab (resolver/lab/scenarios.py) is asked through the library, in-process
on a fake clock (tests/fakenet.py); the trust anchor is the lab's root DS. What a user checks:
rcode, `Answer.security`, the EDE code and reason of a bogus SERVFAIL, and the trace's account
of how trust moved down the zone cuts.
"""

from __future__ import annotations

import time

import pytest
from dnslib import QTYPE, RCODE

from resolver.dnssec import EDE, Security, ValidationBudget
from resolver.render import answer_failure, failure_reason, render_trace
from resolver.trace import AnswerValidated, Cause, QuerySent, TrustEstablished
from tests.fakenet import hermetic_resolver


@pytest.fixture
def setup(tmp_path):
    resolver, lab, clock, network = hermetic_resolver(tmp_path)
    yield resolver, lab, clock
    resolver.close()


def ask(setup, scenario: str):
    resolver, lab, _ = setup
    s = lab.scenario(scenario)
    return resolver.query(s.qname, s.qtype)


def trust_events(answer) -> dict[str, TrustEstablished]:
    return {e.zone: e for e in answer.trace if isinstance(e, TrustEstablished)}


def test_secure_chain_from_the_root_anchor_to_www_cs_cornell_edu(setup):
    answer = ask(setup, "dnssec_secure")
    assert answer.rcode == RCODE.NOERROR
    assert [r.address for r in answer] == ["127.42.10.81"]
    assert answer.security is Security.SECURE
    trust = trust_events(answer)
    assert list(trust) == [".", "edu.", "cornell.edu.", "cs.cornell.edu."]
    assert trust["."].anchor and trust["."].matched
    for zone, parent in (("edu.", "."), ("cornell.edu.", "edu."), ("cs.cornell.edu.", "edu.")):
        if zone == "cs.cornell.edu.":
            parent = "cornell.edu."
        assert trust[zone].security == "secure" and trust[zone].parent == parent
        tag, algorithm, _ = trust[zone].matched[0]
        assert (tag, algorithm) in {(t, a) for t, a, _ in trust[zone].ds}
    verdict = next(e for e in answer.trace if isinstance(e, AnswerValidated))
    assert (verdict.zone, verdict.security) == ("cs.cornell.edu.", "secure")
    # each cut's DS came signed with the referral the walk followed: no DS query, one DNSKEY
    # query per zone
    asked = [e.qtype for e in answer.trace if isinstance(e, QuerySent) and e.depth > 0]
    assert sorted(asked) == ["DNSKEY"] * 4
    assert verdict.key_tag is not None  # the key whose RRSIG covered the answer


def test_cached_answers_keep_their_status_and_trusted_keys_are_reused(setup):
    first = ask(setup, "dnssec_secure")
    again = ask(setup, "dnssec_secure")
    assert again.from_cache and again.security is Security.SECURE
    [status] = [e for e in again.trace if isinstance(e, AnswerValidated)]
    assert status.cached and status.security == "secure"  # the status it was cached with
    sibling = ask(setup, "nsec_nodata")  # same zone: its keys come from the validator's cache
    assert sibling.security is Security.SECURE
    cached = trust_events(sibling)["cs.cornell.edu."]
    assert cached.cached
    asked = {e.qtype for e in sibling.trace if isinstance(e, QuerySent)}
    assert asked == {"MX"}  # no DS or DNSKEY fetched again
    assert first.security is Security.SECURE


@pytest.mark.parametrize("scenario, rcode", [
    ("nsec_nxdomain", RCODE.NXDOMAIN), ("nsec_nodata", RCODE.NOERROR),
    ("nsec3_nxdomain", RCODE.NXDOMAIN), ("nsec3_nodata", RCODE.NOERROR),
])
def test_nsec_and_nsec3_denials_are_secure(setup, scenario, rcode):
    answer = ask(setup, scenario)
    assert answer.rcode == rcode and not list(answer)
    assert answer.security is Security.SECURE
    proof = {rr.rtype for rr in answer.dnssec_records}
    assert proof & {QTYPE.NSEC, QTYPE.NSEC3} and QTYPE.RRSIG in proof


@pytest.mark.parametrize("scenario, address", [
    ("signed_wildcard", "127.42.20.99"), ("nsec3_wildcard", "127.42.21.81"),
])
def test_wildcard_expansions_are_secure_with_their_proof(setup, scenario, address):
    answer = ask(setup, scenario)
    assert [r.address for r in answer] == [address]
    assert answer.security is Security.SECURE
    verdict = next(e for e in answer.trace if isinstance(e, AnswerValidated))
    assert verdict.wildcard.startswith("*.")


@pytest.mark.parametrize("scenario, reason", [
    ("insecure_delegation", "unsigned-delegation"),
    ("nsec3_opt_out", "opt-out"),
    ("unsupported_algorithm", "unsupported-algorithm"),
])
def test_insecure_zones_answer_without_validation_failing(setup, scenario, reason):
    answer = ask(setup, scenario)
    assert answer.rcode == RCODE.NOERROR and list(answer)
    assert answer.security is Security.INSECURE
    zone = answer.qname.parent().to_text()
    assert trust_events(answer)[zone].reason == reason


@pytest.mark.parametrize("scenario, reason, ede", [
    ("bogus_signature", "signature-invalid", EDE.DNSSEC_BOGUS),
    ("bogus_expired", "signature-expired", EDE.SIGNATURE_EXPIRED),
    ("bogus_ds_mismatch", "ds-mismatch", EDE.DNSKEY_MISSING),
    ("bogus_ds_for_unsigned", "dnskey-missing", EDE.DNSKEY_MISSING),
])
def test_bogus_answers_are_servfail_with_ede_and_reason(setup, scenario, reason, ede):
    answer = ask(setup, scenario)
    assert answer.rcode == RCODE.SERVFAIL and not list(answer)
    assert answer.security is Security.BOGUS
    failure = answer_failure(answer)
    assert failure is not None and failure.cause == Cause.DNSSEC_BOGUS
    assert (failure.reason, failure.ede) == (reason, int(ede))
    assert "DNSSEC validation failed" in failure_reason(answer)
    text = render_trace(answer)
    assert "bogus" in text


def test_bogus_data_is_not_cached_and_the_failure_is_cached_briefly(setup):
    resolver, lab, clock = setup
    first = ask(setup, "bogus_signature")
    assert first.rcode == RCODE.SERVFAIL
    s = lab.scenario("bogus_signature")
    assert resolver.iterator.cache.get(s.qname, s.qtype) is None  # never cached, at any trust
    again = ask(setup, "bogus_signature")
    assert again.rcode == RCODE.SERVFAIL and again.upstream_queries == 0  # RFC 9520
    clock.advance(60)
    later = ask(setup, "bogus_signature")
    assert later.rcode == RCODE.SERVFAIL and later.upstream_queries > 0


def test_a_bogus_answer_repeated_from_the_failure_cache_keeps_its_ede_code(setup):
    first = ask(setup, "bogus_expired")
    again = ask(setup, "bogus_expired")
    assert again.upstream_queries == 0  # the failure cache answered (RFC 9520)
    assert answer_failure(first).ede == answer_failure(again).ede == int(EDE.SIGNATURE_EXPIRED)
    assert again.ede is not None and again.ede.code == int(EDE.SIGNATURE_EXPIRED)


def test_cname_from_a_signed_zone_into_an_unsigned_one_is_insecure(setup):
    answer = ask(setup, "cname_signed_to_unsigned")
    assert [r.address for r in answer] == ["127.42.25.80"]
    assert answer.security is Security.INSECURE
    verdicts = [(e.zone, e.security) for e in answer.trace if isinstance(e, AnswerValidated)]
    assert verdicts == [("example.com.", "secure"), ("bank.com.", "insecure")]


def test_cname_chain_through_three_signed_zones_is_secure(setup):
    answer = ask(setup, "cname_chain")
    assert answer.rcode == RCODE.NOERROR and list(answer)
    zones = [e.zone for e in answer.trace if isinstance(e, AnswerValidated)]
    assert zones == ["example.com.", "example.net.", "example.org."]
    statuses = {e.security for e in answer.trace if isinstance(e, AnswerValidated)}
    assert answer.security is (Security.SECURE if statuses == {"secure"} else Security.INSECURE)


def test_dnssec_false_turns_validation_off(tmp_path):
    resolver, lab, _, _ = hermetic_resolver(tmp_path, dnssec=False)
    with resolver:
        s = lab.scenario("bogus_signature")
        answer = resolver.query(s.qname, s.qtype)
    assert answer.rcode == RCODE.NOERROR and list(answer)  # the bogus data, unchecked
    assert answer.security is None
    assert not any(isinstance(e, (TrustEstablished, AnswerValidated)) for e in answer.trace)


def test_the_wrong_trust_anchor_makes_everything_bogus(tmp_path):
    resolver, lab, _, _ = hermetic_resolver(tmp_path, trust_anchors=None)  # IANA root's DS
    with resolver:
        s = lab.scenario("dnssec_secure")
        answer = resolver.query(s.qname, s.qtype)
    assert answer.rcode == RCODE.SERVFAIL
    assert answer_failure(answer).reason == "ds-mismatch"


def test_signatures_are_checked_against_the_injected_wall_clock(tmp_path):
    later = time.time() + 400 * 86_400  # long after the lab's signatures expire
    resolver, lab, _, _ = hermetic_resolver(tmp_path, wall_clock=lambda: later)
    with resolver:
        s = lab.scenario("dnssec_secure")
        answer = resolver.query(s.qname, s.qtype)
    assert answer.rcode == RCODE.SERVFAIL
    assert answer_failure(answer).ede == int(EDE.SIGNATURE_EXPIRED)


def test_validation_budget_per_client_query_is_enforced(setup):
    resolver, _, _ = setup
    resolver.iterator.validator.budget = ValidationBudget(signature_validations=3)
    answer = ask(setup, "dnssec_secure")  # four cuts need more than three verifications
    assert answer.rcode == RCODE.SERVFAIL
    assert answer_failure(answer).reason == "budget-exhausted"


def test_cname_into_a_child_zone_on_the_same_server_is_validated_with_the_childs_trust(setup):
    # example.org's server follows alias.example.org into lab.example.org (unsigned) itself.
    answer = ask(setup, "cname_into_child")
    assert [r.address for r in answer] == ["127.42.22.82"]
    assert answer.security is Security.INSECURE
    verdicts = [(e.zone, e.security) for e in answer.trace if isinstance(e, AnswerValidated)]
    assert verdicts == [("example.org.", "secure"), ("lab.example.org.", "insecure")]


def test_trusted_keys_live_at_most_their_ttl(setup):
    resolver, _, clock = setup
    ask(setup, "dnssec_secure")
    clock.advance(3601)  # the lab's DNSKEY TTL is an hour: every zone's keys are fetched again
    answer = ask(setup, "nsec_nodata")
    assert answer.security is Security.SECURE
    fetched = {e.qname for e in answer.trace if isinstance(e, QuerySent) and e.qtype == "DNSKEY"}
    assert fetched == {".", "edu.", "cornell.edu.", "cs.cornell.edu."}
    assert not any(e.cached for e in trust_events(answer).values())
