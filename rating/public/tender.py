"""May this company bid, and with what credit? The public's tender lookup.

Issue 18 asks for "a lookup that returns a company's credit points for a tender on a given
date (what the tendering office needs)". Property-service tenders are run by developers
(建设单位) and owners' assemblies (业主大会) through public resource trading platforms, not
by the housing bureau, and every shipped rule set marks its tender measures `public = true`
(Yantai's credit points, Lianyungang's bar on black-listed companies). So the answer is
public: from the public snapshot (published results only, public measures only), the same
numbers as the bureau's `rating tender`, which also sees measures a rule set keeps internal.
"""

from __future__ import annotations

from datetime import date

from pydantic import Field

from rating.consequences.measure_words import Words as MeasureWords
from rating.consequences.measure_words import no_tender_points
from rating.public.shapes import CompanyCard, Shape
from rating.public.text import PublicWords


class PublicTender(Shape):
    """A company's credit for a tender opened on `on`, from the results published by then."""

    uscc: str
    name: str
    on: str
    rated: bool = Field(description="A published result was in force on that day")
    period: str | None = Field(None, description="The published result's period")
    grade: str | None = None
    excluded: bool = Field(description="Barred from tenders on that day")
    points: float = Field(description="Credit points (0 when no measure gives any)")
    text: str = Field(description="The answer in words")
    until: str | None = Field(None, description="Until when the measure applies, in words")
    ends: str | None = Field(None, description="The day it ends (ISO); None: no fixed end")
    clauses: list[str] = Field(default=[], description="The legal basis")


def public_tender(card: CompanyCard, on: date, words: PublicWords) -> PublicTender:
    """The tender answer from the company's public card on `on` (its measures in force come
    from published runs only; its grade from the newest published period)."""
    published = [h for h in card.history if h.status == "published"]
    latest = published[-1] if published else None
    line = next((m for m in card.measures if m.kind == "tender"), None)
    excluded = bool(line and line.excluded)
    if latest is None or line is None:
        # the bureau's `rating tender` words (rating.consequences.lookup): one wording
        text = no_tender_points(MeasureWords(words.language), latest is not None)
    else:
        text = line.text
    return PublicTender(
        uscc=card.uscc,
        name=card.name,
        on=on.isoformat(),
        rated=latest is not None,
        period=latest.period if latest else None,
        grade=latest.grade if latest else None,
        excluded=excluded,
        points=0.0 if line is None or excluded else float(line.points or 0),
        text=text,
        until=line.until if line else None,
        ends=line.ends if line else None,
        clauses=line.clauses if line else [],
    )
