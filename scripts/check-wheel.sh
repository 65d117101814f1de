#!/usr/bin/env bash
# CI (make test): the package installed the way Python software is installed.
#
# Builds the source distribution and, from it, the wheel (python -m build), installs the wheel
# without extras into a fresh virtual environment outside the checkout, and from a folder
# that is not the checkout runs what a bureau runs: --version, the rule sets shipped inside
# the package, a small demo city (generate, ingest, run, publish, show), hotline matching,
# explain, replay, verify and export; then checks that a command whose optional part is
# missing says, in one line and with exit code 3, which extra to install.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILDER="${BUILDER:-$ROOT/.venv/bin/python}"
PYTHON="${PYTHON:-python3}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/rating-wheel.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

step() { echo "check-wheel: $*"; }

step "building the sdist and the wheel"
"$BUILDER" -m build --outdir "$WORK/dist" "$ROOT" >"$WORK/build.log" 2>&1 || {
    cat "$WORK/build.log"
    exit 1
}
WHEEL="$(ls "$WORK"/dist/*.whl)"
"$PYTHON" - "$WHEEL" <<'EOF_PY'
import sys, zipfile
names = set(zipfile.ZipFile(sys.argv[1]).namelist())
for wanted in ("rating/_rules/yantai-2022/1.0.0/ruleset.toml", "rating/locale/zh/LC_MESSAGES/rating.mo"):
    assert wanted in names, f"the wheel lacks {wanted}"
EOF_PY

step "installing $(basename "$WHEEL") into a fresh venv (no extras)"
"$PYTHON" -m venv "$WORK/venv"
"$WORK/venv/bin/pip" install -q --disable-pip-version-check "$WHEEL"
RATING="$WORK/venv/bin/rating"

cd "$WORK"  # nothing of the checkout is reachable from here
export RATING_NOW="2026-11-01T09:00:00"
unset RATING_RULES_DIR RATING_DB RATING_LANG

step "rating --version"
# Output goes to a file before grep: `grep -q` quits at its first match, and under pipefail the
# writer's broken pipe (exit 1, click's EPIPE handling) would fail a step that in fact passed.
"$RATING" --version >"$WORK/out"
grep -q "^rating [0-9]" "$WORK/out"

step "rating rules list (the rule sets inside the package)"
"$RATING" rules list --json >"$WORK/out"
grep -q '"ref": "yantai-2022@1.0.0"' "$WORK/out"
RATING_LANG=en "$RATING" rules list >"$WORK/out"
grep -q "yantai-2022@1.0.0" "$WORK/out"

step "rating demo on a small city"
"$RATING" demo --complaints 2000 --dir "$WORK/demo" >"$WORK/demo.log"
grep -q "rating explain" "$WORK/demo.log"
DB="$WORK/demo/rating.duckdb"
USCC="$("$RATING" show --list grades --limit 1 --db "$DB" --json | "$WORK/venv/bin/python" -c \
    'import json, sys; print(json.load(sys.stdin)["lists"]["grades"]["rows"][0]["uscc"])')"
"$RATING" explain "$USCC" --db "$DB" >/dev/null
RUN="$("$RATING" runs list --limit 1 --db "$DB" --json | "$WORK/venv/bin/python" -c \
    'import json, sys; print(json.load(sys.stdin)[0]["run_id"])')"
"$RATING" replay "$RUN" --db "$DB" >/dev/null
"$RATING" verify --db "$DB" >/dev/null
"$RATING" export "$RUN" --out "$WORK/export.xlsx" --db "$DB" >/dev/null

step "hotline matching (ingest of a 12345 export without project ids)"
"$RATING" generate --out "$WORK/data" --complaints 1500 --quarters 1 --hotline 0.5 >/dev/null
HOT="$WORK/hot.duckdb"
"$RATING" ingest companies "$WORK/data/companies.xlsx" --db "$HOT" >/dev/null
"$RATING" ingest projects "$WORK/data/projects.csv" --db "$HOT" >/dev/null
"$RATING" ingest complaints "$WORK/data/hotline/complaints_hotline.csv" --db "$HOT" --json \
    >"$WORK/out"
grep -q '"matched"' "$WORK/out"

step "a command whose extra is missing names it"
for command in "serve:api" "report:report"; do
    name="${command%%:*}" extra="${command##*:}"
    set +e
    "$RATING" "$name" --db "$DB" >"$WORK/out" 2>"$WORK/err"
    code=$?
    set -e
    if [ "$code" -ne 3 ] || [ "$(wc -l <"$WORK/err")" -ne 1 ] \
        || ! grep -q "property-credit-rating\[$extra\]" "$WORK/err"; then
        echo "check-wheel: rating $name without [$extra] gave exit $code:" >&2
        cat "$WORK/err" >&2
        exit 1
    fi
done

step "the installed package works"
