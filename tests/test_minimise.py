"""QNAME minimisation's first question (resolver/minimise.py)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from resolver.minimise import Minimiser, asks_in_full

LABEL = st.sampled_from(["a", "www", "x1", "a\\.b", "\\000", "sub-zone", "m3f2a9"])


@given(st.lists(LABEL, max_size=6), st.integers(min_value=0, max_value=6))
def test_asks_in_full_is_what_the_minimiser_asks_first(labels, cut_depth):
    """The shortcut's quick check agrees with Minimiser for any name and any cut above it,
    escaped dots included."""
    qname = ".".join(labels) + "." if labels else "."
    depth = min(cut_depth, len(labels))
    zone = ".".join(labels[len(labels) - depth:]) + "." if depth else "."
    minimiser = Minimiser(qname, 1)
    minimiser.at_zone(zone)
    assert asks_in_full(qname, zone) == (minimiser.question() == (qname, 1))


def test_one_label_below_the_cut_is_asked_in_full_and_two_are_not():
    assert asks_in_full("x.example.com.", "example.com.")
    assert asks_in_full("com.", ".")
    assert asks_in_full("example.com.", "example.com.")
    assert not asks_in_full("a.b.example.com.", "example.com.")
    assert not asks_in_full("example.com.", ".")
