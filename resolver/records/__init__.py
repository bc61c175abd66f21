"""Our typed DNS records: names, rdata, RRsets, with dnspython's names and meanings.

dnslib remains the engine inside the resolver; these are what the library hands applications.
"""

from resolver.records.codecs import RdataError
from resolver.records.name import ROOT, Name
from resolver.records.rdata import (
    AAAA,
    CAA,
    CDNSKEY,
    CDS,
    CNAME,
    DNAME,
    DNSKEY,
    DS,
    HINFO,
    HTTPS,
    MX,
    NAPTR,
    NS,
    NSEC,
    NSEC3,
    NSEC3PARAM,
    PTR,
    RDATA_CLASSES,
    RRSIG,
    SMIMEA,
    SOA,
    SPF,
    SRV,
    SSHFP,
    SVCB,
    TLSA,
    TXT,
    A,
    GenericRdata,
    Rdata,
    from_text,
    from_wire,
)
from resolver.records.rrset import RRset, rrset_from_text
from resolver.records.svcb import (
    ALPNParam,
    DoCPathParam,
    ECHParam,
    GenericParam,
    IPv4HintParam,
    IPv6HintParam,
    MandatoryParam,
    PortParam,
    SvcParams,
)
from resolver.records.types import class_text, type_text, type_value

__all__ = [
    "A", "AAAA", "ALPNParam", "CAA", "CDNSKEY", "CDS", "CNAME", "DNAME", "DNSKEY", "DS",
    "DoCPathParam", "ECHParam", "GenericParam", "GenericRdata", "HINFO", "HTTPS",
    "IPv4HintParam", "IPv6HintParam", "MX", "MandatoryParam", "NAPTR", "NS", "NSEC", "NSEC3",
    "NSEC3PARAM", "Name", "PTR", "PortParam", "RDATA_CLASSES", "ROOT", "RRSIG", "RRset", "Rdata",
    "RdataError", "SMIMEA", "SOA", "SPF", "SRV", "SSHFP", "SVCB", "SvcParams", "TLSA", "TXT",
    "class_text", "from_text", "from_wire", "rrset_from_text", "type_text", "type_value",
]  # fmt: skip
