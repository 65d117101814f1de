"""Measuring one task: a fresh Python process, its wall time and its peak resident memory.

Every measured task (`benchmarks.tasks`) runs in a child process of its own, so its peak RSS
is its own (the child reports its VmHWM) and no cache of an
earlier task helps it, except the operating system's file cache, which every contender
shares alike. A watchdog samples the child's RSS and kills it past `memory_cap` bytes: that
is how a peer that would exhaust the machine is reported as out of memory instead of taking
other people's work down with it.
"""

from __future__ import annotations

import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

GiB = 1 << 30
REPO = Path(__file__).resolve().parent.parent  # `python -m benchmarks.tasks` runs from here


@dataclass
class Measured:
    task: str
    status: str  # "ok", "out_of_memory" or "failed"
    seconds: float
    peak_rss: int  # bytes
    result: dict[str, Any] = field(default_factory=dict)
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def as_dict(self) -> dict[str, Any]:
        return {
            "task": self.task,
            "status": self.status,
            "seconds": round(self.seconds, 3),
            "peak_rss_bytes": self.peak_rss,
            "peak_rss_gib": round(self.peak_rss / GiB, 3),
            **({"error": self.error} if self.error else {}),
        }


class _Watchdog(threading.Thread):
    """Samples a child's RSS every 50 ms; kills it once it passes the cap."""

    def __init__(self, pid: int, cap: int | None) -> None:
        super().__init__(daemon=True)
        self.pid, self.cap, self.killed, self.peak = pid, cap, False, 0
        self.done = threading.Event()

    def run(self) -> None:
        try:
            proc = psutil.Process(self.pid)
            while not self.done.wait(0.05):
                rss = proc.memory_info().rss
                self.peak = max(self.peak, rss)
                if self.cap and rss > self.cap:
                    self.killed = True
                    os.kill(self.pid, signal.SIGKILL)
                    return
        except psutil.Error:  # the child ended between two samples
            return


def run_task(task: str, args: dict[str, Any], *, memory_cap: int | None = None) -> Measured:
    """Run `benchmarks.tasks.<task>(**args)` in a child process and measure it."""
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        out = Path(tmp) / "result.json"
        err = Path(tmp) / "stderr.txt"
        cmd = [sys.executable, "-m", "benchmarks.tasks", task, json.dumps(args), str(out)]
        started = time.perf_counter()
        with err.open("wb") as stderr:
            child = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=stderr, cwd=REPO)
            dog = _Watchdog(child.pid, memory_cap)
            dog.start()
            child.wait()
            dog.done.set()
        seconds = time.perf_counter() - started
        peak = dog.peak  # sampled; a task that finishes reports its exact peak (VmHWM)
        text = err.read_text(errors="replace")
        if dog.killed or "MemoryError" in text or "Out of Memory" in text:
            cap = f" (cap {memory_cap / GiB:.0f} GiB)" if memory_cap else ""
            # DuckDB's own refusal says which allocation failed: kept with the verdict
            said = next((ln for ln in text.splitlines() if "Out of Memory" in ln), "")
            return Measured(
                task, "out_of_memory", seconds, peak, error=f"{said}\nout of memory{cap}".strip()
            )
        if child.returncode != 0:
            return Measured(task, "failed", seconds, peak, error=text.strip()[-2000:])
        result = json.loads(out.read_text(encoding="utf-8"))
        peak = result.pop("peak_rss", peak)
        # The task's own clock excludes interpreter start-up and imports; use it when given.
        return Measured(task, "ok", result.pop("seconds", seconds), peak, result)


def user_environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment a user's command runs in: this one, but Python caches bytecode (an
    installed package is compiled when installed; PYTHONDONTWRITEBYTECODE, set on some
    build machines, would charge compiling every module to every start-up)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**env, **(extra or {})}


def compile_sources() -> None:
    """Write the bytecode of `rating` and `api` once, as installing the package does."""
    import compileall

    for package in ("rating", "api"):
        compileall.compile_dir(str(REPO / package), quiet=1)


def run_command(
    task: str, cmd: list[str], env: dict[str, str] | None = None, *, json_out: bool = True
) -> Measured:
    """Time a command as a user runs it: a whole process, start-up, imports and opening the
    warehouse included (`user_environment`: bytecode cached, see `compile_sources`). Wall
    time from spawn to exit; peak RSS sampled every 50 ms (the command is not ours to
    instrument). With `json_out`, its stdout is parsed as the result."""
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        out, err = Path(tmp) / "stdout.txt", Path(tmp) / "stderr.txt"
        started = time.perf_counter()
        with out.open("wb") as stdout, err.open("wb") as stderr:
            child = subprocess.Popen(
                cmd, stdout=stdout, stderr=stderr, cwd=REPO, env=user_environment(env)
            )
            dog = _Watchdog(child.pid, None)
            dog.start()
            child.wait()
            dog.done.set()
        seconds = time.perf_counter() - started
        if child.returncode != 0:
            text = err.read_text(errors="replace") + out.read_text(errors="replace")
            return Measured(task, "failed", seconds, dog.peak, error=text.strip()[-2000:])
        result = json.loads(out.read_text(encoding="utf-8")) if json_out else {}
        return Measured(task, "ok", seconds, dog.peak, result)


def logged_command(log: Any, label: str, task: str, cmd: list[str], **kw: Any) -> Measured:
    """`run_command` with one line of progress; a failed command stops the run."""
    m = run_command(task, cmd, **kw)
    log(f"  {label:<28} {m.status:<14} {m.seconds:9.2f} s  peak {m.peak_rss / GiB:6.2f} GiB")
    if m.status != "ok":
        raise RuntimeError(f"{label} failed:\n{m.error}")
    return m


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    cpu = platform.processor() or platform.machine()
    info = Path("/proc/cpuinfo")
    lines = info.read_text().splitlines() if info.exists() else []
    models = [line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")]
    cpu = models[0] if models else cpu
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(psutil.virtual_memory().total / GiB, 1),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def logged_task(log: Any, label: str, name: str, args: dict[str, Any], **kw: Any) -> Measured:
    """`run_task`, with one line of progress; a task other than a peer that fails or runs out
    of memory stops the run, with its error (the harness read on without its results)."""
    m = run_task(name, args, **kw)
    extra = f" — {m.error.splitlines()[-1]}" if m.error else ""
    log(f"  {label:<28} {m.status:<14} {m.seconds:9.2f} s  peak {m.peak_rss / GiB:6.2f} GiB{extra}")
    if m.status != "ok" and name not in ("pandas_peer", "http_lookup"):
        raise RuntimeError(f"{label} failed:\n{m.error}")
    return m
