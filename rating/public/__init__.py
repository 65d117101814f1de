"""The public lookup: what the public may see, built once from the warehouse (or read from a
static snapshot directory), answered without a query per request.

* `build(con, zone, clock)` → `PublicData` (`rating.public.build`);
* `WarehouseView(data)` answers cards, compounds, lists and search for any day
  (`rating.public.snapshot`); `StaticView` answers the same from a snapshot directory written
  by `export` (`rating.public.static`);
* the shapes of every answer are in `rating.public.shapes`.
"""

from __future__ import annotations

from rating.public.build import build
from rating.public.snapshot import PublicView, WarehouseView

__all__ = ["PublicView", "WarehouseView", "build"]
