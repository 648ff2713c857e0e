"""``create``: plan, build in a staging directory, check, and move into place."""

from __future__ import annotations

import datetime
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from .._version import __version__
from ..data import KnowledgeBase
from ..env_layout import backend_python
from ..lock.check import read_lock
from ..probe import run_probe
from ..resolver.resolution import Resolution
from ..verify import Expectations, Verdict, evaluate
from ..verify.findings import Severity
from ..verify.manifest import MANIFEST_NAME, expectations_from_record
from .backends import (
    BackendUnavailableError,
    Plan,
    find_conda,
    install_conda,
    install_pip,
    install_rattler,
    install_uv,
)
from .preload import install_preload
from .progress import Progress
from .relocate import relocate
from .staging import staged


class CheckFailedError(Exception):
    """Raised inside the staging block so the half-made environment is removed; carries the verdict."""

    def __init__(self, verdict: Verdict) -> None:
        super().__init__("the smoke test failed")
        self.verdict = verdict


@dataclass(frozen=True)
class Created:
    prefix: Path
    plan: Plan
    verdict: Verdict | None  # the smoke test, run while the environment was still in its build directory
    preloaded: tuple[str, ...]
    build_dir: Path  # where it was built (findings name it), now moved to ``prefix``

    def messages(self) -> list[str]:
        """The findings' messages with the build directory replaced by the final prefix."""
        if self.verdict is None:
            return []
        return [
            f"{str(f.severity).upper():7} {f.message.replace(str(self.build_dir), str(self.prefix))}"
            for f in self.verdict.findings
        ]


def choose_backend(
    requested: str, resolution: Resolution | None, running_conda: tuple[str, ...] = ()
) -> tuple[str, str, tuple[str, ...]]:
    """(backend, why, conda command). ``auto``: the running conda inside the plugin; a conda-format
    environment where CUDA comes from conda (conda on PATH, else the embedded py-rattler); uv otherwise."""
    found = find_conda()
    conda = running_conda or ((found,) if found else ())
    if requested == "conda":
        if not conda:
            raise BackendUnavailableError(
                "conda", "no conda, mamba or micromamba on PATH; use --backend rattler"
            )
        return "conda", "asked for", conda
    if requested in ("uv", "pip", "rattler"):
        return requested, "asked for", ()
    if running_conda:
        return "conda", "running inside conda", running_conda
    if resolution is not None and resolution.delivery == "conda":
        if conda:
            return "conda", f"CUDA comes from conda-forge; found {conda[0]}", conda
        return "rattler", "CUDA comes from conda-forge and no conda is installed: embedded py-rattler", ()
    return "uv", "the frameworks and their CUDA come from pip", ()


def expectations_of(resolution: Resolution | None, lock_tool: dict[str, object] | None) -> Expectations:
    if resolution is not None:
        return Expectations(
            cudnn=str(resolution.cudnn_version) if resolution.cudnn_version else None,
            cuda=str(resolution.cuda_runtime) if resolution.cuda_runtime else None,
            frameworks=tuple((f.name, str(f.version)) for f in resolution.frameworks),
            driver_min=str(resolution.driver_min) if resolution.driver_min else None,
            source="the resolution",
        )
    return expectations_from_record(lock_tool or {}, "the lockfile")


def _manifest(plan: Plan, preloaded: list[str]) -> dict[str, object]:
    lock_hash = hashlib.sha256(plan.lock.read_bytes()).hexdigest() if plan.lock else None
    return {
        "schema": 1,
        "tool": f"cudnn-resolve {__version__}",
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "argv": list(plan.argv),
        "backend": plan.backend,
        "python": plan.python,
        "lock": {"path": str(plan.lock), "sha256": lock_hash} if plan.lock else None,
        "preloaded_libraries": preloaded,
        "resolution": plan.resolution.to_json() if plan.resolution else _lock_resolution(plan),
    }


def _lock_resolution(plan: Plan) -> dict[str, object]:
    assert plan.lock is not None
    tool = read_lock(plan.lock).tool
    frameworks = [
        {"name": s.split("==")[0], "version": s.split("==")[1].split("+")[0], "variant": s.split("+")[-1]}
        for s in tool.get("frameworks", [])
    ]
    return {
        "frameworks": frameworks,
        "cudnn_version": tool.get("cudnn"),
        "cuda_runtime": tool.get("cuda"),
        "driver_min": tool.get("driver-min"),
        "platform": tool.get("platform"),
    }


def build(plan: Plan, kb: KnowledgeBase, progress: Progress, check: bool, force: bool) -> Created:
    """Create the environment of ``plan``; nothing is at ``plan.prefix`` unless this returns."""
    installers = {"uv": install_uv, "pip": install_pip, "conda": install_conda, "rattler": install_rattler}
    lock_tool = read_lock(plan.lock).tool if plan.lock else None
    with staged(plan.prefix, force=force) as stage:
        installers[plan.backend](stage, plan, progress)
        with progress.step("making the environment load its own CUDA libraries"):
            preloaded = install_preload(stage) if _needs_preload(plan) else []
        (stage / MANIFEST_NAME).write_text(json.dumps(_manifest(plan, preloaded), indent=2) + "\n")
        verdict = None
        if check:
            with progress.step("smoke test: which cuDNN does the new environment load?"):
                report = run_probe(backend_python(stage, plan.backend))
                verdict = evaluate(kb, report, expectations_of(plan.resolution, lock_tool))
            if not verdict.passed:
                raise CheckFailedError(verdict)
        relocate(stage, plan.prefix.absolute())
    return Created(plan.prefix.absolute(), plan, verdict, tuple(preloaded), stage)


def _needs_preload(plan: Plan) -> bool:
    """Frameworks that bring no CUDA of their own, and CUDA from conda packages, need the preload."""
    if plan.resolution is None:
        return False
    return plan.resolution.delivery == "conda" or any(not f.brings_cuda for f in plan.resolution.frameworks)


def errors_of(verdict: Verdict) -> list[str]:
    return [
        f"{f.message} (fix: {f.fix})" if f.fix else f.message
        for f in verdict.findings
        if f.severity is Severity.ERROR
    ]
