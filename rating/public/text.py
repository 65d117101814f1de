"""The public lookup's words (gettext domain `public`), Chinese by default.

Source strings are English; `rating/locale/zh/LC_MESSAGES/public.po` gives Chinese (`python
scripts/report_messages.py update|check` keeps it complete). Dates in the reader's form
(2026年1月20日), scores with two decimals — the formatting of the director's report
(`rating.report.text.Words`), with this domain's catalog.
"""

from __future__ import annotations

import re
from decimal import Decimal

from rating.i18n import catalog
from rating.periods import Period
from rating.public.shapes import GradeStreak
from rating.report.text import Words
from rating.ruleset.definition import Band, RuleSet

DOMAIN = "public"


class PublicWords(Words):
    """`words("Black list")` in the public pages' language; `words.day(...)` etc. as the report's."""

    def __init__(self, language: str = "zh") -> None:
        super().__init__(language)
        self._catalog = catalog(DOMAIN, self.language)

    def gettext(self, message: str) -> str:
        return self._catalog.gettext(message)

    def ngettext(self, one: str, many: str, n: int) -> str:
        return self._catalog.ngettext(one, many, n)

    def grade(self, value: str | None) -> str:
        return value if value else self("not rated")

    def points(self, value: float | None) -> str:
        """A reason's points as a resident reads them: `扣8.12分`, `加3.00分` (the score's
        figure, rounded down as everywhere)."""
        shown = self.score(value)
        if value is None:
            return shown
        if shown.startswith("-"):
            return self("{n} points taken", n=shown[1:])
        return self("{n} points added", n=shown)

    def period(self, value: str | None) -> str:
        """A period as a resident reads it: 2026Q3 → `2026年第3季度`, 2026H1 → `2026年上半年`,
        2026 → `2026年度` (tables and charts keep the short code)."""
        if not value:
            return ""
        p = Period.parse(value)
        if p.kind == "Q":
            return self("{year}, quarter {n}", year=p.year, n=p.n)
        if p.kind == "H":
            if p.n == 1:
                return self("{year}, first half", year=p.year)
            return self("{year}, second half", year=p.year)
        return self("the year {year}", year=p.year)

    def status(self, value: str) -> str:
        return self("published") if value == "published" else self("proposed (in publicity)")

    def veto_reason(self, items: list[str]) -> str:
        return self("Serious violation (veto item: {items})", items=self.join(items))

    def streak_reason(self, grade: str, periods: list[str]) -> str:
        return self(
            "Rated {grade} {n} times running ({periods})",
            grade=grade,
            n=len(periods),
            periods=self.join(periods),
        )

    def grade_streak(self, streak: GradeStreak) -> str:
        """`连续3期为C级（自2025Q1起；2025Q1为本系统数据起始期，此前无数据可计）`; one period:
        `2025Q1为C级；2025Q1为本系统数据起始期，此前无数据可计`"""
        head = (
            self(
                "Rated {grade} {n} periods running, since {since}",
                grade=streak.grade,
                n=streak.periods,
                since=streak.since,
            )
            if streak.periods > 1
            else self("Rated {grade} in {since}", grade=streak.grade, since=streak.since)
        )  # 连续1期 is no run: one period says its period
        if streak.from_data_start:
            note = self(
                "{since} is the first period with data: nothing earlier to count",
                since=streak.since,
            )
        elif streak.history_missing:
            note = self("the period before had no result when this one was made")
        else:
            return head
        return self("{head} ({note})", head=head, note=note)

    def version(self, ruleset: str | None) -> str:
        """A rule version as a resident reads it: `yantai-2022@1.1.1` → `第1.1.1版` (the id
        stays in the JSON's provenance)."""
        number = (ruleset or "").rpartition("@")[2]
        return self("version {number}", number=number) if number else ""

    def join(self, items: list[str]) -> str:
        return self("、").join(items) if self.language == "zh" else ", ".join(items)

    def repair(self, state: str | None, applied_on: str | None) -> str:
        if state == "pending":
            return self(
                "credit repair applied for on {day}, under review", day=self.day(applied_on)
            )
        if state == "rejected":
            return self(
                "credit repair applied for on {day}, not approved", day=self.day(applied_on)
            )
        return self("no credit repair applied for")


def band_rules(
    bands: tuple[Band, ...], words: PublicWords, project: bool = False
) -> list[tuple[str, str | None, str]]:
    """(grade, meaning, score range in words) for bands best first: `信用得分85分（含）以上` …;
    `project`: a compound's (project's) score, `项目得分72分（含）以上`."""
    out = []
    upper: Decimal | None = None
    for band in bands:
        low = _number(band.min) if band.min is not None else None
        high = _number(upper) if upper is not None else None
        if low is not None and high is None:
            rule = (
                words("project score {low} or more", low=low)
                if project
                else words("{low} points or more", low=low)
            )
        elif low is not None:
            rule = (
                words("project score {low} to under {high}", low=low, high=high)
                if project
                else words("{low} to under {high} points", low=low, high=high)
            )
        else:
            rule = (
                words("project score under {high}", high=high)
                if project
                else words("under {high} points", high=high)
            )
        out.append((band.grade, band.meaning, rule))
        upper = band.min
    return out


_CJK = "\u3400-\u9fff\u3000-\u303f\uff01-\uff5e"
_AFTER_CJK_COLON = re.compile(rf"(?<=[{_CJK}])\s*:\s*")
_AFTER_CJK_SEMICOLON = re.compile(rf"(?<=[{_CJK}])\s*;\s*")
_PARENS_BY_CJK = re.compile(rf"(?<=[{_CJK}])\s*\(([^()]*)\)|\(([^()]*[{_CJK}][^()]*)\)(?=[{_CJK}])")


def zh_punctuation(text: str) -> str:
    """`text` with the half-width `:` `;` `( )` a rule file or document number puts in Chinese
    words made full-width, as Chinese public text is written (GB/T 15834-2011 标点符号用法):
    `红名单: 信用优秀(AAA)且…` → `红名单：信用优秀（AAA）且…`, `13号; 山东省…办法 (鲁建物字…)` →
    `13号；山东省…办法（鲁建物字…）`. Only marks touching Chinese change, so a grade code
    such as `C(缺失)` (a value, not prose) and Latin text stay as they are."""
    text = _AFTER_CJK_COLON.sub("：", text)
    text = _AFTER_CJK_SEMICOLON.sub("；", text)
    return _PARENS_BY_CJK.sub(lambda m: f"（{m.group(1) or m.group(2)}）", text)


def override_rules(definition: RuleSet, words: PublicWords) -> list[tuple[str, str | None, str]]:
    """The grades given by a condition, not a score: overrides, and the veto."""
    out: list[tuple[str, str | None, str]] = [
        (o.grade, None, zh_punctuation(o.title)) for o in definition.grades.overrides
    ]
    if any(r.veto for r in definition.rules):
        out.append(
            (
                definition.lowest_grade,
                None,
                words(
                    "{veto}: rated {grade} whatever the score",
                    veto=zh_punctuation(definition.grades.veto_title),
                    grade=definition.lowest_grade,
                ),
            )
        )
    return out


def _number(value: Decimal | None) -> str:
    return "" if value is None else f"{value.normalize():f}"


def grade_reason(
    recorded: str | None,
    band: str | None,
    grade: str | None,
    score: float | None,
    definition: RuleSet,
    veto_items: list[str],
    words: PublicWords,
) -> str | None:
    """Why a company has its grade, in plain words, from what the run recorded — its
    `grade_reason` (`band`, `override:<id>`, `cap:<id>`, `veto`, `not_rated`, see
    `rating.engine.grading`) and `band_grade` — worded by the rule set: `信用得分46.90分，
    按得分为C级（…）；依据“信用得分在60分以下但没有不良信用信息的，评为B级”，评为B级。`
    Nothing is recomputed; an unknown reason gives None."""
    reason = recorded or ""
    if reason == "not_rated":
        return words("Not rated: the company had no rated project in the period.")
    if reason == "veto":
        return words(
            "{veto} ({items}): rated {grade} whatever the score.",
            veto=zh_punctuation(definition.grades.veto_title),
            items=words.join(veto_items),
            grade=grade,
        )
    if reason.startswith(("override:", "cap:")):
        kind, rid = reason.split(":", 1)
        found = definition.grades.overrides if kind == "override" else definition.grades.caps
        title = next((o.title for o in found if o.id == rid), None)
        if title is None:
            return None
        if band is None:  # a grade outside the bands (C(缺失)): no credit score to speak of
            return words(
                "By the rule “{title}”, rated {grade}; no credit score is given.",
                title=title,
                grade=grade,
            )
    head = _band_words(band, score, definition, words)
    if reason.startswith(("override:", "cap:")):
        if kind == "override":
            return words(
                "{head}; by the rule “{title}”, rated {grade}.", head=head, title=title, grade=grade
            )
        return words(
            "{head}; by the rule “{title}”, rated {grade} at most.",
            head=head,
            title=title,
            grade=grade,
        )
    return words("{head}.", head=head) if reason == "band" else None


def _band_words(
    band: str | None, score: float | None, definition: RuleSet, words: PublicWords
) -> str:
    """`信用得分46.90分，按得分为C级（C级：信用得分60分以下）` — the band the score (or
    `grades.by`) falls in."""
    if definition.grades.by is not None:
        return words("By the rule set's ranking bands, grade {band}", band=band)
    rule = next((r for g, _m, r in band_rules(definition.grades.bands, words) if g == band), "")
    return words(
        "Credit score {score}: by the score, grade {band} ({band}: {rule})",
        score=words.score(score),
        band=band,
        rule=rule,
    )
