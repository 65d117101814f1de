"""`rating …`: the command line, a thin client of the library.

Every command takes `--db` and `--json`; errors print one `Error:` line (with the stable
code) and exit 1 — a traceback only with `rating --debug …` (or RATING_DEBUG=1).
"""

from __future__ import annotations

import os
import sys

import typer
from rich.markup import escape

from rating.cli import (
    analysis,
    audit,
    common,
    consequences,
    data,
    demo,
    matching,
    process,
    rules,
    runs,
    serve,
)
from rating.errors import RatingError

app = typer.Typer(
    name="rating",
    help="Property service credit engine: ingest bureau exports, rate a quarter, explain every grade.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)


@app.callback()
def _root(
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks of unexpected errors."),
) -> None:
    if debug:
        os.environ["RATING_DEBUG"] = "1"


data.register(app)
runs.register(app)
demo.register(app)
rules.register(app)
audit.register(app)
serve.register(app)
process.register(app)
analysis.register(app)
matching.register(app)
consequences.register(app)


def _wants_json(argv: list[str]) -> bool:
    return "--json" in argv


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv or os.environ.get("RATING_DEBUG") == "1"
    try:
        # Typer reports usage errors itself and exits through SystemExit; our own errors and
        # anything unexpected come out as exceptions and are reported here, in one line.
        app(args=argv, prog_name="rating", standalone_mode=True)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except RatingError as exc:
        if _wants_json(argv):
            common.print_json(exc.as_dict())
        else:
            common.stderr.print(
                f"[bold red]Error:[/] {escape(str(exc))}", markup=True, highlight=False
            )
        return 1
    except Exception as exc:  # noqa: BLE001 - the last line of defence: one line, not a traceback
        if debug:
            raise
        common.stderr.print(
            f"[bold red]Error:[/] {escape(f'[INTERNAL] {type(exc).__name__}: {exc}')} (run with --debug for details)",
            markup=True,
            highlight=False,
        )
        return 2
    return 0
