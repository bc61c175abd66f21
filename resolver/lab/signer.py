"""Zone signing keys and RRSIGs for the lab: what a signer (dnssec-signzone, ldns-signzone)
does, on our typed records. Keys can be derived from a seed so a test run is reproducible.

Only the lab and the tests sign; the resolver validates (resolver/dnssec/).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from resolver.dnssec.algorithms import (
    ECDSAP256SHA256,
    ECDSAP384SHA384,
    ED25519,
    RSASHA256,
    RSASHA512,
)
from resolver.dnssec.canonical import label_count, signing_input
from resolver.dnssec.keytag import key_tag
from resolver.records import DNSKEY, RRSIG, Name, RRset

KSK_FLAGS = 257  # Zone Key + Secure Entry Point
ZSK_FLAGS = 256  # Zone Key
_CURVES = {ECDSAP256SHA256: (ec.SECP256R1, hashes.SHA256, 32),
           ECDSAP384SHA384: (ec.SECP384R1, hashes.SHA384, 48)}  # fmt: skip
_RSA_HASH = {RSASHA256: hashes.SHA256, RSASHA512: hashes.SHA512}

PrivateKey = ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey


@dataclass(frozen=True)
class SigningKey:
    """A zone's private key with its public DNSKEY."""

    zone: Name
    algorithm: int
    flags: int
    private: PrivateKey

    @property
    def dnskey(self) -> DNSKEY:
        return DNSKEY(self.flags, 3, self.algorithm, public_key_field(self.private))

    @property
    def tag(self) -> int:
        return key_tag(self.dnskey)

    def sign(self, data: bytes) -> bytes:
        """The DNSSEC-format signature over `data`."""
        key = self.private
        if isinstance(key, ed25519.Ed25519PrivateKey):
            return key.sign(data)
        if isinstance(key, ec.EllipticCurvePrivateKey):
            _, digest, size = _CURVES[self.algorithm]
            r, s = decode_dss_signature(key.sign(data, ec.ECDSA(digest())))
            return r.to_bytes(size, "big") + s.to_bytes(size, "big")
        return key.sign(data, padding.PKCS1v15(), _RSA_HASH[self.algorithm]())

    def private_pem(self) -> bytes:
        return self.private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )


def public_key_field(private: PrivateKey) -> bytes:
    """The DNSKEY public key field (RFC 3110, RFC 6605 §4, RFC 8080 §3)."""
    public = private.public_key()
    if isinstance(public, ed25519.Ed25519PublicKey):
        return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    if isinstance(public, ec.EllipticCurvePublicKey):
        point = public.public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return point[1:]
    numbers = public.public_numbers()
    exponent = numbers.e.to_bytes((numbers.e.bit_length() + 7) // 8, "big")
    modulus = numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")
    if len(exponent) < 256:
        head = bytes([len(exponent)])
    else:
        head = b"\x00" + len(exponent).to_bytes(2, "big")
    return head + exponent + modulus


def generate_key(
    zone: Name | str, algorithm: int = ECDSAP256SHA256, flags: int = KSK_FLAGS,
    seed: bytes | None = None,
) -> SigningKey:
    """A new key for `zone`. With `seed` (ECDSA and Ed25519 only) the same seed gives the
    same key, so tests and lab runs can be reproduced."""
    name = Name.from_text(zone) if isinstance(zone, str) else zone
    material = None
    if seed is not None:
        material = hashlib.sha512(seed + b"|" + name.canonicalize().to_wire()).digest()
        material = hashlib.sha512(material + bytes([algorithm, flags & 0xFF])).digest()
    private: PrivateKey
    if algorithm == ED25519:
        if material is None:
            private = ed25519.Ed25519PrivateKey.generate()
        else:
            private = ed25519.Ed25519PrivateKey.from_private_bytes(material[:32])
    elif algorithm in _CURVES:
        curve = _CURVES[algorithm][0]()
        if material is None:
            private = ec.generate_private_key(curve)
        else:
            order = _ORDERS[algorithm]
            secret = int.from_bytes(material, "big") % (order - 1) + 1
            private = ec.derive_private_key(secret, curve)
    elif algorithm in _RSA_HASH:
        if seed is not None:
            raise ValueError("RSA keys cannot be derived from a seed; use ECDSA or Ed25519")
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    else:
        raise ValueError(f"the lab cannot sign with algorithm {algorithm}")
    return SigningKey(name, algorithm, flags, private)


_ORDERS = {
    ECDSAP256SHA256: 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551,
    ECDSAP384SHA384: int(
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF581A0DB248B0A77AECEC196ACCC52973",
        16,
    ),
}


def sign_rrset(
    rrset: RRset, key: SigningKey, inception: int, expiration: int, original_ttl: int | None = None
) -> RRSIG:
    """The RRSIG `key` makes over `rrset` for the validity period [inception, expiration]."""
    unsigned = RRSIG(
        rrset.rdtype, key.algorithm, label_count(rrset.name),
        rrset.ttl if original_ttl is None else original_ttl,
        expiration % (1 << 32), inception % (1 << 32), key.tag, key.zone, b"",
    )
    data = signing_input(unsigned, rrset.name, rrset.rdclass, rrset)
    return RRSIG(
        unsigned.type_covered, unsigned.algorithm, unsigned.labels, unsigned.original_ttl,
        unsigned.expiration, unsigned.inception, unsigned.key_tag, unsigned.signer,
        key.sign(data),
    )
