"""The library guide's examples run as written, and the API reference builds from docstrings."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs" / "guide.md"


def test_every_guide_example_runs_in_order(capsys):
    blocks = re.findall(r"```python\n(.*?)```", GUIDE.read_text(encoding="utf-8"), re.S)
    assert len(blocks) >= 10, "the guide lost its examples"
    namespace: dict[str, object] = {"__name__": "guide"}
    try:
        for number, block in enumerate(blocks, 1):
            exec(compile(block, f"{GUIDE.name}, example {number}", "exec"), namespace)
    finally:  # a failing example must not leave the lab or the resolver running
        for name in ("resolver", "lab"):
            closer = getattr(namespace.get(name), "close", None) or getattr(
                namespace.get(name), "stop", None
            )
            if closer is not None:
                closer()
    printed = capsys.readouterr().out
    assert "127.42.10.81" in printed
    assert "does not exist (NXDOMAIN)" in printed
    assert "has no MX records" in printed
    assert "['nowhere.example.com.', 'nowhere.example.net.', 'nowhere.']" in printed


def test_api_reference_builds_from_docstrings(tmp_path):
    # The CI command, into a temporary directory instead of docs/api.
    subprocess.run(
        [sys.executable, "-m", "pdoc", "-o", str(tmp_path), "resolver", "resolver.lab"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    page = (tmp_path / "resolver.html").read_text(encoding="utf-8")
    for name in ("Resolver", "Resolver.resolve", "resolve_name", "override_system_resolver",
                 "LifetimeTimeout", "NXDOMAIN.qnames"):  # fmt: skip
        assert f'id="{name}"' in page, f"{name} is missing from the API reference"
    assert 'id="Resolver._submit"' not in page  # private helpers stay out
    assert (tmp_path / "resolver" / "lab.html").exists()
