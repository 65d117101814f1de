"""What rules can see of each source: its contract columns plus derived columns.

Derived columns are written here once, as SQL over the record's own columns and the run's
period (`$period_start`, `$period_end`), so every rule set uses the same definition of, say,
a verified complaint. They are documented in `rules/README.md` (a test checks it).
"""

from __future__ import annotations

from rating.schema.sources import CONTRACTS

DERIVED: dict[str, dict[str, tuple[str, str]]] = {
    "complaints": {
        "verified": ("fact_finding IN ('属实', '部分属实')", "事实认定 is 属实 or 部分属实"),
        "is_duplicate": (
            "coalesce(is_repeat, false) OR repeat_of IS NOT NULL",
            "marked 是否重复, or names the order it repeats (重复工单号)",
        ),
        "closed_on_time": (
            "closed_at IS NOT NULL AND closed_at <= deadline",
            "closed no later than its deadline",
        ),
        "overdue": (
            "coalesce(closed_at > deadline, deadline < CAST($period_end AS TIMESTAMP) + INTERVAL 1 DAY)",
            "closed after its deadline, or still open when the deadline passed before the period ended",
        ),
        "handling_days": (
            "date_diff('minute', received_at, closed_at) / 1440.0",
            "days from receipt to closure (empty while open)",
        ),
        "dissatisfied": ("satisfaction = '不满意'", "follow-up satisfaction is 不满意"),
        "collective": ("coalesce(petitioners, 1) >= 10", "10 or more petitioners (集体上访)"),
        "reopened": (
            "coalesce(is_repeat, false) OR repeat_of IS NOT NULL OR result = '未解决'",
            "the order came back or stayed open: a repeat (是否重复, 重复工单号) or 未解决",
        ),
    },
    "inspections": {
        "rectified": (
            "rectification IN ('已整改', '无需整改')",
            "整改状态 is 已整改 or 无需整改",
        ),
        "rectified_late": (
            "rectify_by IS NOT NULL AND rectify_by <= $period_end"
            " AND (rectified_on IS NULL OR rectified_on > rectify_by)",
            "the rectification deadline passed within the period without confirmed rectification",
        ),
        "level_weight": (
            "CASE level WHEN '市' THEN 1.0 WHEN '区' THEN 0.8 ELSE 0.6 END",
            "1.0 for city, 0.8 for district, 0.6 for street inspections",
        ),
    },
    "contracts": {
        "unfulfilled": ("performance = '未履行'", "履行情况 is 未履行"),
        "partly_fulfilled": ("performance = '基本履行'", "履行情况 is 基本履行"),
    },
    "opinions": {
        "for_period": (
            "_date BETWEEN $period_start AND $period_end",
            "the opinion rates the run's period",
        ),
    },
    "surveys": {
        "third_party": ("organiser = '第三方机构'", "organised by a third party (第三方机构)"),
        "satisfied": (
            "round(respondents * satisfaction_rate / 100.0)",
            "respondents satisfied: respondents × satisfaction rate",
        ),
        # Wilson score lower bound (z = 1.645, 90 % two-sided): what the rate is at least,
        # given how many answered; 100 % of 12 is 81.6, 100 % of 1,200 is 99.8.
        "rate_lower": (
            "100.0 * (satisfaction_rate / 100.0 + 1.3530125 / respondents - 1.645 * sqrt("
            "(satisfaction_rate / 100.0) * (1 - satisfaction_rate / 100.0) / respondents"
            " + 0.67650625 / (respondents * respondents))) / (1 + 2.706025 / respondents)",
            "lower bound of the satisfaction rate (Wilson, 90 %): a rate from 12 respondents "
            "counts for less than the same rate from 1,200",
        ),
    },
    "events": {
        "is_good": ("info_kind = '良好'", "信息类别 is 良好"),
        "is_bad": ("info_kind = '不良'", "信息类别 is 不良"),
        "in_force": ("coalesce(status, '有效') = '有效'", "not revoked (状态 is 有效)"),
    },
}

PERIOD_NAMES = {
    "period_start": "first day of the run's period",
    "period_end": "last day of the run's period",
}


def record_names(kind: str) -> list[str]:
    """Every name a record-level expression over `kind` may use."""
    return [*CONTRACTS[kind].columns, *DERIVED.get(kind, {}), *PERIOD_NAMES]


def scope_columns_sql(kind: str, needed: set[str]) -> list[str]:
    """SELECT-list items for the needed columns of `kind` (alias `s`), derived ones computed."""
    contract_cols = CONTRACTS[kind].columns
    items = []
    for name in sorted(needed):
        if name in contract_cols:
            items.append(f's."{name}"')
        elif name in DERIVED.get(kind, {}):
            items.append(f'({DERIVED[kind][name][0]}) AS "{name}"')
        elif name in PERIOD_NAMES:
            param = "$period_start" if name == "period_start" else "$period_end"
            items.append(f'CAST({param} AS DATE) AS "{name}"')
    return items
