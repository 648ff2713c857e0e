"""Lockfiles for teams: pip locks through uv, conda locks through a conda solve; and checking them."""

from .check import LockCheck, check_lock, read_lock
from .pip import pip_lock_body

__all__ = ["LockCheck", "check_lock", "pip_lock_body", "read_lock"]
