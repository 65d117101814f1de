"""The app factory: `create_app(settings)` builds the FastAPI app over one warehouse."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.routing import APIRoute

from api import errors
from api.guard import Guard
from api.http import PublicCORS
from api.routers import audit, bureau, consequences, pages, process, public, system
from api.state import AppState
from api.traffic import AccessLog, RateLimit
from rating import __version__
from rating.ingest.isolated import sweep_stale_uploads
from rating.settings import Settings

DESCRIPTION = """Property service credit engine.

* **Public** (`/v1/public/…`, no login): published grades, red and black lists, reasons and
  history of property service companies; never personal data.
* **Bureau** (`/v1/bureau/…`, token role `bureau`): upload exports, see quarantine, run, publish.
* **Audit** (`/v1/audit/…`, token role `auditor`): manifests, evidence, replay, impact, verify.

Tokens: `rating token create --role bureau|auditor`, sent as `Authorization: Bearer …`.
Every error has the shape `{"ok": false, "error": {"code", "message", "status", …}}`."""


def operation_id(route: APIRoute) -> str:
    """Stable OpenAPI operation ids: the endpoint function's name (unique, pinned by a test)."""
    return route.name


def create_app(settings: Settings | None = None, snapshot_dir: Path | None = None) -> FastAPI:
    """The app over the warehouse; with `snapshot_dir`, the public lookup only, served from a
    static snapshot directory without the warehouse (`rating serve --public-only`)."""
    settings = settings or Settings.from_env()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.rating = AppState(settings, snapshot_dir=snapshot_dir)
        if snapshot_dir is None:  # what a killed server left of its uploads
            sweep_stale_uploads()
        try:
            yield
        finally:
            app.state.rating.close()

    app = FastAPI(
        title="Property service credit engine",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        generate_unique_id_function=operation_id,
    )
    errors.install(app)
    # Added innermost first. The access log sees every answer; the client address comes from
    # trusted proxies only; the guard (request id, token, body size, uploads at once) and the
    # rate limit refuse before a body is read.
    app.add_middleware(RateLimit)
    if settings.cors:  # outside the limit, so that a 429 carries the CORS headers too
        app.add_middleware(PublicCORS, origins=settings.cors)
    app.add_middleware(Guard)
    if settings.trusted_proxies.strip():
        from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
    app.add_middleware(AccessLog)
    routers = [
        system.router,
        public.router,
        bureau.router,
        consequences.router,
        process.router,
        audit.router,
    ]
    if snapshot_dir is not None:
        routers = [system.router, public.router]
    for router in [*routers, pages.router]:
        app.include_router(router)
    return app
