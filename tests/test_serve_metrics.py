"""`--metrics ADDR:PORT`: the real daemon's /metrics scraped over HTTP and read with
prometheus_client's text parser."""

from __future__ import annotations

import re
import urllib.error
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.daemon import Daemon


def scrape(daemon: Daemon, path: str = "/metrics") -> dict:
    url = f"http://127.0.0.1:{daemon.metrics_port}{path}"
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.headers["Content-Type"].startswith("text/plain; version=")
        text = response.read().decode()
    return {family.name: family for family in text_string_to_metric_families(text)}


def value(families: dict, name: str, sample: str, **labels: str) -> float:
    for item in families[name].samples:
        if item.name == sample and all(item.labels.get(k) == v for k, v in labels.items()):
            return item.value
    raise AssertionError(f"no {sample} {labels}")


@pytest.fixture
def served(tmp_path):
    with Daemon("--lab", "--metrics", "127.0.0.1:0", "--local-zone", "blocked.example. "
                "always_nxdomain") as daemon:
        # logged before "serving DNS on", so already read by the time the daemon is up
        found = [re.search(r"metrics on http://127\.0\.0\.1:(\d+)/", line) for line in daemon.log]
        daemon.metrics_port = int(next(match for match in found if match).group(1))
        yield daemon


def test_metrics_count_queries_cache_upstream_latency_acl_and_local_data(served):
    served.ask("www.example.com")
    served.ask("www.example.com")
    served.ask("www.example.com", "AAAA")
    served.ask("x.blocked.example")
    families = scrape(served)
    assert families["resolver_queries"].type == "counter"
    assert value(families, "resolver_queries", "resolver_queries_total", protocol="udp") == 4
    assert value(families, "resolver_query_types", "resolver_query_types_total", type="A") == 3
    assert value(families, "resolver_responses", "resolver_responses_total", rcode="NXDOMAIN") == 1
    assert value(families, "resolver_cache_hits", "resolver_cache_hits_total") == 1
    assert value(families, "resolver_cache_misses", "resolver_cache_misses_total") == 2
    assert value(families, "resolver_upstream_queries", "resolver_upstream_queries_total",
                 outcome="reply") > 0
    assert value(families, "resolver_cache_entries", "resolver_cache_entries",
                 cache="answer") == 2
    assert value(families, "resolver_answer_cache_size_bytes",
                 "resolver_answer_cache_size_bytes") > 0
    assert value(families, "resolver_acl_actions", "resolver_acl_actions_total",
                 action="allow") == 3  # the cache hit took the fast path: not counted there
    assert value(families, "resolver_local_answers", "resolver_local_answers_total",
                 kind="always_nxdomain") == 1
    histogram = families["resolver_resolution_duration_seconds"]
    assert histogram.type == "histogram"
    assert value(families, "resolver_resolution_duration_seconds",
                 "resolver_resolution_duration_seconds_count") == 2
    assert value(families, "resolver_resolution_duration_seconds",
                 "resolver_resolution_duration_seconds_bucket", le="+Inf") == 2
    assert value(families, "resolver_resolution_duration_seconds",
                 "resolver_resolution_duration_seconds_sum") > 0
    buckets = [s.value for s in histogram.samples if s.name.endswith("_bucket")]
    assert buckets == sorted(buckets)  # cumulative


def test_other_paths_are_not_found(served):
    with pytest.raises(urllib.error.HTTPError) as caught:
        scrape(served, "/")
    assert caught.value.code == 404
