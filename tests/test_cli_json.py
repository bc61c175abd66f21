"""`resolve --json`: one versioned schema whatever is asked and however it is answered.

Every document the command prints here is validated against resolver.cli.json_output.SCHEMA
(JSON Schema 2020-12, with jsonschema from the test extra); the schema itself is checked too.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess

import pytest
from jsonschema import Draft202012Validator

from resolver.cli.json_output import SCHEMA
from tests.test_cli import CHECKOUT, ROOT, RUN_TIMEOUT, run

VALIDATOR = Draft202012Validator(SCHEMA)


def documents(*args: str) -> dict:
    proc = run("--json", *args)
    assert not proc.stderr or proc.returncode, proc.stderr
    doc = json.loads(proc.stdout)
    errors = sorted(VALIDATOR.iter_errors(doc), key=str)
    assert not errors, errors[0]
    return doc


@pytest.fixture(scope="module")
def nameserver():
    """`resolve serve --lab` on a free port: "127.0.0.1:PORT"."""
    server = subprocess.Popen([*CHECKOUT, "serve", "--lab", "--listen", "127.0.0.1:0"], cwd=ROOT,
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        for line in server.stderr:
            found = re.search(r"serving DNS on (127\.0\.0\.1:\d+)", line)
            if found:
                yield found.group(1)
                break
        else:
            pytest.fail("the server never said where it listens")
    finally:
        server.terminate()
        server.communicate(timeout=RUN_TIMEOUT)


def test_the_schema_is_a_valid_json_schema():
    Draft202012Validator.check_schema(SCHEMA)


def test_one_question_and_three_have_the_same_shape():
    one = documents("--lab", "www.cs.cornell.edu")
    three = documents("--lab", "www.cs.cornell.edu", "nonexistent.cs.cornell.edu", "-x",
                      "127.42.0.1")  # fmt: skip
    assert one.keys() == three.keys() == {"version", "queries"}
    assert one["version"] == three["version"] == 1
    assert len(one["queries"]) == 1 and len(three["queries"]) == 3
    assert [q["status"] for q in three["queries"]] == ["answer", "nxdomain", "answer"]
    assert {frozenset(q) for q in three["queries"]} == {frozenset(one["queries"][0])}


def test_durations_are_milliseconds_and_in_process_facts_are_known():
    query = documents("--lab", "--trace", "www.cs.cornell.edu")["queries"][0]
    timings = query["timings"]
    assert 0 < timings["network_ms"] <= timings["total_ms"] < 60_000
    assert query["from_cache"] is False and query["upstream_queries"] >= 4
    assert query["server"] is None and query["trace"][0]["event"]


def test_structured_rdata_beside_the_presentation_text():
    mx = documents("--lab", "example.com", "MX")["queries"][0]["answer"]
    assert mx and all(set(r["rdata"]) == {"preference", "exchange"} for r in mx)
    assert all(r["data"] == f"{r['rdata']['preference']} {r['rdata']['exchange']}" for r in mx)
    soa = documents("--lab", "nonexistent.example.com")["queries"][0]["authority"][0]
    assert soa["type"] == "SOA" and soa["rdata"]["serial"] == int(soa["data"].split()[2])
    txt = documents("--lab", "huge.example.com", "TXT")["queries"][0]["answer"]
    assert all(r["rdata"]["strings"] and r["data"].startswith('"') for r in txt)


def test_from_a_server_unknowable_facts_are_null(nameserver):
    query = documents("--server", nameserver, "www.cs.cornell.edu")["queries"][0]
    assert query["status"] == "answer" and query["flags"] == ["qr", "rd", "ra", "ad"]
    assert query["from_cache"] is None and query["upstream_queries"] is None
    assert query["servers_contacted"] is None and query["timings"]["network_ms"] is None
    host, port = nameserver.split(":")
    assert query["server"] == {"address": host, "port": int(port), "protocol": "udp"}
    assert query["edns"] == {"version": 0, "udp_payload": 1232, "do": False}


def test_no_reply_is_a_query_entry_with_the_error():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:  # bound, never replies
        silent.bind(("127.0.0.1", 0))
        port = silent.getsockname()[1]
        doc = documents("--server", f"127.0.0.1:{port}", "--timeout", "0.3", "www.example.com")
    query = doc["queries"][0]
    assert query["status"] == "no_reply" and query["rcode"] is None
    assert f"127.0.0.1#{port}" in query["error"]


def test_a_norec_referral_carries_zone_ns_and_glue(lab):
    doc = documents("@127.42.0.1", "-p", str(lab.port), "+norec", "www.cs.cornell.edu")
    query = doc["queries"][0]
    assert query["status"] == "referral" and query["rcode"] == "NOERROR"
    referral = query["referral"]
    assert referral["zone"] == "edu." and referral["ns"] == ["a.edu-servers.net."]
    assert [g["rdata"] for g in referral["glue"]] == [{"address": "127.42.1.3"}]
    assert query["additional"] == referral["glue"]
