"""dnspython's DNSSEC module, the independent implementation our validator is checked against.

dnspython 2.9 enables dns.dnssec only with cryptography>=50; the signature mathematics it uses
is the same in the cryptography this environment has, so the feature is switched on here (and
the module reloaded if something imported it before).
"""

from __future__ import annotations

import importlib

import dns._features

dns._features.force("dnssec", True)

import dns.dnssec  # noqa: E402

dns.dnssec = importlib.reload(dns.dnssec)

__all__ = ["dns"]
