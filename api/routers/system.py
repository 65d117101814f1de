"""System endpoints: health."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from api.deps import get_state
from api.models import Health
from api.state import AppState
from rating import __version__

router = APIRouter(tags=["system"])


@router.get(
    "/healthz", response_model=Health, summary="Liveness and what the public snapshot holds"
)
def healthz(state: AppState = Depends(get_state)) -> Health:
    return Health.model_validate({"ok": True, "engine_version": __version__, **state.info()})
