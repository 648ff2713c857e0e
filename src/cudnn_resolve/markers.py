"""PEP 508 environment markers for our platforms: how a project file says "on linux-64", and the marker
environment of a platform, to evaluate the markers a lockfile carries.

The values are Python's own: ``sys.platform`` ("linux", "win32", "darwin") and ``platform.machine()``
("x86_64", "aarch64"; "AMD64" on 64-bit Windows; "arm64" on Apple silicon), as the Python documentation
of the ``sys`` and ``platform`` modules and PEP 508's marker table define them.
"""

from __future__ import annotations

from collections.abc import Sequence

from packaging.version import Version

from .versions import Platform

_SYSTEM = {  # sys.platform, platform.system(), os.name
    "linux": ("linux", "Linux", "posix"),
    "windows": ("win32", "Windows", "nt"),
    "macos": ("darwin", "Darwin", "posix"),
}
_MACHINE = {
    Platform.LINUX_64: "x86_64",
    Platform.LINUX_AARCH64: "aarch64",
    Platform.WIN_64: "AMD64",
    Platform.OSX_64: "x86_64",
    Platform.OSX_ARM64: "arm64",
}


def platform_marker(platform: Platform) -> str:
    """The marker true on ``platform`` only: ``sys_platform == 'linux' and platform_machine == 'x86_64'``."""
    return f"sys_platform == '{_SYSTEM[platform.os_name][0]}' and platform_machine == '{_MACHINE[platform]}'"


def platforms_marker(platforms: Sequence[Platform]) -> str:
    """The marker true on any of ``platforms`` (in the order given)."""
    markers = [platform_marker(p) for p in platforms]
    return markers[0] if len(markers) == 1 else " or ".join(f"({m})" for m in markers)


def marker_environment(platform: Platform, python: Version) -> dict[str, str]:
    """PEP 508's marker variables for CPython ``python`` (X.Y) on ``platform``."""
    sys_platform, system, os_name = _SYSTEM[platform.os_name]
    return {
        "implementation_name": "cpython",
        "implementation_version": f"{python.major}.{python.minor}.0",
        "os_name": os_name,
        "platform_machine": _MACHINE[platform],
        "platform_python_implementation": "CPython",
        "platform_release": "",
        "platform_system": system,
        "platform_version": "",
        "python_full_version": f"{python.major}.{python.minor}.0",
        "python_version": f"{python.major}.{python.minor}",
        "sys_platform": sys_platform,
        "extra": "",
    }
