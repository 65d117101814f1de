"""A card's score adds up (issue 16): base + each reason shown + 其他N项合计 + the scheme's caps
and floors + the cut to shown places = the score shown, to the last digit, whatever the figures.
"""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from rating.public.breakdown import breakdown, shown_one_by_one
from rating.public.text import PublicWords
from rating.scores import shown_score

WORDS = PublicWords("zh")
POINTS = st.decimals(min_value=-40, max_value=40, places=6, allow_nan=False, allow_infinity=False)


def _sum(lines: list[float]) -> Decimal:
    return sum((Decimal(str(x)) for x in lines), Decimal(0))


@given(st.lists(POINTS, max_size=12), st.integers(0, 8), POINTS, st.integers(0, 4))
def test_the_lines_add_up_to_the_score_shown(
    points: list[Decimal], shown: int, limits: Decimal, places: int
) -> None:
    shown = min(shown, len(points))
    base = Decimal(80)
    score = base + sum(points, Decimal(0)) + limits
    b = breakdown(score, base, points, shown, places, WORDS, ["理由"] * shown)
    assert _sum([line.points for line in b.lines]) == Decimal(str(b.total))
    assert Decimal(str(b.total)) == shown_score(score, places)
    assert b.others == len(points) - shown
    assert [line.kind for line in b.lines].count("others") == (1 if b.others else 0)
    # a reason shown reads as in the reasons table: its own cut figure
    reasons = [line.points for line in b.lines if line.kind == "reason"]
    assert reasons == [float(shown_score(p, places)) for p in points[:shown]]


def test_a_hand_computed_card() -> None:
    """80 − 8.125 − 7.579 − 0.3331 − 0.2 (two not shown) = 63.7629 → shown 63.76: the shown
    lines 80.00 − 8.13 − 7.58 (cut down) − 0.54 (其他2项合计 −0.5331 cut) = 63.75, and
    +0.01 says the cut."""
    points = [Decimal("-8.125"), Decimal("-7.579"), Decimal("-0.3331"), Decimal("-0.2")]
    b = breakdown(Decimal("63.7629"), Decimal(80), points, 2, 2, WORDS, ["甲", "乙"])
    assert [(line.label, line.points) for line in b.lines] == [
        ("基础分", 80.0),
        ("甲", -8.13),
        ("乙", -7.58),
        ("其他2项合计", -0.54),
        ("各项分值截取至2位小数（不四舍五入）的差额", 0.01),
    ]
    assert b.total == 63.76 and b.others == 2


def test_a_few_ten_thousandths_of_noise_are_no_cap_or_floor() -> None:
    """The stored score keeps 4 places, the points 6: 80 − 5.123456 stored as 74.8765 leaves
    −0.000044, which is no cap or floor line (cut to 2 places towards zero it is 0): 80.00
    − 5.13 = 74.87 as shown."""
    b = breakdown(Decimal("74.8765"), Decimal(80), [Decimal("-5.123456")], 1, 2, WORDS, ["甲"])
    assert [(line.kind, line.points) for line in b.lines] == [("base", 80.0), ("reason", -5.13)]
    assert b.total == 74.87


@given(st.lists(POINTS, max_size=20), st.integers(1, 10))
def test_a_card_never_folds_a_single_reason_into_its_others_line(
    points: list[Decimal], most: int
) -> None:
    """The heading counts every reason and the lines agree: shown one by one + the N of
    其他N项合计 = all, and N is never 1 (one reason is shown instead of a line 其他1项合计)."""
    shown = shown_one_by_one(len(points), most)
    b = breakdown(Decimal(80) + sum(points, Decimal(0)), Decimal(80), points, shown, 2, WORDS,
                  ["理由"] * shown)  # fmt: skip
    reasons = [line for line in b.lines if line.kind == "reason"]
    assert len(reasons) + b.others == len(points)
    assert b.others != 1 and (b.others == 0 or len(reasons) == most)
    assert len(reasons) <= most + 1
    assert "其他1项合计" not in [line.label for line in b.lines]
