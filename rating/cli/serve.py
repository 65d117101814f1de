"""`rating serve` and `rating token …`: the API server and its tokens."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated, TextIO

import typer

from rating import tokens
from rating.cli.common import DbOption, Invocation, JsonOption, emit, stdout, table
from rating.warehouse import open_warehouse

token_app = typer.Typer(help="API tokens: create, list, revoke.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.add_typer(token_app, name="token")


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.", min=1, max=65535)] = 8000,
    public_only: Annotated[
        bool,
        typer.Option(
            "--public-only",
            help="Serve only the public lookup, from a snapshot directory (--snapshot), without the warehouse.",
        ),
    ] = False,
    snapshot: Annotated[
        Path | None,
        typer.Option(
            help="Snapshot directory to serve (default: RATING_PUBLIC_DIR, <db>.public/)."
        ),
    ] = None,
    db: DbOption = None,
) -> None:
    """Start the API and public pages over the warehouse (uvicorn, one process).

    The server opens the warehouse only for the moment of a request, so every `rating`
    command keeps working beside it; public lookups come from memory. A warehouse that cannot
    be opened is one error line before anything is served; the access log (Combined Log
    Format) goes to standard output, errors with their request id to standard error."""
    import uvicorn

    from api.app import create_app

    settings = Invocation(db, False).settings
    if public_only:
        from rating.public import static

        folder = snapshot or settings.public_snapshot_dir
        static.open_directory(folder, settings.current_time)  # fails here, in one line
        app = create_app(settings, snapshot_dir=folder)
        stdout.print(
            f"Serving the public snapshot {folder} on http://{host}:{port}/ (no warehouse)"
        )
    else:
        open_warehouse(settings).close()  # fails here, in one line, if the file cannot be used
        app = create_app(settings)
        stdout.print(
            f"Serving {settings.db_path} on http://{host}:{port}/  (API docs: /docs, schema: /openapi.json)"
        )
        stdout.print(
            "The warehouse stays free between requests: `rating …` commands work beside the server."
        )
    _log_to_console()
    # Forwarded headers are handled by the app, from RATING_TRUSTED_PROXIES only.
    uvicorn.run(
        app, host=host, port=port, log_level="warning", access_log=False, proxy_headers=False
    )


def _log_to_console() -> None:
    """The access log (one Combined Log Format line a request) to stdout; errors, with their
    request id, to stderr."""
    _console("rating.access", sys.stdout, "%(message)s")
    _console("rating.api", sys.stderr, "%(asctime)s %(levelname)s %(message)s")


def _console(name: str, stream: TextIO, fmt: str) -> None:
    logger = logging.getLogger(name)
    if not logger.handlers:
        handler = logging.StreamHandler(stream)
        handler.setFormatter(logging.Formatter(fmt))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False


@token_app.command("create")
def token_create(
    role: Annotated[str, typer.Option(help="bureau or auditor.")],
    name: Annotated[str, typer.Option(help="Who the token is for.")] = "",
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Create a token; it is printed once and stored only as a hash."""
    inv = Invocation(db, json)
    settings = inv.settings
    record, secret = tokens.create(settings.tokens_file, role, name, settings.current_time())
    data = {"token_id": record.token_id, "role": record.role, "name": record.name, "token": secret}
    emit(
        inv,
        data,
        lambda: stdout.print(
            f"Token {record.token_id} ({record.role}) — keep it, it will not be shown again:\n{secret}"
        ),
    )


@token_app.command("list")
def token_list(db: DbOption = None, json: JsonOption = False) -> None:
    """Tokens (ids, roles, names, created, revoked) — never the secrets."""
    inv = Invocation(db, json)
    records = tokens.load(inv.settings.tokens_file)
    data = [
        {
            "token_id": r.token_id,
            "role": r.role,
            "name": r.name,
            "created_at": r.created_at,
            "revoked_at": r.revoked_at,
        }
        for r in records.values()
    ]
    emit(
        inv,
        data,
        lambda: stdout.print(
            table(
                "Tokens",
                ["id", "role", "name", "created", "revoked"],
                [list(d.values()) for d in data],
            )
        ),
    )


@token_app.command("revoke")
def token_revoke(
    token_id: Annotated[str, typer.Argument(help="Token id.")],
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Revoke a token: the API refuses it from the next request on."""
    inv = Invocation(db, json)
    record = tokens.revoke(inv.settings.tokens_file, token_id, inv.settings.current_time())
    emit(
        inv,
        {"token_id": record.token_id, "revoked_at": record.revoked_at},
        lambda: stdout.print(f"Token {record.token_id} revoked at {record.revoked_at}"),
    )
