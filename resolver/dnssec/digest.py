"""DS digests: the parent's hash of a child's DNSKEY (RFC 4034 §5.1.4, RFC 4509, RFC 6605)."""

from __future__ import annotations

import hashlib

from resolver.dnssec.canonical import canonical_name
from resolver.dnssec.keytag import key_tag
from resolver.records import DNSKEY, DS, Name

SHA256 = 2
SHA384 = 4
# SHA-1 (1) is not here: RFC 8624 §3.3 says MUST NOT for signing; the brief's set is 2 and 4.
# A DS with another digest type is ignored, and a zone with only those is insecure.
DIGESTS = {SHA256: hashlib.sha256, SHA384: hashlib.sha384}


def digest_supported(digest_type: int) -> bool:
    return digest_type in DIGESTS


def ds_digest(owner: Name, dnskey: DNSKEY, digest_type: int) -> bytes:
    """digest = HASH(canonical owner name | DNSKEY rdata); ValueError for an unknown type."""
    try:
        hasher = DIGESTS[digest_type]
    except KeyError:
        raise ValueError(f"unsupported DS digest type {digest_type}") from None
    return hasher(canonical_name(owner) + dnskey.to_wire()).digest()


def make_ds(owner: Name, dnskey: DNSKEY, digest_type: int = SHA256) -> DS:
    """The DS record a parent publishes for `dnskey` at `owner`."""
    return DS(key_tag(dnskey), dnskey.algorithm, digest_type, ds_digest(owner, dnskey, digest_type))


def ds_matches(ds: DS, owner: Name, dnskey: DNSKEY) -> bool:
    """True if `ds` is a digest of `dnskey` at `owner` (tag, algorithm and digest all agree)."""
    if ds.algorithm != dnskey.algorithm or not digest_supported(ds.digest_type):
        return False
    if ds.key_tag != key_tag(dnskey):
        return False
    return ds_digest(owner, dnskey, ds.digest_type) == ds.digest
