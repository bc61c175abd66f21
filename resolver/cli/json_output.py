"""`resolve --json`: one document, schema version 1, whatever the number of questions.

    {"version": 1, "queries": [QUERY, ...]}

Durations are milliseconds (`*_ms`); what is not known is null (e.g. `from_cache` for an answer
from `--server`); each record carries its presentation text (`data`) and its fields (`rdata`,
named after RFC 8427's and the RFCs' field names), or null for a type without a field list.
README.md ("JSON output") documents every key; tests/test_cli_json.py checks documents
against SCHEMA.
"""

from __future__ import annotations

from typing import Any

from dnslib import RR

from resolver.cli.dig_output import (
    Reply,
    additional_records,
    class_text,
    flag_names,
    opt_record,
    type_text,
)
from resolver.render import rdata_text

SCHEMA_VERSION = 1

# Structured rdata: field name -> how to read it from dnslib's rdata object.
_NAME_TARGET = {"target": lambda d: str(d.label)}
_FIELDS: dict[str, dict[str, Any]] = {
    "A": {"address": str},
    "AAAA": {"address": str},
    "NS": _NAME_TARGET,
    "CNAME": _NAME_TARGET,
    "DNAME": _NAME_TARGET,
    "PTR": _NAME_TARGET,
    "MX": {"preference": lambda d: d.preference, "exchange": lambda d: str(d.label)},
    "SOA": {
        "mname": lambda d: str(d.mname),
        "rname": lambda d: str(d.rname),
        "serial": lambda d: d.times[0],
        "refresh": lambda d: d.times[1],
        "retry": lambda d: d.times[2],
        "expire": lambda d: d.times[3],
        "minimum": lambda d: d.times[4],
    },
    "TXT": {"strings": lambda d: [s.decode("utf-8", "backslashreplace") for s in d.data]},
    "SRV": {
        "priority": lambda d: d.priority,
        "weight": lambda d: d.weight,
        "port": lambda d: d.port,
        "target": lambda d: str(d.target),
    },
    "CAA": {"flags": lambda d: d.flags, "tag": lambda d: d.tag, "value": lambda d: d.value},
}


def rdata_fields(rr: RR) -> dict[str, Any] | None:
    """The record's data as named fields, or None for a type without a field list here."""
    readers = _FIELDS.get(type_text(rr.rtype))
    if readers is None:
        return None
    try:
        return {name: read(rr.rdata) for name, read in readers.items()}
    except (AttributeError, IndexError, TypeError):
        return None  # an rdata dnslib kept as raw bytes (malformed for its type)


def record(rr: RR) -> dict[str, Any]:
    return {
        "name": str(rr.rname),
        "ttl": rr.ttl,
        "class": class_text(rr.rclass),
        "type": type_text(rr.rtype),
        "data": rdata_text(rr),
        "rdata": rdata_fields(rr),
    }


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000.0, 3)


def query_document(
    question: dict[str, str],
    status: str,
    *,
    reply: Reply | None = None,
    server: dict[str, Any] | None = None,
    reason: str | None = None,
    canonical_name: str | None = None,
    referral: dict[str, Any] | None = None,
    resolution: dict[str, Any] | None = None,
    elapsed: float | None = None,
    network: float | None = None,
    trace: list[dict[str, Any]] | None = None,
    error: str | None = None,
    security: str | None = None,
) -> dict[str, Any]:
    """One entry of "queries". Without a reply (no answer at all) the message keys are null.
    `security` is the DNSSEC status of an in-process resolution (null when not validated)."""
    resolution = resolution or {}
    doc: dict[str, Any] = {
        "question": question,
        "status": status,
        "rcode": None,
        "reason": reason,
        "error": error,
        "security": security,
        "canonical_name": canonical_name,
        "id": None,
        "flags": None,
        "edns": None,
        "answer": [],
        "authority": [],
        "additional": [],
        "referral": referral,
        "server": server,
        "from_cache": resolution.get("from_cache"),
        "upstream_queries": resolution.get("upstream_queries"),
        "servers_contacted": resolution.get("servers_contacted"),
        "message_size": None,
        "timings": {"total_ms": _ms(elapsed), "network_ms": _ms(network)},
        "trace": trace,
    }
    if reply is not None:
        message = reply.message
        opt = opt_record(message)
        doc.update(
            rcode=_rcode_text(message.header.rcode),
            id=message.header.id,
            flags=flag_names(message),
            edns=None
            if opt is None
            else {
                "version": (opt.ttl >> 16) & 0xFF,
                "udp_payload": opt.rclass,
                "do": bool(opt.ttl & 0x8000),
            },
            answer=[record(rr) for rr in message.rr],
            authority=[record(rr) for rr in message.auth],
            additional=[record(rr) for rr in additional_records(message)],
            message_size=reply.size,
        )
    return doc


def _rcode_text(rcode: int) -> str:
    from dnslib import RCODE

    return RCODE.get(rcode, f"RCODE{rcode}")


def document(queries: list[dict[str, Any]]) -> dict[str, Any]:
    """The whole output: the same shape for one question or many."""
    return {"version": SCHEMA_VERSION, "queries": queries}


# A JSON Schema (draft 2020-12) of the document, for tests and for readers who validate.
_NULLABLE_STR = {"type": ["string", "null"]}
_RECORD = {
    "type": "object",
    "required": ["name", "ttl", "class", "type", "data", "rdata"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string"},
        "ttl": {"type": "integer", "minimum": 0},
        "class": {"type": "string"},
        "type": {"type": "string"},
        "data": {"type": "string"},
        "rdata": {"type": ["object", "null"]},
    },
}
_QUERY_KEYS = {
    "question": {
        "type": "object",
        "required": ["name", "type", "class"],
        "additionalProperties": False,
        "properties": {k: {"type": "string"} for k in ("name", "type", "class")},
    },
    "status": {"enum": ["answer", "referral", "nxdomain", "nodata", "servfail", "no_reply"]},
    "rcode": _NULLABLE_STR,
    "reason": _NULLABLE_STR,
    "error": _NULLABLE_STR,
    "security": {"enum": ["secure", "insecure", "bogus", "indeterminate", None]},
    "canonical_name": _NULLABLE_STR,
    "id": {"type": ["integer", "null"]},
    "flags": {
        "type": ["array", "null"],
        "items": {"enum": ["qr", "aa", "tc", "rd", "ra", "ad", "cd"]},
    },
    "edns": {
        "type": ["object", "null"],
        "required": ["version", "udp_payload", "do"],
        "properties": {
            "version": {"type": "integer"},
            "udp_payload": {"type": "integer"},
            "do": {"type": "boolean"},
        },
    },
    "answer": {"type": "array", "items": _RECORD},
    "authority": {"type": "array", "items": _RECORD},
    "additional": {"type": "array", "items": _RECORD},
    "referral": {
        "type": ["object", "null"],
        "required": ["zone", "ns", "glue"],
        "properties": {
            "zone": {"type": "string"},
            "ns": {"type": "array", "items": {"type": "string"}},
            "glue": {"type": "array", "items": _RECORD},
        },
    },
    "server": {
        "type": ["object", "null"],
        "required": ["address", "port", "protocol"],
        "additionalProperties": False,
        "properties": {
            "address": {"type": "string"},
            "port": {"type": "integer"},
            "protocol": {"enum": ["udp", "tcp", None]},
        },
    },
    "from_cache": {"type": ["boolean", "null"]},
    "upstream_queries": {"type": ["integer", "null"]},
    "servers_contacted": {"type": ["array", "null"], "items": {"type": "string"}},
    "message_size": {"type": ["integer", "null"]},
    "timings": {
        "type": "object",
        "required": ["total_ms", "network_ms"],
        "additionalProperties": False,
        "properties": {
            "total_ms": {"type": ["number", "null"]},
            "network_ms": {"type": ["number", "null"]},
        },
    },
    "trace": {"type": ["array", "null"], "items": {"type": "object", "required": ["event"]}},
}
SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "resolve --json, version 1",
    "type": "object",
    "required": ["version", "queries"],
    "additionalProperties": False,
    "properties": {
        "version": {"const": SCHEMA_VERSION},
        "queries": {
            "type": "array",
            "items": {
                "type": "object",
                "required": sorted(_QUERY_KEYS),
                "additionalProperties": False,
                "properties": _QUERY_KEYS,
            },
        },
    },
}
