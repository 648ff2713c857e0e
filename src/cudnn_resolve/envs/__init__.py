"""Environments: plan, build in a staging directory, load the pinned CUDA libraries, check, move into "
"place."""

from .backends import BACKENDS, Plan
from .create import CheckFailedError, Created, build, choose_backend
from .locations import envs_dir, list_envs, named_prefix

__all__ = [
    "BACKENDS",
    "CheckFailedError",
    "Created",
    "Plan",
    "build",
    "choose_backend",
    "envs_dir",
    "list_envs",
    "named_prefix",
]
