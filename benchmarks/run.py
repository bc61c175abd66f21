"""Benchmarks of the caching nameserver (`resolve serve`), rerunnable by anyone.

    python benchmarks/run.py                 # everything, a few minutes on 2 cores
    python benchmarks/run.py --quick         # shorter runs, 20 000 RRsets for memory
    python benchmarks/run.py --json out.json # also write the figures as JSON

What it measures, all on loopback against the offline lab (never the internet):

1. Warm-cache throughput. The lab runs in this process on port 53 of its 127.42/16 addresses
   (Unbound has no upstream-port setting, so the lab must sit on 53; that needs root or
   CAP_NET_BIND_SERVICE, else Unbound is skipped and only our figures are printed). Then
   `resolve serve` and Unbound (num-threads: 1, root-hints = the lab's hints, iterator only)
   are started, both warmed with the same names, and loaded with dnsperf for a fixed time,
   in alternating rounds. Reported per server: queries/second, average and p99 latency (from
   dnsperf -v's per-query lines), lost queries; then the median ratio ours / Unbound. dnsperf
   keeps --outstanding queries in flight (a closed loop), so latency there includes queueing
   at that depth. Without dnsperf a Python load generator (benchmarks/loadgen.py) stands in.
2. Where the time goes on a cache hit: the Python cost of Nameserver.handle() on a hit,
   measured in-process, and a cProfile of the server process under dnsperf load.
3. Memory: the server's resident memory before and after caching N distinct RRsets
   (the lab's wildcard *.wild.example.com A answers every nNNN.wild.example.com), per RRset;
   Unbound's for the same names, for scale.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import pstats
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.loadgen import run_load  # noqa: E402
from resolver.server import fetch_stats  # noqa: E402

DNSPERF = shutil.which("dnsperf")
UNBOUND = shutil.which("unbound") or ("/usr/sbin/unbound" if Path("/usr/sbin/unbound").exists()
                                      else None)
START_TIMEOUT = 20.0  # seconds for a server to start answering
FIXED_NAMES = [
    ("www.cs.cornell.edu.", "A"),
    ("www.example.com.", "A"),
    ("www.example.com.", "AAAA"),
    ("example.com.", "MX"),
    ("example.com.", "TXT"),
    ("mail.example.com.", "A"),
    ("www.example.net.", "A"),
    ("example.org.", "A"),
]


# ---- processes --------------------------------------------------------------------------------


class Server:
    """A DNS server subprocess we started; stopped with SIGTERM (then SIGKILL) by its PID."""

    def __init__(self, name: str, argv: list[str], port: int, log: Path) -> None:
        self.name = name
        self.port = port
        self.log = log
        self._log_file = open(log, "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(argv, stdout=self._log_file, stderr=subprocess.STDOUT,
                                        cwd=ROOT)

    @property
    def pid(self) -> int:
        return self.process.pid

    def wait_ready(self, probe: bytes | None = None) -> None:
        """Until it answers `probe` (default: example.com. A, which warms the cache a little;
        COLD_PROBE does not). A poll: a benchmark may wait, a test may not."""
        probe = probe if probe is not None else _query_wire("example.com.", 1)
        deadline = time.monotonic() + START_TIMEOUT
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.settimeout(0.2)
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"{self.name} exited: {self.log.read_text()[-2000:]}")
                sock.sendto(probe, ("127.0.0.1", self.port))
                with contextlib.suppress(TimeoutError, ConnectionRefusedError):
                    if sock.recv(4096)[:2] == probe[:2]:
                        return
        raise RuntimeError(f"{self.name} did not answer within {START_TIMEOUT} s")

    def rss_kib(self) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError("no VmRSS")

    def stop(self) -> int | None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log_file.close()
        return self.process.returncode


def _query_wire(name: str, qtype: int, qid: int = 0x4242) -> bytes:
    from resolver.wire import build_query

    return build_query(name, qtype, qid, rd=True, edns_payload=None)


# version.server. CH TXT, ID 0x4242: Unbound answers it itself, ours refuses class CH (only
# stats.resolver. is served); neither asks an upstream server, so the cache stays empty.
COLD_PROBE = bytes.fromhex("4242010000010000000000000776657273696f6e067365727665720000100003")


def free_port() -> int:
    """A port free for UDP and TCP on 127.0.0.1 now."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind(("127.0.0.1", 0))
            port = udp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                try:
                    tcp.bind(("127.0.0.1", port))
                except OSError:
                    continue
            return port
    raise RuntimeError("no free port")


def start_ours(hints: str, upstream_port: int, workdir: Path, *, profile: Path | None = None,
               cache_size: int | str = "512M", cold: bool = False,
               extra_args: tuple[str, ...] = ()) -> Server:
    """`resolve serve` on a free port; `extra_args` are more of its flags (--trust-anchor, ...).

    Unbound runs `module-config: iterator` (no validation), so ours runs `--no-dnssec` too
    unless the caller asks for validation with `--trust-anchor`: the lab's zones are not signed
    under the real root's key, and a validating server would answer SERVFAIL (bogus) to all."""
    port = free_port()
    if not any(arg == "--no-dnssec" or arg.startswith("--trust-anchor") for arg in extra_args):
        extra_args = ("--no-dnssec", *extra_args)
    argv = [sys.executable]
    if profile is not None:
        argv += ["-m", "cProfile", "-o", str(profile)]
    argv += [str(ROOT / "cli.py"), "serve", "--root-hints", hints, "--upstream-port",
             str(upstream_port), "--listen", f"127.0.0.1:{port}", "--cache-size", str(cache_size),
             *extra_args]
    server = Server("resolve serve", argv, port, workdir / f"serve-{port}.log")
    server.wait_ready(COLD_PROBE if cold else None)
    return server


UNBOUND_CONF = """\
server:
  num-threads: 1
  interface: 127.0.0.1@{port}
  port: {port}
  do-ip6: no
  do-not-query-localhost: no
  root-hints: "{hints}"
  module-config: "iterator"
  chroot: ""
  username: ""
  directory: "{dir}"
  pidfile: "{dir}/unbound.pid"
  use-syslog: no
  logfile: ""
  verbosity: 0
  access-control: 127.0.0.0/8 allow
  msg-cache-size: 64m
  rrset-cache-size: 128m
  # Unbound answers 127.in-addr.arpa. itself (RFC 6303); the lab's reverse zone lives there.
  local-zone: "127.in-addr.arpa." nodefault
remote-control:
  control-enable: no
"""


def start_unbound(hints: str, workdir: Path, *, cold: bool = False,
                  options: tuple[str, ...] = (),
                  qname_minimisation: bool | None = None) -> Server:
    """Unbound with UNBOUND_CONF, plus `options` ("name: value") in its server: section;
    `qname_minimisation` None keeps its default (yes)."""
    port = free_port()
    conf = workdir / "unbound.conf"
    text = UNBOUND_CONF.format(port=port, hints=hints, dir=workdir)
    if qname_minimisation is not None:
        options = (*options, f"qname-minimisation: {'yes' if qname_minimisation else 'no'}")
    extra = "".join(f"  {option}\n" for option in options)
    conf.write_text(text.replace("remote-control:", extra + "remote-control:", 1))
    server = Server("unbound", [UNBOUND, "-d", "-c", str(conf)], port, workdir / "unbound.log")
    server.wait_ready(COLD_PROBE if cold else None)
    return server


# ---- load -------------------------------------------------------------------------------------


@dataclass
class LoadResult:
    tool: str
    sent: int
    completed: int
    lost: int
    qps: float
    avg_ms: float
    p50_ms: float
    p99_ms: float
    rcodes: dict[str, int] = field(default_factory=dict)


def write_names(path: Path, names: list[tuple[str, str]]) -> Path:
    path.write_text("".join(f"{name} {qtype}\n" for name, qtype in names))
    return path


def dnsperf(port: int, names: Path, *, duration: float | None = None, passes: int | None = None,
            outstanding: int = 100, verbose: bool = True, clients: int = 1) -> LoadResult:
    """dnsperf's figures; `clients` sockets (source ports: SO_REUSEPORT spreads by them)."""
    argv = [DNSPERF, "-s", "127.0.0.1", "-p", str(port), "-d", str(names), "-q",
            str(outstanding), "-t", "5", "-c", str(clients)]
    if duration is not None:
        argv += ["-l", str(duration)]
    if passes is not None:
        argv += ["-n", str(passes)]
    if verbose:
        argv.append("-v")
    output = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    latencies = sorted(float(line.rsplit(" ", 1)[1]) for line in output.splitlines()
                       if line.startswith("> ") and not line.startswith("> T"))

    def number(label: str) -> float:
        return float(re.search(rf"{label}:\s+([\d.]+)", output).group(1))

    rcodes = dict((k, int(v)) for k, v in re.findall(r"(\w+) (\d+) \([\d.]+%\)",
                                                      output.split("Response codes:")[1]
                                                      .split("\n")[0]))
    return LoadResult(
        tool="dnsperf",
        sent=int(number("Queries sent")),
        completed=int(number("Queries completed")),
        lost=int(number("Queries lost")),
        qps=number("Queries per second"),
        avg_ms=number("Average Latency \\(s\\)") * 1000,
        p50_ms=_percentile(latencies, 0.50) * 1000,
        p99_ms=_percentile(latencies, 0.99) * 1000,
        rcodes=rcodes,
    )


def _percentile(ordered: list[float], fraction: float) -> float:
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def load(port: int, names: Path, *, duration: float | None = None, passes: int | None = None,
         outstanding: int = 100, verbose: bool = True, clients: int = 1) -> LoadResult:
    if DNSPERF:
        return dnsperf(port, names, duration=duration, passes=passes, outstanding=outstanding,
                       verbose=verbose, clients=clients)
    questions = [tuple(line.split()) for line in names.read_text().splitlines() if line]
    result = run_load("127.0.0.1", port, questions, duration=duration, passes=passes,
                      outstanding=outstanding)
    return LoadResult(tool="python loadgen", **result)


# ---- the measurements -------------------------------------------------------------------------


def throughput(servers: list[Server], names: Path, duration: float, rounds: int,
               outstanding: int) -> dict[str, list[LoadResult]]:
    results: dict[str, list[LoadResult]] = {server.name: [] for server in servers}
    for server in servers:  # warm: every name once, then once more so every answer is cached
        load(server.port, names, passes=1, outstanding=20, verbose=False)
        load(server.port, names, passes=1, outstanding=20, verbose=False)
    ours = next(s for s in servers if s.name == "resolve serve")
    misses_before = fetch_stats("127.0.0.1", ours.port)["cache_misses"]
    for round_ in range(rounds):
        for server in servers if round_ % 2 == 0 else reversed(servers):
            result = load(server.port, names, duration=duration, outstanding=outstanding)
            results[server.name].append(result)
            print(f"  round {round_ + 1} {server.name:14} {result.qps:9.0f} q/s  "
                  f"avg {result.avg_ms:6.3f} ms  p99 {result.p99_ms:6.3f} ms  "
                  f"lost {result.lost}", flush=True)
    misses_after = fetch_stats("127.0.0.1", ours.port)["cache_misses"]
    if misses_after != misses_before:
        print(f"  note: {misses_after - misses_before} cache misses during the timed runs")
    return results


def hit_path_microbenchmark(hints: str, upstream_port: int, iterations: int = 200_000) -> dict:
    """Python cost of one cache hit in Nameserver.handle(), no sockets, no profiler."""
    from resolver import Resolver
    from resolver.server import ServerConfig
    from resolver.server.nameserver import Nameserver
    from resolver.wire import build_query

    class Sink:
        udp = True

        def deferred(self) -> None:
            pass

        def deliver(self, reply: bytes, client: tuple) -> None:
            self.done.set()

    async def run() -> dict:
        # Validation off, as the servers are started (--no-dnssec): with it on, the lab's
        # answers are bogus here, SERVFAIL is never cached, and no call below was a hit.
        with Resolver(hints, upstream_port=upstream_port, allowed_networks=["127.0.0.0/8"],
                      dnssec=False) as r:
            nameserver = Nameserver(ServerConfig(), r)
            sink = Sink()
            queries = [build_query(name, {"A": 1, "AAAA": 28, "MX": 15, "TXT": 16}[qtype], 7,
                                   rd=True, edns_payload=1232)
                       for name, qtype in FIXED_NAMES]
            for query in queries:
                sink.done = asyncio.Event()
                if nameserver.handle(query, ("127.0.0.1", 5555), sink) is None:
                    await sink.done.wait()
            client = ("127.0.0.1", 5555)
            handle = nameserver.handle
            start = time.perf_counter()
            for i in range(iterations):
                handle(queries[i % len(queries)], client, sink)
            elapsed = time.perf_counter() - start
            if nameserver.stats.cache_hits != iterations:
                raise SystemExit(f"hit benchmark: {nameserver.stats.cache_hits} hits of "
                                 f"{iterations} calls")
            return {"us_per_hit": elapsed / iterations * 1e6, "iterations": iterations,
                    "hits": nameserver.stats.cache_hits}

    return asyncio.run(run())


def profile_under_load(hints: str, upstream_port: int, names: Path, workdir: Path,
                       duration: float) -> list[tuple[str, int, float, float]]:
    """cProfile of the server process while dnsperf loads it with cache hits."""
    profile = workdir / "serve.prof"
    server = start_ours(hints, upstream_port, workdir, profile=profile)
    try:
        load(server.port, names, passes=2, outstanding=20, verbose=False)
        load(server.port, names, duration=duration, verbose=False)
    finally:
        server.stop()
    stats = pstats.Stats(str(profile))
    rows = []
    for (filename, line, function), (_, calls, tottime, cumtime, _) in stats.stats.items():
        if "epoll" in function:
            continue  # waiting for packets, not work
        where = f"{Path(filename).name}:{line}({function})" if line else function
        rows.append((where, calls, tottime, cumtime))
    rows.sort(key=lambda row: row[2], reverse=True)
    return rows[:15]


def answer_cache_entry_bytes(count: int = 20_000) -> float:
    """Bytes one cached packed reply (key included) costs, by tracemalloc, in-process: the
    server's own share of its per-RRset figure; the rest is the resolver's RRset cache."""
    import gc
    import tracemalloc

    from dnslib import RR

    from resolver.answer import Answer
    from resolver.server.answer_cache import AnswerCache, PackedReply
    from resolver.server.query import parse_query
    from resolver.server.replies import answer_reply
    from resolver.wire import build_query

    prepared = []
    for i in range(count):
        name = f"n{i}.wild.example.com."
        query = parse_query(build_query(name, 1, 7, rd=True, edns_payload=1232))
        answer = Answer(name, 1, 1, 0, name, answer=RR.fromZone(f"{name} 3600 IN A 127.42.20.99"))
        prepared.append((query, answer_reply(query, answer)))
    gc.collect()
    tracemalloc.start()
    cache = AnswerCache(count * 4096)  # bytes: room for every entry
    for query, reply in prepared:
        cache.put(query.key, PackedReply(reply, query.question_end, 0.0, edns=True,
                                         lifetime=None))
    used, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return used / count


def memory(servers: list[Server], count: int, workdir: Path) -> dict[str, dict]:
    names = write_names(workdir / "memory-names.txt",
                        [(f"n{i}.wild.example.com.", "A") for i in range(count)])
    figures = {}
    for server in servers:
        before = server.rss_kib()
        started = time.monotonic()
        result = load(server.port, names, passes=1, outstanding=200, verbose=False)
        elapsed = time.monotonic() - started
        after = server.rss_kib()
        entry = {"rrsets": count, "rss_before_kib": before, "rss_after_kib": after,
                 "bytes_per_rrset": (after - before) * 1024 / count,
                 "answered": result.completed, "lost": result.lost,
                 "seconds": round(elapsed, 1)}
        if server.name == "resolve serve":
            stats = fetch_stats("127.0.0.1", server.port)
            entry["answer_cache_entries"] = stats["answer_cache_entries"]
            entry["resolver_cache_entries"] = stats["resolver"].get("cache_entries")
        figures[server.name] = entry
        print(f"  {server.name:14} {entry['bytes_per_rrset']:7.0f} B/RRset "
              f"(RSS {before / 1024:.1f} -> {after / 1024:.1f} MiB, {elapsed:.0f} s to load)",
              flush=True)
    return figures


# ---- main -------------------------------------------------------------------------------------


def start_lab():
    """The lab in this process, on port 53 if we may (Unbound needs it), else any port."""
    from resolver.lab import Lab

    try:
        return Lab(port=53).start(), True
    except OSError as error:
        print(f"note: cannot run the lab on port 53 ({error.strerror}); Unbound is skipped")
        return Lab(port=0).start(), False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=8.0, help="seconds per timed run")
    parser.add_argument("--rounds", type=int, default=3, help="timed runs per server")
    parser.add_argument("--outstanding", type=int, default=100,
                        help="queries dnsperf keeps in flight (-q)")
    parser.add_argument("--names", type=int, default=1000,
                        help="distinct wildcard names in the warm set (plus a fixed few)")
    parser.add_argument("--memory-rrsets", type=int, default=100_000)
    parser.add_argument("--quick", action="store_true", help="short runs: a smoke test")
    parser.add_argument("--no-unbound", action="store_true")
    parser.add_argument("--no-profile", action="store_true")
    parser.add_argument("--no-memory", action="store_true")
    parser.add_argument("--json", metavar="FILE", help="also write the figures here")
    args = parser.parse_args(argv)
    if args.quick:
        args.duration, args.rounds, args.memory_rrsets = 3.0, 1, 20_000

    report: dict = {"machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
                    "load_tool": "dnsperf" if DNSPERF else "python loadgen (dnsperf missing)"}
    workdir = Path(tempfile.mkdtemp(prefix="resolver-bench-"))
    lab, on_53 = start_lab()
    servers: list[Server] = []
    try:
        hints, upstream_port = lab.hints_path, lab.port
        names = write_names(workdir / "names.txt", FIXED_NAMES + [
            (f"w{i}.wild.example.com.", "A") for i in range(args.names)])
        print(f"lab on port {upstream_port}; {len(FIXED_NAMES) + args.names} names; "
              f"load by {report['load_tool']}; {os.cpu_count()} CPUs", flush=True)
        servers.append(start_ours(hints, upstream_port, workdir))
        if on_53 and UNBOUND and not args.no_unbound:
            servers.append(start_unbound(hints, workdir))
        elif not UNBOUND:
            print("note: unbound not installed; no comparison")

        print(f"\n== warm-cache throughput: {args.rounds} x {args.duration:g} s per server, "
              f"{args.outstanding} queries outstanding", flush=True)
        runs = throughput(servers, names, args.duration, args.rounds, args.outstanding)
        report["throughput"] = {name: [asdict(r) for r in rs] for name, rs in runs.items()}
        summary = {}
        for name, rs in runs.items():
            summary[name] = {
                "qps": statistics.median(r.qps for r in rs),
                "avg_ms": statistics.median(r.avg_ms for r in rs),
                "p99_ms": statistics.median(r.p99_ms for r in rs),
                "lost": sum(r.lost for r in rs),
            }
        report["throughput_median"] = summary
        if "unbound" in runs:
            ratios = [o.qps / u.qps for o, u in zip(runs["resolve serve"], runs["unbound"],
                                                     strict=True)]
            report["ratio"] = statistics.median(ratios)

        print("\n== where a cache hit's time goes", flush=True)
        micro = hit_path_microbenchmark(hints, upstream_port)
        report["hit_path"] = micro
        print(f"  Nameserver.handle() on a hit, in-process: {micro['us_per_hit']:.2f} µs "
              f"(python {report['machine']['python']})")
        if not args.no_profile:
            rows = profile_under_load(hints, upstream_port, names, workdir,
                                      min(args.duration, 5.0))
            report["profile"] = rows
            print("  cProfile of the server under dnsperf load (top by own time, idle wait "
                  "excluded):")
            print(f"    {'own s':>7} {'cum s':>7} {'calls':>9}  function")
            for where, calls, tottime, cumtime in rows:
                print(f"    {tottime:7.3f} {cumtime:7.3f} {calls:9d}  {where}")

        if not args.no_memory:
            print(f"\n== memory after caching {args.memory_rrsets} distinct RRsets", flush=True)
            report["memory"] = memory(servers, args.memory_rrsets, workdir)
            report["answer_cache_entry_bytes"] = answer_cache_entry_bytes()
            print(f"  of which one packed reply in the answer cache: "
                  f"{report['answer_cache_entry_bytes']:.0f} B (tracemalloc, in-process)")
    finally:
        for server in servers:
            server.stop()
        lab.stop()

    print_report(report)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))
    shutil.rmtree(workdir, ignore_errors=True)
    return 0


def print_report(report: dict) -> None:
    print("\n================ report ================")
    print(f"load tool: {report['load_tool']}; CPUs: {report['machine']['cpus']}; "
          f"python {report['machine']['python']}")
    print(f"{'server':16} {'q/s':>9} {'avg ms':>8} {'p99 ms':>8} {'lost':>6}   (median of rounds)")
    for name, figures in report["throughput_median"].items():
        print(f"{name:16} {figures['qps']:9.0f} {figures['avg_ms']:8.3f} {figures['p99_ms']:8.3f} "
              f"{figures['lost']:6d}")
    if "ratio" in report:
        verdict = "meets" if report["ratio"] >= 0.5 else "BELOW"
        print(f"ratio resolve serve / unbound: {report['ratio']:.2f} "
              f"({verdict} the 0.5 target)")
    print(f"cache hit in Nameserver.handle(): {report['hit_path']['us_per_hit']:.2f} µs")
    for name, figures in report.get("memory", {}).items():
        print(f"memory {name:14} {figures['bytes_per_rrset']:7.0f} bytes per RRset "
              f"({figures['rrsets']} RRsets, RSS {figures['rss_before_kib'] / 1024:.1f} -> "
              f"{figures['rss_after_kib'] / 1024:.1f} MiB)")
    if "answer_cache_entry_bytes" in report:
        print(f"  (the server's answer cache: {report['answer_cache_entry_bytes']:.0f} bytes of "
              f"that per entry; the rest is the resolver's RRset cache and allocator slack)")


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
