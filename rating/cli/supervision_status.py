"""What `rating run` adds after rating a period: the supervision classes the new grades set
and, per level, the inspections the rules call for in a period against those made in the
rated one; with the stored plan of the period against actual when there is one
(`rating.consequences.classes`)."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from rating.cli.common import Invocation, say
from rating.cli.display import Col, print_table
from rating.cli.i18n import _, language

if TYPE_CHECKING:
    import duckdb

    from rating.consequences.classes import LevelLoad, SupervisionStatus
    from rating.consequences.review import Review


def supervision_after(
    inv: Invocation, con: duckdb.DuckDBPyConnection, run_id: str
) -> SupervisionStatus | None:
    """The classes of `run_id` read on `con`, the run's connection (None when its rule set
    has no inspection measures)."""
    from rating.consequences.classes import supervision_status

    return supervision_status(con, run_id, inv.settings.current_time().date())


def frequency(per_year: Decimal) -> str:
    """Inspections a year as whole inspections per period, in the user's language, as a
    bureau plans them: 2 → 每半年1次 / once every half year (measure_words.frequency)."""
    from rating.consequences.measure_words import Words
    from rating.consequences.measure_words import frequency as in_words

    return in_words(Words(language()), per_year)


def _cell(load: LevelLoad | None) -> str:
    if load is None:
        return ""
    if not load.per_year:
        return _("not set by the rules, done {done}").format(done=load.done)
    return _("{frequency}: due {due}, done {done}").format(
        frequency=frequency(load.per_year), due=load.due, done=load.done
    )


def render_supervision(found: SupervisionStatus) -> None:
    """The classes as a table, the totals, and the plan against actual."""
    levels = ("市", "区", "街道")
    print_table(
        _("Supervision by class after {run_id} (inspections in {period}: due by the rules, done)")
        .format(run_id=found.run_id, period=found.period),
        [Col(_("class"), wrap=True), _("companies"), _("projects"),
         *(Col(_("{level} level").format(level=lv), wrap=True) for lv in levels)],
        [
            [c.label, str(c.companies), str(c.projects),
             *(_cell(next((x for x in c.levels if x.level == lv), None)) for lv in levels)]
            for c in found.classes
        ],
    )  # fmt: skip
    say(
        "  "
        + _("{period}: {due} inspections due by the rules at these classes, {done} made").format(
            period=found.period, due=found.due, done=found.done
        )
    )
    r = found.review
    if r is None:
        say("  " + _("no supervision plan stored for {period}: `rating supervision plan "
                     "--period {period}` makes one").format(period=found.period))  # fmt: skip
        return
    say("  " + review_line(r))


def review_line(r: Review) -> str:
    """「监管计划 …：计划检查 N 次，已完成 …」: a stored plan against actual in one line; while
    the period runs, inspections not yet due are counted apart from the missed ones."""
    share = f" ({r.completion:.0%})" if r.completion is not None else ""
    if r.running:
        return _(
            "supervision plan {plan_id} ({period} still running on {on}): {done} of {planned} "
            "planned inspections made{share}, {missed} missed (past their due day), {not_due} "
            "not yet due, {unplanned} unplanned"
        ).format(plan_id=r.plan_id, period=r.period, on=r.on.isoformat(), done=r.done,
                 planned=r.planned, share=share, missed=r.missed, not_due=r.not_due,
                 unplanned=r.unplanned)  # fmt: skip
    return _(
        "supervision plan {plan_id}: {done} of {planned} planned inspections made{share}, "
        "{missed} missed, {unplanned} unplanned"
    ).format(plan_id=r.plan_id, done=r.done, planned=r.planned, share=share, missed=r.missed,
             unplanned=r.unplanned)  # fmt: skip
