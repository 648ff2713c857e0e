"""``check``: compare what an environment really loads (the probe) with what it should load.

Each rule below cites the behaviour it encodes; the rules read only the probe's report, the
expectations (the manifest ``create`` wrote, or flags) and the knowledge base.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..data import KnowledgeBase
from ..data.facts import known
from ..probe.report import FrameworkReport, ProbeReport
from ..request import DISPLAY
from ..resolver.rules import driver_minimum
from ..versions import ComputeCapability, DriverVersion, Platform, version
from .findings import Finding, Severity, ordered
from .manifest import Expectations

ERROR, WARNING, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO
_CUDA_NAME = re.compile(r"^(libcudnn|libcudart|libcublas|cudnn64|cudart64)", re.IGNORECASE)
_ARCH = re.compile(r"^(sm|compute)_(\d+)(\d)a?$")


@dataclass(frozen=True)
class Verdict:
    report: ProbeReport
    expectations: Expectations
    findings: tuple[Finding, ...]

    @property
    def passed(self) -> bool:
        return not any(f.severity is Severity.ERROR for f in self.findings)

    @property
    def loaded_cudnn(self) -> str | None:
        versions = sorted({lib.version for lib in self.report.libraries if lib.version})
        return versions[0] if len(versions) == 1 else None


def _parts(text: str) -> list[int]:
    return [int(p) for p in re.findall(r"\d+", text)]


def matches(loaded: str, expected: str) -> bool:
    """True if ``loaded`` (X.Y.Z, what the library reports) is ``expected`` (X, X.Y, X.Y.Z or the full
    four-part wheel version, whose build number the library cannot report)."""
    want = _parts(expected)[:3]
    return _parts(loaded)[: len(want)] == want


def compatible(loaded: str, compiled: str) -> bool:
    """TensorFlow's and torch's own rule: the same major, and a minor at least the build's."""
    have, built = _parts(loaded), _parts(compiled)
    if not have or not built or have[0] != built[0]:
        return False
    return len(built) < 2 or have[1] >= built[1]


def _inside(path: str, roots: Iterable[str]) -> bool:
    real = os.path.realpath(path)
    return any(
        root and (real.startswith(os.path.realpath(root) + os.sep) or path.startswith(root + os.sep))
        for root in roots
    )


def _cudnn_findings(report: ProbeReport, expected: Expectations) -> list[Finding]:
    findings: list[Finding] = []
    main = [lib for lib in report.libraries if lib.is_cudnn_main]
    wants_cudnn = any(f.cudnn_compiled for f in report.frameworks.values()) or expected.cudnn
    if not main:
        if wants_cudnn:
            findings.append(
                Finding(
                    "cudnn-not-found",
                    ERROR,
                    "no libcudnn is loaded, and none is where the frameworks would load it from",
                    "install the cuDNN wheel the pins name (cudnn-resolve constraints ... shows it), or "
                    "recreate the "
                    "environment with cudnn-resolve create",
                )
            )
        return findings
    versions = sorted({lib.version for lib in main if lib.version})
    for lib in main:
        how = (
            "mapped into the process"
            if lib.source == "mapped"
            else f"the copy TensorFlow would load ({lib.found_by})"
        )
        findings.append(Finding("cudnn-loaded", INFO, f"cuDNN {lib.version} from {lib.path}: {how}"))
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
        for lib in main:
            if lib.version and not matches(lib.version, expected.cudnn):
                findings.append(
                    Finding(
                        "cudnn-mismatch",
                        ERROR,
                        f"loaded cuDNN {lib.version} ({lib.path}) is not the pinned {expected.cudnn} "
                        f"({expected.source})",
                        f"make the environment load its own cuDNN {expected.cudnn}: remove other copies "
                        "from the "
                        "loader's path (LD_PRELOAD, PYTHONPATH, LD_LIBRARY_PATH) or reinstall the pinned "
                        "wheel",
                    )
                )
    directories = sorted({lib.directory for lib in report.cudnn_libraries if lib.source == "mapped"})
    if len(directories) > 1:
        findings.append(
            Finding(
                "cudnn-multiple-dirs",
                ERROR,
                f"libcudnn files are mapped from {len(directories)} directories ({', '.join(directories)}): "
                "cuDNN 9's "
                "libcudnn.so.9 loads its sub-libraries by SONAME, so mixed copies break at the first "
                "convolution",
                "keep one cuDNN copy on the loader's path: remove the others from LD_PRELOAD, PYTHONPATH "
                "and LD_LIBRARY_PATH",
            )
        )
    return findings


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


def _framework_findings(kb: KnowledgeBase, report: ProbeReport, expected: Expectations) -> list[Finding]:
    findings: list[Finding] = []
    loaded = [lib.version for lib in report.libraries if lib.is_cudnn_main and lib.version]
    for name, framework in report.frameworks.items():
        label = f"{DISPLAY.get(name, name)} {framework.version or ''}".strip()
        if framework.error:
            findings.append(
                Finding(
                    "framework-import-failed",
                    ERROR,
                    f"{label} failed to import or to report its build: {framework.error}",
                    f"reinstall it in this environment, e.g. pip install --force-reinstall {name}",
                )
            )
            continue
        compiled = built_with_cudnn(kb, framework)
        if compiled is None:
            findings.append(
                Finding(
                    "framework-cpu-build",
                    WARNING,
                    f"{label} is a build without CUDA/cuDNN",
                    "install its CUDA build (cudnn-resolve pins shows which)",
                )
            )
            continue
        runtime = [framework.cudnn_runtime] if framework.cudnn_runtime else loaded
        for have in runtime:
            if not compatible(have, compiled):
                findings.append(
                    Finding(
                        "cudnn-incompatible",
                        ERROR,
                        f"{label} was built with cuDNN {compiled} but finds {have}: the "
                        "major must match "
                        "and the minor must be at least the build's",
                        f"install cuDNN {compiled.split('.')[0]}.x at or above {compiled}",
                    )
                )
            elif _parts(have)[:2] != _parts(compiled)[:2] and len(_parts(compiled)) > 1:
                findings.append(
                    Finding(
                        "cudnn-newer-minor",
                        WARNING,
                        f"{label} was built with cuDNN {compiled} and runs with {have}: "
                        "accepted by its "
                        "version check, but not the combination it was tested with",
                    )
                )
    for name, want in expected.frameworks:
        installed = report.frameworks.get(name)
        if installed is None:
            findings.append(
                Finding(
                    "framework-missing",
                    ERROR,
                    f"{DISPLAY.get(name, name)} {want} is not installed",
                    "recreate the environment with cudnn-resolve create",
                )
            )
        elif installed.version and not matches(installed.version.split("+")[0], want):
            findings.append(
                Finding(
                    "framework-version",
                    ERROR,
                    f"{DISPLAY.get(name, name)} is {installed.version}, pinned {want}",
                    f"pip install {name}=={want} (with the constraints file)",
                )
            )
    return findings


def _entries(value: str | None, separator: str) -> list[str]:
    return [e for e in re.split(separator, value or "") if e]


def _shadow_findings(report: ProbeReport, expected: Expectations) -> list[Finding]:
    findings: list[Finding] = []
    # An environment meant to use the system's CUDA and cuDNN (a container built on an nvidia/cuda image):
    # loading them from outside the environment is the design, reported as a fact.
    outside = INFO if expected.system_cuda else ERROR
    prefix_roots = [report.prefix]
    env = report.env
    for entry in _entries(env.get("LD_PRELOAD"), r"[:\s]+"):
        if _CUDA_NAME.match(os.path.basename(entry)):
            findings.append(
                Finding(
                    "shadow-ld-preload",
                    ERROR,
                    f"LD_PRELOAD forces {entry} into every process, ahead of the environment's own libraries",
                    "unset LD_PRELOAD (or remove that entry)",
                )
            )
    pythonpath = _entries(env.get("PYTHONPATH"), os.pathsep)
    for lib in report.libraries:
        if lib.source != "mapped" or not _CUDA_NAME.match(lib.name):
            continue
        if _inside(lib.path, pythonpath):
            findings.append(
                Finding(
                    "shadow-pythonpath",
                    ERROR,
                    f"{lib.name} is loaded from {lib.directory}, a PYTHONPATH entry: its nvidia packages "
                    "shadow the "
                    "environment's",
                    "unset PYTHONPATH (or remove the entry holding nvidia/ packages)",
                )
            )
        elif not _inside(lib.path, prefix_roots):
            findings.append(
                Finding(
                    "loaded-outside-environment",
                    outside,
                    f"{lib.name} is loaded from {lib.directory}, outside the environment ({report.prefix})",
                    "remove that directory from the loader's path (LD_LIBRARY_PATH, LD_PRELOAD, "
                    "/etc/ld.so.conf)",
                )
            )
    findings += _ld_library_path_findings(report)
    would = next((lib for lib in report.libraries if lib.source == "would-load"), None)
    if would is not None and would.found_by in ("ld.so cache", "default directories"):
        findings.append(
            Finding(
                "shadow-system-copy",
                outside,
                f"TensorFlow would load the system's {would.path} ({would.found_by}), not the environment's",
                "install the environment's cuDNN wheel (cudnn-resolve create does) or remove the system copy",
            )
        )
    for name, paths in sorted(report.loader_cache.items()):
        if name.startswith(("libcudnn", "libcudart")) and ".so." in name:
            findings.append(
                Finding(
                    "system-copy",
                    INFO,
                    f"the loader cache holds {name} at {', '.join(paths)}: programs that load it by "
                    "name without the environment's path get this copy",
                )
            )
    return findings


def _tensorflow_sonames(report: ProbeReport) -> set[str]:
    """The CUDA runtime and cuDNN SONAMEs TensorFlow opens (it dlopens them when a GPU initialises)."""
    tf = report.frameworks.get("tensorflow")
    names = set()
    if tf is not None and tf.cuda_compiled:
        names.add(f"libcudart.so.{_parts(tf.cuda_compiled)[0]}")
    if tf is not None and tf.cudnn_compiled:
        names.add(f"libcudnn.so.{_parts(tf.cudnn_compiled)[0]}")
    return names


def _path_listing(report: ProbeReport) -> list[tuple[str, list[str]]]:
    """The CUDA libraries of each LD_LIBRARY_PATH entry: as the probe listed them inside the environment
    (a container image's directories are not the checker's), else read here."""
    if report.library_path_dirs is not None:
        listing = [
            (d.directory, sorted(n for n in d.names if _CUDA_NAME.match(n))) for d in report.library_path_dirs
        ]
        return [(d, names) for d, names in listing if names]
    found = []
    for directory in _entries(report.env.get("LD_LIBRARY_PATH"), ":"):
        try:
            names = sorted(n for n in os.listdir(directory) if _CUDA_NAME.match(n))
        except OSError:
            continue
        found.append((directory, names))
    return found


def _ld_library_path_findings(report: ProbeReport) -> list[Finding]:
    """CUDA libraries in LD_LIBRARY_PATH: TensorFlow loads by RUNPATH, which LD_LIBRARY_PATH overrides, so a
    copy of a SONAME it opens wins over the environment's; torch preloads its own wheels (RPATH)."""
    findings: list[Finding] = []
    tensorflow = "tensorflow" in report.frameworks
    wanted = _tensorflow_sonames(report)
    for directory, names in _path_listing(report):
        if not names:
            continue
        listed = ", ".join(names[:4]) + (" ..." if len(names) > 4 else "")
        shadowing = sorted(wanted & set(names))
        if shadowing:
            severity = ERROR
            why = f"TensorFlow would load its {', '.join(shadowing)} from there, not from the environment"
        elif tensorflow:
            severity, why = WARNING, "TensorFlow loads by RUNPATH, which LD_LIBRARY_PATH overrides"
        else:
            severity, why = (
                INFO,
                "PyTorch loads its own copies (RPATH) and ignores it; other programs may not",
            )
        findings.append(
            Finding(
                "shadow-ld-library-path",
                severity,
                f"LD_LIBRARY_PATH entry {directory} holds {listed}: {why}",
                f"remove {directory} from LD_LIBRARY_PATH",
            )
        )
    return findings


def _arch_ok(gpu: ComputeCapability, arch_list: Sequence[str]) -> bool:
    for flag in arch_list:
        match = _ARCH.match(flag.replace(".", ""))
        if not match:
            continue
        built = ComputeCapability(int(match.group(2)), int(match.group(3)))
        if match.group(1) == "sm" and gpu.runs_binary_for(built):
            return True
        if match.group(1) == "compute" and built <= gpu:  # PTX: compiled at load time for newer GPUs
            return True
    return False


def _hardware_findings(kb: KnowledgeBase, report: ProbeReport, expected: Expectations) -> list[Finding]:
    findings: list[Finding] = []
    if report.driver is None:
        # Say the conv ran on the CPU only where one ran: with --no-conv, or with no framework, none did.
        ran = any(f.conv is not None for f in report.frameworks.values())
        # The probe did not look when told not to (CUDNN_RESOLVE_NO_DETECT): then say that, not "no driver".
        looked = not (report.driver_error or "").startswith("not looked for")
        findings.append(
            Finding(
                "no-gpu",
                INFO,
                (
                    f"no NVIDIA driver ({report.driver_error}): "
                    if looked
                    else f"driver {report.driver_error}: "
                )
                + ("conv ran on the CPU; " if ran else "")
                + "GPU loading and kernels were not exercised",
            )
        )
        return findings
    cuda = expected.cuda or next(
        (f.cuda_compiled for f in report.frameworks.values() if f.cuda_compiled), None
    )
    toolkit = kb.toolkit(version(".".join(str(p) for p in _parts(cuda)[:2]))) if cuda else None
    platform = Platform.WIN_64 if os.name == "nt" else Platform.LINUX_64
    if toolkit is not None:
        minimum = driver_minimum(kb, toolkit, platform)
        if minimum is not None and DriverVersion.parse(report.driver) < minimum:
            findings.append(
                Finding(
                    "driver-too-old",
                    ERROR,
                    f"driver {report.driver} is older than CUDA {toolkit.version} needs ({minimum})",
                    f"upgrade the NVIDIA driver to >= {minimum}, or use a build for an older CUDA",
                )
            )
    for gpu in report.gpus:
        if gpu.compute_capability is None:
            continue
        cc = ComputeCapability.parse(gpu.compute_capability)
        for name, framework in report.frameworks.items():
            if framework.arch_list and not _arch_ok(cc, framework.arch_list):
                findings.append(
                    Finding(
                        "gpu-arch-unsupported",
                        ERROR,
                        f"{gpu.name} (compute capability {cc}) is not among {DISPLAY.get(name, name)}'s "
                        f"build architectures ({' '.join(framework.arch_list)})",
                        f"install a build for this GPU (cudnn-resolve pins ... --gpu-arch {cc} shows which)",
                    )
                )
        for lib in report.libraries:
            build = kb.cudnn_build(version(lib.version)) if lib.version else None
            # Only a published minimum makes this an error; an unknown one is no evidence.
            cudnn_min = known(build.min_cc) if build is not None else None
            if cudnn_min is not None and cc < cudnn_min:
                findings.append(
                    Finding(
                        "gpu-below-cudnn-minimum",
                        ERROR,
                        f"cuDNN {lib.version} supports compute capability {cudnn_min} and newer, not "
                        f"{cc} ({gpu.name})",
                        "use an older cuDNN (and the framework build that goes with it)",
                    )
                )
    return findings


# The probe's sections whose failures become framework or conv findings, not generic probe errors.
FRAMEWORK_SECTIONS = tuple(
    f"{name}_{part}" for name in ("torch", "tensorflow", "jax") for part in ("info", "conv")
)


def _conv_findings(report: ProbeReport) -> list[Finding]:
    findings: list[Finding] = []
    if not report.raw.get("conv_requested", True):
        return findings
    for name, framework in report.frameworks.items():
        label = DISPLAY.get(name, name)
        conv = framework.conv
        if framework.error:
            continue
        if conv is None or conv.error:
            why = f" ({conv.error})" if conv is not None else ""
            findings.append(
                Finding(
                    "conv-failed",
                    ERROR,
                    f"the {label} conv2d did not run{why}",
                    "see the probe's errors (--json: probe.errors) for where it failed",
                )
            )
        elif conv.gpu is None:
            findings.append(
                Finding(
                    "conv-cpu",
                    INFO,
                    f"{label} conv2d forward+backward ran on the CPU ({conv.cpu_ms} ms): gpu: none",
                )
            )
        elif not conv.ok:
            findings.append(
                Finding(
                    "conv-mismatch",
                    ERROR,
                    f"{label} conv2d on {conv.gpu} differs from the CPU by {conv.max_abs_diff}",
                    "check the cuDNN and driver the GPU run used",
                )
            )
        else:
            findings.append(
                Finding(
                    "conv-gpu",
                    INFO,
                    f"{label} conv2d on {conv.gpu} matches the CPU (max difference "
                    f"{conv.max_abs_diff}; {conv.gpu_ms} ms, then {conv.gpu_ms_warm} ms warm)",
                )
            )
    return findings


def evaluate(
    kb: KnowledgeBase, report: ProbeReport, expected: Expectations, need_framework: bool = False
) -> Verdict:
    """The findings about ``report``. An environment with no framework is an error when the expectations
    name frameworks or ``need_framework`` is set (`check`: with nothing loaded and nothing run, nothing
    was checked, and a pass would report what did not happen); else a note (`conda doctor` on any
    environment)."""
    findings: list[Finding] = []
    if not report.frameworks:
        failed = need_framework or bool(expected.frameworks)
        findings.append(
            Finding(
                "no-framework",
                ERROR if failed else INFO,
                f"no framework (torch, tensorflow, jax) is installed for {report.python_executable}"
                + (": nothing was loaded or run, so nothing was checked" if failed else ""),
                "check the environment that holds the framework (cudnn-resolve check -p PREFIX, -n NAME "
                "or --python PATH), or install one into this environment"
                if failed
                else None,
            )
        )
    findings += _framework_findings(kb, report, expected)
    findings += _cudnn_findings(report, expected)
    findings += _shadow_findings(report, expected)
    findings += _hardware_findings(kb, report, expected)
    findings += _conv_findings(report)
    findings += [
        Finding("probe-error", WARNING, f"probe: {e}")
        for e in report.errors
        if not e.startswith(FRAMEWORK_SECTIONS)
    ]
    return Verdict(report, expected, ordered(findings))
