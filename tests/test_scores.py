"""A score as shown: one rule (rating.scores, floor to the rule set's places) for every channel —
issue 16: 39.4459 read 39.44 on the command line but 39.45 on the public card and in its JSON,
and `rating path` aimed at "→ 47.45分" for 47.4459."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from rating.cli.display import number
from rating.consequences.remedy_words import _fixed
from rating.public.text import PublicWords
from rating.report.text import Words
from rating.scores import shown_float, shown_score, shown_text


def test_a_score_is_floored_to_the_places() -> None:
    assert shown_score(39.4459) == Decimal("39.44")
    assert shown_score(47.4459, 2) == Decimal("47.44")
    assert shown_score(-23.425) == Decimal("-23.43")
    assert shown_text(-0.001) == "-0.01"
    assert shown_text(0.0) == "0.00" and shown_text(-0.0) == "0.00"
    assert shown_text(39.44) == "39.44"  # the float's shortest form, not 39.43999…
    assert shown_text(59.996, 1) == "59.9"
    assert shown_float(None) is None and shown_float(39.4459) == 39.44


def test_every_channel_shows_the_same_figure() -> None:
    assert number(39.4459, 2) == "39.44"
    assert Words("zh").score(39.4459) == "39.44"
    assert PublicWords("zh").score(39.4459) == "39.44"
    assert _fixed(47.4459) == "47.44"  # the path's target score, "→ 47.44分，B"
    assert _fixed(Decimal("47.4459")) == "47.44"


@given(st.decimals(min_value=-1000, max_value=1000, places=6), st.integers(0, 4))
def test_a_shown_score_is_never_above_the_value(value: Decimal, places: int) -> None:
    shown = shown_score(value, places)
    assert shown <= value < shown + Decimal(1).scaleb(-places)
