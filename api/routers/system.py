"""System endpoints: health."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from api.deps import get_state
from api.models import Health, HealthRun
from api.state import AppState
from rating import __version__

router = APIRouter(tags=["system"])


@router.get(
    "/healthz", response_model=Health, summary="Liveness and what the public snapshot holds"
)
def healthz(state: AppState = Depends(get_state)) -> Health:
    """Liveness, and what the public snapshot holds: the engine's version, published runs, the run
    in force and any in publicity, companies, when the snapshot was built, the ledger's newest
    sequence number, and whether the app serves the public side only."""
    info = state.info()
    current = info["current"]
    return Health(
        ok=True,
        engine_version=__version__,
        published_runs=info["published_runs"],
        current=HealthRun(**current) if current else None,
        in_publicity=[HealthRun(**r) for r in info["in_publicity"]],
        companies=info["companies"],
        snapshot_built_at=info["snapshot_built_at"],
        ledger_seq=info["ledger_seq"],
        public_only=info["public_only"],
    )
