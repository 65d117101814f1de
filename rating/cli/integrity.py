"""Complaint integrity commands: integrity scan|list|show|review."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from rating.cli.common import DbOption, Invocation, JsonOption, emit, say, working
from rating.cli.display import Col, day, print_table, text, when, word
from rating.cli.i18n import N_, _
from rating.errors import UsageError

if TYPE_CHECKING:
    from rating.analysis.shapes import HeldComplaint

integrity_app = typer.Typer(
    help="Suspicious complaints (near-duplicates, bursts, campaigns): scan, list, review.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    """Add `rating integrity …` to the `rating` command line app (`rating.cli.app`)."""
    app.add_typer(integrity_app, name="integrity")


@integrity_app.command("scan")
def integrity_scan(
    period: Annotated[str, typer.Option(help="Period whose complaints are scanned, e.g. 2026Q3.")],
    min_probability: Annotated[
        float | None,
        typer.Option(
            help="Probability (0–1) of the same case from which a later complaint is held as a "
            "duplicate (default: the model's own threshold).",
            min=0.01,
            max=1.0,
        ),
    ] = None,
    window_days: Annotated[
        int | None,
        typer.Option(
            help="Days within which a refiled complaint counts as a duplicate (default 7); "
            "longer by the duration a complaint states, up to --max-window-days.",
            min=1,
            max=60,
        ),
    ] = None,
    max_window_days: Annotated[
        int | None,
        typer.Option(
            help="Longest window: a problem said to last weeks, or said to be filed before "
            "(default 45).",
            min=1,
            max=120,
        ),
    ] = None,
    model: Annotated[
        str | None,
        typer.Option(
            help="Stored duplicate model (rating/analysis/models/<version>.json; default "
            "duplicates-v1)."
        ),
    ] = None,
    campaign_min: Annotated[
        int | None,
        typer.Option(
            help="Smallest group of alike complaints that is a campaign (default 5).",
            min=3,
            max=1000,
        ),
    ] = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Find near-duplicate complaints, bursts and campaigns; hold them out of scoring until reviewed."""
    from dataclasses import replace

    from rating.analysis import integrity as integrity_mod
    from rating.analysis.detection import IntegrityParams
    from rating.periods import Period

    inv = Invocation(db, json)
    defaults = IntegrityParams()
    chosen = {
        "duplicate_model": model,
        "duplicate_probability": min_probability,
        "duplicate_window_days": window_days,
        "campaign_min_size": campaign_min,
    }
    params = replace(defaults, **{k: v for k, v in chosen.items() if v is not None})  # type: ignore[arg-type]
    longest = max_window_days or defaults.duplicate_max_window_days
    params = replace(params, duplicate_max_window_days=max(params.duplicate_window_days, longest))
    with inv.warehouse() as con, working(inv, _("scanning {period}").format(period=period)):
        result = integrity_mod.scan(con, inv.settings, Period.parse(period), params)
    data = result.as_dict()
    flagged = _(", ").join(f"{k} {v:,}" for k, v in sorted(result.flagged.items()))
    emit(
        inv,
        data,
        lambda: say(
            _(
                "{scan}: {scanned:,} complaints, {pairs:,} pairs compared; flagged {flagged}; "
                "{new:,} newly held ({already:,} already recorded); holds watermark {watermark}.\n"
                "Next: rating integrity list · rating integrity review <ID> --release|--confirm "
                "--note … --by …"
            ).format(
                scan=result.scan_id,
                scanned=result.scanned,
                pairs=result.pairs,
                flagged=flagged or _("none"),
                new=result.new_holds,
                already=result.already_recorded,
                watermark=result.holds_watermark,
            )
        ),
    )


def _evidence_text(row: HeldComplaint) -> str:
    e = row["evidence"]
    if row["reason"] == "NEAR_DUPLICATE" and e.get("matches"):
        m = e["matches"][0]
        return _(
            "repeats {id} (p {probability}, similarity {similarity}, {hours} h earlier, {channel})"
        ).format(
            id=m["complaint_id"],
            probability=text(m.get("probability")),
            similarity=text(m["similarity"]),
            hours=text(m["hours"]),
            channel=m["channel"],
        )
    if row["reason"] == "CAMPAIGN":
        return _("campaign {id}: {size} complaints in {hours} h").format(
            id=e.get("campaign"), size=e.get("size"), hours=text(e.get("span_hours"))
        )
    if row["reason"] == "BURST":
        return _("{n} complaints in the window, {expected:.2f} expected (p={p:.1e})").format(
            n=int(e.get("score", 0)), expected=e.get("expected", 0), p=e.get("p_value", 0)
        )
    return ""


@integrity_app.command("list")
def integrity_list(
    status: Annotated[str | None, typer.Option(help="held, released or confirmed.")] = None,
    reason: Annotated[str | None, typer.Option(help="NEAR_DUPLICATE, CAMPAIGN or BURST.")] = None,
    period: Annotated[
        str | None, typer.Option(help="Only complaints received in this period.")
    ] = None,
    limit: Annotated[int, typer.Option(help="Rows to show.", min=1, max=100_000)] = 50,
    offset: Annotated[int, typer.Option(help="Skip this many rows.", min=0)] = 0,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Held complaints with the reason and evidence, and any review decision."""
    from rating.analysis import integrity as integrity_mod
    from rating.periods import Period

    inv = Invocation(db, json)
    with inv.warehouse(read_only=True) as con:
        found, truncated = integrity_mod.list_holds(
            con, status, reason, Period.parse(period) if period else None, limit, offset
        )
    rows = [
        [
            r["complaint_id"],
            r["reason"],
            word("status", r["status"]),
            _evidence_text(r),
            r["project_id"],
            day(r["received_at"]),
            r["actor"] if r["status"] != "held" else "",
            r["note"] or "",
            (r["content"] or "")[:40],
        ]
        for r in found
    ]
    emit(
        inv,
        {"rows": found, "truncated": truncated},
        lambda: print_table(
            _("Held complaints ({n}{more})").format(n=len(found), more="+" if truncated else ""),
            [
                Col(_("complaint"), keep=True),
                _("reason"),
                _("status"),
                Col(_("evidence"), keep=True, wrap=True),
                Col(_("project"), keep=True),
                _("received"),
                Col(_("reviewer"), wrap=True),
                Col(_("note"), wrap=True),
                Col(_("text"), wrap=True),
            ],
            rows,
        ),
    )


@integrity_app.command("show")
def integrity_show(
    complaint_id: Annotated[str, typer.Argument(help="Complaint (work order) id.")],
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """A held complaint beside those it matched, and its review trail (who, when, decision, note)."""
    from rating.analysis import integrity as integrity_mod

    inv = Invocation(db, json)
    with inv.warehouse(read_only=True) as con:
        found = integrity_mod.show(con, complaint_id)

    def render() -> None:
        say(f"{complaint_id} {found['reason']} — {word('status', found['status'])}")
        print_table(
            _("Complaints"),
            [
                Col(_("complaint"), keep=True),
                Col(_("received"), wrap=True),
                _("channel"),
                Col(_("project"), keep=True),
                _("finding"),
                Col(_("text"), wrap=True),
            ],
            [
                [
                    c["complaint_id"],
                    when(c["received_at"]),
                    c["channel"],
                    c["project_id"],
                    c["fact_finding"],
                    c["content"],
                ]
                for c in found["complaints"]
            ],
        )
        _render_evidence(found["evidence"])
        print_table(
            _("Trail"),
            [
                "#",
                _("action"),
                Col(_("by"), wrap=True),
                Col(_("at"), wrap=True),
                Col(_("note / evidence"), wrap=True),
            ],
            [
                [
                    t["seq"],
                    word("action", t["action"]),
                    t["actor"],
                    when(t["recorded_at"]),
                    text(t["detail"].get("note") or t["detail"].get("scan")),
                ]
                for t in found["trail"]
            ],
        )

    emit(inv, found, render)


_FACT_ROWS = (
    ("building", N_("building")),
    ("unit", N_("unit")),
    ("room", N_("room")),
    ("phone", N_("phone")),
    ("facility", N_("facility")),
    ("problem", N_("problem")),
    ("stated_days", N_("stated days")),
    ("filed_before", N_("filed before")),
    ("broke_again", N_("broke again")),
)


def _render_evidence(evidence: dict[str, Any]) -> None:
    """A near-duplicate's weighed evidence and the facts read from both texts, when recorded."""
    if not evidence.get("evidence"):
        return
    best = evidence["matches"][0]
    print_table(
        _(
            "Why it repeats {id}: model {model}, probability {probability} (held from "
            "{threshold}); each term adds its log-odds to the intercept {intercept}"
        ).format(
            id=best["complaint_id"],
            model=evidence.get("model"),
            probability=text(best.get("probability")),
            threshold=text(evidence.get("threshold")),
            intercept=text(float(evidence.get("intercept") or 0), 2),
        ),
        [
            Col(_("feature"), keep=True),
            Col(_("meaning"), wrap=True),
            _("value"),
            _("weight"),
            _("log-odds"),
        ],
        [
            [
                e["feature"],
                _(e["meaning"]),
                text(e["value"]),
                text(e["weight"]),
                text(e["log_odds"]),
            ]
            for e in evidence["evidence"]
        ],
    )
    read = evidence.get("facts", {})
    mine, theirs = read.get("complaint", {}), read.get("match", {})
    print_table(
        _("Facts read from the texts"),
        [_("fact"), Col(_("this complaint"), wrap=True), Col(best["complaint_id"], wrap=True)],
        [[_(label), _fact(mine.get(k)), _fact(theirs.get(k))] for k, label in _FACT_ROWS],
    )


def _fact(v: Any) -> str:
    if v is None or v == []:
        return "–"
    if isinstance(v, list):
        return "、".join(str(x) for x in v)
    if isinstance(v, bool):
        return _("yes") if v else _("no")
    return str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)


@integrity_app.command("review")
def integrity_review(
    complaint_id: Annotated[str, typer.Argument(help="Complaint (work order) id.")],
    release: Annotated[bool, typer.Option("--release", help="Genuine: count it again.")] = False,
    confirm: Annotated[
        bool, typer.Option("--confirm", help="Duplicate or campaign: keep it out.")
    ] = False,
    note: Annotated[str, typer.Option(help="Why (recorded with the decision).")] = "",
    by: Annotated[str, typer.Option("--by", help="Reviewer's name (recorded).")] = "",
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Record a reviewer's decision on a held complaint; the next run honours it."""
    from rating.analysis import integrity as integrity_mod

    if release == confirm:
        raise UsageError(
            "give exactly one of --release or --confirm", code="INTEGRITY_BAD_DECISION"
        )
    inv = Invocation(db, json)
    with inv.warehouse() as con:
        done = integrity_mod.review(
            con, inv.settings, complaint_id, "release" if release else "confirm", note, by
        )
    emit(
        inv,
        done,
        lambda: say(
            _(
                "{id}: {status} by {actor} at {at} (record {seq}); rate the period again for it "
                "to take effect."
            ).format(
                id=complaint_id,
                status=word("status", done["status"]),
                actor=done["actor"],
                at=when(done["recorded_at"]),
                seq=done["seq"],
            )
        ),
    )
