"""Serve-stale (RFC 8767): when a name's servers cannot be reached, answer with the data that
expired not long ago rather than SERVFAIL. Off by default (`Resolver(serve_stale=True)`).

- When: a caller has waited CLIENT_RESPONSE_DEADLINE for a walk (the walk goes on in the
  background and refreshes the cache; api.py), or the walk failed because the zone's servers
  failed or timed out, a limit or the deadline was reached, or the same question failed moments
  ago (RFC 9520 failure cache). Never when a fresh NXDOMAIN says the name (or an ancestor: the
  delegation is gone) does not exist.
- What: the expired RRset, or an expired NXDOMAIN, kept MAX_STALE_AGE past its TTL (RFC 8767 §5
  suggests 1 to 3 days), handed out with STALE_TTL (30 s, §4) and EDE 3 Stale Answer or
  19 Stale NXDOMAIN Answer (RFC 8914).
- Refreshing with back-off: each failed walk is remembered (1 s doubling to 5 s, RFC 9520) and
  its servers backed off (infra.py), so while a zone is down the questions in between are
  answered stale from memory at once, and one walk every few seconds tries the zone again; the
  first that succeeds replaces the stale data.
"""

from __future__ import annotations

STALE_TTL = 30  # RFC 8767 §4: the TTL of a stale record handed out
MAX_STALE_AGE = 86_400  # seconds past expiry that data is kept and may be served (1 day)
CLIENT_RESPONSE_DEADLINE = 1.8  # RFC 8767 §5: answer stale if resolving takes longer than this
