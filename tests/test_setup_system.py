"""scripts/setup-system.sh on a busy machine: it waits for apt's lock (bounded) and fails,
with one line, only when no CJK font can be had. apt-get, id and fc-list are stand-ins on
PATH; fonts are looked for in a temporary folder."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

# Each test runs the script (and its stand-ins) as subprocesses, with real waits for the lock:
# `make test` and CI, not `make test-fast`.
pytestmark = pytest.mark.slow

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "setup-system.sh"


def _tool(folder: Path, name: str, body: str) -> None:
    path = folder / name
    path.write_text("#!/usr/bin/env bash\n" + body, encoding="utf-8")
    path.chmod(0o755)


def _run(
    tmp_path: Path, apt_body: str, uid: int = 0, wait: int = 20
) -> subprocess.CompletedProcess[str]:
    bin_dir, fonts = tmp_path / "bin", tmp_path / "fonts"
    bin_dir.mkdir()
    fonts.mkdir()
    _tool(bin_dir, "id", f"echo {uid}\n")
    _tool(bin_dir, "fc-list", "exit 0\n")
    _tool(bin_dir, "apt-get", apt_body)
    env = {
        **os.environ,
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "SETUP_FONT_DIRS": str(fonts),
        "SETUP_APT_WAIT": str(wait),
        "SETUP_APT_RETRY_SECONDS": "0.1",
        "FAKE": str(tmp_path),
    }
    return subprocess.run(
        ["bash", str(SCRIPT)], capture_output=True, text=True, env=env, timeout=60
    )


INSTALLS_AFTER_TWO_REFUSALS = """
n=$(cat "$FAKE/calls" 2>/dev/null || echo 0); echo $((n + 1)) > "$FAKE/calls"
if [ "$n" -lt 2 ]; then
  echo "E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 4242 (apt-get)" >&2
  exit 100
fi
case "$*" in *install*) touch "$FAKE/fonts/NotoSansCJK-Regular.ttc";; esac
exit 0
"""


def test_waits_for_the_dpkg_lock_then_installs(tmp_path: Path) -> None:
    done = _run(tmp_path, INSTALLS_AFTER_TWO_REFUSALS)
    assert done.returncode == 0, done.stderr
    assert "installed fonts-noto-cjk" in done.stdout
    assert done.stderr.count("apt is busy") == 2
    assert (tmp_path / "calls").read_text().strip() == "3"


@pytest.mark.parametrize(
    ("apt_body", "uid"),
    [
        ('echo "E: Unable to locate package fonts-noto-cjk" >&2; exit 100\n', 0),
        ("exit 0\n", 0),  # apt "succeeds" but no font appears
        ("exit 0\n", 1000),  # not root: nothing is tried
    ],
)
def test_fails_with_one_line_when_no_font_can_be_had(
    tmp_path: Path, apt_body: str, uid: int
) -> None:
    done = _run(tmp_path, apt_body, uid)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "fonts-noto-cjk" in lines[0], done.stderr


def test_a_lock_held_too_long_is_bounded(tmp_path: Path) -> None:
    always_locked = 'echo "E: Could not get lock /var/lib/dpkg/lock-frontend" >&2; exit 100\n'
    done = _run(tmp_path, always_locked, wait=2)
    assert done.returncode == 1 and "apt is busy" in done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith("setup-system: no CJK font")


def test_an_installed_font_is_enough(tmp_path: Path) -> None:
    (tmp_path / "fonts").mkdir()
    (tmp_path / "fonts" / "wqy-zenhei.ttc").touch()
    env = {**os.environ, "SETUP_FONT_DIRS": str(tmp_path / "fonts"), "PATH": os.environ["PATH"]}
    done = subprocess.run(["bash", str(SCRIPT)], capture_output=True, text=True, env=env)
    assert done.returncode == 0 and "nothing to do" in done.stdout
