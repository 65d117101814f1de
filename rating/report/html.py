"""The director's report as one self-contained HTML page (Jinja2 template, no scripts).

Printed, it is a summary of a few A4 pages — the quarter against the last, what changed and
why, what needs a decision, the data that could change a result, the top of the early
warning — followed by one page per company that needs a decision. On screen an appendix
follows with every row (it does not print; the workbook holds the same rows). One language
per page: `Words` (gettext domain `report`). Charts are embedded PNG; every value from the
warehouse is escaped by the template engine.
"""

from __future__ import annotations

import base64
from importlib import resources
from typing import Any

from markupsafe import Markup

from rating.analysis.warning import CompanyRisk
from rating.report.card import Card
from rating.report.data import ReportData
from rating.report.summary import Entry, Summary
from rating.report.text import Words
from rating.schema import KINDS

CSS = """
@page{size:A4;margin:14mm 13mm}
body{font-family:"Noto Sans CJK SC","Microsoft YaHei","PingFang SC",sans-serif;margin:1.5em auto;
max-width:1000px;color:#222;line-height:1.5;padding:0 1em;font-size:14px}
h1{font-size:1.5em;margin:.2em 0}h2{border-bottom:2px solid #1f4e79;padding-bottom:.15em;
margin:1.2em 0 .5em;font-size:1.15em}h3{font-size:1em;margin:.8em 0 .3em}
table{border-collapse:collapse;margin:.4em 0;font-size:.9em;width:100%;table-layout:auto}
th,td{border:1px solid #ccc;padding:.2em .45em;text-align:left;vertical-align:top;
overflow-wrap:anywhere}th{background:#eef2f7;white-space:nowrap}td.n{text-align:right;white-space:nowrap;
font-variant-numeric:tabular-nums}.id{font-family:monospace;font-size:.85em;color:#555;
white-space:nowrap}.kpis{display:grid;grid-template-columns:repeat(auto-fill,minmax(9.5em,1fr));
gap:.5em}.kpi{border:1px solid #ccd;border-radius:6px;padding:.4em .7em;color:inherit;
text-decoration:none}.kpi b{display:block;font-size:1.45em}.kpi span{display:block}
.kpi small{color:#666}.muted{color:#666;font-size:.9em}a.more{font-size:.75em;font-weight:normal;
margin-left:.5em}img{max-width:100%;height:auto;display:block}ul.decisions li{margin:.2em 0}
.card{border:1px solid #ccd;border-radius:6px;padding:.4em 1em;margin:1em 0}
.card img{max-height:60mm;width:auto;max-width:100%}.clause{font-size:.85em}
.appendix{border-top:4px double #1f4e79;margin-top:2em}
@media print{body{margin:0;padding:0;max-width:none;font-size:10.5pt}a{color:inherit;
text-decoration:none}a.more{display:none}.appendix{display:none}
.card{break-before:page;break-inside:avoid;border:none;padding:0;margin:0}
section{break-inside:auto}tr,img,.kpi{break-inside:avoid}h2,h3{break-after:avoid}
.summary img{max-height:70mm;width:auto}}
"""


def _img(chart: bytes | None, alt: str) -> Markup:
    if not chart:
        return Markup('<p class="muted">{}</p>').format(alt)
    data = base64.b64encode(chart).decode("ascii")
    return Markup('<img alt="{}" src="data:image/png;base64,{}">').format(alt, data)


def _table(headers: list[str], rows: list[list[Any]], empty: str) -> Markup:
    if not rows:
        return Markup('<p class="muted">{}</p>').format(empty)
    head = Markup("").join(Markup("<th>{}</th>").format(h) for h in headers)
    body = Markup("").join(
        Markup("<tr>{}</tr>").format(Markup("").join(_cell(v) for v in r)) for r in rows
    )
    return Markup("<table><thead><tr>{}</tr></thead><tbody>{}</tbody></table>").format(head, body)


def _cell(value: Any) -> Markup:
    if isinstance(value, Markup):
        return Markup("<td>{}</td>").format(value)
    if isinstance(value, tuple):  # (text, css class)
        return Markup('<td class="{}">{}</td>').format(value[1], value[0])
    return Markup("<td>{}</td>").format("" if value is None else value)


class Page:
    """Everything the template calls, bound to one report's data and language."""

    def __init__(self, data: ReportData, summary: Summary, words: Words) -> None:
        self.data, self.summary, self.w = data, summary, words
        self.names = {c["uscc"]: c["name"] for c in data.companies}

    # ---------------------------------------------------------------- sentences
    def ground(self, e: Entry) -> str:
        if e.ground == "veto":
            return self.w("Veto: {items}", items="、".join(e.detail))
        need = self.summary.streak_needed
        lowest = self.data.ruleset.lowest_grade
        if need:
            return self.w("Grade {grade} {n} periods running", grade=lowest, n=need)
        return self.w("Black-list rule of the rule set")

    def risk(self, c: CompanyRisk) -> str:
        if c.shown == "not_applicable":
            return self.w("not applicable: already on the black list at the lowest grade")
        if c.shown == "probability" and c.probability is not None:
            return f"{c.probability:.0%}"
        band = {"高": self.w("high"), "中": self.w("medium"), "低": self.w("low")}[c.band or "低"]
        if c.band_observed is None:
            return self.w("{band} risk", band=band)
        seen = f"{c.band_observed:.0%}"
        return self.w("{band} risk ({seen} came true in the backtest)", band=band, seen=seen)

    def grade_words(self, row: dict[str, Any]) -> str:
        reason = row.get("grade_reason") or ""
        rs = self.data.ruleset
        if reason == "veto":
            titles = {r.id: r.title for r in rs.rules}
            items = "、".join(titles.get(i, i) for i in row.get("veto_rules") or [])
            return self.w("Lowest grade by veto: {items}.", items=items)
        if reason.startswith("override:"):
            oid = reason.split(":", 1)[1]
            title = next((o.title for o in rs.grades.overrides if o.id == oid), "")
            return self.w("Grade set by a rule of the scheme: {title}.", title=title)
        if reason == "not_rated":
            return self.w("Not rated: the company served no project in the period.")
        floor = next((b.min for b in rs.grades.bands if b.grade == row.get("band_grade")), None)
        if floor is None:
            return self.w("The score falls below every other grade's floor.")
        return self.w(
            "The score reaches the floor of grade {grade} ({floor} points).",
            grade=row.get("band_grade"),
            floor=self.w.score(floor),
        )

    def company_name(self, uscc: str) -> str:
        return self.names.get(uscc, uscc)

    def sentences(self) -> dict[str, str]:
        s, w = self.summary, self.w
        lowest = self.data.ruleset.lowest_grade
        if s.publicity_until:
            publicity = w("Objections to this run close on {day}.", day=w.day(s.publicity_until))
        elif self.data.info["status"] == "published":
            publicity = w("This run is published.")
        else:
            publicity = w("This run is a draft: put it to publicity before publishing it.")
        if s.streak_two and s.streak_needed:
            streak = w(
                "{n} companies are at grade {grade} for the second period running: a "
                "{need}th grade {grade} puts them on the black list.",
                n=len(s.streak_two),
                grade=lowest,
                need=s.streak_needed,
            )
        elif s.streak_two:
            streak = w(
                "{n} companies are at grade {grade} for the second period running.",
                n=len(s.streak_two),
                grade=lowest,
            )
        else:
            streak = w("No company is at the lowest grade two periods running.")
        return {
            "change_sentence": w(
                "{up} companies moved up a grade and {down} moved down against {prev}.",
                up=s.ups,
                down=s.downs,
                prev=str(self.data.period.previous(1)),
            )
            if self.data.previous
            else w("There is no previous period to compare with."),
            "veto_sentence": w(
                "{n} companies met a veto item: {names}.",
                n=len(s.vetoes),
                names="、".join(e.name for e in s.vetoes[:8]) + ("…" if len(s.vetoes) > 8 else ""),
            ),
            "publicity_sentence": publicity,
            "streak_sentence": streak,
            "warning_sentence": self._warning_sentence(),
            "stability_sentence": self._stability_sentence(),
        }

    def _warning_sentence(self) -> str:
        r = self.data.warning
        bt = self.data.backtest
        if r is None:
            return ""
        text = self.w(
            "The chance of a new downgrade or black-list entry in {period}, from a model "
            "trained only on earlier outcomes.",
            period=r.for_period,
        )
        if bt is not None:
            ece = f"{bt.metrics['model']['ece']:.3f}"
            text += " " + self.w(
                "In the backtest its probabilities were off by {ece} on average (ECE); a "
                "percentage is shown only where they came true within {tol} points, a risk "
                "band elsewhere.",
                ece=ece,
                tol=5,
            )
        return text

    def _stability_sentence(self) -> str:
        st = self.data.stability
        if st is None:
            return self.w("There is no previous period to compare with.")
        level = {
            "warning": self.w("the grade distribution shifted markedly"),
            "watch": self.w("the grade distribution shifted moderately"),
            "stable": self.w("the grade distribution is stable"),
        }[st["level"]]
        return self.w("Population stability index {psi}: {level}.", psi=st["psi"], level=level)

    # ---------------------------------------------------------------- tables
    def company_table(self, rows: list[dict[str, Any]], which: str) -> Markup:
        w = self.w
        heads = [
            w("Company"),
            w("Credit code"),
            w("District"),
            w("Score"),
            w("Grade"),
            w("Previous"),
        ]
        if which != "red":
            heads.append(w("Reason"))
        out = []
        for c in rows:
            row: list[Any] = [
                c["name"],
                (c["uscc"], "id"),
                c["district"] or "—",
                (w.score(c["score"]), "n"),
                w.grade(c["grade"]),
                w.grade(c["prev_grade"]),
            ]
            if which == "black":
                row.append(self.ground(self._entry(c)))
            elif which == "downgrade":
                row.append(self._downgrade_words(c))
            out.append(row)
        return _table(heads, out, w("None."))

    def _entry(self, c: dict[str, Any]) -> Entry:
        titles = {r.id: r.title for r in self.data.ruleset.rules}
        detail = [titles.get(i, i) for i in c.get("veto_rules") or []]
        return Entry(c["uscc"], c["name"], c["district"], c["grade"], c["prev_grade"],
                     c["score"], "veto" if c["veto"] else "streak", detail)  # fmt: skip

    def _downgrade_words(self, c: dict[str, Any]) -> str:
        parts = []
        if c["prev_grade"] and c["grade"] != c["prev_grade"]:
            parts.append(
                self.w("grade {before} → {after}", before=c["prev_grade"], after=c["grade"])
            )
        if c["black"] and "列入黑名单" in (c["downgrade_reason"] or ""):
            parts.append(self.w("entered the black list"))
        return "；".join(parts) or "—"

    def entry_table(self, entries: list[Entry]) -> Markup:
        w = self.w
        rows = [
            [
                e.name,
                (e.uscc, "id"),
                e.district or "—",
                (w.score(e.score), "n"),
                f"{w.grade(e.previous_grade)} → {w.grade(e.grade)}",
                (w.score(e.score_change), "n") if e.score_change is not None else self.ground(e),
            ]
            for e in entries
        ]
        heads = [w("Company"), w("Credit code"), w("District"), w("Score"), w("Grade"), w("Detail")]
        return _table(heads, rows, w("None."))

    def district_table(self) -> Markup:
        w = self.w
        grades = list(self.data.grade_order)
        heads = [w("District"), w("Companies"), w("Mean score"), w("Median score"), *grades,
                 w("Red list"), w("Black list"), w("Downgrades")]  # fmt: skip
        rows = [
            [
                r[0],
                *[
                    (w.score(v) if i in (2, 3) else w.count(v), "n")
                    for i, v in enumerate(r[1:], start=1)
                ],
            ]  # fmt: skip
            for r in self.data.district_rows()
        ]
        return _table(heads, rows, w("None."))

    def manager_table(self) -> Markup:
        """The run's project managers, worst score first (at most `MANAGERS_SHOWN`)."""
        w = self.w
        lists = {"red": w("Red list"), "black": w("Black list")}
        sep = "、" if w.language == "zh" else ", "
        rows = [
            [
                m.certificate_no,
                m.name or "",
                (w.score(m.score), "n"),
                m.grade,
                sep.join(lists[x] for x in m.lists),
                sep.join(m.projects),
                (w.count(m.days_in_charge), "n"),
            ]
            for m in self.data.managers
        ]
        heads = [w("Certificate"), w("Name"), w("Score"), w("Grade"), w("Lists"),
                 w("Projects in charge"), w("Days in charge")]  # fmt: skip
        return _table(heads, rows, w("None."))

    def quality_tables(self) -> Markup:
        w = self.w
        kinds = kind_names(w)
        batches = [
            [
                kinds.get(b["kind"], b["kind"]),
                (w.count(b["files"]), "n"),
                (w.count(b["rows_read"]), "n"),
                (w.count(b["rows_loaded"]), "n"),
                (w.count(b["rows_quarantined"]), "n"),
            ]  # fmt: skip
            for b in self.data.batches
        ]
        by_kind: dict[str, int] = {}
        for q in self.data.quarantine:
            by_kind[q["kind"]] = by_kind.get(q["kind"], 0) + int(q["rows"])
        held = [[h["reason_words"], (w.count(h["complaints"]), "n")] for h in self._holds()]
        return (
            _table(
                [w("Export"), w("Files"), w("Rows read"), w("Loaded"), w("Quarantined")],
                batches,
                w("Nothing was ingested."),
            )  # fmt: skip
            + Markup("<p>{}</p>").format(
                w(
                    "Quarantined rows are listed with their file, line, column and reason in the "
                    "workbook and by the analysts' tools."
                )  # fmt: skip
            )
            + _table(
                [w("Complaints held for review"), w("Complaints")], held, w("No complaint is held.")
            )  # fmt: skip
        )

    def _holds(self) -> list[dict[str, Any]]:
        words = {
            "NEAR_DUPLICATE": self.w("possible repeat of another complaint"),
            "CAMPAIGN": self.w("possible organised campaign"),
            "BURST": self.w("implausible burst of complaints"),
        }
        return [
            {**h, "reason_words": words.get(h["reason"], self.w("other"))}
            for h in self.data.holds
            if h["status"] == "held"
        ]

    def warning_table(self) -> Markup:
        r = self.data.warning
        if r is None:
            return Markup("")
        w = self.w
        rows = [
            [
                (c.rank, "n"),
                c.name,
                (c.uscc, "id"),
                c.district or "—",
                w.grade(c.grade),
                (w.score(c.score), "n"),
                self.risk(c),
            ]  # fmt: skip
            for c in r.companies
        ]
        heads = [
            "#",
            w("Company"),
            w("Credit code"),
            w("District"),
            w("Grade"),
            w("Score"),
            w("Risk"),
        ]
        return _table(heads, rows, w("None."))

    def backtest_block(self, charts: dict[str, bytes | None]) -> Markup:
        bt = self.data.backtest
        w = self.w
        if bt is None:
            return Markup("")
        names = {
            "model": w("model, calibrated"),
            "uncalibrated": w("model, uncalibrated"),
            "baseline": w("current grade (baseline)"),
        }
        rows = [[names[r[0]], *[(("—" if v is None else f"{v:.3f}"), "n") for v in r[1:]]]
                for r in bt.metric_rows()]  # fmt: skip
        per = [[q["period"], (w.count(q["n"]), "n"), (w.share(q["predicted"]), "n"),
                (w.share(q["observed"]), "n")] for q in bt.per_period]  # fmt: skip
        return (
            Markup("<h3>{}</h3>").format(w("Backtest"))
            + _table(
                [
                    "",
                    "ROC AUC",
                    "Brier",
                    w("log loss"),
                    "ECE",
                    w("calibration slope"),
                    w("share of events in the top tenth"),
                ],
                rows,
                "",
            )  # fmt: skip
            + _img(charts.get("calibration"), w("Calibration and ROC"))
            + _table([w("Quarter"), w("Companies"), w("Mean predicted"), w("Observed")], per, "")
        )

    def provenance_table(self, generated: str) -> Markup:
        w = self.w
        p = self.data.provenance
        rows: list[list[Any]] = [
                [w("Run"), self.data.run_id], [w("Rule set"), self.data.info["ruleset"]],
                [w("Engine version"), p.get("engine_version")],
                [w("Rule set logic fingerprint"), (p.get("ruleset_logic_sha256"), "id")],
                [w("Inputs fingerprint"), (p.get("inputs_sha256"), "id")],
                [w("Input watermark"), self.data.info["watermark"]],
                [w("Results digest"), (self.data.info.get("results_sha256"), "id")],
                [w("Previous run"), self.data.previous or "—"],
                [w("Generated"), w.day(generated)]]  # fmt: skip
        return _table(["", ""], rows, "")


def kind_names(w: Words) -> dict[str, str]:
    """Source kind → its name in the report's language, for every kind of `KINDS` (an
    `AssertionError` when a kind is added without a name)."""
    words = {
        "companies": w("property service companies"),
        "projects": w("projects"),
        "complaints": w("complaints"),
        "inspections": w("inspections"),
        "contracts": w("contract-performance checks"),
        "opinions": w("street-office opinions"),
        "events": w("good and bad information"),
        "managers": w("project managers"),
        "assignments": w("project manager assignments"),
        "surveys": w("satisfaction surveys"),
    }
    assert set(words) == set(KINDS)
    return words


def figure_names(w: Words) -> dict[str, str]:
    """Headline figure key → its label in the report's language."""
    return {
        "companies": w("companies rated"),
        "red": w("on the red list"),
        "black": w("on the black list"),
        "new_black": w("new black-list entries"),
        "downgrades": w("downgrades"),
        "vetoes": w("veto items"),
        "held": w("complaints held for review"),
        "quarantined": w("rows quarantined"),
        "review_waiting": w("hotline orders waiting"),
    }


def card_reasons(w: Words) -> dict[str, str]:
    """Why a company has a card (`card.choose`'s `why`) → the words in the report's language."""
    return {
        "requested": w("requested"),
        "black": w("new black-list entry"),
        "veto": w("veto item"),
        "drop": w("biggest drop"),
    }


def render(
    data: ReportData,
    summary: Summary,
    charts: dict[str, bytes | None],
    cards: list[Card],
    generated: str,
    words: Words,
    top: int = 10,
) -> str:
    """The report page in `words`' language (see the module docstring); the summary shows
    the `top` companies of the early-warning ranking."""
    from jinja2 import Environment, StrictUndefined

    env = Environment(autoescape=True, undefined=StrictUndefined, trim_blocks=True)
    source = resources.files("rating.report").joinpath("templates/report.html").read_text("utf-8")
    page = Page(data, summary, words)
    status = {"draft": words("draft"), "publicity": words("in publicity"),
              "published": words("published")}.get(data.info["status"], data.info["status"])  # fmt: skip
    title = words("Property service credit report, {period}", period=str(data.period))
    return env.from_string(source).render(
        _=words,
        w=words,
        data=data,
        summary=summary,
        top=top,
        charts=_Charts(charts),
        cards=cards,
        css=CSS,
        title=title,
        status=status,
        generated=generated,
        ruleset_title=f"{data.ruleset.ruleset.title} {data.ruleset.ruleset.version}",
        figure_names=figure_names(words),
        card_why=card_reasons(words),
        img=_img,
        ground=page.ground,
        risk=page.risk,
        grade_words=page.grade_words,
        company_name=page.company_name,
        company_table=page.company_table,
        entry_table=page.entry_table,
        district_table=page.district_table(),
        manager_table=page.manager_table(),
        quality_tables=page.quality_tables(),
        warning_table=page.warning_table(),
        backtest_block=page.backtest_block(charts),
        provenance_table=page.provenance_table(generated),
        **page.sentences(),
    )


class _Charts(dict[str, bytes | None]):
    """Charts by name, also as attributes for the template (`charts.grades`)."""

    def __getattr__(self, name: str) -> bytes | None:
        return self.get(name)
