"""One Settings object, built once in an entry point and passed in explicitly.

This is the only module that reads `RATING_*` environment variables. Every field has a
default and a help text; `tests/test_docs.py` checks that README.md documents each of them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from rating.errors import UsageError


def _default_rules_dir() -> Path:
    """The repository's `rules/` in a checkout (the source of truth), else the copy a wheel
    ships as `rating/_rules/` (scripts/build_hooks.py). When neither exists, the checkout's
    path, so that "no rule set … in <folder>" names where it looked."""
    package = Path(__file__).resolve().parent
    checkout = package.parent / "rules"
    if (package.parent / "pyproject.toml").is_file() and checkout.is_dir():
        return checkout
    shipped = package / "_rules"
    return shipped if shipped.is_dir() else checkout


def _setting(default: Any, env: str, help: str, **kw: Any) -> Any:
    meta = {"env": env, "help": help}
    if callable(default):
        return field(default_factory=default, metadata=meta, **kw)
    return field(default=default, metadata=meta, **kw)


@dataclass(frozen=True)
class Settings:
    db_path: Path = _setting(
        lambda: Path("rating.duckdb"), "RATING_DB", "The warehouse: one DuckDB file."
    )
    rules_dir: Path = _setting(
        _default_rules_dir, "RATING_RULES_DIR", "Folder holding rule sets as <name>/<version>/."
    )
    ruleset: str = _setting(
        "yantai-2022",
        "RATING_RULESET",
        "Rule set used when a run names none: its version in force for the period is chosen.",
    )
    timezone: str = _setting(
        "Asia/Shanghai", "RATING_TZ", "Time zone of the bureau: dates and as-of times use it."
    )
    threads: int = _setting(0, "RATING_THREADS", "DuckDB threads; 0 lets DuckDB choose.")
    memory_limit: str = _setting(
        "", "RATING_MEMORY_LIMIT", "DuckDB memory limit such as '4GB'; empty lets DuckDB choose."
    )
    ingest_memory_limit: str = _setting(
        "1GB",
        "RATING_INGEST_MEMORY_LIMIT",
        "DuckDB memory limit while a file is ingested (its raw and checked rows spill to disk "
        "beyond it, so a quarter of a large city is read in bounded memory); empty: "
        "RATING_MEMORY_LIMIT's.",
    )
    tokens_path: Path | None = _setting(
        None,
        "RATING_TOKENS",
        "API tokens file (hashed); default: beside the warehouse, <db>.tokens.json.",
    )
    rate_limit: int = _setting(
        600,
        "RATING_RATE_LIMIT",
        "Public API requests per minute per client; 0 turns the limit off.",
    )
    max_upload_mb: int = _setting(
        1024, "RATING_MAX_UPLOAD_MB", "Largest file the bureau API accepts for ingest, in MiB."
    )
    cors_origins: str = _setting(
        "",
        "RATING_CORS_ORIGINS",
        "Web origins allowed to call the public API from a browser, comma-separated "
        "(e.g. https://zjj.example.gov.cn), or * for any; empty allows none.",
    )
    public_max_age: int = _setting(
        60,
        "RATING_PUBLIC_MAX_AGE",
        "Seconds caches may keep today's public answers (Cache-Control max-age); past days are immutable.",
    )
    public_dir: Path | None = _setting(
        None,
        "RATING_PUBLIC_DIR",
        "Where publishing writes the static public snapshot; default: beside the warehouse, <db>.public/.",
    )
    lock_timeout: float = _setting(
        60.0,
        "RATING_LOCK_TIMEOUT",
        "Seconds a command or the server waits for the warehouse while another process writes.",
    )
    refresh_seconds: float = _setting(
        2.0,
        "RATING_REFRESH_SECONDS",
        "How often `rating serve` looks for changes made beside it (CLI publish); 0 = never.",
    )
    signing_key: Path | None = _setting(
        None,
        "RATING_SIGNING_KEY",
        "Ed25519 private key (PEM) kept outside the warehouse; when set, every ledger record is signed.",
    )
    id_key: Path | None = _setting(
        None,
        "RATING_ID_KEY",
        "Key file (32+ bytes, outside the warehouse) for keyed hashes of managers' identity "
        "numbers; unset: identity numbers are checked, never kept.",
    )
    trusted_proxies: str = _setting(
        "",
        "RATING_TRUSTED_PROXIES",
        "Proxies (IPs or CIDRs, comma-separated) whose X-Forwarded-For is believed; default none.",
    )
    max_uploads: int = _setting(
        2, "RATING_MAX_UPLOADS", "Uploads the bureau API reads and ingests at the same time."
    )
    ingest_memory_mb: int = _setting(
        2048,
        "RATING_INGEST_MEMORY_MB",
        "Memory an uploaded file's reader process may use, in MiB; past it the upload is refused.",
    )
    language: str = _setting(
        "zh",
        "RATING_LANG",
        "Language of the command line and the director's report: zh (Chinese, the default) "
        "or en; a catalog in rating/locale/ adds another.",
    )
    now: datetime | None = _setting(
        None,
        "RATING_NOW",
        "Pretend the clock reads this ISO time (reproducible demos and tests); empty = real clock.",
    )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get(f.metadata["env"], "")
            if raw:
                values[f.name] = _convert(f.name, raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        settings = cls(**values)
        settings.zone  # noqa: B018 - fail early on an unknown time zone
        return settings

    @property
    def zone(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.timezone)
        except (KeyError, ValueError) as exc:
            raise UsageError(
                f"unknown time zone '{self.timezone}'", code="SETTING_INVALID"
            ) from exc

    def current_time(self) -> datetime:
        """Aware 'now' in the bureau's zone (or the pinned RATING_NOW)."""
        if self.now is not None:
            return self.now if self.now.tzinfo else self.now.replace(tzinfo=self.zone)
        return datetime.now(self.zone)

    @property
    def tokens_file(self) -> Path:
        return self.tokens_path or Path(self.db_path).with_suffix(".tokens.json")

    @property
    def public_snapshot_dir(self) -> Path:
        return self.public_dir or Path(self.db_path).with_suffix(".public")

    @property
    def cors(self) -> list[str]:
        return [o.strip() for o in self.cors_origins.split(",") if o.strip()]

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **changes)


def _convert(name: str, raw: str) -> Any:
    try:
        if name in ("db_path", "rules_dir", "tokens_path", "signing_key", "public_dir", "id_key"):
            return Path(raw)
        if name in (
            "threads",
            "rate_limit",
            "max_upload_mb",
            "max_uploads",
            "ingest_memory_mb",
            "public_max_age",
        ):
            return int(raw)
        if name in ("lock_timeout", "refresh_seconds"):
            return float(raw)
        if name == "now":
            return datetime.fromisoformat(raw)
    except ValueError as exc:
        raise UsageError(f"setting {name}: cannot read '{raw}'", code="SETTING_INVALID") from exc
    return raw


def language_from_env(environ: Mapping[str, str] | None = None) -> str:
    """RATING_LANG alone, read without checking the other settings: the command line needs
    its language before it can report a bad setting in it."""
    env = os.environ if environ is None else environ
    return env.get("RATING_LANG", "") or Settings.language


def documented_settings() -> list[tuple[str, str]]:
    """(environment variable, help) for every setting, for the docs and their test."""
    return [(f.metadata["env"], f.metadata["help"]) for f in fields(Settings)]
