"""`rating serve` and `rating token …`: the API server and its tokens."""

from __future__ import annotations

from typing import Annotated

import typer

from rating.cli.common import DbOption, Invocation, JsonOption, emit, require_extra, say
from rating.cli.display import Col, print_table, when, word
from rating.cli.i18n import _

token_app = typer.Typer(help="API tokens: create, list, revoke.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.add_typer(token_app, name="token")


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.", min=1, max=65535)] = 8000,
    db: DbOption = None,
) -> None:
    """Start the API and public pages over the warehouse (uvicorn, one process; extra 'api')."""
    for module in ("uvicorn", "fastapi", "jinja2", "multipart"):
        require_extra(module, "api", "serve")
    import uvicorn

    from api.app import create_app

    settings = Invocation(db, False).settings
    say(
        _(
            "Serving {db} on http://{host}:{port}/  (API documentation: /docs, schema: /openapi.json)"
        ).format(db=settings.db_path, host=host, port=port)
    )
    uvicorn.run(create_app(settings), host=host, port=port, log_level="warning")


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
