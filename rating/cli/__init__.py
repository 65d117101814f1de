"""`rating …`: the command line, a thin client of the library.

Every command takes `--db` and `--json`. In the user's language (RATING_LANG, Chinese by
default; `rating.cli.i18n`). Errors print one line with their stable code, and the exit code
says what kind of failure it was, the same in every command:

    0 ok · 1 the check failed (verify, replay MISMATCH, rules validate) · 2 usage ·
    3 data, warehouse, rule set or installation · 4 unexpected (a defect)

A traceback only with `rating --debug …` (or RATING_DEBUG=1). Importing this module is
cheap (no DuckDB, polars or scikit-learn): `rating --help` answers at once.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated, Any

import typer

from rating.cli import (
    analysis,
    audit,
    common,
    consequences,
    data,
    demo,
    explain,
    export,
    integrity,
    managers,
    matching,
    process,
    public,
    rules,
    runs,
    serve,
)
from rating.cli.common import (
    EXIT_CHECK_FAILED,
    EXIT_DATA,
    EXIT_OK,
    EXIT_UNEXPECTED,
    EXIT_USAGE,
    OUTPUT,
    CheckFailed,
    error_document,
    error_line,
    problem_line,
)
from rating.cli.i18n import NP_, _, error_text
from rating.errors import RatingError, UsageError, resource_error

app = typer.Typer(
    name="rating",
    help="Property service credit engine: ingest bureau exports, rate a quarter, explain every grade.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)

# Library codes raised as usage errors that are really about the data or the warehouse.
DATA_CODES = frozenset(
    {
        "NO_DATA",
        "FOLDER_NOT_FOUND",
        "FOLDER_EMPTY",
        "WARNING_NO_RUNS",
        "WARNING_NO_RUN_FOR_PERIOD",
        "WARNING_NOT_ENOUGH_HISTORY",
    }
)


def _version(value: bool) -> None:
    if value:
        from rating import __version__

        common.say(f"rating {__version__}")
        raise typer.Exit(EXIT_OK)


@app.callback()
def _root(
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks of unexpected errors.")
    ] = False,
    wide: Annotated[
        bool,
        typer.Option(
            "--wide", help="Print every column of tables at full width (also after the command)."
        ),
    ] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    if debug:
        os.environ["RATING_DEBUG"] = "1"
    if wide:
        OUTPUT.wide = True


data.register(app)
runs.register(app)
explain.register(app)
demo.register(app)
rules.register(app)
audit.register(app)
serve.register(app)
process.register(app)
analysis.register(app)
integrity.register(app)
matching.register(app)
managers.register(app)
consequences.register(app)
public.register(app)
export.register(app)


def exit_code(exc: RatingError) -> int:
    """The exit code of a library error: by its kind, not its message."""
    if isinstance(exc, CheckFailed):
        return EXIT_CHECK_FAILED
    if isinstance(exc, UsageError) and exc.code not in DATA_CODES:
        return EXIT_USAGE
    return EXIT_DATA


# Typer's (pydantic's) words for a bad value, so that the message is translated too.
VALUE_PROBLEMS = (
    NP_("error", "Input should be a valid integer, unable to parse string as an integer"),
    NP_("error", "Input should be a valid number, unable to parse string as a number"),
    NP_("error", "Input should be a valid boolean, unable to interpret input"),
    NP_("error", "Input should be greater than or equal to {limit}"),
    NP_("error", "Input should be less than or equal to {limit}"),
    NP_("error", "Input should be greater than {limit}"),
    NP_("error", "Input should be less than {limit}"),
)
# Click's own words for a badly used option or argument (click/parser.py, click/core.py).
USAGE_PROBLEMS = (
    NP_("error", "Option '{name}' requires an argument."),
    NP_("error", "Option '{name}' requires {nargs} arguments."),
    NP_("error", "Option '{name}' does not take a value."),
    NP_("error", "Argument '{name}' takes {nargs} values."),
    NP_("error", "Missing command."),
    NP_("error", "{value} is not a valid {number_type}."),
    NP_("error", "{value} is not in the range {range}."),
    NP_("error", "{value} is not one of {choices}."),
    NP_("error", "{name} '{filename}' does not exist."),
    NP_("error", "{name} '{filename}' is a file."),
    NP_("error", "{name} '{filename}' is a directory."),
)


def _command_path(argv: list[str]) -> str:
    """The deepest command named on the line (`rating runs show`): where its help is, when
    click's parser raised without a context."""
    command: Any = typer.main.get_command(app)
    path = ["rating"]
    for word in argv:
        if word.startswith("-"):
            continue
        sub = getattr(command, "commands", {}).get(word)
        if sub is None:
            break
        command, path = sub, [*path, word]
    return " ".join(path)


def _usage_error(exc: Any, argv: list[str] | None = None) -> RatingError:
    """A typer/click usage error as one of ours: a stable code, one line in the user's
    language, and where to look for help."""
    kind = type(exc).__name__
    ctx = getattr(exc, "ctx", None)
    param = getattr(exc, "param", None)
    hint = getattr(exc, "param_hint", None) or (param.get_error_hint() if param else None)
    if isinstance(hint, list | tuple):
        hint = " / ".join(hint)
    message = str(getattr(exc, "message", exc))
    if kind == "MissingParameter":
        code = "MISSING_PARAMETER"
        is_option = getattr(param, "param_type_name", "option") == "option"
        text = _("option {name} is missing") if is_option else _("argument {name} is missing")
        message = text.format(name=hint)
    elif kind == "NoSuchOption":
        code = "NO_SUCH_OPTION"
        message = _("there is no option {name}").format(name=exc.option_name)
        if exc.possibilities:
            message += _(" (did you mean {names}?)").format(
                names=_(", ").join(sorted(exc.possibilities))
            )
    elif kind == "BadParameter":
        code = "BAD_VALUE"
        message = _("{what}: {problem}").format(what=hint, problem=error_text("error", message))
    elif message.startswith("No such command"):
        code = "NO_SUCH_COMMAND"
        name = message.split("'")[1] if "'" in message else message
        message = _("there is no such command: {name}").format(name=name)
    elif message.startswith("Got unexpected extra argument"):
        code = "EXTRA_ARGUMENT"
        args = message.rpartition("(")[2].rstrip(")")
        message = _("unexpected extra argument: {args}").format(args=args)
    else:
        code = "BAD_USAGE"
        message = error_text("error", message)
    # click's parser raises some errors in the group's context: the command line says more
    command = max(
        (ctx.command_path if ctx is not None else "rating", _command_path(argv or [])), key=len
    )
    message += _("; see `{command} --help`").format(command=command)
    return UsageError(message, code=code)


def _report(exc: RatingError, argv: list[str]) -> None:
    if "--json" in argv:
        common.print_json(error_document(exc))
        return
    common.stderr.print(error_line(exc.code, exc.message), markup=False, highlight=False)
    for problem in exc.problems[:20]:
        common.stderr.print("  - " + problem_line(problem), markup=False, highlight=False)
    if len(exc.problems) > 20:
        common.stderr.print(
            "  " + _("… and {n} more").format(n=len(exc.problems) - 20), markup=False
        )


def _command(argv: list[str] | None = None) -> Any:
    """The click command tree `argv` needs (all of it when None; `rating.cli.tree`), its
    help texts in the user's language."""
    from rating.cli import i18n, tree

    i18n.localise_typer()
    command = typer.main.get_command(app if argv is None else tree.needed(app, argv))
    i18n.translate_tree(command)
    return command


def _start(argv: list[str]) -> list[str]:
    """Set the language and the global flags that may stand anywhere on the line."""
    from rating.cli import i18n
    from rating.settings import language_from_env

    i18n.set_language(language_from_env())
    for console in (common.stdout, common.stderr):
        # Rich fixes the width at creation when COLUMNS is set then; read it (or the terminal)
        # afresh at each command, so one process running several commands follows each one's.
        console._width = None
    OUTPUT.wide = False
    if "--wide" in argv:
        OUTPUT.wide = True
        cut = argv.index("--") if "--" in argv else len(argv)
        argv = [a for a in argv[:cut] if a != "--wide"] + argv[cut:]
        argv = ["--wide", *argv]
    return argv


def main(argv: list[str] | None = None) -> int:
    """Run `rating …`; returns the exit code (see the module's docstring)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv or os.environ.get("RATING_DEBUG") == "1"
    try:
        argv = _start(argv)
        code = _command(argv).main(args=argv, prog_name="rating", standalone_mode=False)
        return code if isinstance(code, int) else EXIT_OK
    except typer.Abort:
        common.stderr.print(_("Aborted."))
        return EXIT_USAGE
    except KeyboardInterrupt:
        common.stderr.print(_("Interrupted."))
        return 130
    except RatingError as exc:
        _report(exc, argv)
        return exit_code(exc)
    except Exception as exc:  # noqa: BLE001 - the last line of defence: one line, not a traceback
        from typer.exceptions import TyperException

        if isinstance(exc, TyperException) and getattr(exc, "exit_code", 1) == EXIT_USAGE:
            if type(exc).__name__ != "NoArgsIsHelpError":  # whose help is printed already
                _report(_usage_error(exc, argv), argv)
            return EXIT_USAGE
        resource = resource_error(exc)  # a full disk, a read-only file system, …: say which
        if resource is not None and not debug:
            _report(resource, argv)
            return EXIT_DATA
        if debug:
            raise
        _report(
            RatingError(
                f"{type(exc).__name__}: {exc} " + _("(a defect: run with --debug for details)"),
                code="INTERNAL",
            ),
            argv,
        )
        return EXIT_UNEXPECTED
