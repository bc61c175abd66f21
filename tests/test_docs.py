"""The library guide's examples run as written, and the API reference builds from docstrings."""

from __future__ import annotations

import importlib
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import pdoc.doc
import pytest

import resolver

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
        [sys.executable, "-m", "pdoc", "-o", str(tmp_path), "resolver", "resolver.records",
         "resolver.asyncresolver", "resolver.lab"],  # fmt: skip
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
    records = (tmp_path / "resolver" / "records.html").read_text(encoding="utf-8")
    for name in ("MX.exchange", "TXT.strings", "SOA.minimum", "RRset.ttl", "Name.from_text",
                 "GenericRdata", "SvcParams"):  # fmt: skip
        assert f'id="{name}"' in records, f"resolver.records.{name} is missing from the reference"
    assert (tmp_path / "resolver" / "asyncresolver.html").exists()


def _documented_where_defined(doc: pdoc.doc.Doc) -> bool:
    """A re-exported variable keeps its docstring in the module that defines it (a package's
    submodule, when the value itself cannot say where it came from, as a dict cannot)."""
    module, qualname = doc.taken_from
    places = [module]
    package = importlib.import_module(module)
    if hasattr(package, "__path__"):
        places += [f"{module}.{sub.name}" for sub in pkgutil.iter_modules(package.__path__)]
    for place in places:
        defined = pdoc.doc.Module(importlib.import_module(place)).get(qualname)
        if defined is not None and defined.docstring.strip():
            return True
    return False


@pytest.mark.parametrize("module", ["resolver", "resolver.records", "resolver.asyncresolver"])
def test_every_public_name_has_a_docstring(module):
    # What the API reference shows, read by the tool that builds it: classes, functions,
    # methods, properties and attributes (pdoc reads an attribute's docstring from the string
    # after its assignment), inherited docstrings included.
    for name in resolver.__all__:
        getattr(resolver, name)  # the package loads its names on first use (PEP 562)
    missing: list[str] = []

    def walk(members: list[pdoc.doc.Doc]) -> None:
        for doc in members:
            if doc.name.startswith("_"):
                continue
            if not doc.docstring.strip() and not _documented_where_defined(doc):
                missing.append(doc.fullname)
            if isinstance(doc, pdoc.doc.Class):
                walk(doc.own_members)

    walk(list(pdoc.doc.Module(importlib.import_module(module)).members.values()))
    assert not missing, f"no docstring: {', '.join(missing)}"
