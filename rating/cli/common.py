"""What every command shares: options, settings, output (table or JSON), errors, progress.

Light on purpose: `rating --help` imports this and the command modules only, so nothing here
(or at the top of a command module) imports DuckDB, polars, pandera or scikit-learn; a command
imports the library it needs inside its body.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from rating.cli.i18n import NP_, _, error_text, pgettext
from rating.errors import ErrorDocument, RatingError
from rating.settings import Settings

if TYPE_CHECKING:
    import duckdb

DbOption = Annotated[
    Path | None,
    typer.Option(
        "--db", help="Warehouse file (default ./rating.duckdb, or RATING_DB).", show_default=False
    ),
]
JsonOption = Annotated[
    bool, typer.Option("--json", help="Print one JSON document for machine use.")
]

OutOption = Annotated[
    Path | None,
    typer.Option(
        "--out",
        help="Write every row to FILE instead of printing: .xlsx (sheets + an 'about' sheet) or .csv.",
        show_default=False,
    ),
]

stdout = Console(soft_wrap=True)
stderr = Console(stderr=True, soft_wrap=True)

# Exit codes, the same in every command (README: "Exit codes").
EXIT_OK = 0
EXIT_CHECK_FAILED = 1  # the command ran and its check failed: verify, replay, rules validate
EXIT_USAGE = 2  # the command line is wrong
EXIT_DATA = 3  # a file, the warehouse, a rule set or the installation cannot serve the request
EXIT_UNEXPECTED = 4  # a defect: please report it (rating --debug … shows the traceback)


@dataclass
class Output:
    """How tables are laid out: `--wide` prints every column at full width."""

    wide: bool = False


OUTPUT = Output()


class CheckFailed(RatingError):
    """The check a command performs found a problem (exit code 1), already reported."""

    code = "CHECK_FAILED"
    status = 409


class MissingExtra(RatingError):
    """A command needs an optional part of the package that is not installed."""

    code = "EXTRA_MISSING"
    status = 501


def require_extra(module: str, extra: str, command: str) -> None:
    """Raise `MissingExtra` naming the extra to install when `module` cannot be imported."""
    from importlib.util import find_spec

    if find_spec(module) is None:
        raise MissingExtra(
            f"`rating {command}` needs the optional part '{extra}': "
            f"pip install 'property-credit-rating[{extra}]'",
            details={"extra": extra, "module": module},
        )


@dataclass
class Invocation:
    """Options common to every command, resolved into Settings."""

    db: Path | None
    json: bool

    @property
    def settings(self) -> Settings:
        return Settings.from_env(db_path=self.db)

    @contextmanager
    def warehouse(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        from rating.warehouse import open_warehouse

        con = open_warehouse(self.settings, read_only=read_only)
        try:
            yield con
        finally:
            con.close()


def to_jsonable(value: Any) -> Any:
    """`value` in the shapes `json.dumps` takes, for `--json` output: a whole Decimal → int, other
    Decimals → float, dates and times → ISO text, paths → text, dict keys → text, tuples and sets →
    lists, recursively; anything else unchanged."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [to_jsonable(v) for v in value]
    return value


def print_json(data: Any) -> None:
    """Print `data` as indented JSON on stdout (UTF-8 kept, `to_jsonable` first): the `--json`
    output of every command."""
    sys.stdout.write(json.dumps(to_jsonable(data), ensure_ascii=False, indent=2) + "\n")


def emit(inv: Invocation, data: Any, render: Callable[[], None]) -> None:
    """JSON for machines with --json, a readable rendering otherwise."""
    if inv.json:
        print_json(data)
    else:
        render()


def say(text: str) -> None:
    """One line of plain text on stdout (no markup is read from the values in it)."""
    stdout.print(text, markup=False, highlight=False)


def error_line(code: str, message: str) -> str:
    """`Error: [CODE] message` in the user's language (the code never changes)."""
    return _("Error: [{code}] {message}").format(code=code, message=error_text(code, message))


def warning_line(code: str, message: str) -> str:
    """`Warning: [CODE] message` in the user's language: done, but worth a look."""
    return _("Warning: [{code}] {message}").format(code=code, message=error_text(code, message))


def error_document(exc: RatingError) -> ErrorDocument:
    """The JSON error shape shared with the API, its message in the user's language."""
    body = exc.as_dict()
    body["error"]["message"] = error_text(exc.code, exc.message)
    for p in body["error"].get("problems", []):
        p["message"] = error_text(p["code"], p["message"])
    return body


def problem_line(problem: Any) -> str:
    """One problem of an error: `[CODE] message (file …, line …, column …, rule …)`."""
    where = [
        text
        for text, value in (
            (_("file {value}"), problem.file),
            (_("line {value}"), problem.line),
            (_("column {value}"), problem.column),
            (_("rule {value}"), problem.rule),
        )
        if value is not None
        for text in [text.format(value=value)]
    ]
    line = f"[{problem.code}] {error_text(problem.code, problem.message)}"
    return line + (f" ({_(', ').join(where)})" if where else "")


# --- progress -------------------------------------------------------------------------------

Progress = Callable[[str, int, int], None]


STEP_WORDS = (NP_("step", "done"),)


def _step_name(step: str) -> str:
    """A library's progress step (a run's step, a kind of export, a file name) in words."""
    for context in ("step", "kind"):
        found = pgettext(context, step)
        if found != step:
            return found
    return error_text("step", step)


# Seconds a log may sit without a line while work goes on (README: "a step still running
# after 2 s gets a line"); tests shorten it rather than sleep.
PROGRESS_EVERY = 2.0


class LineProgress:
    """Progress as plain lines on stderr, for logs and pipes. A step's line is printed when
    the step ends, with its final counts (a library reports `(step, done, total)` as work
    is done), so counts only ever grow and each step's last line shows its total; a step
    still running after `every` seconds gets a line with its counts so far. `each_step=False`
    prints a step only when at least `every` seconds passed since the last line (short steps
    fold into the final line)."""

    def __init__(self, label: str, each_step: bool, every: float | None = None) -> None:
        self.label, self.each_step = label, each_step
        self.every = PROGRESS_EVERY if every is None else every
        self.started = self.last_line = time.perf_counter()
        self.step = ""
        self.counts = (0, 0)
        self.printed: tuple[str, int, int] | None = None

    def line(self, text: str) -> None:
        stderr.print(text, markup=False, highlight=False)
        self.last_line = time.perf_counter()

    def _step_line(self) -> None:
        done, total = self.counts
        self.printed = (self.step, done, total)
        self.line(
            _("{label}: {step} ({done:,}/{total:,}) · {seconds:.1f} s").format(
                label=self.label,
                step=_step_name(self.step),
                done=done,
                total=total,
                seconds=time.perf_counter() - self.started,
            )
        )

    def _end_step(self) -> None:
        """The step that just ended, with its final counts (unless already shown so)."""
        finished = self.step and self.step != "done" and self.each_step
        if finished and self.printed != (self.step, *self.counts):
            self._step_line()

    def __call__(self, step: str, done: int, total: int) -> None:
        if step != self.step:
            self._end_step()
            self.step = step
        self.counts = (done, total)
        if time.perf_counter() - self.last_line >= self.every:
            self._step_line()

    def still_running(self) -> None:
        """A line saying the work goes on (the step's counts so far, or the label alone)."""
        if self.step and self.step != "done":
            self._step_line()
            return
        self.line(
            _("{label}: still running · {seconds:.1f} s").format(
                label=self.label, seconds=time.perf_counter() - self.started
            )
        )

    def finish(self) -> None:
        self._end_step()
        self.line(
            _("{label}: done in {seconds:.1f} s").format(
                label=self.label, seconds=time.perf_counter() - self.started
            )
        )


class Heartbeat:
    """While work gives no news (a step that reports nothing, such as writing the public
    snapshot, or one long chunk such as a big XLSX), a line after `lines.every` seconds
    without one, then after twice as long each time, so a log never sits silent."""

    def __init__(self, lines: LineProgress) -> None:
        self.lines = lines
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._beat, name="progress-heartbeat", daemon=True)

    def _beat(self) -> None:
        wait = self.lines.every
        while not self.stopped.wait(min(0.2, wait / 4)):
            if time.perf_counter() - self.lines.last_line >= wait:
                self.lines.still_running()
                wait *= 2

    def __enter__(self) -> Heartbeat:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopped.set()
        self.thread.join()


@contextmanager
def progress_bar(inv: Invocation, label: str, each_step: bool = True) -> Iterator[Progress]:
    """A progress callback `(step, done, total)`: a bar on an interactive stderr, a line per
    step otherwise (logs, `make demo` in CI), nothing with --json."""
    if inv.json:
        yield lambda step, done, total: None
        return
    if not stderr.is_terminal:
        lines = LineProgress(label, each_step)
        lines.line(_("{label} …").format(label=label))
        with Heartbeat(lines):
            yield lines
        lines.finish()
        return
    from rich.progress import BarColumn, TextColumn, TimeElapsedColumn
    from rich.progress import Progress as Bar

    bar = Bar(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[step]}"),
        TimeElapsedColumn(),
        console=stderr,
        transient=True,
    )
    with bar:
        task = bar.add_task(label, total=1, step="")

        def update(step: str, done: int, total: int) -> None:
            bar.update(task, total=total, completed=done, step=_step_name(step))

        yield update


@contextmanager
def working(inv: Invocation, label: str) -> Iterator[None]:
    """A single long step without counts: a spinner on a terminal, a start and an end line
    otherwise."""
    with progress_bar(inv, label) as _update:
        yield


def exported(
    inv: Invocation,
    path: Path,
    sheets: dict[str, int],
    about: dict[str, Any],
    names: dict[str, str] | None = None,
) -> None:
    """Say what an export wrote (rows per sheet) — in JSON with --json (sheets by their codes),
    else in words (sheets by `names`, the names the file shows)."""
    names = names or {}
    emit(
        inv,
        {"file": str(path), "rows": sheets, "about": about},
        lambda: say(
            _("Wrote {path}: {counts}").format(
                path=path,
                counts=_(", ").join(
                    _("{name} {n:,} rows").format(name=names.get(name, name), n=n)
                    for name, n in sheets.items()
                ),
            )
        ),
    )
