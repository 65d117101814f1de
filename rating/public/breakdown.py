"""How a card's score is made, line by line, adding up to the score shown.

A resident reads: base score, each reason shown, 其他N项合计 (the reasons not shown one by one),
then any caps and floors of the scheme (a project's score kept within its range, a bucket's
within its own) and the difference of cutting each figure to the places shown — and these add
up, to the last shown digit, to the score the card shows. Figures are cut as everywhere
(`rating.scores.shown_score`, ROUND_FLOOR), so a shown reason reads as in the reasons table.

The base is the rule set's `project.base` (a company's basic score is the weighted mean of its
projects' scores, each starting from it); a reason's points are its effect on the company score
(`rating.public.build._cards_sql`: project points weighted as the engine weights projects).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_DOWN, Decimal

from rating.public.shapes import ScoreBreakdown, ScoreLine
from rating.public.text import PublicWords
from rating.scores import shown_score


def shown_one_by_one(count: int, most: int) -> int:
    """How many of a card's `count` reasons are shown one by one: all when at most `most + 1`
    (a line 其他1项合计 would hide one reason behind a line as long as itself), else `most`,
    the rest summed in one line of two items or more. The card's heading counts them all:
    shown + others = `count`."""
    return count if count <= most + 1 else most


def breakdown(
    score: object,
    base: Decimal,
    points: Sequence[object],
    shown: int,
    places: int,
    words: PublicWords,
    titles: Sequence[str],
) -> ScoreBreakdown:
    """The lines of a score (module doc). `score`: the company's score as stored; `points`:
    every reason's points, in the card's order, the first `shown` of them shown one by one
    with `titles`; `places`: the rule set's `score_places`. The lines' shown points add up
    exactly to `shown_score(score, places)`."""
    total = shown_score(score, places)
    exact = [Decimal(str(p)) for p in points]
    running = shown_score(base, places)
    lines = [ScoreLine(kind="base", label=words("Base score"), points=float(running))]
    for title, value in zip(titles, exact[:shown], strict=True):
        cut = shown_score(value, places)
        lines.append(ScoreLine(kind="reason", label=title, points=float(cut)))
        running += cut
    rest = exact[shown:]
    if rest:
        cut = shown_score(sum(rest, Decimal(0)), places)
        label = words("{n} other items together", n=len(rest))
        lines.append(ScoreLine(kind="others", label=label, points=float(cut)))
        running += cut
    # cut towards zero: the stored score's last places make a few ten-thousandths of noise,
    # which is no cap or floor (it goes to the rounding line)
    limits = (Decimal(str(score)) - base - sum(exact, Decimal(0))).quantize(
        Decimal(1).scaleb(-places), rounding=ROUND_DOWN
    )
    if limits != 0:
        cut = limits
        lines.append(
            ScoreLine(
                kind="limits", label=words("Caps and floors of the scheme"), points=float(cut)
            )
        )
        running += cut
    if total != running:
        label = words("Figures cut to {n} decimals (not rounded)", n=places)
        lines.append(ScoreLine(kind="rounding", label=label, points=float(total - running)))
    return ScoreBreakdown(lines=lines, others=len(rest), total=float(total))
