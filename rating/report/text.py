"""The report's words and numbers in one language (gettext domain `report`).

Numbers are shown to the precision results are published with (`SCORE_DECIMALS`), dates
in the reader's form (2026年10月15日 / 15 Oct 2026), grade names as the rule set writes
them. Source strings are English; `rating/locale/zh/LC_MESSAGES/report.po` gives Chinese.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from rating.i18n import catalog
from rating.scores import shown_text

DOMAIN = "report"
SCORE_DECIMALS = 2  # scores as Chinese schemes publish them (e.g. 济南: 两位小数)
_MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()


class Words:
    """`words("Black list")` → the text in the report's language; helpers format values."""

    def __init__(self, language: str) -> None:
        self.language = "zh" if language.lower().startswith("zh") else "en"
        self._catalog = catalog(DOMAIN, self.language)

    def __call__(self, message: str, **values: Any) -> str:
        text = self._catalog.gettext(message)
        return text.format(**values) if values else text

    def plural(self, one: str, many: str, n: int, **values: Any) -> str:
        return self._catalog.ngettext(one, many, n).format(n=n, **values)

    @property
    def html_lang(self) -> str:
        return "zh-CN" if self.language == "zh" else "en"

    # -------------------------------------------------------------------------- values

    def score(self, value: Any) -> str:
        """A score to `SCORE_DECIMALS` places, rounded down (— when missing): a shown score
        never reaches a band's minimum the score itself does not (59.996 shows 59.99, grade C
        under a B from 60), and the command line shows the same figure."""
        if value is None:
            return "—"
        return shown_text(value, SCORE_DECIMALS)

    def count(self, value: Any) -> str:
        return "—" if value is None else f"{int(value):,}"

    def share(self, value: float | None) -> str:
        return "—" if value is None else f"{value:.0%}"

    def delta(self, value: int | None) -> str:
        if value is None:
            return ""
        if value == 0:
            return self("same as last period")
        n = f"{abs(value):,}"
        return self("▲ {n} on last period", n=n) if value > 0 else self("▼ {n} on last period", n=n)

    def day(self, value: date | datetime | str | None) -> str:
        if value is None or value == "":
            return "—"
        d = date.fromisoformat(value[:10]) if isinstance(value, str) else value
        if isinstance(d, datetime):
            d = d.date()
        if self.language == "zh":
            return f"{d.year}年{d.month}月{d.day}日"
        return f"{d.day} {_MONTHS[d.month - 1]} {d.year}"

    def grade(self, value: str | None) -> str:
        return value if value else self("not rated")

    def yes(self, value: bool | None) -> str:
        return self("yes") if value else ""
