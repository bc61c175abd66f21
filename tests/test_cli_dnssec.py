"""The command and DNSSEC: validation on by default against the lab's trust anchor, a trace
that explains a bogus answer zone cut by zone cut, dig's +dnssec and +cd, --no-dnssec and
--trust-anchor, and the JSON trace's trust facts."""

from __future__ import annotations

import json

from tests.test_cli import flat, run


def test_trace_explains_a_bogus_signature():
    proc = run("--lab", "--trace", "www.badsig.com")
    out = flat(proc.stdout)
    assert "SERVFAIL" in out
    assert "DNSSEC trust in zone com.: secure" in out
    assert "DNSSEC trust in zone badsig.com.: secure" in out  # its keys are fine...
    assert "DNSSEC bogus: answer for www.badsig.com. A from zone badsig.com." in out  # ...not
    assert "the signature does not verify" in out
    assert "EDE 6" in out


def test_trace_shows_the_ds_the_parent_vouched_for_and_the_key_it_matched():
    proc = run("--lab", "--trace", "www.cs.cornell.edu")
    assert proc.returncode == 0, proc.stderr
    out = flat(proc.stdout)
    assert "DNSSEC trust in zone cs.cornell.edu.: secure — DS from the parent cornell.edu." in out
    assert "matched DNSKEY key tag" in out
    assert "DNSSEC secure: answer for www.cs.cornell.edu. A from zone cs.cornell.edu., " \
           "RRSIG by key tag" in out


def test_trace_says_why_a_zone_is_insecure():
    proc = run("--lab", "--trace", "www.bank.com")
    assert proc.returncode == 0, proc.stderr
    assert "DNSSEC trust in zone bank.com.: insecure (parent com.): the parent proves there " \
           "is no DS" in flat(proc.stdout)


def test_dig_dnssec_shows_ad_and_the_rrsig():
    proc = run("--lab", "+dnssec", "www.cs.cornell.edu")
    assert proc.returncode == 0, proc.stderr
    assert ";; flags: qr rd ra ad;" in proc.stdout
    assert "IN\tRRSIG\tA 15 4 3600" in proc.stdout or "RRSIG\tA " in proc.stdout


def test_dig_cd_and_no_dnssec_return_the_bogus_data():
    for flag in ("+cd", "--no-dnssec"):
        proc = run("--lab", "--short", flag, "www.badsig.com")
        assert proc.returncode == 0, (flag, proc.stderr)
        assert proc.stdout == "127.42.40.80\n", flag
    assert run("--lab", "--short", "www.badsig.com").stdout == ""


def test_a_broken_trust_anchor_file_is_a_usage_error(tmp_path):
    bad = tmp_path / "anchor.key"
    bad.write_text(". IN A 127.0.0.1\n", encoding="ascii")
    proc = run("--lab", "--trust-anchor", str(bad), "www.cs.cornell.edu")
    assert proc.returncode != 0 and "trust anchor is a DS or DNSKEY" in proc.stderr


def test_json_trace_carries_the_chain_of_trust():
    proc = run("--lab", "--json", "--trace", "+dnssec", "www.cs.cornell.edu")
    query = json.loads(proc.stdout)["queries"][0]
    assert query["security"] == "secure" and "ad" in query["flags"]
    trust = {e["zone"]: e for e in query["trace"] if e["event"] == "trust"}
    assert list(trust) == [".", "edu.", "cornell.edu.", "cs.cornell.edu."]
    assert trust["."]["anchor"] and trust["edu."]["parent"] == "."
    cs = trust["cs.cornell.edu."]
    assert cs["matched"][0][:2] in [ds[:2] for ds in cs["ds"]]
    validated = [e for e in query["trace"] if e["event"] == "validated"]
    assert validated[-1]["security"] == "secure" and validated[-1]["key_tag"]
