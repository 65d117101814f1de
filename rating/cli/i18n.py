"""The command line's language: GNU gettext catalogs, Chinese first.

Source strings are English and are the message ids; a language is one catalog,
`rating/locale/<lang>/LC_MESSAGES/rating.po` (edited by people) compiled to `rating.mo`
(read here with the standard library's `gettext`). `RATING_LANG` chooses it: `zh` (the
default) or `en` (the source strings themselves); a third language is a new `.po` file,
no code. `make messages` extracts every string into `rating/locale/rating.pot`, updates each
`.po` and compiles the `.mo` files (scripts/messages.py, with Babel).

What is translated, and how:

* strings in `rating/cli/` written as `_("…")` (printed text) or `N_("…")` (marked, translated
  where it is shown); placeholders are `{name}` and filled after translation;
* help texts of commands and options, read from the typer command tree and translated in
  place before the command line runs (`translate_tree`), so `help="…"` and docstrings stay
  plain English in the source;
* errors raised by the library: their codes never change; their messages are matched against
  the English templates extracted from the `raise` sites (message context = the code) and
  given in the catalog's words (`error_text`), or left in English when no template fits.
"""

from __future__ import annotations

import gettext
import re
import sys
from functools import lru_cache
from typing import Any

from rating.i18n import LOCALE_DIR

DOMAIN = "rating"  # the report has its own domain, `report` (rating.report.text)
SOURCE_LANGUAGE = "en"
# Message context of templates that belong to no code (errors raised without one).
ANY_CODE = "error"
# Message context of sentences library functions return for people (scripts/messages.py).
TEXT = "text"

_state: dict[str, Any] = {"language": SOURCE_LANGUAGE, "catalog": gettext.NullTranslations()}


def normalise(language: str) -> str:
    """'zh-CN', 'zh_CN.UTF-8', 'ZH' → 'zh_CN', 'zh_CN', 'zh'."""
    lang = language.strip().split(".")[0].split("@")[0].replace("-", "_")
    head, _sep, tail = lang.partition("_")
    return head.lower() + (f"_{tail.upper()}" if tail else "")


def available_languages() -> list[str]:
    """The source language and every language with a compiled catalog."""
    found = sorted(
        p.parent.parent.name for p in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.mo") if p.is_file()
    )
    return [SOURCE_LANGUAGE, *found]


def set_language(language: str) -> str:
    """Switch the catalog; returns the language in use. Raises `UsageError`
    (SETTING_INVALID) for a language without a catalog."""
    lang = normalise(language) or SOURCE_LANGUAGE
    if lang.split("_")[0] == SOURCE_LANGUAGE:
        catalog: gettext.NullTranslations = gettext.NullTranslations()
    else:
        try:
            # gettext also tries the bare language: zh_CN finds locale/zh/.
            catalog = gettext.translation(DOMAIN, LOCALE_DIR, languages=[lang])
        except OSError as exc:
            from rating.errors import UsageError

            raise UsageError(
                f"RATING_LANG={language}: no catalog for this language "
                f"(available: {', '.join(available_languages())})",
                code="SETTING_INVALID",
            ) from exc
    _state.update(language=lang, catalog=catalog)
    _templates.cache_clear()
    return lang


def language() -> str:
    """The language messages are shown in now (e.g. "zh_CN", "en"), as `set_language` set it."""
    return str(_state["language"])


def is_chinese() -> bool:
    """Whether messages are shown in Chinese (the language starts with "zh")."""
    return language().startswith("zh")


def _(message: str) -> str:
    """The message in the current language (the English source when untranslated)."""
    return str(_state["catalog"].gettext(message))


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for "mark only"
    """Marks a string for extraction; it is translated where it is shown."""
    return message


def NP_(context: str, message: str) -> str:  # noqa: N802 - gettext convention: mark only
    """Marks a string with its context for extraction; translated with `pgettext`."""
    return message


def ngettext(singular: str, plural: str, n: int) -> str:
    """`singular` or `plural` translated for the count `n` (the language's plural rule)."""
    return str(_state["catalog"].ngettext(singular, plural, n))


def pgettext(context: str, message: str) -> str:
    """`message` translated in `context` (for a word that translates differently by use)."""
    return str(_state["catalog"].pgettext(context, message))


# --- library errors -------------------------------------------------------------------------

_FIELD = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
# A placeholder for a conditional piece of a message (`… + (" (x)" if c else "")`, named
# `cond…` by scripts/messages.py) matches only a known template of its own, or nothing: a
# greedy or lazy `.*` could not tell "{period}{cond}" apart.
_CONDITIONAL = "cond"


def template_pattern(
    template: str, conditionals: tuple[str, ...] = (), named: bool = True
) -> re.Pattern[str]:
    """A template's English text as a regular expression: each `{name}` captures its value
    (a repeated name must repeat its value); a `{cond…}` placeholder matches one of the
    `conditionals` (regular expressions) or nothing."""
    out, seen, pos = [], set(), 0
    for m in _FIELD.finditer(template):
        out.append(re.escape(template[pos : m.start()]))
        name = m.group(1)
        if name.startswith(_CONDITIONAL):
            body = "(?:" + "|".join(conditionals) + ")?" if conditionals else ""
        else:
            body = ".*?"
        if not named:
            out.append(f"(?:{body})")
        elif name in seen:
            out.append(f"(?P={name})")
        else:
            out.append(f"(?P<{name}>{body})")
        seen.add(name)
        pos = m.end()
    out.append(re.escape(template[pos:]))
    return re.compile("".join(out), re.S)


@lru_cache(maxsize=1)
def _templates() -> dict[str, list[tuple[re.Pattern[str], str]]]:
    """Code → [(pattern of the English template, its translation)], most specific first."""
    raw: dict[str, str] = getattr(_state["catalog"], "_catalog", {})
    by_code: dict[str, list[tuple[str, str]]] = {}
    for key, translated in raw.items():
        if not isinstance(key, str) or "\x04" not in key or not translated:
            continue
        context, english = key.split("\x04", 1)
        by_code.setdefault(context, []).append((english, translated))
    pieces = tuple(
        template_pattern(e, named=False).pattern
        for e, _t in by_code.get(ANY_CODE, [])
        if not _FIELD.fullmatch(e)
    )
    # Longer literal text first: "rule set '{name}' has no versions" before "{message}".
    return {
        code: [
            (template_pattern(e, pieces), t)
            for e, t in sorted(items, key=lambda i: -len(_FIELD.sub("", i[0])))
        ]
        for code, items in by_code.items()
    }


def _fill(template: str, values: dict[str, str]) -> str:
    return _FIELD.sub(lambda m: values.get(m.group(1), m.group(0)), template)


def error_text(code: str, message: str, depth: int = 0) -> str:
    """A library message in the current language, found by its exact text or by the
    templates of its code; values inside it are kept as they are (a value that is itself a
    known message is translated too). English when no translation fits: the code, printed
    beside it, is the same in every language."""
    if not message:
        return message
    exact = _(message) if depth == 0 else message  # a value is data: only templates apply
    if exact != message:
        return exact
    # A value may itself be a message: of the same code (a refusal wrapped with a hint, as
    # PERIOD_NOT_ENDED is), of no code, or a sentence a library function returns ("text").
    contexts = (code, ANY_CODE) if depth == 0 else (code, ANY_CODE, TEXT)
    for context in contexts:
        for pattern, translated in _templates().get(context, []):
            found = pattern.fullmatch(message)
            if found is not None:
                values = {
                    k: error_text(code, v, depth + 1) if depth < 2 else v
                    for k, v in found.groupdict().items()
                }
                return _fill(translated, values)
    return message


# --- help texts -----------------------------------------------------------------------------


def localise_typer() -> None:
    """Typer's own words in its help screens (panel titles, `Usage:`, [default: …],
    [required]), and help text that wraps instead of being cut: rich measures a run of
    Chinese characters as one unbreakable word, so a line of it ended in "…" at 80 columns.

    Typer's help renderer (`typer.rich_utils`, which brings rich's markdown, traceback and
    pygments) is localised when a help screen is drawn, not at every command: `rating run`
    never draws one, and importing it cost 0.06 – 0.09 s of CPU (issue 21)."""
    if not _state.get("typer_patched"):
        _patch_typer()
        _state["typer_patched"] = True
    if "typer.rich_utils" in sys.modules:  # drawn already in this process: its words now
        _localise_rich_utils()


def _localise_rich_utils() -> Any:
    """`typer.rich_utils` with its words in the current language (patched once)."""
    from typer import rich_utils

    rich_utils.ARGUMENTS_PANEL_TITLE = _("Arguments")
    rich_utils.OPTIONS_PANEL_TITLE = _("Options")
    rich_utils.COMMANDS_PANEL_TITLE = _("Commands")
    rich_utils.ERRORS_PANEL_TITLE = _("Error")
    rich_utils.DEFAULT_STRING = _("[default: {}]")
    rich_utils.REQUIRED_LONG_STRING = _("[required]")
    rich_utils.ENVVAR_STRING = _("[env var: {}]")
    rich_utils.ABORTED_TEXT = _("Aborted.")
    if not _state.get("rich_utils_patched"):
        _patch_rich_utils(rich_utils)
        _state["rich_utils_patched"] = True
    return rich_utils


def _patch_typer() -> None:
    """Four of typer's choices that do not suit Chinese help, changed once per process:
    help texts fold (wrap at any character) instead of ending in "…" (`_patch_rich_utils`,
    when a help screen is first drawn); the usage line's `Usage:` is translated; a flag
    shows no `<bool>` type and no `[default: no-force]`; a value's type reads in the
    user's words (<路径>, not <path>)."""
    from typer import core
    from typer._click import formatting

    for command in (core.TyperCommand, core.TyperGroup):
        _localised_help(command)
    write_usage = formatting.HelpFormatter.write_usage

    def usage(self: Any, prog: str, args: str = "", prefix: str | None = None) -> None:
        write_usage(self, prog, args, _("Usage: ") if prefix is None else prefix)

    formatting.HelpFormatter.write_usage = usage  # type: ignore[method-assign]
    option = core.TyperOption
    display_type, default_string = option.display_type_rich, option._get_default_string

    def no_bool_type(self: Any, ctx: Any) -> str | None:
        if self.is_flag:
            return None
        shown = display_type(self, ctx)
        return _type_word(shown) if isinstance(shown, str) else shown

    def no_bool_default(self: Any, **kw: Any) -> Any:  # a flag is off unless given
        return "" if self.is_flag and not self.default else default_string(self, **kw)

    option.display_type_rich = no_bool_type  # type: ignore[method-assign]
    argument_type = core.TyperArgument.display_type_rich

    def argument_words(self: Any, ctx: Any) -> str | None:
        shown = argument_type(self, ctx)
        return _type_word(shown) if isinstance(shown, str) else shown

    core.TyperArgument.display_type_rich = argument_words  # type: ignore[method-assign]
    option._get_default_string = no_bool_default  # type: ignore[method-assign]


def _localised_help(command: Any) -> None:
    """`command.format_help` localising typer's help renderer first."""
    format_help = command.format_help

    def localised(self: Any, ctx: Any, formatter: Any) -> None:
        _localise_rich_utils()
        format_help(self, ctx, formatter)

    command.format_help = localised


def _patch_rich_utils(rich_utils: Any) -> None:
    """Help texts fold instead of ending in "…", and narrow screens list options
    (`_patch_typer`)."""
    from rich.text import Text

    make_text = rich_utils._make_rich_text

    def folding_text(**kw: Any) -> Any:
        found = make_text(**kw)
        if isinstance(found, Text):
            found.overflow = "fold"
        return found

    def stacked(items: list[Any]) -> Any:  # instead of rich's Columns, which cut with "…"
        texts = [i for i in items if isinstance(i, Text)]
        if len(texts) != len(items):
            from rich.console import Group

            return Group(*items)
        return Text(" ", overflow="fold").join(texts)

    rich_utils._make_rich_text = folding_text
    rich_utils.Columns = stacked
    table_panel = rich_utils._print_options_panel

    def options_panel(**kw: Any) -> None:
        if kw["console"].width >= NARROW:
            table_panel(**kw)
        else:
            _listed_panel(rich_utils, **kw)

    rich_utils._print_options_panel = options_panel


def _type_word(shown: str) -> str:
    """A value's type in help (`<str>`, `<path>`, `<int>` …: typer's Python names) in the
    user's words: 期间 <文本>, not <str>. Choices (`<black|red>`) and formats stay as they are."""
    words = {
        "<str>": _("<text>"),
        "<path>": _("<path>"),
        "<file>": _("<file>"),
        "<directory>": _("<folder>"),
        "<int>": _("<whole number>"),
        "<float>": _("<number>"),
        "<int range>": _("<whole number>"),
        "<float range>": _("<number>"),
        "<datetime>": _("<date and time>"),
        "<list[str]>": _("<text> (one or more)"),
        "<list[path]>": _("<path> (one or more)"),
    }
    return words.get(shown, shown)


# Below this width (a phone's terminal) options are listed one under the other: a table of
# five columns left the option names cut to "--per…".
NARROW = 60


def _listed_panel(
    rich_utils: Any, *, name: str, params: list[Any], ctx: Any, markup_mode: Any, console: Any
) -> None:
    """An options panel for a narrow screen: each option's names and type on a line, its help
    indented below."""
    from rich.padding import Padding
    from rich.text import Text

    if not params:
        return
    console.print(Text(name, style="bold"))
    for param in params:
        if param.param_type_name == "argument":
            names = [getattr(param, "display_name_raw", None) or param.name]
        else:
            names = [*param.opts, *param.secondary_opts]
        kind = param.display_type_rich(ctx=ctx)
        head = ("* " if param.required else "  ") + " / ".join(names)
        console.print(Text(head + (f"  {kind}" if kind else ""), overflow="fold"))
        help_text = rich_utils._get_parameter_help(param=param, ctx=ctx, markup_mode=markup_mode)
        console.print(Padding(help_text, (0, 0, 0, 4)))


def help_texts(command: Any) -> list[Any]:
    """Every object of a click command tree that carries a help text: commands, groups,
    their parameters and help options (created here, so they can be translated)."""
    from typer._click import Context

    found = [command]
    help_option = command.get_help_option(Context(command))
    found += [*command.params, *([help_option] if help_option is not None else [])]
    for sub in getattr(command, "commands", {}).values():
        found += help_texts(sub)
    return found


def translate_tree(command: Any) -> None:
    """Translate help texts in place (the source keeps English ids)."""
    for item in help_texts(command):
        if getattr(item, "options_metavar", None) == "[OPTIONS]":
            item.options_metavar = _("[OPTIONS]")
        if getattr(item, "subcommand_metavar", None) == "COMMAND [ARGS]...":
            item.subcommand_metavar = _("COMMAND [ARGS]...")
        for attr in ("help", "short_help"):
            text = getattr(item, attr, None)
            if text:
                setattr(item, attr, _(text))
