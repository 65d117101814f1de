"""The CLI builds only the part of its command tree a line needs (rating.cli.tree), so it
starts at once; what the user sees is the same as from the whole tree."""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys

import pytest

import rating.cli as cli
from rating.cli import tree

HEAVY = ("duckdb", "polars", "pandera", "pandas", "numpy", "sklearn", "scipy", "pyarrow")


def _screen(argv: list[str], *, whole: bool) -> tuple[int | None, str]:
    out = io.StringIO()
    argv = cli._start(list(argv))
    command = cli._command(None if whole else argv)
    with contextlib.redirect_stdout(out):
        try:
            code = command.main(args=argv, prog_name="rating", standalone_mode=False)
        except SystemExit as stop:
            code = stop.code  # type: ignore[assignment]
    return code, out.getvalue()


@pytest.mark.slow  # end to end through the command line: `make test` and CI, not test-fast
@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["--version"],
        ["run", "--help"],
        ["runs", "--help"],
        ["runs", "list", "--help"],
        ["match", "review", "--help"],
        ["--wide", "ingest", "--help"],
        ["--debug", "rules", "list", "--help"],
    ],
)
def test_the_part_built_shows_what_the_whole_tree_shows(
    argv: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "120")
    # `--debug` sets RATING_DEBUG for the process; monkeypatch takes it back after the test,
    # or every later in-process `main()` would raise instead of answering with exit code 4.
    monkeypatch.setenv("RATING_DEBUG", "0")
    assert _screen(argv, whole=False) == _screen(argv, whole=True)


def test_a_line_naming_a_command_builds_that_command_only() -> None:
    built = tree.needed(cli.app, ["--wide", "run", "--period", "2026Q3"])
    assert [c.name for c in built.registered_commands] == ["run"]
    assert built.registered_groups == []
    runs = tree.needed(cli.app, ["runs", "list"])
    assert [g.name for g in runs.registered_groups] == ["runs"]
    assert runs.registered_commands == []
    assert len(cli.app.registered_commands) > 10  # the registered app is left whole


def test_help_lists_every_command_without_building_their_parameters() -> None:
    listing = tree.needed(cli.app, ["--help"])
    names = [c.name for c in listing.registered_commands]
    assert names == [c.name for c in cli.app.registered_commands]
    for info in listing.registered_commands:
        assert info.callback is not None and info.callback.__code__.co_argcount == 0
    assert all(not g.typer_instance.registered_commands for g in listing.registered_groups)


def test_an_unknown_word_and_completion_get_the_whole_tree(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert tree.needed(cli.app, ["rnu"]) is cli.app  # click's "did you mean" reads them all
    assert tree.needed(cli.app, ["--show-completion"]) is cli.app
    monkeypatch.setenv("_RATING_COMPLETE", "complete_bash")
    assert tree.needed(cli.app, []) is cli.app


@pytest.mark.slow  # a new process each; what they show is compared in-process above
@pytest.mark.parametrize("argv", [["--help"], ["--version"], ["run", "--help"]])
def test_help_and_version_load_no_heavy_library(argv: list[str]) -> None:
    """Not timed (benchmarks time `rating --help`): the modules that make start-up slow
    are not loaded at all."""
    probe = (
        "import sys; from rating.cli import main; "
        f"code = main({argv!r}); "
        f"heavy = sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r})); "
        "print('RESULT', code, heavy, file=sys.stderr)"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert "RESULT 0 []" in done.stderr, done.stderr
