"""The public lookup's error messages in the reader's language (gettext domain `public`).

The JSON API under `/v1/public/` answers errors in the same words as the error pages: the
`code` stays the stable English one for machines, the `message` follows the language of the
pages (`Settings.language`, Chinese by default). `message_for` gives it for a code; a code it
does not know keeps the library's message.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from rating.errors import UsageError
from rating.periods import Period
from rating.public.text import PublicWords
from rating.uscc import UsccProblem

LISTS = ("red", "black")  # the lists the public lookup has, by their name in addresses


@dataclass(frozen=True)
class FieldError:
    """One field a validation error found wrong: its name, pydantic's error `type`
    (`literal_error`, `less_than_equal`, …) and `ctx` (`expected`, `le`, `max_length`, …)."""

    name: str
    type: str = ""
    ctx: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class ErrorFacts:
    """What an error message may name: the request's path and query values (`uscc`, `kind`,
    `project_id`, `period`, `as_of`, `ruleset`), the error's `details` and the fields a
    validation error found wrong (`fields`, and `errors` with what is wrong with each)."""

    params: Mapping[str, str] = field(default_factory=dict)
    details: Mapping[str, object] = field(default_factory=dict)
    fields: tuple[str, ...] = ()
    errors: tuple[FieldError, ...] = ()
    # The server's day (`Snapshot.today`): a period already over is "not published" (没有公布),
    # one still running "not published yet" (尚未公布).
    today: date | None = None


def list_name(kind: str, words: PublicWords) -> str:
    """`红名单` / `黑名单` for `red` / `black`."""
    return words("Red list") if kind == "red" else words("Black list")


def unknown_list(name: str, words: PublicWords) -> str:
    """`没有名为“purple”的名单。现有名单：红名单（red）、黑名单（black）。`"""
    lists = words.join([words("{name} ({code})", name=list_name(k, words), code=k) for k in LISTS])
    return words(
        "There is no list called “{name}”. The lists are: {lists}.", name=name, lists=lists
    )


def unknown_ruleset(ruleset: str, details: Mapping[str, object], words: PublicWords) -> str:
    """`没有按评价规则版本foo@1.0.0公布的结果。已公布结果的版本：yantai-2022@1.0.0。` (the versions
    from the error's `details.rulesets`)."""
    said = words("No published results under the rule version {ruleset}.", ruleset=ruleset)
    there = details.get("rulesets")
    if isinstance(there, list) and there:
        versions = words.join([str(r) for r in there])
        said += words("Versions with published results: {versions}.", versions=versions)
    return said


def not_yet_shown(uscc: str, asked: str, details: Mapping[str, object], words: PublicWords) -> str:
    """A day before a company's first result was shown (`details`: name, first_shown_on,
    status, period): `截至2025年1月1日，甲物业（9137…）尚无已公布的信用评价结果；其首个结果
    （2025年第2季度）于2025年10月15日公布。`"""
    first = str(details.get("first_shown_on", ""))
    values = {
        "day": words.day(asked),
        "name": str(details.get("name", "")),
        "uscc": uscc,
        "period": words.period(str(details.get("period", ""))),
        "first": words.day(first),
    }
    if details.get("status") == "proposed":
        return words(
            "On {day} no credit result of {name} ({uscc}) had been published yet; its first "
            "result ({period}) was put up for publicity on {first}.",
            **values,
        )
    return words(
        "On {day} no credit result of {name} ({uscc}) had been published yet; its first "
        "result ({period}) was published on {first}.",
        **values,
    )


def uscc_problem(problem: UsccProblem, words: PublicWords) -> str:
    """What is wrong with a code given as a USCC, by GB 32100-2015 (`rating.uscc.problem`):
    `统一社会信用代码有误：校验位不符（按GB 32100-2015，第18位应为K，而不是X），请核对。`"""
    if problem.kind == "check_digit":
        return words(
            "The USCC is wrong: the check digit does not match (by GB 32100-2015 the 18th "
            "character should be {expected}, not {found}). Please check the code.",
            expected=problem.expected,
            found=problem.found,
        )
    if problem.kind == "length":
        return words(
            "The USCC is wrong: it has {found} characters, a USCC has 18 (GB 32100-2015).",
            found=problem.found,
        )
    return words(
        "The USCC is wrong: “{found}” cannot be in it (digits and capital letters except I, O, "
        "S, V, Z; GB 32100-2015).",
        found=problem.found,
    )


def field_hint(name: str, words: PublicWords) -> str | None:
    """How a field of the address must be written (the error page's words), or None."""
    hints = {
        "uscc": words(
            "The USCC (统一社会信用代码) in the address must be 18 letters and digits, e.g. "
            "91370600MA3C4ULK62. Search by the company's name if you do not have it."
        ),
        "period": words(
            "The period in the address must be written like 2026Q3 (a quarter), 2026H1 (a half "
            "year) or 2026 (a year)."
        ),
        "as_of": words("The date in the address must be written like 2026-01-20."),
        "on": words("The date in the address must be written like 2026-01-20."),
        "project_id": words(
            "The compound number in the address is not valid. Search for the compound by its "
            "name or its address."
        ),
        "page": words("The page number in the address must be a whole number from 1."),
    }
    return hints.get(name)


def field_label(name: str, words: PublicWords) -> str:
    """The field's name as the reader says it (`每页条数` for page_size), else its own name."""
    labels = {
        "q": words("the search words"),
        "page": words("the page number"),
        "page_size": words("the number per page"),
        "district": words("the district"),
        "ruleset": words("the rule version"),
        "certificate_no": words("the certificate number"),
    }
    return labels.get(name, name)


def field_problem(error: FieldError, words: PublicWords) -> str | None:
    """What is wrong with one field, from pydantic's error type and context, in the reader's
    language — `format 应为 json、csv 或 xlsx 之一`, `每页条数不能大于 200` — or None for a type
    this lookup does not word."""
    ctx = error.ctx
    if error.type == "literal_error":
        choices = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        if not choices:
            return None
        listed = (
            words("{first} or {last}", first=words.join(choices[:-1]), last=choices[-1])
            if len(choices) > 1
            else choices[0]
        )
        said: str | None = words("must be one of {choices}", choices=listed)
    else:
        said = _limit_problem(error.type, ctx, words)
    if said is None:
        return None
    label = field_label(error.name, words)
    if label == error.name:  # a name as the address writes it: set apart from the words
        return words("{field} {problem}", field=label, problem=said)
    return words("{label} {problem}", label=label, problem=said)


def _limit_problem(kind: str, ctx: Mapping[str, object], words: PublicWords) -> str | None:
    """A bound, a number or a pattern the value missed, in words; None for another type."""
    sayings = {
        "less_than_equal": lambda: words("cannot be more than {n}", n=ctx.get("le")),
        "greater_than_equal": lambda: words("cannot be less than {n}", n=ctx.get("ge")),
        "int_parsing": lambda: words("must be a whole number"),
        "string_too_long": lambda: words(
            "cannot be longer than {n} characters", n=ctx.get("max_length")
        ),
        "string_too_short": lambda: words(
            "cannot be shorter than {n} characters", n=ctx.get("min_length")
        ),
        "string_pattern_mismatch": lambda: words("is not written the right way"),
        "missing": lambda: words("is required"),
    }
    return sayings[kind]() if kind in sayings else None


def message_for(code: str, status: int, facts: ErrorFacts, words: PublicWords) -> str | None:
    """The message of a public API error in the reader's language, or None to keep the
    library's (a code this lookup does not raise)."""
    p, d = facts.params, facts.details
    uscc = p.get("uscc", "").upper()
    asked = p.get("as_of") or p.get("on")  # a card's day, or a tender's
    if code == "COMPANY_NOT_FOUND" and asked:
        day = words.day(asked)
        return words("No credit result of {uscc} was published by {day}.", uscc=uscc, day=day)
    if code == "VALIDATION_FAILED":
        if "period" in facts.fields and p.get("period"):
            return words(
                "The period “{period}” is not valid: write it like 2026Q3 (a quarter, Q1 to "
                "Q4), 2026H1 (a half year, H1 or H2) or 2026 (a year).",
                period=p["period"],
            )
        hints = [h for f in facts.fields if (h := field_hint(f, words))]
        if hints:
            return hints[0]
        said = [w for e in facts.errors if (w := field_problem(e, words))]
        fields = "、".join(facts.fields)
        if said:
            return words("The request is not valid: {fields}.", fields=words("; ").join(said))
        return words("The request is not valid: {fields}.", fields=fields)
    fixed = {
        "COMPANY_NOT_FOUND": lambda: words("No credit result of {uscc} was published.", uscc=uscc),
        "COMPANY_NOT_RATED": lambda: not_rated_message(
            str(d.get("name", "")), uscc, str(d.get("reason", "")), str(d.get("period", "")), words
        ),
        "RESULT_NOT_YET_SHOWN": lambda: not_yet_shown(uscc, asked or "", d, words),
        "RESULT_WITHDRAWN": lambda: words(
            "The result shown for {uscc} was withdrawn on {day}.",
            uscc=uscc,
            day=words.day(str(d.get("withdrawn_on", ""))),
        ),
        "COMPOUND_NOT_FOUND": lambda: words(
            "No compound {project_id} in the register.", project_id=p.get("project_id", "")
        ),
        "LIST_NOT_FOUND": lambda: words(
            "No {list} was published for {period}.",
            list=list_name(p.get("kind", ""), words),
            period=p.get("period", ""),
        ),
        "LIST_NOT_YET_SHOWN": lambda: words(
            "On {day} no {list} had been published yet; the first results were shown on {first}.",
            day=words.day(p.get("as_of", "")),
            list=list_name(p.get("kind", ""), words),
            first=words.day(str(d.get("first_shown_on", ""))),
        ),
        "LIST_UNKNOWN": lambda: unknown_list(p.get("kind", ""), words),
        "USCC_INVALID": lambda: uscc_problem(
            UsccProblem(
                str(d.get("reason")),  # type: ignore[arg-type]
                str(d.get("found", "")),
                str(d.get("expected", "")),
            ),
            words,
        ),
        "RULESET_NOT_FOUND": lambda: unknown_ruleset(p.get("ruleset", ""), d, words),
        "CERTIFICATE_REQUIRED": lambda: words(
            "Enter the manager's full certificate number: the lookup names no manager without one."
        ),
        "PERIOD_INVALID": lambda: (
            words(
                "The period “{period}” is not valid: write it like 2026Q3 (a quarter, Q1 to "
                "Q4), 2026H1 (a half year, H1 or H2) or 2026 (a year).",
                period=d["value"],
            )
            if d.get("value")
            else field_hint("period", words) or ""
        ),
        "DATE_INVALID": lambda: words(
            "The date “{value}” is not valid: write a calendar day like 2026-01-20, from "
            "1990-01-01 to 2099-12-31.",
            value=d.get("value", ""),
        ),
        "PAGE_INVALID": lambda: (
            words(
                "There is no page {value}: the results fill {pages} pages.",
                value=d.get("value", ""),
                pages=d["pages"],
            )
            if d.get("pages")
            else words(
                "“{field}={value}” is not valid: write a whole number from 1 to {max}.",
                field=d.get("field", ""),
                value=d.get("value", ""),
                max=d.get("max", ""),
            )
        ),
        "FORMAT_INVALID": lambda: words(
            "“format={value}” is not valid: write one of {allowed}.",
            value=d.get("value", ""),
            allowed=words.join(str(d.get("allowed", "")).split(", ")),
        ),
        "DATE_IN_FUTURE": lambda: words(
            "The date cannot be later than today ({day}).", day=words.day(str(d.get("today")))
        ),
        "MANAGERS_NOT_SERVED": lambda: words("This server publishes no project managers."),
        "RUN_NOT_FOUND": lambda: _run_not_found(p.get("period", ""), facts.today, words),
        "RATE_LIMITED": lambda: words(
            "You have made many requests in a short time. Please wait a moment and try again."
        ),
    }
    if code in fixed:
        return fixed[code]()
    return _by_status(code, status, words)


def _run_not_found(period: str, today: date | None, words: PublicWords) -> str:
    """没有公布 for a period already over on `today`, 尚未公布 for one that is not."""
    if not period:
        return words("No results are published yet.")
    try:
        over = today is not None and Period.parse(period).end < today
    except UsageError:
        over = False
    if over:
        return words("No results were published for {period}.", period=period)
    return words("The results of {period} are not published yet.", period=period)


def not_rated_message(name: str, uscc: str, reason: str, period: str, words: PublicWords) -> str:
    """`子物业（9137…）在企业登记信息中，但未参评2025年第3季度的信用评价：…` (`reason`
    not_rated), or 未纳入 (not_in_run)."""
    if reason == "not_rated":
        return words(
            "{name} ({uscc}) is in the company register but not rated (未参评) for {period}: "
            "it served no compound rated in that period.",
            name=name,
            uscc=uscc,
            period=words.period(period),
        )
    return words(
        "{name} ({uscc}) is in the company register but not in the rating (未纳入) of {period}.",
        name=name,
        uscc=uscc,
        period=words.period(period),
    )


def _by_status(code: str, status: int, words: PublicWords) -> str | None:
    """Routing's 404 and 405, and server errors, in the pages' words; other codes: None."""
    if code == "NOT_FOUND":
        return words(
            "There is no published result at this address. Search for the compound or the "
            "company instead."
        )
    if code == "METHOD_NOT_ALLOWED":
        return words("This address does not answer this method.")
    if status >= 500:
        return words("The lookup cannot answer now. Please try again later.")
    return None
