"""Hints the conda plugin adds to conda's own errors (the ``conda_error_hints`` hook), when a cudnn-resolve
command fixes the problem. Standard library only: conda asks on every error it prints.
"""

from __future__ import annotations

import re

# conda's solver names a virtual package it could not satisfy (`__cuda`, `__cuda >=12`) in its error.
_NEEDS_CUDA = re.compile(r"__cuda\b")
# Packages that carry CUDA or cuDNN on conda channels (conda-forge's names), named in a failed solve.
_CUDA_PACKAGES = re.compile(r"\b(cudnn|cudatoolkit|cuda-version|cuda-[a-z]+|pytorch-cuda|libcudnn\w*)\b")
_SOLVE_ERRORS = ("PackagesNotFound", "Unsatisfiable", "ResolvePackageNotFound", "SpecsConfigurationConflict")


def hints_for(error: str) -> list[tuple[str, str]]:
    """(hint code, text) for a conda error rendered as ``"ErrorName: message"``; empty when unrelated."""
    hints = []
    if _NEEDS_CUDA.search(error):
        hints.append(
            (
                "cudnn_resolve_cuda_driver",
                "A package needs a CUDA driver (the __cuda virtual package) that conda did not find, or "
                "found too old. 'conda cudnn-env doctor' shows the driver conda sees; 'conda cudnn-env "
                "pins FRAMEWORK --driver VERSION' picks the builds that driver runs; to solve for another "
                "machine set CONDA_OVERRIDE_CUDA to the CUDA version its driver supports.",
            )
        )
    if error.startswith(_SOLVE_ERRORS) and _CUDA_PACKAGES.search(error):
        hints.append(
            (
                "cudnn_resolve_cuda_packages",
                "For the CUDA and cuDNN packages that go with a framework version, run 'conda cudnn-env "
                "pins FRAMEWORK=VERSION' (with --framework-from conda for conda-forge's own builds), or "
                "create the environment with 'conda cudnn-env create FRAMEWORK=VERSION -n NAME'.",
            )
        )
    return hints
