"""The NXDOMAIN cut (RFC 8020): a name that does not exist has nothing below it, so a cached
NXDOMAIN for a name answers for every name under it without asking anyone.

For unsigned data (everything, until we validate DNSSEC) we apply it, with one safeguard, and
say why: Unbound applies it only to DNSSEC-validated denials by default, fearing authoritative
servers that answer NXDOMAIN for empty non-terminals (RFC 8020 §4 calls them broken). Our cached
NXDOMAIN entries only ever come from an authoritative (AA) reply to a full question: a
minimised question's NXDOMAIN is confirmed with the full name and never cached (minimise.py).
What is left is a server that denies an empty non-terminal when asked for the very name, and
such a server breaks every resolver asked for that name already. In return a random-subdomain
flood under a nonexistent name costs one upstream query, not one per name.
"""

from __future__ import annotations

from resolver.cache import NegativeEntry, RRsetCache, Trust, ancestors

# Apply the cut to denials we did not validate (see above); False gives Unbound's default.
NXDOMAIN_CUT_UNSIGNED = True


def nxdomain_above(cache: RRsetCache, name: str, qtype: int) -> NegativeEntry | None:
    """A live authoritative NXDOMAIN cached for a proper ancestor of name, nearest first."""
    if not NXDOMAIN_CUT_UNSIGNED:
        return None
    for owner in ancestors(name)[1:-1]:  # never the root: a root NXDOMAIN denies nothing below
        entry = cache.get_nxdomain(owner)
        if entry is not None and entry.trust >= Trust.AUTH_AUTHORITY:
            return entry
    return None
