"""The rules about cuDNN itself: which copies are loaded, and whether each framework accepts them.

TensorFlow and torch accept a cuDNN of the major they were built with and a minor at least the build's
(TensorFlow's stream_executor cuda_dnn.cc, the "Loaded runtime CuDNN library" check; torch's
torch/backends/cudnn/__init__.py, the "cuDNN version incompatibility" check).
"""

from __future__ import annotations

from ..data import KnowledgeBase
from ..probe.report import FrameworkReport, LoadedLibrary, ProbeReport
from ..request import DISPLAY
from ..versions import version
from .findings import Finding
from .manifest import Expectations
from .rules_common import ERROR, INFO, WARNING, compatible, matches, parts


def cudnn_findings(report: ProbeReport, expected: Expectations) -> list[Finding]:
    main = [lib for lib in report.libraries if lib.is_cudnn_main]
    if not main:
        wants_cudnn = any(f.cudnn_compiled for f in report.frameworks.values()) or expected.cudnn
        return [_not_found()] if wants_cudnn else []
    findings = [_loaded(lib) for lib in main]
    versions = sorted({lib.version for lib in main if lib.version})
    if len(versions) > 1:
        findings.append(
            Finding(
                "cudnn-several-versions",
                ERROR,
                f"several cuDNN versions are loaded: {', '.join(versions)}",
                "remove the extra copies from LD_PRELOAD, PYTHONPATH or LD_LIBRARY_PATH",
            )
        )
    if expected.cudnn:
        findings += [
            _mismatch(lib, expected)
            for lib in main
            if lib.version and not matches(lib.version, expected.cudnn)
        ]
    directories = sorted({lib.directory for lib in report.cudnn_libraries if lib.source == "mapped"})
    if len(directories) > 1:
        findings.append(_mixed_directories(directories))
    return findings


def _not_found() -> Finding:
    return Finding(
        "cudnn-not-found",
        ERROR,
        "no libcudnn is loaded, and none is where the frameworks would load it from",
        "install the cuDNN wheel the pins name (cudnn-resolve constraints ... shows it), or recreate the "
        "environment with cudnn-resolve create",
    )


def _loaded(lib: LoadedLibrary) -> Finding:
    how = (
        "mapped into the process"
        if lib.source == "mapped"
        else f"the copy TensorFlow would load ({lib.found_by})"
    )
    return Finding("cudnn-loaded", INFO, f"cuDNN {lib.version} from {lib.path}: {how}")


def _mismatch(lib: LoadedLibrary, expected: Expectations) -> Finding:
    return Finding(
        "cudnn-mismatch",
        ERROR,
        f"loaded cuDNN {lib.version} ({lib.path}) is not the pinned {expected.cudnn} ({expected.source})",
        f"make the environment load its own cuDNN {expected.cudnn}: remove other copies from the loader's "
        "path (LD_PRELOAD, PYTHONPATH, LD_LIBRARY_PATH) or reinstall the pinned wheel",
    )


def _mixed_directories(directories: list[str]) -> Finding:
    # cuDNN 9's libcudnn.so.9 is a shim that loads its sub-libraries (libcudnn_graph, _ops, _cnn...) by
    # SONAME: every mapped libcudnn* file must come from one directory.
    return Finding(
        "cudnn-multiple-dirs",
        ERROR,
        f"libcudnn files are mapped from {len(directories)} directories ({', '.join(directories)}): cuDNN "
        "9's libcudnn.so.9 loads its sub-libraries by SONAME, so mixed copies break at the first "
        "convolution",
        "keep one cuDNN copy on the loader's path: remove the others from LD_PRELOAD, PYTHONPATH and "
        "LD_LIBRARY_PATH",
    )


def built_with_cudnn(kb: KnowledgeBase, framework: FrameworkReport) -> str | None:
    """The cuDNN a framework build was compiled against. TensorFlow's pip builds report the major only
    ("8"); the tested configuration of that release (or its [and-cuda] pin) gives the minor."""
    compiled = framework.cudnn_compiled
    if framework.name != "tensorflow" or compiled is None or "." in compiled or framework.version is None:
        return compiled
    try:
        tf_version = version(framework.version.split("+")[0])
    except ValueError:
        return compiled
    extra = kb.and_cuda.get(tf_version)
    if extra is not None:
        return str(extra.tested_cudnn)
    for release in kb.tensorflow:
        if tf_version in release.versions and release.linux.cudnn.major == int(compiled):
            return str(release.linux.cudnn)
    return compiled


def framework_findings(kb: KnowledgeBase, report: ProbeReport, expected: Expectations) -> list[Finding]:
    loaded = [lib.version for lib in report.libraries if lib.is_cudnn_main and lib.version]
    findings: list[Finding] = []
    for name, framework in report.frameworks.items():
        findings += _build_findings(kb, name, framework, loaded)
    for name, want in expected.frameworks:
        findings += _pinned_framework_findings(name, want, report.frameworks.get(name))
    return findings


def _build_findings(
    kb: KnowledgeBase, name: str, framework: FrameworkReport, loaded: list[str]
) -> list[Finding]:
    """Whether the cuDNN a framework runs with is one its build accepts."""
    label = f"{DISPLAY.get(name, name)} {framework.version or ''}".strip()
    if framework.error:
        return [
            Finding(
                "framework-import-failed",
                ERROR,
                f"{label} failed to import or to report its build: {framework.error}",
                f"reinstall it in this environment, e.g. pip install --force-reinstall {name}",
            )
        ]
    compiled = built_with_cudnn(kb, framework)
    if compiled is None:
        return [
            Finding(
                "framework-cpu-build",
                WARNING,
                f"{label} is a build without CUDA/cuDNN",
                "install its CUDA build (cudnn-resolve pins shows which)",
            )
        ]
    findings = []
    for have in [framework.cudnn_runtime] if framework.cudnn_runtime else loaded:
        if not compatible(have, compiled):
            findings.append(
                Finding(
                    "cudnn-incompatible",
                    ERROR,
                    f"{label} was built with cuDNN {compiled} but finds {have}: the major must match and "
                    "the minor must be at least the build's",
                    f"install cuDNN {compiled.split('.')[0]}.x at or above {compiled}",
                )
            )
        elif parts(have)[:2] != parts(compiled)[:2] and len(parts(compiled)) > 1:
            findings.append(
                Finding(
                    "cudnn-newer-minor",
                    WARNING,
                    f"{label} was built with cuDNN {compiled} and runs with {have}: accepted by its "
                    "version check, but not the combination it was tested with",
                )
            )
    return findings


def _pinned_framework_findings(name: str, want: str, installed: FrameworkReport | None) -> list[Finding]:
    """Whether the framework the expectations name is installed at the pinned version."""
    if installed is None:
        return [
            Finding(
                "framework-missing",
                ERROR,
                f"{DISPLAY.get(name, name)} {want} is not installed",
                "recreate the environment with cudnn-resolve create",
            )
        ]
    if installed.version and not matches(installed.version.split("+")[0], want):
        return [
            Finding(
                "framework-version",
                ERROR,
                f"{DISPLAY.get(name, name)} is {installed.version}, pinned {want}",
                f"pip install {name}=={want} (with the constraints file)",
            )
        ]
    return []
