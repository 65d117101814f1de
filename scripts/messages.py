"""The command line's message catalogs (GNU gettext, with Babel): extract, update, compile, check.

    python scripts/messages.py update    # extract every string, merge into each .po (make messages)
    python scripts/messages.py compile   # .po → .mo (the runtime reads .mo with the stdlib)
    python scripts/messages.py todo      # the strings each language still lacks
    python scripts/messages.py check     # exit 1 when a string has no translation or a .mo is stale

What is extracted into rating/locale/rating.pot:

1. `_("…")`, `N_("…")`, `ngettext(…)`, `pgettext(ctx, "…")` and `NP_(ctx, "…")` in rating/cli/;
2. every help text of the command tree (commands, groups, options, arguments, help options),
   read from `rating.cli.app` itself, so a new command's help is found without markers;
3. the messages of errors the library raises with a code (`raise XError(f"…", code="CODE")`,
   `report.add("CODE", f"…")`, `Problem("CODE", f"…")`): an f-string becomes a template, each
   `{expression}` a `{name}` placeholder, and the code its message context; the CLI matches a
   message against its code's templates and prints the translation (rating.cli.i18n.error_text);
4. the quarantine reasons (`PROBLEM_CODES`), the steps a run reports as progress, and the
   sentences a few library functions return for people (TEXT_FUNCTIONS).

A language is one file: copy rating/locale/zh/LC_MESSAGES/rating.po to <lang>/…, translate the
msgstr lines, run `make messages`; `RATING_LANG=<lang>` picks it.
"""

from __future__ import annotations

import ast
import builtins
import io
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
LOCALE = ROOT / "rating" / "locale"
TEMPLATE = LOCALE / "rating.pot"
DOMAIN = "rating"
ANY_CODE = "error"  # rating.cli.i18n.ANY_CODE
PINNED_DATE = datetime(2026, 1, 1, tzinfo=UTC)
KEYWORDS = {**DEFAULT_KEYWORDS, "N_": None, "NP_": ((1, "c"), 2)}
# Library functions whose returned English sentences are shown to people: (file, function).
TEXT_FUNCTIONS: list[tuple[str, str]] = [
    ("rating/audit/publication.py", "_refusal"),  # why a run may not be published yet
    ("rating/ingest/quarantine.py", "closest_hint"),  # the closest allowed value to a typo
]


# --- 3. and 4.: templates from the library's source ------------------------------------------


def _name(node: ast.expr, taken: dict[str, str]) -> str:
    """A placeholder name for an expression: the same expression, the same name."""
    source = ast.unparse(node)
    if source in taken:
        return taken[source]
    if isinstance(node, ast.Name):
        base = node.id
    elif isinstance(node, ast.Attribute):
        base = node.attr
    elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
        base = str(node.slice.value) if isinstance(node.slice.value, str) else "value"
    elif isinstance(node, ast.Subscript):
        base = _name(node.value, {})
    elif isinstance(node, ast.IfExp):
        base = "cond"  # rating.cli.i18n matches it against the templates of its branches
    else:
        base = "value"
    base = "".join(c if c.isalnum() or c == "_" else "_" for c in base).strip("_") or "value"
    if base[0].isdigit():
        base = f"v{base}"
    name, n = base, 2
    while name in taken.values():
        name, n = f"{base}{n}", n + 1
    taken[source] = name
    return name


def template(
    node: ast.expr,
    taken: dict[str, str],
    parts: list[str],
    local: dict[str, ast.IfExp] | None = None,
) -> str | None:
    """The English template of a message expression; conditional pieces (`a if c else b`,
    also through a local variable assigned one: `hint = f"…" if x else ""`) become
    placeholders and their branches are collected in `parts` as templates of their own.
    None when the expression is not text."""
    local = local or {}
    if isinstance(node, ast.Name) and node.id in local:
        node = local[node.id]
    if isinstance(node, ast.Constant):
        return node.value if isinstance(node.value, str) else None
    if isinstance(node, ast.JoinedStr):
        out = []
        for piece in node.values:
            if isinstance(piece, ast.Constant):
                out.append(str(piece.value))
            elif isinstance(piece, ast.FormattedValue):
                value = piece.value
                if isinstance(value, ast.Name) and value.id in local:
                    out.append(template(local[value.id], taken, parts) or "")
                else:
                    out.append("{" + _name(value, taken) + "}")
        return "".join(out)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left = template(node.left, taken, parts, local)
        right = template(node.right, taken, parts, local)
        if left is None and right is None:
            return None
        return (left or "{" + _name(node.left, taken) + "}") + (
            right or "{" + _name(node.right, taken) + "}"
        )
    if isinstance(node, ast.IfExp):
        for branch in (node.body, node.orelse):
            found = template(branch, {}, parts)
            if found:
                parts.append(found)
        return "{" + _name(node, taken) + "}"
    return None


def _literal(text: str) -> str:
    import re

    return re.sub(r"\{[A-Za-z_][A-Za-z0-9_]*\}", "", text).strip(" :;,.()'\"")


def _code_and_message(node: ast.Call) -> tuple[str, ast.expr] | None:
    """(code, message) of an error-like call: X(msg, code="C"), add("C", msg), Problem("C", msg),
    or an ...Error(msg) without a code (ANY_CODE)."""
    name = getattr(node.func, "id", getattr(node.func, "attr", ""))
    kw = {k.arg: k.value for k in node.keywords}
    code = kw.get("code")
    if node.args and isinstance(code, ast.Constant) and isinstance(code.value, str):
        return code.value, node.args[0]
    if (
        len(node.args) >= 2
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
        and node.args[0].value.isupper()
        and "_" in node.args[0].value + "_"
        and name in ("add", "Problem", "Refusal", "IngestWarning")
    ):
        return node.args[0].value, node.args[1]
    if node.args and name.endswith("Error") and not hasattr(builtins, name):
        return ANY_CODE, node.args[0]
    return None


def _is_text_choice(node: ast.expr) -> bool:
    """`f"…" if c else ""`: a choice between two texts (not between two values)."""

    def text(n: ast.expr) -> bool:
        return isinstance(n, ast.JoinedStr) or (
            isinstance(n, ast.Constant) and isinstance(n.value, str)
        )

    return (
        isinstance(node, ast.IfExp)
        and text(node.body)
        and (text(node.orelse) or _is_text_choice(node.orelse))
    )


def _conditional_locals(tree: ast.AST) -> dict[int, dict[str, ast.IfExp]]:
    """id(call) → the local variables of its function assigned a conditional text
    (`hint = f"; it looks like a '{guess}' file" if guess else ""`): those of the innermost
    function holding the call, and of the functions nested in it. One pass over the tree (a
    walk of every function's whole subtree went over nested code once per level)."""
    found: dict[int, dict[str, ast.IfExp]] = {}
    functions = ast.FunctionDef | ast.AsyncFunctionDef

    def visit(func: ast.AST) -> dict[str, ast.IfExp]:
        names: dict[str, ast.IfExp] = {}
        calls: list[int] = []
        nested: list[ast.AST] = []
        stack = list(ast.iter_child_nodes(func))
        while stack:
            node = stack.pop()
            if isinstance(node, functions):
                nested.append(node)
                continue
            if isinstance(node, ast.Call):
                calls.append(id(node))
            elif isinstance(node, ast.Assign) and _is_text_choice(node.value):
                names.update((t.id, node.value) for t in node.targets if isinstance(t, ast.Name))
            stack.extend(ast.iter_child_nodes(node))
        for inner in nested:
            for name, choice in visit(inner).items():
                names.setdefault(name, choice)
        found.update(dict.fromkeys(calls, names))
        return names

    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, functions):
            visit(node)
        else:
            stack.extend(ast.iter_child_nodes(node))
    return found


def library_templates() -> Iterator[tuple[str, str, str]]:
    """(context, English template, where) for every message the library shows to people."""
    for path in sorted((ROOT / "rating").rglob("*.py")):
        rel = path.relative_to(ROOT)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        conditionals = _conditional_locals(tree)
        for node in ast.walk(tree):
            found: list[tuple[str, ast.expr]] = []
            if isinstance(node, ast.Call):
                pair = _code_and_message(node)
                if pair is not None:
                    found.append(pair)
                func = node.func
                if (
                    isinstance(func, ast.Attribute)
                    and func.attr == "append"
                    and isinstance(func.value, ast.Attribute)
                    and func.value.attr == "differences"
                    and node.args
                ):
                    found.append(("text", node.args[0]))
            if isinstance(node, ast.FunctionDef) and (str(rel), node.name) in TEXT_FUNCTIONS:
                found += [
                    ("text", r.value)
                    for r in ast.walk(node)
                    if isinstance(r, ast.Return) and r.value
                ]
                found += [
                    ("text", a.value)
                    for a in ast.walk(node)
                    if isinstance(a, ast.Assign) and isinstance(a.value, ast.IfExp)
                ]
            if isinstance(node, ast.FunctionDef) and node.name == "_steps":
                found += [
                    ("step", t.elts[0])
                    for t in ast.walk(node)
                    if isinstance(t, ast.Tuple) and len(t.elts) == 2
                ]
            for context, expr in found:
                parts: list[str] = []
                text = template(expr, {}, parts, conditionals.get(id(node)))
                for t in [text, *parts]:
                    if t and len(_literal(t)) >= 3:
                        yield (context if t == text else ANY_CODE), t, f"{rel}:{node.lineno}"


def quarantine_reasons() -> dict[str, str]:
    from rating.ingest.validate import PROBLEM_CODES

    return dict(PROBLEM_CODES)


def reason_tables() -> Iterator[tuple[str, str, str]]:
    """(code, English template, where) of reasons the library keeps in tables by code: rows a
    review import refuses, what the machine refused (a full disk …), with its file name."""
    from rating.errors import RESOURCE_ERRNOS
    from rating.matching.bulk import _REASONS

    for code, text in _REASONS.items():
        yield code, text, "rating/matching/bulk.py _REASONS"
    for code, _status, what in RESOURCE_ERRNOS.values():
        yield code, what, "rating/errors.py RESOURCE_ERRNOS"
        yield code, what + ": {name}", "rating/errors.py RESOURCE_ERRNOS"


def feature_meanings() -> dict[str, str]:
    """The duplicate model's features and what each means (shown by `rating integrity show`)."""
    from rating.analysis.linkage import FEATURES

    return {name: meaning for name, (_sql, meaning) in FEATURES.items()}


def contract_descriptions() -> Iterator[tuple[str, str]]:
    """(where, meaning) of every column of the data contracts (shown by `rating contracts`)."""
    from rating.schema import CONTRACTS

    for kind, contract in CONTRACTS.items():
        for name, col in contract.columns.items():
            yield f"data contract {kind}.{name}", col.description


# --- 2.: help texts ---------------------------------------------------------------------------


def help_texts() -> Iterator[tuple[str, str]]:
    """(help text, where) of every command, group and parameter of `rating`."""
    import typer

    from rating.cli import app, i18n

    i18n.set_language("en")
    command = typer.main.get_command(app)

    def walk(cmd: object, path: str) -> Iterator[tuple[str, str]]:
        for item in i18n.help_texts(cmd):
            for attr in ("help", "short_help"):
                text = getattr(item, attr, None)
                if text:
                    yield text, f"help: {path} {getattr(item, 'name', '')}".strip()

    seen = set()
    for text, where in walk(command, "rating"):
        if text not in seen:
            seen.add(text)
            yield text, where


# --- the catalog ------------------------------------------------------------------------------


def extract() -> Catalog:
    catalog = Catalog(
        project="property-credit-rating",
        domain=DOMAIN,
        charset="utf-8",
        creation_date=PINNED_DATE,  # a fixed date: re-extracting changes only what changed
        fuzzy=False,
    )
    for filename, lineno, message, comments, context in extract_from_dir(
        str(ROOT / "rating" / "cli"), method_map=[("**.py", "python")], keywords=KEYWORDS
    ):
        catalog.add(
            message,
            locations=[(f"rating/cli/{filename}", lineno)],
            auto_comments=comments,
            context=context,
        )
    for text, where in help_texts():
        catalog.add(text, auto_comments=[where])
    for code, text in quarantine_reasons().items():
        catalog.add(text, auto_comments=[f"quarantine reason {code}"])
    for code, text, where in reason_tables():
        catalog.add(text, context=code, auto_comments=[where])
    for name, text in feature_meanings().items():
        catalog.add(text, auto_comments=[f"duplicate model feature {name}"])
    for where, text in contract_descriptions():
        catalog.add(text, auto_comments=[where])
    for context, text, where in library_templates():
        catalog.add(text, context=context, auto_comments=[where])
    return catalog


def _po_path(lang: str) -> Path:
    return LOCALE / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def languages() -> list[str]:
    return sorted(p.parent.parent.name for p in LOCALE.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


def _read(path: Path) -> Catalog:
    with path.open("rb") as f:
        return read_po(f, domain=DOMAIN)


def _write_po(catalog: Catalog, path: Path, **kw: bool) -> None:
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=100, sort_output=False, omit_header=False, **kw)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue())


def _mo_bytes(catalog: Catalog) -> bytes:
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


def update() -> None:
    template_ = extract()
    _write_po(template_, TEMPLATE)
    for lang in languages():
        catalog = _read(_po_path(lang))
        catalog.update(template_, no_fuzzy_matching=True, update_creation_date=False)
        _write_po(catalog, _po_path(lang), ignore_obsolete=True)
        print(f"{lang}: {len(missing(catalog))} strings to translate")


def compile_all() -> None:
    for lang in languages():
        _po_path(lang).with_suffix(".mo").write_bytes(_mo_bytes(_read(_po_path(lang))))


def missing(catalog: Catalog) -> list[str]:
    return [
        str(m.id)
        for m in catalog
        if m.id and (not m.string or m.fuzzy) and not m.id == catalog.header_comment
    ]


def problems() -> list[str]:
    """What `check` (and tests/test_messages.py) refuses."""
    template_ = extract()
    out = []
    for lang in languages():
        catalog = _read(_po_path(lang))
        known = {(m.context, str(m.id)) for m in catalog if m.id and m.string and not m.fuzzy}
        out += [
            f"{lang}: no translation for {m.context + ' | ' if m.context else ''}{m.id!r}"
            for m in template_
            if m.id and (m.context, str(m.id)) not in known
        ]
        mo = _po_path(lang).with_suffix(".mo")
        if not mo.is_file() or mo.read_bytes() != _mo_bytes(catalog):
            out.append(f"{lang}: {mo.relative_to(ROOT)} is not compiled from its .po")
    return out


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "check"
    if command == "update":
        update()
    elif command == "compile":
        compile_all()
    elif command == "todo":
        for lang in languages():
            for msgid in missing(_read(_po_path(lang))):
                print(f"{lang}: {msgid!r}")
    elif command == "check":
        found = problems()
        print("\n".join(found) or "catalogs complete")
        return 1 if found else 0
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
