#!/usr/bin/env bash
# System packages the project needs beyond Python: a CJK font, so that charts in
# `rating report` render Chinese company names and categories (matplotlib finds it through
# its font manager). Idempotent: does nothing when the font is already there.
#
# Installs Debian's fonts-noto-cjk with apt-get when missing and running as root. Another apt
# process (unattended upgrades, a parallel build) may hold the dpkg lock: apt is told to wait
# for it (DPkg::Lock::Timeout) and a command refused for a lock is retried, for at most
# SETUP_APT_WAIT seconds (default 600) in all. Fails, with one line on stderr saying what to
# run, only when no CJK font is there at the end. (SETUP_APT_RETRY_SECONDS and SETUP_FONT_DIRS
# exist for tests/test_setup_system.py.)
set -euo pipefail

WAIT="${SETUP_APT_WAIT:-600}"
RETRY="${SETUP_APT_RETRY_SECONDS:-5}"
FONT_DIRS="${SETUP_FONT_DIRS:-/usr/share/fonts /usr/local/share/fonts ${HOME:-/nonexistent}/.local/share/fonts}"
DEADLINE=$(( $(date +%s) + WAIT ))

have_cjk_font() {
    if command -v fc-list >/dev/null 2>&1 && [ -n "$(fc-list :lang=zh family 2>/dev/null)" ]; then
        return 0
    fi
    # Without fontconfig, look where Debian and most distributions put CJK fonts.
    # shellcheck disable=SC2086 # FONT_DIRS is a list of folders
    [ -n "$(find $FONT_DIRS \( -iname '*cjk*' -o -iname '*wqy*' -o -iname '*sourcehan*' \) \
        -print 2>/dev/null | head -n 1)" ]
}

# Run an apt-get command; while it is refused because another process holds an apt or dpkg
# lock, wait and run it again, until the deadline.
apt_waiting() {
    local log
    log="$(mktemp)"
    while true; do
        local left=$(( DEADLINE - $(date +%s) ))
        (( left < 1 )) && left=1
        if apt-get -o DPkg::Lock::Timeout="$left" "$@" 2>"$log"; then
            rm -f "$log"
            return 0
        fi
        if grep -qiE 'could not get lock|unable to acquire|is another process using it' "$log" \
            && (( $(date +%s) < DEADLINE )); then
            echo "setup-system: apt is busy (another process holds its lock); waiting" >&2
            sleep "$RETRY"
            continue
        fi
        cat "$log"  # apt's own words on stdout: the one line on stderr comes at the end
        rm -f "$log"
        return 1
    done
}

if have_cjk_font; then
    echo "setup-system: a CJK font is installed; nothing to do"
    exit 0
fi

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup-system: no CJK font found; installing fonts-noto-cjk with apt-get (waiting up to ${WAIT}s for apt)"
    export DEBIAN_FRONTEND=noninteractive
    if ! apt_waiting install -y -q --no-install-recommends fonts-noto-cjk; then
        apt_waiting update -q || true
        apt_waiting install -y -q --no-install-recommends fonts-noto-cjk || true
    fi
fi

if have_cjk_font; then
    echo "setup-system: installed fonts-noto-cjk"
    exit 0
fi
echo "setup-system: no CJK font for report charts and none could be installed: run 'sudo apt-get install fonts-noto-cjk' (or install any Noto/Source Han CJK font)" >&2
exit 1
