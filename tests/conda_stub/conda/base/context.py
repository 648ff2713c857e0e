import os
import sys
from pathlib import Path


class _Context:
    @property
    def envs_dirs(self):
        return [os.environ.get("STUB_CONDA_ENVS_DIR", str(Path.home() / "stub-conda" / "envs"))]

    @property
    def root_prefix(self):
        return sys.prefix


context = _Context()
