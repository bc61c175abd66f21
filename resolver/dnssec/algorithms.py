"""The signature mathematics of the DNSSEC algorithms we validate, by the `cryptography` package.

RSASHA256 (8) and RSASHA512 (10), RFC 5702; ECDSAP256SHA256 (13) and ECDSAP384SHA384 (14),
RFC 6605; ED25519 (15), RFC 8080. The set RFC 8624 §3.1 says a validator MUST (or RECOMMENDED)
support. Other algorithms make data insecure, not bogus (RFC 4035 §5.2, RFC 6840 §5.2).
"""

from __future__ import annotations

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

RSASHA256 = 8
RSASHA512 = 10
ECDSAP256SHA256 = 13
ECDSAP384SHA384 = 14
ED25519 = 15

SUPPORTED_ALGORITHMS = frozenset({RSASHA256, RSASHA512, ECDSAP256SHA256, ECDSAP384SHA384, ED25519})
_RSA_HASH = {RSASHA256: hashes.SHA256, RSASHA512: hashes.SHA512}
_EC = {ECDSAP256SHA256: (ec.SECP256R1, hashes.SHA256, 32), ECDSAP384SHA384: (ec.SECP384R1, hashes.SHA384, 48)}  # noqa: E501
MIN_RSA_BITS = 1024  # RFC 3110 allows 512; nothing that small is still deployed honestly


def algorithm_supported(algorithm: int) -> bool:
    return algorithm in SUPPORTED_ALGORITHMS


def verify_signature(algorithm: int, key: bytes, signature: bytes, data: bytes) -> bool:
    """True if `signature` (DNSSEC wire format) is `key`'s signature over `data`.

    `key` is the DNSKEY public key field. A malformed key or signature is simply not valid;
    an unsupported algorithm raises ValueError (callers check `algorithm_supported` first).
    """
    try:
        if algorithm in _RSA_HASH:
            public = _rsa_key(key)
            public.verify(signature, data, padding.PKCS1v15(), _RSA_HASH[algorithm]())
        elif algorithm in _EC:
            curve, digest, size = _EC[algorithm]
            if len(key) != 2 * size or len(signature) != 2 * size:
                return False
            point = ec.EllipticCurvePublicKey.from_encoded_point(curve(), b"\x04" + key)
            der = encode_dss_signature(
                int.from_bytes(signature[:size], "big"), int.from_bytes(signature[size:], "big")
            )
            point.verify(der, data, ec.ECDSA(digest()))
        elif algorithm == ED25519:
            if len(key) != 32:
                return False
            ed25519.Ed25519PublicKey.from_public_bytes(key).verify(signature, data)
        else:
            raise ValueError(f"unsupported DNSSEC algorithm {algorithm}")
    except (InvalidSignature, ValueError) as exc:
        if isinstance(exc, ValueError) and algorithm not in SUPPORTED_ALGORITHMS:
            raise
        return False
    return True


def _rsa_key(key: bytes) -> rsa.RSAPublicKey:
    """RFC 3110 §2: exponent length (1 octet, or 0 then 2 octets), exponent, modulus."""
    if not key:
        raise ValueError("empty RSA key")
    if key[0]:
        length, start = key[0], 1
    else:
        if len(key) < 3:
            raise ValueError("short RSA key")
        length, start = int.from_bytes(key[1:3], "big"), 3
    exponent = int.from_bytes(key[start : start + length], "big")
    modulus = int.from_bytes(key[start + length :], "big")
    if modulus.bit_length() < MIN_RSA_BITS or exponent < 3:
        raise ValueError("RSA key too small")
    return rsa.RSAPublicNumbers(exponent, modulus).public_key()
