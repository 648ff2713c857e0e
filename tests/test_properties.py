"""Laws that hold for every request: answers obey every rule in the data; bad input never crashes."""

from __future__ import annotations

import io
import re
from contextlib import redirect_stderr, redirect_stdout

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from packaging.version import Version

from cudnn_resolve import Request, ResolutionImpossibleError, resolve
from cudnn_resolve.cli import main
from cudnn_resolve.data import KnowledgeBase, load_knowledge_base
from cudnn_resolve.data.facts import Unknown, known
from cudnn_resolve.errors import CudnnResolveError, UsageError
from cudnn_resolve.request import FrameworkRequest, Target, parse_framework_request
from cudnn_resolve.resolver.resolution import FrameworkPin, Resolution
from cudnn_resolve.resolver.rules import driver_runs
from cudnn_resolve.versions import ComputeCapability, DriverVersion, Platform, specifier

KB = load_knowledge_base()
DRIVERS = [
    "418.39",
    "450.80",
    "450.80.02",
    "470.82.01",
    "520.61.05",
    "525.60.13",
    "535.104.05",
    "550.54.14",
    "570.26",
    "580.65.06",
    "610.43.02",
]
GPUS = ["3.5", "3.7", "5.0", "6.1", "7.0", "7.5", "8.0", "8.6", "8.9", "9.0", "10.0", "12.0"]
PYTHONS = ["3.7", "3.8", "3.9", "3.10", "3.11", "3.12", "3.13"]
PLATFORMS = [
    Platform.LINUX_64,
    Platform.LINUX_64,
    Platform.WIN_64,
    Platform.LINUX_AARCH64,
    Platform.OSX_ARM64,
]


def _exact(name: str, v: Version) -> FrameworkRequest:
    return FrameworkRequest(name, specifier(f"=={v}"), f"{name}=={v}")


framework_requests = st.one_of(
    *[
        st.sampled_from(KB.framework_versions(name)).map(lambda v, n=name: _exact(n, v))  # type: ignore[misc]
        for name in ("tensorflow", "torch", "jax")
    ]
)


@st.composite
def requests(draw: st.DrawFn) -> Request:
    frameworks = draw(st.lists(framework_requests, min_size=1, max_size=2, unique_by=lambda f: f.name))
    platform = draw(st.sampled_from(PLATFORMS))
    cuda_ok = platform.has_cuda
    return Request(
        frameworks=tuple(frameworks),
        platform=platform,
        python=draw(st.none() | st.sampled_from(PYTHONS).map(Version)),
        driver=draw(st.none() | st.sampled_from(DRIVERS).map(DriverVersion.parse)) if cuda_ok else None,
        gpus=tuple(
            draw(st.lists(st.sampled_from(GPUS).map(ComputeCapability.parse), max_size=2, unique=True))
        )
        if cuda_ok
        else (),
        target=draw(st.sampled_from([None, Target.PIP, Target.CONDA])),
    )


def _check_torch(kb: KnowledgeBase, request: Request, answer: Resolution, pin: FrameworkPin) -> None:
    release = next(r for r in kb.torch if pin.version in r.versions)
    variant = next(v for v in release.variants if v.name == pin.variant)
    assert request.platform in variant.platforms
    assert variant.cuda == answer.cuda_runtime
    assert variant.cudnn == answer.cudnn_version
    # Every Python with wheels is admitted (recorded for linux x86_64); outside the tested range, a note.
    admitted = release.python_admitted if request.platform is Platform.LINUX_64 else release.python
    assert admitted.contains(str(answer.python_version))
    if not release.python.contains(str(answer.python_version)):
        assert any(f"Python {answer.python_version}" in n and "tested range" in n for n in answer.notes)
    toolkit = kb.toolkit(variant.cuda)
    assert toolkit is not None
    for gpu in request.gpus:
        if isinstance(variant.arch, Unknown):
            # Conservative: never below what the toolkit or the release's own bounds allow.
            assert gpu >= toolkit.cc_min
            assert variant.arch_bounds is None or gpu >= variant.arch_bounds[0]
        else:
            assert any(gpu.runs_binary_for(a) for a in variant.arch)


def _check_tensorflow(kb: KnowledgeBase, request: Request, answer: Resolution, pin: FrameworkPin) -> None:
    release = next(r for r in kb.tensorflow if pin.version in r.versions)
    config = release.windows if request.platform.is_windows else release.linux
    assert config is not None
    assert config.python.contains(str(answer.python_version))
    cudnn, cuda = answer.cudnn_version, answer.cuda_runtime
    assert cudnn is not None
    assert cuda is not None
    extra = kb.and_cuda.get(pin.version)
    if extra is not None and not request.platform.is_windows:
        for req in extra.requires:
            if req.name.startswith("nvidia-cudnn"):
                assert req.specifier.contains(cudnn)
    else:  # same major, at least the tested minor (TensorFlow's own load-time check)
        assert cudnn.major == config.cudnn.major
        assert cudnn >= config.cudnn
        assert cuda.major == config.cuda.major
        assert cuda >= config.cuda


def _check_jax(kb: KnowledgeBase, answer: Resolution, pin: FrameworkPin) -> None:
    release = next(r for r in kb.jax if r.version == pin.version)
    extra = next(e for e in release.cuda if e.extra == pin.variant)
    assert answer.cudnn_version is not None
    assert answer.cuda_runtime is not None
    assert extra.cudnn.contains(answer.cudnn_version)
    assert answer.cuda_runtime.major == extra.cuda_major
    assert answer.cuda_runtime >= extra.cuda_min
    assert release.python.contains(str(answer.python_version))


def _check_cuda(kb: KnowledgeBase, request: Request, answer: Resolution) -> None:
    assert answer.cuda_runtime is not None
    assert answer.cudnn_version is not None
    toolkit = kb.toolkit(answer.cuda_runtime)
    assert toolkit is not None
    if request.driver is not None:
        assert driver_runs(kb, toolkit, request.driver, request.platform)
        assert answer.driver_min is not None
        assert answer.driver_min <= request.driver
    build = kb.cudnn_build(answer.cudnn_version, answer.cuda_runtime.major)
    assert build is not None, (answer.cudnn_version, answer.cuda_runtime)
    assert build.cuda_min is None or build.cuda_min <= answer.cuda_runtime
    for gpu in request.gpus:
        assert gpu >= toolkit.cc_min
        minimum = known(build.min_cc)
        assert minimum is None or gpu >= minimum


def _check_numpy(kb: KnowledgeBase, request: Request, answer: Resolution) -> None:
    """numpy<2 is pinned exactly where a framework's wheels were compiled against NumPy 1.x (or, where the
    data does not know, are said to be taken as such) and their metadata admits NumPy 2; and then no
    framework in the answer requires NumPy 2."""
    records = [
        next(r for r in kb.numpy[pin.name] if r.covers(pin.version, request.platform))
        for pin in answer.frameworks
    ]
    inferred_1 = [note for note in answer.inferred if "taken as NumPy 1.x" in note]
    assert len(inferred_1) == sum(isinstance(r.built_with, Unknown) and r.admits(2) for r in records)
    expected = bool(inferred_1) or any(r.built_with == 1 and r.admits(2) for r in records)
    assert ("numpy<2" in answer.pip.constraints) == expected, (answer.pip.constraints, records)
    if expected:
        assert all(r.admits(1) for r in records), records
        assert "numpy<2" in answer.conda.pip


def check_rules(kb: KnowledgeBase, request: Request, answer: Resolution) -> None:
    """Every rule of the data, re-checked from the records themselves (not from the resolver)."""
    for pin in answer.frameworks:
        wanted = next(f for f in request.frameworks if f.name == pin.name)
        assert wanted.specifier.contains(pin.version)
    if request.python is not None:
        assert answer.python_version == request.python
    names = [re.split(r"[=<>!~\[]", c)[0] for c in answer.pip.constraints]
    assert len(names) == len(set(names)), answer.pip.constraints
    _check_numpy(kb, request, answer)
    if not request.platform.has_cuda:
        assert answer.cuda is None
        assert answer.cudnn_version is None
        return
    _check_cuda(kb, request, answer)
    for pin in answer.frameworks:
        if pin.name == "torch":
            _check_torch(kb, request, answer, pin)
        elif pin.name == "tensorflow":
            _check_tensorflow(kb, request, answer, pin)
        else:
            _check_jax(kb, answer, pin)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(requests())
def test_every_answer_obeys_every_rule(request: Request) -> None:
    try:
        answer = resolve(request, KB)
    except ResolutionImpossibleError as error:
        assert error.reasons
        assert error.exit_code == 1
        return
    check_rules(KB, request, answer)


def unknown_facts_used(kb: KnowledgeBase, request: Request, answer: Resolution) -> list[str]:
    """What the answer relied on that the data marks unknown, read from the records themselves: the
    architecture list of a chosen PyTorch variant and the minimum GPU of the chosen cuDNN build, whenever a
    GPU was given (only then do they decide anything)."""
    if not request.gpus or answer.cudnn_version is None or answer.cuda_runtime is None:
        return []
    used = []
    for pin in answer.frameworks:
        if pin.name == "torch":
            release = next(r for r in kb.torch if pin.version in r.versions)
            variant = next(v for v in release.variants if v.name == pin.variant)
            if isinstance(variant.arch, Unknown):
                used.append(f"PyTorch {release.series} {variant.name} ")
    build = kb.cudnn_build(answer.cudnn_version, answer.cuda_runtime.major)
    assert build is not None
    if isinstance(build.min_cc, Unknown):
        used.append(f"cuDNN {build.release} for CUDA {build.cuda_major}")
    return used


# Requests that reach the unknown facts: recent PyTorch series and JAX (newest cuDNN builds), with GPUs.
recent = st.sampled_from([v for v in KB.framework_versions("torch") if v >= Version("2.6")]).map(
    lambda v: _exact("torch", v)
) | st.sampled_from(KB.framework_versions("jax")).map(lambda v: _exact("jax", v))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(recent | framework_requests, min_size=1, max_size=2, unique_by=lambda f: f.name),
    st.lists(st.sampled_from(GPUS).map(ComputeCapability.parse), min_size=1, max_size=2, unique=True),
    st.none() | st.sampled_from(DRIVERS).map(DriverVersion.parse),
)
def test_no_answer_relies_on_an_unknown_fact_without_a_note(
    frameworks: list[FrameworkRequest], gpus: list[ComputeCapability], driver: DriverVersion | None
) -> None:
    request = Request(frameworks=tuple(frameworks), gpus=tuple(sorted(gpus)), driver=driver)
    try:
        answer = resolve(request, KB)
    except ResolutionImpossibleError:
        return
    for fact in unknown_facts_used(KB, request, answer):
        assert any(fact in note for note in answer.inferred), (fact, answer.inferred)
        assert any(fact in note for note in answer.notes), (fact, answer.notes)
    assert set(answer.inferred) <= set(answer.notes)


@given(st.text(max_size=40))
def test_parser_raises_only_our_errors(text: str) -> None:
    try:
        req = parse_framework_request(text)
    except UsageError as error:
        assert "\n" not in str(error)
        return
    assert req.name in ("tensorflow", "torch", "jax")


OPTION_VALUES = st.one_of(
    st.text(max_size=12), st.sampled_from(DRIVERS + GPUS + PYTHONS + ["linux-64", "win-64"])
)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.one_of(st.text(max_size=15), st.sampled_from(["tf=2.10", "torch", "jax=0.4.30", "tf>=2"])),
        min_size=1,
        max_size=3,
    ),
    st.lists(
        st.tuples(
            st.sampled_from(["--driver", "--gpu-arch", "--python", "--platform", "--cuda", "--cudnn"]),
            OPTION_VALUES,
        ),
        max_size=3,
    ),
)
def test_cli_never_crashes(words: list[str], options: list[tuple[str, str]]) -> None:
    argv = ["pins", "--no-detect", "--json", *[w for w in words if not w.startswith("-")]]
    for flag, value in options:
        argv += [f"{flag}={value}"]
    out, err = io.StringIO(), io.StringIO()
    try:
        with redirect_stdout(out), redirect_stderr(err):
            code = main(argv)
    except SystemExit as exit_:  # argparse's own usage errors
        assert exit_.code == 2
        return
    except CudnnResolveError as error:  # pragma: no cover - main() must catch these
        raise AssertionError(f"main() let {error!r} escape") from error
    assert code in (0, 1, 2), (argv, code)
    assert "Traceback" not in err.getvalue()
