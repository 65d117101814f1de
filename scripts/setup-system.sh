#!/usr/bin/env bash
# System packages the project needs beyond Python: a CJK font, so that charts in
# `rating report` render Chinese company names and categories (matplotlib finds it through
# its font manager). Idempotent: does nothing when the font is already there.
# Installs Debian's fonts-noto-cjk with apt-get when missing and running as root; otherwise
# prints what to run. Never fails the caller: a missing font is reported by the report
# itself (error code FONT_CJK_MISSING) and by tests/test_report.py.
set -euo pipefail

have_cjk_font() {
    if command -v fc-list >/dev/null 2>&1 && [ -n "$(fc-list :lang=zh family 2>/dev/null)" ]; then
        return 0
    fi
    # Without fontconfig, look where Debian and most distributions put CJK fonts.
    [ -n "$(find /usr/share/fonts /usr/local/share/fonts "${HOME:-/nonexistent}/.local/share/fonts" \
        \( -iname '*cjk*' -o -iname '*wqy*' -o -iname '*sourcehan*' \) -print 2>/dev/null | head -n 1)" ]
}

if have_cjk_font; then
    echo "setup-system: a CJK font is installed; nothing to do"
    exit 0
fi

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup-system: no CJK font found; installing fonts-noto-cjk with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y -q --no-install-recommends fonts-noto-cjk; then
        apt-get update -q
        apt-get install -y -q --no-install-recommends fonts-noto-cjk
    fi
    echo "setup-system: installed fonts-noto-cjk"
else
    echo "setup-system: no CJK font found and cannot install one (needs root and apt-get)." >&2
    echo "setup-system: run: sudo apt-get install fonts-noto-cjk  (or install any Noto/Source Han CJK font)" >&2
fi
