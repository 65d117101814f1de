"""`rating serve` and `rating token …`: the API server and its tokens."""

from __future__ import annotations

import logging
import socket
import sys
from pathlib import Path
from typing import Annotated, Any, TextIO

import typer

from rating.cli.common import DbOption, Invocation, JsonOption, emit, require_extra, say
from rating.cli.display import Col, print_table, when, word
from rating.cli.i18n import _

token_app = typer.Typer(help="API tokens: create, list, revoke.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add `rating serve` and `rating token …` to the command line app (`rating.cli.app`)."""
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
    create: Annotated[
        bool,
        typer.Option(
            "--create",
            help="Create an empty warehouse at --db when there is none (to load data over the API).",
        ),
    ] = False,
) -> None:
    """Start the API and public pages over the warehouse (uvicorn, one process; extra 'api').

    The server opens the warehouse only for the moment of a request, so every `rating`
    command keeps working beside it; public lookups come from memory. A warehouse that cannot
    be opened is one error line before anything is served; the access log (Combined Log
    Format) goes to standard output, errors with their request id to standard error.
    A warehouse file that does not exist is `WAREHOUSE_MISSING` (exit 3), not a new empty
    one, unless `--create` asks for it."""
    for module in ("uvicorn", "fastapi", "jinja2", "multipart", "limits"):
        require_extra(module, "api", "serve")
    import uvicorn

    from api.app import create_app
    from rating.errors import WarehouseError
    from rating.warehouse import open_warehouse

    settings = Invocation(db, False).settings
    if public_only:
        from rating.public import static

        folder = snapshot or settings.public_snapshot_dir
        static.open_directory(folder, settings.current_time)  # fails here, in one line
        app = create_app(settings, snapshot_dir=folder)
        ready = [
            _(
                "Serving the public snapshot {folder} on http://{host}:{port}/ (no warehouse)"
            ).format(folder=folder, host=host, port=port)
        ]
    else:
        if not create and not Path(settings.db_path).exists():
            raise WarehouseError(
                f"no warehouse at {settings.db_path}: run `make demo` (then serve it with "
                f"--db demo/rating.duckdb) or `rating ingest` first, or start an empty one "
                f"with --create",
                code="WAREHOUSE_MISSING",
            )
        open_warehouse(settings).close()  # fails here, in one line, if the file cannot be used
        app = create_app(settings)
        ready = [
            _(
                "Serving {db} on http://{host}:{port}/  (API documentation: /docs, schema: /openapi.json)"
            ).format(db=settings.db_path, host=host, port=port),
            _(
                "The warehouse stays free between requests: `rating …` commands work beside the server."
            ),
        ]
    say(_("Starting: loading the public lookup into memory …"))
    _log_to_console()
    # Forwarded headers are handled by the app, from RATING_TRUSTED_PROXIES only.
    config = uvicorn.Config(
        app, host=host, port=port, log_level="warning", access_log=False, proxy_headers=False
    )
    _announcing_server(config, ready).run()


def _announcing_server(config: Any, ready: list[str]) -> Any:
    """A uvicorn server that prints `ready` once it accepts connections — after the app's
    start-up (the public snapshot loaded into memory) and the socket bound, never before."""
    import uvicorn

    class Announcing(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets=sockets)
            if self.started:
                for line in ready:
                    say(line)

    return Announcing(config)


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
    from rating import tokens

    inv = Invocation(db, json)
    settings = inv.settings
    record, secret = tokens.create(settings.tokens_file, role, name, settings.current_time())
    data = {"token_id": record.token_id, "role": record.role, "name": record.name, "token": secret}
    emit(
        inv,
        data,
        lambda: say(
            _("Token {id} ({role}): keep it, it will not be shown again:").format(
                id=record.token_id, role=word("role", record.role)
            )
            + f"\n{secret}"
        ),
    )


@token_app.command("list")
def token_list(db: DbOption = None, json: JsonOption = False) -> None:
    """Tokens (ids, roles, names, created, revoked): never the secrets."""
    from rating import tokens

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
        lambda: print_table(
            _("Tokens"),
            [
                Col(_("token"), keep=True),
                _("role"),
                Col(_("name"), wrap=True),
                Col(_("created"), wrap=True),
                Col(_("revoked"), wrap=True),
            ],
            [
                [
                    d["token_id"],
                    word("role", d["role"]),
                    d["name"],
                    when(d["created_at"]),
                    when(d["revoked_at"]) if d["revoked_at"] else "",
                ]
                for d in data
            ],
        ),
    )


@token_app.command("revoke")
def token_revoke(
    token_id: Annotated[str, typer.Argument(help="Token id.")],
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Revoke a token: the API refuses it from the next request on."""
    from rating import tokens

    inv = Invocation(db, json)
    record = tokens.revoke(inv.settings.tokens_file, token_id, inv.settings.current_time())
    emit(
        inv,
        {"token_id": record.token_id, "revoked_at": record.revoked_at},
        lambda: say(
            _("Token {id} revoked at {at}").format(id=record.token_id, at=when(record.revoked_at))
        ),
    )
