"""Which veto item put a company on the black list, as the public reads it: the behaviour of
the records behind the veto rule's hit (the event's code in the event vocabulary,
`rating.schema.vocabularies.EVENT_CODES`: V03 → 拒不退出/拒不移交物业服务项目), not the
rule's title, which lists every item the rule covers (一票否决事项（挪用维修资金或公共收益、
拒不退出、串通投标、弄虚作假、群体性上访）)."""

from __future__ import annotations

import duckdb

from rating.engine.evidence import expanded_evidence_sql
from rating.schema.vocabularies import EVENT_CODES
from rating.sql import rows

VETO_WORDS = "一票否决事项"

# (run, company, rule) -> the event codes of the records behind the rule's hit
VetoCodes = dict[tuple[str, str, str], list[str]]


def veto_codes(con: duckdb.DuckDBPyConnection, runs: list[str], rules: list[str]) -> VetoCodes:
    """The event codes behind the evidence of the veto `rules` (ids) in `runs`, per run,
    company and rule, sorted: evidence rows reference their record by batch and line (decision 0013), read
    back from `src_events`, grouped rows expanded (`expanded_evidence_sql`, decision 0015). One query over the whole table; rules of other sources give none."""
    of_veto = """e.source = 'events' AND e.run_id IN (SELECT unnest($runs))
                 AND e.rule_id IN (SELECT unnest($rules))"""
    found = rows(
        con,
        f"""SELECT e.run_id, e.company_uscc, e.rule_id, list(DISTINCT v.code ORDER BY v.code)
           FROM ({expanded_evidence_sql(of_veto)}) e
           JOIN src_events v ON v._batch = e.batch_id AND v._row = e.line
           WHERE v.code IS NOT NULL
           GROUP BY ALL""",
        {"runs": runs, "rules": rules},
    )
    return {(r, u, rule): list(codes) for r, u, rule, codes in found}


def veto_item(title: str) -> str:
    """A veto rule's title as an item of "一票否决事项：{items}": without the words the
    sentence already says (一票否决事项：重大安全责任事故 → 重大安全责任事故; 一票否决事项（挪用…）
    → 挪用…), so the ground never reads 一票否决事项：一票否决事项…"""
    item = title.removeprefix(VETO_WORDS).lstrip("：: ")
    if item.startswith("（") and item.endswith("）"):
        item = item[1:-1]
    return item or title


def veto_items(
    run_id: str, uscc: str, rules: list[str], titles: dict[str, str], codes: VetoCodes
) -> list[str]:
    """The veto items a company's `rules` (veto rule ids) found in `run_id`, in plain words:
    each record's behaviour (`挪用专项维修资金`), once each, in rule then code order; a rule
    whose records carry no event code (another source) gives its title (`veto_item`)."""
    out: list[str] = []
    for rule in rules:
        found = codes.get((run_id, uscc, rule))
        named = [EVENT_CODES[c][1] if c in EVENT_CODES else c for c in found or []]
        if not named:
            named = [veto_item(titles[rule]) if rule in titles else rule]
        out += [n for n in named if n not in out]
    return out
