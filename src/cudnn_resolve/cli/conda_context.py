"""What the conda plugin tells the verbs: that they run inside conda, and where conda keeps environments.

Inside conda, ``-n NAME`` and ``-p PREFIX`` mean conda environments, and ``create`` uses the running conda.
This module imports nothing from conda: the plugin module fills it in.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class CondaContext:
    envs_dirs: tuple[Path, ...]  # conda's envs_dirs, first is where new environments go
    command: tuple[str, ...]  # how to run the running conda: (sys.executable, "-m", "conda")
    active_prefix: Path | None  # the active environment (CONDA_PREFIX), the default for check/doctor

    def prefix_of(self, name: str) -> Path:
        for directory in self.envs_dirs:
            if (directory / name).is_dir():
                return directory / name
        return self.envs_dirs[0] / name


def conda_context(args: argparse.Namespace) -> CondaContext | None:
    context = getattr(args, "conda_context", None)
    return context if isinstance(context, CondaContext) else None
