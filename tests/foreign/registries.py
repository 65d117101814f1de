"""Foreign registries written as the exports a bureau hands over (our ordinary contracts).

The rule format is tested on two published schemes with their real data
(`../shared/external/`): Toronto's RentSafeTO building evaluations and New York's 2015 Worst
Landlord Watchlist. Their registries are mapped onto our seven contracts, written as CSV and
ingested through the ordinary path (validation, quarantine), never loaded behind its back:

| foreign id | our contract | how |
| --- | --- | --- |
| a property manager (RentSafeTO `PROP_MANAGEMENT_COMPANY_NAME`, 2022 registration) or a head officer (Watchlist `officer`) | `companies.uscc` | a synthetic but valid USCC: `91` + division `990000` (Toronto) or `990100` (New York) + the manager's position in the sorted list of names as nine digits (an organisation code is digits, so no id looks like Excel's `…E32`, which ingest refuses as `ID_NOT_EXACT`), check character per GB 32100-2015; the name as published is `name` |
| a building (RentSafeTO `RSN`, HPD `BuildingID`) | `projects.project_id` | `RSN<rsn>`, `HPD<id>`; units → `households`, ward or borough → `district` |
| one RentSafeTO evaluation (`_id`) with its 20 item scores (1–5, N/A) | `inspections`, one row per scored item | `inspection_id` `RS<_id>`, `max_points` 5, `deducted` 5 − item score; an evaluation with no scored item is one row worth 0 |
| a Watchlist building's open violations (HPD total; by class A, B, C, I; DOB) | `inspections`, one row per count | `inspection_id` `HPD<id>-2015`, `deducted` = `max_points` = the count of open violations; the HPD total is its own row because the source's classes do not always add up to it (4 buildings) |

A RentSafeTO building whose manager the registration leaves blank (or that is not registered)
is served by a company of its own, `RSN <rsn> (no manager named)`: no two unrelated buildings
are pooled under an invented manager.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb

from rating.schema import CONTRACTS
from rating.schema.contracts import NULL_TOKENS
from rating.uscc import check_char
from tests.factories import write_csv

ROOT = Path(__file__).resolve().parents[2]
CANDIDATES = (ROOT.parent / "shared" / "external", ROOT.parent.parent / "shared" / "external")


def external_data() -> Path | None:
    """The folder of real public data (`../shared/external/`), when this machine has it."""
    return next((p for p in CANDIDATES if p.is_dir()), None)


RS_ITEMS = (
    "ENTRANCE_LOBBY", "ENTRANCE_DOORS_WINDOWS", "SECURITY", "STAIRWELLS", "LAUNDRY_ROOMS",
    "INTERNAL_GUARDS_HANDRAILS", "GARBAGE_CHUTE_ROOMS", "GARBAGE_BIN_STORAGE_AREA", "ELEVATORS",
    "STORAGE_AREAS_LOCKERS", "INTERIOR_WALL_CEILING_FLOOR", "INTERIOR_LIGHTING_LEVELS",
    "GRAFFITI", "EXTERIOR_CLADDING", "EXTERIOR_GROUNDS", "EXTERIOR_WALKWAYS", "BALCONY_GUARDS",
    "WATER_PEN_EXT_BLDG_ELEMENTS", "PARKING_AREA", "OTHER_FACILITIES",
)  # fmt: skip
RS_PROPERTY_TYPES = {"PRIVATE": "住宅", "TCHC": "保障性住房", "SOCIAL HOUSING": "保障性住房"}
RS_SEVERITY = {1: "严重", 2: "一般", 3: "轻微", 4: "轻微"}


@dataclass(frozen=True)
class Exports:
    """The written export files, in ingest order, and the foreign → USCC map."""

    files: tuple[tuple[str, Path], ...]
    uscc_of: dict[str, str]


def _uscc(n: int, division: str) -> str:
    """A valid USCC for the n-th manager: `91`, the division, n as nine digits, check character."""
    first17 = f"91{division}{n:09d}"
    return first17 + check_char(first17)


def _name(text: str | None) -> str:
    """A name with its spaces collapsed; a cell meaning "empty" (`N/A`, `-`) is empty."""
    name = re.sub(r"\s+", " ", text or "").strip()
    return "" if name in NULL_TOKENS else name


def _street(address: str) -> str:
    """The street of `170  ISLINGTON AVE ` (the number dropped)."""
    return re.sub(r"^\S*\d\S*\s+", "", _name(address)) or _name(address)


def _write(folder: Path, kind: str, rows: list[dict[str, object]]) -> tuple[str, Path]:
    return kind, write_csv(folder / f"{kind}.csv", list(CONTRACTS[kind].columns), rows)


def rentsafe_exports(data: Path, folder: Path) -> Exports:
    """RentSafeTO 2017–2023 evaluations as companies, projects and inspections files."""
    folder.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    base = data / "toronto-rentsafeto"
    con.execute(
        f"CREATE TABLE e AS SELECT * FROM read_csv('{base / 'evaluations_2017-2023.csv'}', all_varchar=true)"
    )
    con.execute(
        f"CREATE TABLE r AS SELECT * FROM read_csv('{base / 'registrations_2022-05.csv'}', all_varchar=true)"
    )
    managers = dict(con.execute("SELECT RSN, PROP_MANAGEMENT_COMPANY_NAME FROM r").fetchall())
    latest = con.execute(
        """SELECT RSN, arg_max(SITE_ADDRESS, EVALUATION_COMPLETED_ON), arg_max(WARDNAME, EVALUATION_COMPLETED_ON),
                  arg_max(CONFIRMED_UNITS, EVALUATION_COMPLETED_ON), arg_max(PROPERTY_TYPE, EVALUATION_COMPLETED_ON),
                  arg_max(YEAR_BUILT, EVALUATION_COMPLETED_ON)
           FROM e GROUP BY RSN ORDER BY RSN"""
    ).fetchall()
    company_of = {
        rsn: _name(managers.get(rsn)) or f"RSN {rsn} (no manager named)" for rsn, *_ in latest
    }
    uscc_of = {n: _uscc(i + 1, "990000") for i, n in enumerate(sorted(set(company_of.values())))}
    companies = [{"uscc": u, "name": n, "district": "Toronto"} for n, u in uscc_of.items()]
    projects = [
        {
            "project_id": f"RSN{rsn}",
            "project_name": _name(address),
            "district": ward,
            "street": _street(address),
            "households": int(units),
            "company_uscc": uscc_of[company_of[rsn]],
            "service_start": "2017-01-01",
            "property_type": RS_PROPERTY_TYPES[kind],
            "built_year": year or "",
        }
        for rsn, address, ward, units, kind, year in latest
    ]
    inspections = []
    columns = ", ".join(RS_ITEMS)
    for eid, rsn, day, *scores in con.execute(
        f"SELECT _id, RSN, EVALUATION_COMPLETED_ON, {columns} FROM e ORDER BY CAST(_id AS INT)"
    ).fetchall():
        common = {"inspection_id": f"RS{eid}", "inspected_on": day, "level": "市",
                  "inspector_org": "Toronto Municipal Licensing & Standards", "project_id": f"RSN{rsn}"}  # fmt: skip
        scored = [
            (i, name, int(v))
            for i, (name, v) in enumerate(zip(RS_ITEMS, scores, strict=True), 1)
            if v and v.strip().isdigit()
        ]
        if not scored:  # one evaluation has no scored area: SCORE 0
            inspections.append({**common, "item_no": 1, "section": "NO AREAS EVALUATED", "item": "no area evaluated",
                                "max_points": 0, "deducted": 0, "rectification": "无需整改"})  # fmt: skip
        for i, name, score in scored:
            deducted = 5 - score
            inspections.append(
                {
                    **common,
                    "item_no": i,
                    "section": name,
                    "item": name.replace("_", " ").lower(),
                    "max_points": 5,
                    "deducted": deducted,
                    "severity": RS_SEVERITY.get(score, ""),
                    "rectification": "未整改" if deducted else "无需整改",
                }  # fmt: skip
            )
    con.close()
    files = (
        _write(folder, "companies", companies),
        _write(folder, "projects", projects),
        _write(folder, "inspections", inspections),
    )
    return Exports(files, uscc_of)


WL_CLASSES = (
    ("hpd", "HPD", "open HPD violations (all classes)", "一般"),
    ("a", "HPD class A", "open HPD class A violations (non-hazardous)", "轻微"),
    ("b", "HPD class B", "open HPD class B violations (hazardous)", "一般"),
    ("c", "HPD class C", "open HPD class C violations (immediately hazardous)", "严重"),
    ("i", "HPD class I", "open HPD class I violations (information orders)", "一般"),
    ("dob", "DOB", "open Department of Buildings violations", "一般"),
)


def watchlist_buildings(data: Path) -> list[dict[str, str]]:
    """The 5,985 buildings of the 2015 Watchlist (final edition) with their counts."""
    path = data / "nyc-landlord-watchlist" / "2015_edition_final" / "buildings-detail.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def watchlist_exports(data: Path, folder: Path) -> Exports:
    """The 2015 Watchlist's buildings as companies (head officers), projects, inspections."""
    folder.mkdir(parents=True, exist_ok=True)
    buildings = watchlist_buildings(data)
    uscc_of = {
        n: _uscc(i + 1, "990100") for i, n in enumerate(sorted({b["officer"] for b in buildings}))
    }
    companies = [{"uscc": u, "name": n, "district": "New York"} for n, u in uscc_of.items()]
    projects, inspections = [], []
    for b in buildings:
        projects.append(
            {
                "project_id": f"HPD{b['id']}",
                "project_name": b["astr"],
                "district": b["boro"],
                "street": f"ZIP {b['azip']}",
                "households": int(b["a_units"]) + int(b["b_units"]),
                "company_uscc": uscc_of[b["officer"]],
                "service_start": "2015-01-01",
                "property_type": "住宅",
            }
        )
        for item_no, (key, section, item, severity) in enumerate(WL_CLASSES, 1):
            count = int(b[key] or 0)
            if count:
                inspections.append(
                    {
                        "inspection_id": f"HPD{b['id']}-2015",
                        "item_no": item_no,
                        "inspected_on": "2015-11-01",
                        "level": "市",
                        "inspector_org": "NYC HPD / DOB",
                        "project_id": f"HPD{b['id']}",
                        "section": section,
                        "item": item,
                        "max_points": count,
                        "deducted": count,
                        "severity": severity,
                        "rectification": "未整改",
                    }  # fmt: skip
                )
    files = (
        _write(folder, "companies", companies),
        _write(folder, "projects", projects),
        _write(folder, "inspections", inspections),
    )
    return Exports(files, uscc_of)
