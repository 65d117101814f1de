"""The language people read: GNU gettext catalogs, Chinese first.

Source strings are English and are the message ids; a language is one catalog,
`rating/locale/<lang>/LC_MESSAGES/<domain>.po` (edited by people), compiled to `.mo` and read
with the standard library's `gettext`. `RATING_LANG` chooses it (`zh`, the default, or `en`,
the source strings themselves); a third language is a new `.po` file, no code.
"""

from __future__ import annotations

import gettext
from pathlib import Path

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
SOURCE_LANGUAGE = "en"


def catalog(domain: str, language: str) -> gettext.NullTranslations:
    """The catalog of `domain` in `language` (the source strings for `en` or an unknown one)."""
    lang = language.strip().split(".")[0].replace("-", "_")
    if not lang or lang.split("_")[0].lower() == SOURCE_LANGUAGE:
        return gettext.NullTranslations()
    return gettext.translation(domain, LOCALE_DIR, languages=[lang], fallback=True)


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for "mark only"
    """Marks a string for extraction; it is translated where it is shown."""
    return message
