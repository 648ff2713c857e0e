"""Explanations and concrete fixes per category, built from the knowledge base (exact pins, not advice)."""

from __future__ import annotations

from collections.abc import Mapping

from packaging.version import InvalidVersion, Version

from ..data import KnowledgeBase
from ..request import DISPLAY
from .signatures import Category
from .wheels import built_with, cudnn_fixes, library_fixes

# What JAX's "Unable to load <component>" (jax/_src/xla_bridge.py) and TF 0.x's "Unable to load cuDNN DSO"
# name, as the SONAME stem that provides it.
_COMPONENTS = {
    "cudnn": "libcudnn.so",
    "cuda": "libcudart.so",
    "cublas": "libcublas.so",
    "cufft": "libcufft.so",
    "cusolver": "libcusolver.so",
    "cusparse": "libcusparse.so",
    "nccl": "libnccl.so",
    "cupti": "libcupti.so",
}


def _version(text: str | None) -> Version | None:
    try:
        return Version(text) if text else None
    except InvalidVersion:
        return None


def _cudnn_mismatch(
    versions: Mapping[str, str], framework: str | None, kb: KnowledgeBase, cuda_major: int | None
) -> tuple[str, list[str]]:
    loaded, compiled = versions.get("loaded"), versions.get("compiled")
    minimum = versions.get("minimum")
    who = DISPLAY.get(framework or "", "The framework")
    against = f"cuDNN {compiled}" if compiled else "one cuDNN"
    running = f"is {loaded}" if loaded else "is another, incompatible one"
    text = (
        f"{who} was built against {against}"
        + (f" (and needs at least {minimum})" if minimum else "")
        + f" but the cuDNN loaded at run time {running}. TensorFlow, PyTorch and JAX need the same major "
        "version and a minor at least the build's, so an older or other-major copy was found first: a "
        "system or conda copy, LD_LIBRARY_PATH, or a mismatched wheel"
    )
    fixes = ["cudnn-resolve check  # shows which libcudnn file is loaded and why"]
    built = _version(compiled)
    required = _version(minimum)
    if required is not None and (built is None or required > built):
        built = required  # JAX states a minimum above its build's version (jax/_src/xla_bridge.py)
    if built is not None:
        fixes += cudnn_fixes(kb, built, framework, cuda_major)
        fixes += built_with(kb, built, framework)
    fixes.append("unset LD_LIBRARY_PATH  # if it points at another CUDA/cuDNN")
    return text, fixes


def _library(versions: Mapping[str, str], kb: KnowledgeBase, cuda_major: int | None) -> tuple[str, list[str]]:
    library = versions.get("library", "").split(",")[0].strip()
    component = versions.get("component", "")
    if not library and component:
        library = _COMPONENTS.get(component.lower(), "")
    fixes = []
    if library.lower().startswith("libcuda.so"):
        fixes.append(
            "libcuda comes with the NVIDIA driver, not with pip: install the driver (WSL: keep "
            "/usr/lib/wsl/lib on the loader path; Docker: run with --gpus all)"
        )
    else:
        fixes += library_fixes(kb, library, cuda_major)
    text = (
        f"the loader cannot find {library or 'a CUDA library'}: the environment does not provide it, or "
        "provides it where the framework does not look. TensorFlow <= 2.13 ships no CUDA libraries at all"
    )
    fixes.append("cudnn-resolve create <framework>=<version>  # an environment that installs and loads them")
    return text, fixes


_TEXT = {
    Category.LIBRARY_SHADOWED: (
        "a CUDA library was loaded from another copy than the one it was built with (a symbol or version "
        "node "
        "is missing): mixed cuDNN sub-libraries or an LD_LIBRARY_PATH/LD_PRELOAD/system copy shadowing the "
        "environment's",
        [
            "cudnn-resolve check  # lists every mapped libcudnn file and its directory",
            "unset LD_LIBRARY_PATH LD_PRELOAD  # then retry",
        ],
    ),
    Category.FORWARD_COMPAT_UNSUPPORTED: (
        "a CUDA forward-compatibility library (cuda-compat) is being used on a GPU that does not support it "
        "(forward compatibility is for data-center GPUs only)",
        [
            "remove the cuda-compat directory (e.g. /usr/local/cuda/compat) from LD_LIBRARY_PATH",
            "upgrade the NVIDIA driver instead",
        ],
    ),
    Category.NO_GPU_VISIBLE: (
        "the framework sees no GPU: no driver, CUDA_VISIBLE_DEVICES hides them, the container was started "
        "without GPU access, or the GPU libraries could not be loaded (see other causes)",
        [
            "nvidia-smi  # does the driver see the GPU?",
            "echo $CUDA_VISIBLE_DEVICES",
            "docker run --gpus all ...  # in a container",
            "systemctl status nvidia-fabricmanager  # NVSwitch systems (CUDA_ERROR_SYSTEM_NOT_READY)",
            "cudnn-resolve doctor",
        ],
    ),
    Category.OUT_OF_MEMORY: (
        "the GPU ran out of memory",
        [
            "reduce the batch size or model size",
            "export PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True  # PyTorch: less fragmentation",
            "export TF_FORCE_GPU_ALLOW_GROWTH=true  # TensorFlow",
        ],
    ),
    Category.BENIGN: (
        "harmless messages (duplicate plugin registration, missing optional TensorRT or its cuDNN-version "
        "warning, CPU instruction and NUMA notices, allocator retries and host-memory warnings, JAX probing "
        "platforms it does not use): not the cause of a failure",
        [],
    ),
}


def _driver(versions: Mapping[str, str], framework: str | None, kb: KnowledgeBase) -> tuple[str, list[str]]:
    supported = versions.get("driver_cuda") or versions.get("virtual_cuda")
    kernel, dso = versions.get("driver"), versions.get("dso")
    required = versions.get("required") or versions.get("required_missing")
    if required or "virtual_cuda" in versions:
        # The conda solvers' __cuda virtual package is the driver's CUDA (CONDA_OVERRIDE_CUDA sets it).
        found = f"CUDA {supported}" if supported else "no CUDA (no driver found)"
        text = (
            f"the conda solver needs a driver for CUDA {required or 'of the requested build'}, but the "
            f"machine's __cuda virtual package (the driver's CUDA) is {found}"
        )
        fixes = [
            "upgrade the NVIDIA driver, or ask for a build of an older CUDA (cudnn-resolve env-file ... "
            "--driver <your driver>)",
            f"export CONDA_OVERRIDE_CUDA={required or '12'}  # on a machine without the GPU that will run it",
        ]
        return text, fixes
    if kernel and dso:
        text = (
            f"the loaded NVIDIA kernel module ({kernel}) does not match the user-mode driver library libcuda "
            f"({dso}): the driver was changed without reloading the module, or an older driver is installed "
            "than the CUDA runtime needs"
        )
        fixes = ["reboot (or reload the nvidia kernel module) after a driver upgrade"]
    else:
        text = "the NVIDIA driver is older than the CUDA runtime the framework uses needs" + (
            f" (the driver supports CUDA {supported} at most)" if supported else ""
        )
        fixes = []
    for major, info in sorted(kb.cuda_majors.items()):
        linux = info.minor_compat_driver.get("linux")
        if linux is not None:
            fixes.append(f"CUDA {major}.x needs driver >= {linux} on Linux: upgrade the driver")
    name = framework or "torch"
    fixes.append(f"cudnn-resolve pins {name} --driver <your driver version>  # a build this driver can run")
    return text, fixes


def _arch(versions: Mapping[str, str], framework: str | None) -> tuple[str, list[str]]:
    cc = versions.get("compute_capability")
    text = (
        f"the installed build has no kernels for this GPU{f' (compute capability {cc})' if cc else ''}: "
        "the GPU is newer than the build's newest architecture, or older than it supports"
    )
    name = framework or "torch"
    fix = (
        f"cudnn-resolve pins {name} --gpu-arch {cc}" if cc else f"cudnn-resolve pins {name} --gpu-arch <X.Y>"
    )
    return text, [f"{fix}  # the builds that include this architecture"]


def _dnn_init(versions: Mapping[str, str]) -> tuple[str, list[str]]:
    driver = versions.get("driver")
    text = (
        "cuDNN was found but failed to initialise or run: most often the GPU is out of memory when the "
        "handle is created (TensorFlow reserves all memory by default), or the loaded cuDNN does not match "
        "the driver/GPU"
    )
    fixes = [
        "export TF_FORCE_GPU_ALLOW_GROWTH=true  # TensorFlow: allocate GPU memory as needed",
        "cudnn-resolve check  # is the loaded cuDNN the one the framework was built with?",
        "nvidia-smi  # another process holding the GPU's memory?",
    ]
    if driver:
        text += f" (the framework suspects the driver, {driver}, is too old)"
        fixes.append(f"cudnn-resolve pins <framework> --driver {driver}  # a build this driver can run")
    return text, fixes


def _toolchain(
    versions: Mapping[str, str], framework: str | None, kb: KnowledgeBase, cuda_major: int | None
) -> tuple[str, list[str]]:
    if framework == "torch":
        # torch/utils/cpp_extension.py builds CUDA extensions with the toolkit's nvcc, found via CUDA_HOME.
        return (
            "building a PyTorch CUDA extension needs a CUDA toolkit (nvcc) of the CUDA version PyTorch was "
            "built with, found through CUDA_HOME",
            [
                "export CUDA_HOME=/usr/local/cuda  # a toolkit matching torch.version.cuda",
                "conda install -c nvidia cuda-nvcc  # or install one into the environment",
            ],
        )
    ptxas = versions.get("cuda")
    text = (
        "XLA (JAX, TensorFlow) compiles GPU kernels at run time and needs ptxas/libdevice from the CUDA "
        "toolkit"
    ) + (f"; the ptxas found is {ptxas}, older than {versions.get('required', 'it needs')}" if ptxas else "")
    # NVIDIA's nvcc wheels (in the knowledge base's pip sets) bring ptxas and libdevice; the one of the
    # CUDA major the log shows, else the newest.
    majors = sorted(
        {
            int(n.rsplit("-cu", 1)[1])
            for p in kb.pip_sets.values()
            for n, _ in p.wheels
            if n.startswith("nvidia-cuda-nvcc-cu")
        }
    )
    major = cuda_major if cuda_major in majors else (majors[-1] if majors else None)
    fixes = [f"pip install nvidia-cuda-nvcc-cu{major}  # brings ptxas and libdevice"] if major else []
    return text, [
        *fixes,
        "export XLA_FLAGS=--xla_gpu_cuda_data_dir=/usr/local/cuda  # or point XLA at a toolkit",
    ]


def _cpu_build(framework: str | None) -> tuple[str, list[str]]:
    name = framework or "torch"
    return (
        f"a CPU-only build of {DISPLAY.get(name, name)} is installed",
        [
            f"cudnn-resolve constraints {name} --requirements requirements.txt -o constraints.txt",
            "pip install -r requirements.txt -c constraints.txt  # the CUDA build and its pins",
        ],
    )


def _install_conflict(versions: Mapping[str, str], kb: KnowledgeBase) -> tuple[str, list[str]]:
    wheel, wanted = versions.get("wheel", "an NVIDIA wheel"), versions.get("wanted", "")
    available = [v.strip() for v in versions.get("available", "").split(",") if v.strip()]
    placeholder = bool(available) and all(v.startswith("0.0.1") for v in available)
    text = f"the installer found no {wheel}=={wanted} for this platform and Python" + (
        " (the index offers only NVIDIA's placeholder 0.0.1.dev5 here: no real wheel of it fits this machine)"
        if placeholder
        else ""
    )
    fixes = []
    where = sorted(
        {p.value for b in kb.cudnn if b.pip_name == wheel and str(b.pip) == wanted for p in b.platforms}
    )
    if where:
        fixes.append(
            f"cudnn-resolve pins <framework> --platform <this machine>  # {wheel} {wanted} exists for "
            f"{', '.join(where)} only; the pins name builds that exist for yours"
        )
    else:
        fixes.append(
            "cudnn-resolve pins <framework>  # pins of wheels that exist for this platform and Python"
        )
    fixes.append(f"pip index versions {wheel}  # what the index offers this machine")
    return text, fixes


def _shadowed(
    versions: Mapping[str, str], kb: KnowledgeBase, cuda_major: int | None
) -> tuple[str, list[str]]:
    text, fixes = _TEXT[Category.LIBRARY_SHADOWED]
    component, built, found = versions.get("component"), versions.get("built"), versions.get("found")
    if not (component and built):
        return text, list(fixes)
    # JAX prints library versions as integers whose first two digits are the major (120304: cuBLAS 12.3.4).
    major = int(built[:2]) if len(built) >= 5 else None
    library = _COMPONENTS.get(component.lower(), "")
    text = (
        f"the {component} loaded ({found}) is older than the one JAX was built with ({built}): another copy "
        "(a system toolkit, LD_LIBRARY_PATH, an older wheel) was found first"
    )
    wheel_fixes = library_fixes(kb, f"{library}.{major}" if major is not None else library, cuda_major)
    return text, [*wheel_fixes, *fixes]


def explanation_and_fixes(
    category: Category,
    versions: Mapping[str, str],
    framework: str | None,
    kb: KnowledgeBase,
    cuda_major: int | None = None,
) -> tuple[str, list[str]]:
    """What the cause means and how to fix it; ``cuda_major`` is the CUDA major the log shows, if any,
    so that install fixes name the wheels of that major."""
    if category is Category.INSTALL_CONFLICT:
        return _install_conflict(versions, kb)
    if category is Category.LIBRARY_SHADOWED:
        return _shadowed(versions, kb, cuda_major)
    if category is Category.CUDNN_MISMATCH:
        return _cudnn_mismatch(versions, framework, kb, cuda_major)
    if category is Category.LIBRARY_MISSING:
        return _library(versions, kb, cuda_major)
    if category is Category.DRIVER_TOO_OLD:
        return _driver(versions, framework, kb)
    if category is Category.GPU_ARCH_UNSUPPORTED:
        return _arch(versions, framework)
    if category is Category.CPU_BUILD_INSTALLED:
        return _cpu_build(framework)
    if category is Category.DNN_INIT_FAILED:
        return _dnn_init(versions)
    if category is Category.TOOLCHAIN_MISSING:
        return _toolchain(versions, framework, kb, cuda_major)
    text, fixes = _TEXT[category]
    return text, list(fixes)
