"""Message catalogs (GNU gettext, with Babel): the director's report (domain `report`) and
the public lookup's pages, lists and spreadsheets (domain `public`), and the way back up
(domain `consequences`, shown by the command line, the API and the public card).

    python scripts/report_messages.py update   # extract the strings into each domain's .po
    python scripts/report_messages.py check    # exit 1 when a string lacks a translation or a
                                               # .mo is stale

Strings are the English sources of `words("…")`/`w("…")`/`self("…")` calls in the domain's
Python files and of `_("…")` in its templates. A language is one file per domain:
rating/locale/<lang>/LC_MESSAGES/<domain>.po (translators edit the msgstr lines).
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "rating" / "locale"
KEYWORDS = {"w": None, "words": None, "self": None, "_": None}


# domain -> (Python files, templates)
DOMAINS = {
    "report": ("rating/report/*.py", "rating/report/templates/*.html"),
    "public": ("rating/public/*.py", "api/templates/*.html"),
    # the way back up (rating.consequences.remedy_words, paths): no templates
    "consequences": ("rating/consequences/*_words.py", ""),
}


def extract(domain: str = "report") -> Catalog:
    from jinja2.ext import babel_extract

    python, html = DOMAINS[domain]
    catalog = Catalog(project="property-credit-rating", domain=domain)
    for path in sorted(ROOT.glob(python)):
        for lineno, msg, _comments, _ctx in extract_from_file("python", path, keywords=KEYWORDS):
            if isinstance(msg, str):
                catalog.add(msg, locations=[(str(path.relative_to(ROOT)), lineno)])
    for path in sorted(ROOT.glob(html)) if html else []:
        with path.open("rb") as fh:
            for lineno, _func, found, _c in babel_extract(fh, ["_"], [], {"trim_blocks": "true"}):
                # a call with keyword values gives (message, None, …)
                msg = found[0] if isinstance(found, tuple) else found
                if isinstance(msg, str):
                    catalog.add(msg, locations=[(str(path.relative_to(ROOT)), lineno)])
    return catalog


def _po_files(domain: str = "report") -> list[Path]:
    return sorted(LOCALE.glob(f"*/LC_MESSAGES/{domain}.po"))


def _read(path: Path) -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh, domain=path.stem)


def _mo_bytes(catalog: Catalog) -> bytes:
    out = io.BytesIO()
    write_mo(out, catalog)
    return out.getvalue()


def update() -> None:
    for domain in DOMAINS:
        _update(domain)


def _update(domain: str) -> None:
    template = extract(domain)
    for po in _po_files(domain):
        catalog = _read(po)
        catalog.update(template, no_fuzzy_matching=True)
        with po.open("wb") as fh:
            write_po(fh, catalog, omit_header=False, sort_output=False, width=100)
        po.with_suffix(".mo").write_bytes(_mo_bytes(_read(po)))
        print(f"updated {po.relative_to(ROOT)} and its .mo")


def problems(domains: tuple[str, ...] = tuple(DOMAINS)) -> list[str]:
    """Strings without a translation, translations of strings no longer used, stale .mo files."""
    out = []
    for domain in domains:
        out += _problems(domain)
    return out


def _problems(domain: str) -> list[str]:
    wanted = {m.id for m in extract(domain) if m.id}
    out = []
    for po in _po_files(domain):
        catalog = _read(po)
        have = {m.id: m.string for m in catalog if m.id}
        out += [
            f"{po.parent.parent.name}: no translation of {m!r}"
            for m in sorted(wanted)
            if not have.get(m)
        ]
        out += [f"{po.parent.parent.name}: unused {m!r}" for m in sorted(set(have) - wanted)]
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.read_bytes() != _mo_bytes(catalog):
            out.append(f"{mo.relative_to(ROOT)} is stale: run scripts/report_messages.py update")
    return out


def main(argv: list[str]) -> int:
    if argv[1:] == ["update"]:
        update()
        return 0
    if argv[1:] == ["check"]:
        found = problems()
        print("\n".join(found) or "catalogs complete")
        return 1 if found else 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
