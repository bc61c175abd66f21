"""Named questions that exercise one behaviour of the lab internet each.

Tests, demos and docs ask for a scenario by name instead of repeating names and types. The
qnames are for the default block 127.42.0.0/16; `Lab.scenario(name)` gives the one for the
lab's own block (only the reverse-lookup name changes).
"""

from __future__ import annotations

from dataclasses import dataclass

from dnslib import QTYPE


@dataclass(frozen=True)
class Scenario:
    qname: str
    qtype: int
    description: str
    demo: str = ""  # a shell command that shows it, when one question is not enough


def _s(qname: str, qtype: str, description: str, demo: str = "") -> Scenario:
    return Scenario(qname, getattr(QTYPE, qtype), description, demo)


# Both ask over time through one `resolve -f -` (one cache); `resolve` starts in under a second.
SERVE_STALE_DEMO = (
    "(echo www.stale.net; sleep 3; echo www.stale.net) | resolve --lab --serve-stale --trace -f -"
)
PREFETCH_DEMO = (
    "(sleep 1; echo ttl2.example.com; sleep 1.5; echo ttl2.example.com; sleep 1; "
    "echo ttl2.example.com) | resolve --lab --prefetch --trace -f -"
)


SCENARIOS: dict[str, Scenario] = {
    "deep_name": _s(
        "www.cs.cornell.edu.", "A",
        "four levels of servers: root -> edu -> cornell.edu -> cs.cornell.edu, glue at each cut",
    ),
    "cname": _s("alias.example.com.", "A", "a CNAME inside one zone; the server follows it"),
    "cname_chain": _s(
        "chain.example.com.", "A",
        "CNAME chain through three zones in three TLDs: example.com -> example.net -> example.org",
    ),
    "cname_into_child": _s(
        "alias.example.org.", "A",
        "CNAME into a child zone served by the same host, which follows it itself",
    ),
    "cname_loop": _s(
        "loop.example.com.", "A",
        "loop.example.com CNAME loop.example.net CNAME loop.example.com: must end in SERVFAIL",
    ),
    "glueless": _s(
        "www.glueless.org.", "A",
        "glueless delegation: glueless.org's servers are named in .net, so their addresses must "
        "be resolved first",
    ),
    "cyclic_glueless": _s(
        "www.cycle-a.com.", "A",
        "cycle-a.com is served by ns.cycle-b.net, cycle-b.net by ns.cycle-a.com, no glue "
        "anywhere: unresolvable, must end in SERVFAIL without looping",
    ),
    "nxdomain": _s("nonexistent.example.com.", "A", "NXDOMAIN with the zone's SOA"),
    "nodata": _s("www.example.com.", "MX", "the name exists, the type does not: NODATA + SOA"),
    "empty_non_terminal": _s(
        "physics.cornell.edu.", "A",
        "exists only because host.lab.physics.cornell.edu does: NODATA, not NXDOMAIN",
    ),
    "wildcard": _s(
        "anything.wild.example.com.", "A", "synthesised from *.wild.example.com (RFC 4592)",
    ),
    "wildcard_existing_name": _s(
        "exists.wild.example.com.", "TXT",
        "the wildcard does not cover a name that exists: NODATA, not the wildcard's TXT",
    ),
    "wildcard_below_existing": _s(
        "x.exists.wild.example.com.", "A",
        "nor names below an existing name: NXDOMAIN",
    ),
    "large_over_512": _s(
        "big.example.com.", "TXT",
        "about 700 octets: truncated (TC=1) without EDNS, fits in EDNS 1232",
    ),
    "large_over_1232": _s(
        "huge.example.com.", "TXT", "over 2000 octets: truncated over UDP even with EDNS; TCP",
    ),
    "flaky_servers": _s(
        "www.flaky.com.", "A",
        "three servers: ns1 is dead (silent), ns2 lame (REFUSED), ns3 works",
    ),
    "mx": _s("example.com.", "MX", "MX with the exchange's address in additional"),
    "txt": _s("example.com.", "TXT", "a TXT record at the apex"),
    "srv": _s("_sip._tcp.example.com.", "SRV", "SRV with the target's address in additional"),
    "ptr": _s("80.10.42.127.in-addr.arpa.", "PTR", "reverse lookup in the lab block's zone"),
    "caa": _s("example.com.", "CAA", "a CAA record"),
    "aaaa": _s("www.example.com.", "AAAA", "an IPv6 address (data only: the lab runs on IPv4)"),
    "short_ttl": _s("ttl2.example.com.", "A", "a 2-second TTL, to watch cache expiry"),
    "malicious": _s(
        "www.evil.com.", "A",
        "served by a host that adds a forged www.bank.com A 127.66.6.6 to authority and "
        "additional: a resolver must not cache or use it",
    ),
    "poisoning_target": _s(
        "www.bank.com.", "A", "the name evil.com's server forges; the real answer is 127.42.25.80",
    ),
    "slow": _s("www.slow.net.", "A", "served by a host that answers 0.4 s late"),
    # Failures seen on the real internet, one zone each.
    "renumbered_ns": _s(
        "www.renumbered.com.", "A",
        "com's glue for ns.renumbered.com is right (127.42.32.1) but the zone's own, "
        "authoritative A for it is stale (127.42.32.99, dead): a resolver that prefers the "
        "child's record loses the zone on its next question (then ask mail.renumbered.com) "
        "unless it falls back to the parent's glue",
    ),
    "short_glue_ttl": _s(
        "www.shortglue.net.", "A",
        "net refers with NS TTL 2 days and glue TTL 3 s (the zone's own A records too): after "
        "3 s a resolver knows the servers' names but not their addresses, and must go back to "
        "the parent for them",
    ),
    "lossy_server": _s(
        "www.lossy.org.", "A",
        "the zone's only server drops every other UDP query, the first one included: a "
        "resolver must retry the same server, not give up on it",
    ),
    "aa_referral": _s(
        "www.sub.aaref.com.", "A",
        "aaref.com's server sets AA=1 on its referral to sub.aaref.com: still a referral (no "
        "answer, NS below the zone, no SOA), not an authoritative NODATA",
    ),
    "lame_aa_upward": _s(
        "www.lame-aa.net.", "A",
        "the zone's only server answers AA=1, no answer, the root NS set in authority: lame, "
        "not NODATA; must end in SERVFAIL",
    ),
    "all_servers_dead": _s(
        "www.down.com.", "A",
        "both of down.com's servers are silent: SERVFAIL after the timeouts, and a second "
        "question in the zone should fail fast from what the first learned",
    ),
    "serve_stale": _s(
        "www.stale.net.", "A",
        "the zone's only server answers its first query, then goes silent; www has TTL 2: "
        "asked again after 2 s, only a resolver with serve-stale answers (RFC 8767: the "
        "expired record, TTL 30, EDE 3 Stale Answer), others SERVFAIL",
        SERVE_STALE_DEMO,
    ),
    "prefetch": _s(
        "ttl2.example.com.", "A",
        "TTL 2, asked three times over 2.5 s with prefetch on: the second question comes in "
        "the record's last second (its last tenth, rounded to whole seconds as Unbound does) "
        "and starts a background refresh, so the third, after the old expiry, is still "
        "answered from the cache",
        PREFETCH_DEMO,
    ),
    # DNSSEC: the lab signs its zones (resolver/lab/signing.py); ask with DO=1 to see it.
    "dnssec_secure": _s(
        "www.cs.cornell.edu.", "A",
        "secure chain: root -> edu -> cornell.edu -> cs.cornell.edu, a DS at each cut matching "
        "the child's KSK, every RRset signed",
    ),
    "nsec_nxdomain": _s(
        "nosuch.cs.cornell.edu.", "A",
        "NXDOMAIN proven by NSEC: one NSEC covers the name, one the wildcard at its encloser",
    ),
    "nsec_nodata": _s(
        "www.cs.cornell.edu.", "MX", "NODATA proven by the NSEC at the name (no MX in its bitmap)",
    ),
    "nsec3_nxdomain": _s(
        "nosuch.example.net.", "A",
        "NXDOMAIN proven by NSEC3 (salt abcd, 5 iterations): closest encloser, next closer "
        "name and wildcard",
    ),
    "nsec3_nodata": _s(
        "www.example.net.", "MX", "NODATA proven by the NSEC3 matching the name's hash",
    ),
    "nsec3_opt_out": _s(
        "www.glueless.org.", "A",
        "org uses NSEC3 opt-out: its unsigned delegations have no NSEC3, an opt-out span "
        "covers them, so glueless.org is insecure",
    ),
    "insecure_delegation": _s(
        "www.bank.com.", "A",
        "bank.com is not signed; the NSEC at com's cut (NS, no DS) proves it: insecure",
    ),
    "signed_wildcard": _s(
        "anything.wild.example.com.", "A",
        "a signed wildcard expansion: RRSIG labels 3 < 4, and the NSEC proving the name "
        "itself does not exist",
    ),
    "nsec3_wildcard": _s(
        "anything.wild.example.net.", "A",
        "a wildcard expansion in an NSEC3 zone: the NSEC3 covering the next closer name proves "
        "the name itself does not exist",
    ),
    "unsupported_algorithm": _s(
        "www.privalg.com.", "A",
        "com's DS for privalg.com names a private algorithm no validator implements: "
        "insecure, not bogus (RFC 4035 5.2)",
    ),
    "cname_signed_to_unsigned": _s(
        "to-unsigned.example.com.", "A",
        "a CNAME in a signed zone (secure) to www.bank.com in an unsigned one (insecure)",
    ),
    "bogus_signature": _s(
        "www.badsig.com.", "A", "bogus: the RRSIG over the answer has a flipped bit",
    ),
    "bogus_expired": _s(
        "www.expired.com.", "A", "bogus: every signature of the zone expired a day ago",
    ),
    "bogus_ds_mismatch": _s(
        "www.wrongds.com.", "A", "bogus: com's DS for wrongds.com matches none of its keys",
    ),
    "bogus_ds_for_unsigned": _s(
        "www.ghostds.com.", "A",
        "bogus: com holds a signed DS for ghostds.com, but the zone is not signed",
    ),
}
