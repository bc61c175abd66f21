"""pytest fixtures for tests that need the lab internet.

Import both into conftest.py:  from tests.lab_fixtures import lab, lab_per_test  # noqa: F401

`lab` is one default lab for the whole session on a free shared port (port=0), so parallel runs
never collide. `lab_per_test` runs around every test that uses `lab`: it zeroes the query
counters before the test, and afterwards puts every host back to its default fault and fails
the test if the lab hit a bug while answering.
"""

from __future__ import annotations

import pytest

from resolver.lab import Lab

__all__ = ["lab", "lab_per_test"]


@pytest.fixture(scope="session")
def lab():
    with Lab(port=0) as running:
        yield running


@pytest.fixture(autouse=True)
def lab_per_test(request):
    if "lab" not in request.fixturenames:
        yield
        return
    running: Lab = request.getfixturevalue("lab")
    running.reset_counters()
    errors_before = len(running.errors)
    yield
    running.reset_faults()
    new_errors = running.errors[errors_before:]
    if new_errors:
        pytest.fail("the lab hit a bug while answering:\n" + "\n".join(new_errors))
