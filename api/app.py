"""The app factory: `create_app(settings)` builds the FastAPI app over one warehouse."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api import errors
from api.deps import RateLimit
from api.routers import audit, bureau, consequences, pages, process, public, system
from api.state import AppState
from rating import __version__
from rating.settings import Settings

DESCRIPTION = """Property service credit engine.

* **Public** (`/v1/public/…`, no login): published grades, red and black lists, reasons and
  history of property service companies; never personal data.
* **Bureau** (`/v1/bureau/…`, token role `bureau`): upload exports, see quarantine, run, publish.
* **Audit** (`/v1/audit/…`, token role `auditor`): manifests, evidence, replay, impact, verify.

Tokens: `rating token create --role bureau|auditor`, sent as `Authorization: Bearer …`.
Every error has the shape `{"ok": false, "error": {"code", "message", "status", …}}`."""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.rating = AppState(settings)
        try:
            yield
        finally:
            app.state.rating.close()

    app = FastAPI(
        title="Property service credit engine",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    errors.install(app)
    app.add_middleware(RateLimit)
    for router in (
        system.router,
        public.router,
        bureau.router,
        consequences.router,
        process.router,
        audit.router,
        pages.router,
    ):
        app.include_router(router)
    return app
