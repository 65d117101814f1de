"""The part of the command tree one invocation needs, so that the CLI starts at once.

Typer builds a click command from every registered function by reading its signature and
evaluating its type hints: for the whole tree (some sixty commands) that cost more than
every import of `rating --help` together. A line names at most one top-level command, so
only that one is built in full; `rating --help` (and `--version`, and no command at all)
needs each command's name, short help and panel only, so every callback is replaced by a
parameterless stand-in carrying the same docstring. A word that is not a command, and shell
completion, get the whole tree (its suggestions and completions read every command).
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable, Sequence
from typing import Any

import typer
from typer.models import CommandInfo, TyperInfo

# Options of the root command; none of them takes a value, so the first other word that
# does not start with "-" is the command.
ROOT_FLAGS = frozenset({"--debug", "--wide", "--version", "--help"})


def named_command(argv: Sequence[str]) -> str | None:
    """The top-level command a line names, or None when it names none (`rating --help`)."""
    for word in argv:
        if word == "--":
            return None
        if not word.startswith("-"):
            return word
    return None


def _name(info: CommandInfo | TyperInfo) -> str | None:
    if isinstance(info, CommandInfo):
        if info.name:
            return info.name
        callback = info.callback
        return callback.__name__.lower().replace("_", "-") if callback else None
    return info.name or (info.typer_instance.info.name if info.typer_instance else None)


def _stand_in(callback: Callable[..., Any] | None) -> Callable[..., Any] | None:
    """A function without parameters that reads, for help, like `callback`."""
    if callback is None:
        return None

    def stand_in() -> None:  # pragma: no cover - never invoked: the line names no command
        return None

    stand_in.__name__ = callback.__name__
    stand_in.__doc__ = callback.__doc__
    return stand_in


def _listing_command(info: CommandInfo) -> CommandInfo:
    shallow = copy.copy(info)
    shallow.callback = _stand_in(info.callback)
    return shallow


def _listing_group(info: TyperInfo) -> TyperInfo:
    shallow = copy.copy(info)
    if info.typer_instance is not None:
        empty = copy.copy(info.typer_instance)
        empty.registered_commands = []
        empty.registered_groups = []
        shallow.typer_instance = empty
    return shallow


def _with(app: typer.Typer, commands: list[CommandInfo], groups: list[TyperInfo]) -> typer.Typer:
    pruned = copy.copy(app)
    pruned.registered_commands = commands
    pruned.registered_groups = groups
    return pruned


def needed(app: typer.Typer, argv: Sequence[str]) -> typer.Typer:
    """`app` reduced to what `argv` can reach: see the module's docstring.

    Returns a shallow copy (the registered app is never changed), or `app` itself when the
    whole tree is needed."""
    completing = any(k.endswith("_COMPLETE") for k in os.environ) or any(
        w in ("--install-completion", "--show-completion") for w in argv
    )
    if completing:
        return app
    name = named_command(argv)
    if name is None:
        return _with(
            app,
            [_listing_command(c) for c in app.registered_commands],
            [_listing_group(g) for g in app.registered_groups],
        )
    commands = [c for c in app.registered_commands if _name(c) == name]
    groups = [g for g in app.registered_groups if _name(g) == name]
    if not commands and not groups:
        return app  # not a command: the whole tree, for click's "did you mean …"
    return _with(app, commands, groups)
