"""conda environments without conda: MatchSpecs, solves and installs through the pinned py-rattler.

Importing this package imports py-rattler (and checks its version); the rest of cudnn-resolve never does.
"""

from .rattler_adapter import (
    RATTLER_REQUIREMENT,
    ChannelError,
    CondaInstallError,
    CondaSolveError,
    LockedPackage,
    RattlerVersionError,
    canonical_matchspec,
    install,
    solve,
    version_matches,
)

__all__ = [
    "RATTLER_REQUIREMENT",
    "ChannelError",
    "CondaInstallError",
    "CondaSolveError",
    "LockedPackage",
    "RattlerVersionError",
    "canonical_matchspec",
    "install",
    "solve",
    "version_matches",
]
