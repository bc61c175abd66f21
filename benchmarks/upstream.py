"""The authoritative side of the miss benchmarks: NSD serving the lab's zones, or the lab itself.

A cache-miss benchmark measures the authoritative servers too: each miss is one upstream query.
The lab engine (Python, resolver/lab/) answers about 10 000 NXDOMAIN/s on this machine, below
what Unbound asks for, so it would cap Unbound's figure and flatter our ratio. By default the
zones are therefore served by Debian's NSD, exactly as the interop tests do (one NSD per group
of lab hosts, in a free 127.N.0.0/16 block on port 53, faulty hosts emulated; see
tests/interop/test_resolver_vs_unbound.py, whose helpers this reuses). `--upstream lab` uses
the in-process lab instead (benchmarks/run.py's start_lab).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

MISS_ZONE = "example.com."  # random labels right under it do not exist: NXDOMAIN from its servers


@dataclass
class Upstream:
    kind: str  # "nsd" or "lab"
    hints_path: str
    port: int
    network: str
    unbound_ok: bool  # on port 53, so Unbound can use it


def _unlimited_nsd() -> type:
    """The interop tests' Nsd with response rate limiting off: NSD limits each source to
    200 q/s by default (then drops or truncates), and every upstream query here comes from
    loopback, so RRL would set the pace of the whole benchmark."""
    from tests.interop.nsd_harness import Nsd

    class UnlimitedNsd(Nsd):
        def launch(self) -> None:
            real_write = Path.write_text

            def write_text(path: Path, text: str, *args: object, **kwargs: object) -> int:
                if path.name == "nsd.conf":
                    text = text.replace("server:\n", "server:\n  rrl-ratelimit: 0\n"
                                        "  rrl-whitelist-ratelimit: 0\n", 1)
                return real_write(path, text, *args, **kwargs)

            Path.write_text = write_text  # type: ignore[method-assign]
            try:
                super().launch()
            finally:
                Path.write_text = real_write  # type: ignore[method-assign]

    return UnlimitedNsd


@contextmanager
def upstream(kind: str = "nsd") -> Iterator[Upstream]:
    """The lab's zones served on port 53 by NSD (or the lab engine), until the block ends."""
    if kind == "lab":
        from benchmarks.run import start_lab

        lab, on_53 = start_lab()
        try:
            yield Upstream("lab", lab.hints_path, lab.port, lab.network, on_53)
        finally:
            lab.stop()
        return
    from tests.interop import test_resolver_vs_unbound as interop
    from tests.interop.test_resolver_vs_unbound import lab_served_by_nsd, write_unsigned_lab

    interop.Nsd = _unlimited_nsd()  # what nsd_instances() builds, for this process

    failures: list[str] = []
    with lab_served_by_nsd("resolver-bench-nsd-", write_unsigned_lab, failures) as served:
        if served is not None:
            _, network, workdir, _ = served
            yield Upstream("nsd", str(workdir / "root.hints"), 53, network, True)
            return
    raise RuntimeError("no NSD hierarchy on port 53: " + "; ".join(failures))
