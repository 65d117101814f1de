"""Build step (pyproject.toml `[tool.setuptools.cmdclass]`): ship the default rule sets
inside the package.

The top-level `rules/` folder stays the one source of truth in the repository; a wheel
carries a copy as `rating/_rules/`, which `rating.settings` finds when no `rules/` folder
sits beside the package and `RATING_RULES_DIR` is not set.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools.command.build_py import build_py


class BuildPy(build_py):
    def run(self) -> None:
        super().run()
        source = Path(__file__).resolve().parent.parent / "rules"
        target = Path(self.build_lib) / "rating" / "_rules"
        for path in sorted(source.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                dest = target / path.relative_to(source)
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, dest)
