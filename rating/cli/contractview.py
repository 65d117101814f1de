"""`rating contracts` on screen: the data contracts as tables in the user's language, made
from the same declarations as datasets/CONTRACTS.md (`--markdown`, English, for the docs)."""

from __future__ import annotations

from typing import Any

from rating.cli.common import say
from rating.cli.display import Col, print_table
from rating.cli.i18n import NP_, _, pgettext

# rating.ingest.docs.CHECK_WORDS, in the catalog ({value}: the check's own value)
CHECK_WORDS = {
    "one_of": NP_("check", "one of: {value}"),
    "uscc_checksum": NP_("check", "USCC checksum"),
    "id_number_checksum": NP_("check", "ID number checksum"),
    "matches": NP_("check", "matches `{value}`"),
    "above": NP_("check", "> {value}"),
    "at_least": NP_("check", "≥ {value}"),
    "range": NP_("check", "{value}"),
    "also_read": NP_("check", "also read: {value}"),
}
TYPES = (
    NP_("type", "text"),
    NP_("type", "int"),
    NP_("type", "decimal"),
    NP_("type", "date"),
    NP_("type", "timestamp"),
    NP_("type", "bool"),
)


def _title(title: str) -> str:
    """'物业服务企业 (property service companies)': the Chinese name alone in Chinese."""
    chinese, _sep, _english = title.partition(" (")
    return title if _("yes") == "yes" else chinese


def _required(col: Any) -> str:
    if col.metadata["system"]:
        return _("filled by the loader")
    if not col.nullable:
        return _("yes")
    default = col.metadata["default"]
    if default is None:
        return _("no")
    shown = _("yes") if default is True else _("no") if default is False else str(default)
    return _("no (default {value})").format(value=shown)


def _row(name: str, col: Any) -> list[str]:
    from rating.ingest.docs import checks
    from rating.schema import logical_type

    headers = "" if col.metadata["system"] else "、".join(col.metadata["headers"])
    words = [pgettext("check", CHECK_WORDS[k]).format(value=v) for k, v in checks(col)]
    return [
        name,
        pgettext("type", logical_type(col)),
        _required(col),
        headers,
        _(col.description) + ("\n" + _("; ").join(words) if words else ""),
    ]


def print_contracts() -> None:
    """Every kind's columns, then the reasons a row is quarantined."""
    from rating.ingest.reasons import PROBLEM_CODES
    from rating.schema import CONTRACTS

    columns = [
        Col(_("column"), keep=True),
        Col(_("type")),
        Col(_("required")),
        Col(_("headers accepted"), wrap=True),
        Col(_("meaning and checks"), wrap=True),
    ]
    for kind, c in CONTRACTS.items():
        title = f"{kind} — {_title(c.title)}"
        rows = [_row(name, col) for name, col in c.columns.items()]
        key = _(", ").join(c.key)
        print_table(title, columns, rows, _("key: {key}").format(key=key))
    reasons = [[code, _(text)] for code, text in PROBLEM_CODES.items()]
    print_table(_("Reason codes"), [Col(_("code"), keep=True), Col(_("meaning"))], reasons)
    say(_("The full contract as Markdown (English): rating contracts --markdown"))
