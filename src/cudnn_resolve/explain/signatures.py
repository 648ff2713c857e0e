"""Signatures of the errors `explain` recognises: a category, a pattern and what it extracts.

Patterns are built from the messages' sources (framework error templates) and from real logs kept in
tests/data/explain/. They tolerate what varies between versions: log prefixes ("2023-05-01 12:00:00.1: E
external/local_xla/...cc:123]"), spacing, quoting, and how versions are printed ((8, 7, 0), 8700, 8.7.0).
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass


class Category(str, enum.Enum):
    INSTALL_CONFLICT = "install-conflict"
    CUDNN_MISMATCH = "cudnn-mismatch"
    LIBRARY_MISSING = "library-missing"
    LIBRARY_SHADOWED = "library-shadowed"
    DNN_INIT_FAILED = "dnn-init-failed"
    FORWARD_COMPAT_UNSUPPORTED = "forward-compat-unsupported"
    DRIVER_TOO_OLD = "driver-too-old"
    GPU_ARCH_UNSUPPORTED = "gpu-arch-unsupported"
    CPU_BUILD_INSTALLED = "cpu-build-installed"
    NO_GPU_VISIBLE = "no-gpu-visible"
    TOOLCHAIN_MISSING = "toolchain-missing"
    OUT_OF_MEMORY = "out-of-memory"
    BENIGN = "benign"

    def __str__(self) -> str:
        return self.value


# Most specific root causes first (an installer that could not install the CUDA packages comes before
# anything the half-installed environment then prints): when several match, the earlier category is the likelier root cause
# (a cuDNN mismatch also produces "DNN library is not found" and "Failed to get convolution algorithm";
# a forward-compatibility failure also makes XLA report "kernel version X does not match DSO version Y",
# because the cuda-compat libcuda is newer than the kernel module; a CPU-only build is why no GPU is seen).
RANK = {c: i for i, c in enumerate(Category)}


@dataclass(frozen=True)
class Signature:
    id: str
    category: Category
    pattern: re.Pattern[str]
    framework: str | None = None  # tensorflow | torch | jax, where the message names its origin


def _sig(id_: str, category: Category, pattern: str, framework: str | None = None) -> Signature:
    return Signature(id_, category, re.compile(pattern, re.IGNORECASE), framework)


V = r"\d+(?:\.\d+)*"  # a dotted version (a sentence's full stop is not part of it)
TUPLE = r"\(\s*\d+\s*,\s*\d+\s*,\s*\d+\s*\)"
# SONAMEs of the CUDA libraries these frameworks load (libcuda is the driver's, libcudart the runtime's).
CUDA_SO = (
    r"lib(?:cuda|cudnn|cublas|cufft|curand|cusolver|cusparse|nvrtc|nvJitLink|nccl|cupti)\w*\.so(?:\.\d+)*"
)

SIGNATURES: tuple[Signature, ...] = (
    # --- install conflict ---------------------------------------------------------------------------------
    # pip's resolver: no wheel of a pinned NVIDIA package for this platform or Python ("(from versions:
    # 0.0.1.dev5)" is the placeholder the index serves where no real wheel fits).
    _sig(
        "pip-no-matching-nvidia-wheel",
        Category.INSTALL_CONFLICT,
        r"Could not find a version that satisfies the requirement (?P<wheel>nvidia-[a-z0-9-]+)==(?P<wanted>[\d.]+)(?: \(from versions: (?P<available>[^)]*)\))?",
    ),
    _sig(
        "pip-no-matching-distribution-nvidia",
        Category.INSTALL_CONFLICT,
        r"No matching distribution found for (?P<wheel>nvidia-[a-z0-9-]+)==(?P<wanted>[\d.]+)",
    ),
    # --- cuDNN mismatch ----------------------------------------------------------------------------------
    # tensorflow/stream_executor/cuda/cuda_dnn.cc (TF 1.x: integers with compatibility versions; TF 2.x
    # and XLA: dotted versions).
    _sig(
        "tf-loaded-vs-compiled",
        Category.CUDNN_MISMATCH,
        rf"Loaded runtime CuDNN library:\s*(?P<loaded>{V})\s*(?:\(compatibility version (?P<compat>{V})\))?\s*but source was compiled with:?\s*(?P<compiled>{V})",
        "tensorflow",
    ),
    # torch/backends/cudnn/__init__.py: "cuDNN version mismatch: ... linked against 7102" (0.4),
    # "cuDNN version incompatibility: ... linked against (8, 0, 3)" (1.x), "... compiled  against (8, 5, 0)
    # but found runtime version (8, 3, 3)" (1.13+, with the double space).
    _sig(
        "torch-version-incompatibility",
        Category.CUDNN_MISMATCH,
        rf"cuDNN version (?:incompatibility|mismatch):\s*PyTorch was compiled\s+against\s+(?P<compiled>{TUPLE}|{V})\s+but\s+(?:found runtime version|linked against)\s+(?P<loaded>{TUPLE}|{V})",
        "torch",
    ),
    # jax/_src/xla_bridge.py (0.4.x), _check_cuda_versions: first a one-line message, later a report per
    # component ("Outdated cuDNN installation found." with the built-against, minimum and installed versions).
    _sig(
        "jax-cudnn-older",
        Category.CUDNN_MISMATCH,
        rf"Found cuDNN version (?P<loaded>{V}), but JAX was built against version (?P<compiled>{V})",
        "jax",
    ),
    # jax/_src/xla_bridge.py (0.4.x): the same check for the other CUDA components; an older copy than
    # the build's was loaded first (a system toolkit, LD_LIBRARY_PATH, an older wheel).
    _sig(
        "jax-component-older",
        Category.LIBRARY_SHADOWED,
        r"Found (?P<component>cuBLAS|cuSOLVER|cuFFT|cuSPARSE|cuPTI|NCCL) version (?P<found>\d+), but JAX was built against version (?P<built>\d+)",
        "jax",
    ),
    _sig(
        "jax-outdated-cudnn",
        Category.CUDNN_MISMATCH,
        rf"Outdated cuDNN installation found\.\s*Version JAX was built against:\s*(?P<compiled>{V})\s*Minimum supported:\s*(?P<minimum>{V})\s*Installed version:\s*(?P<loaded>{V})",
        "jax",
    ),
    # --- library shadowed (a copy from the wrong place) -----------------------------------------------------
    # glibc's loader: "<file>: undefined symbol: <symbol>[, version <node>]" names the library that needs a
    # symbol its neighbour (another cuDNN sub-library, libnvJitLink, libnvrtc) does not have: two copies mixed.
    _sig(
        "cuda-library-undefined-symbol",
        Category.LIBRARY_SHADOWED,
        rf"(?P<library>{CUDA_SO}):\s*undefined symbol:?\s*(?P<symbol>\w+)(?:,\s*version\s*(?P<node>lib\w+\.so(?:\.\d+)*))?",
    ),
    _sig(
        "undefined-cudnn-symbol",
        Category.LIBRARY_SHADOWED,
        r"(?:(?<![\w.+-])(?P<library>[\w.+-]{1,200}?\.so(?:\.\d+)*):\s*)?undefined symbol:?\s*(?P<symbol>cudnn\w+|cublas\w+|cuda\w+)(?:,\s*version\s*(?P<node>lib\w+\.so(?:\.\d+)*))?",
    ),
    # glibc's loader: "relocation error: <file>: symbol <s>, version <node> not defined in file <lib> with
    # link time reference".
    _sig(
        "version-not-defined",
        Category.LIBRARY_SHADOWED,
        rf"(?P<library>{CUDA_SO}):\s*symbol\s+(?P<symbol>\w+),\s*version\s+(?P<node>lib\w+\.so(?:\.\d+)*)\s+not defined in file",
    ),
    _sig(
        "version-node-not-found",
        Category.LIBRARY_SHADOWED,
        r"version\s*`(?P<node>lib(?:cudnn|cublas|cudart)\w*\.so[.\d]*)'\s*not found",
    ),
    # --- library missing ---------------------------------------------------------------------------------
    # First, so that the library reported is the one the loader could not open (TF's "Could not load dynamic
    # library 'libcusolver.so.11'; dlerror: libnvJitLink.so.12: cannot open ..." misses libnvJitLink).
    # TensorRT (libnvinfer) is optional for TensorFlow: its dso_loader warning is benign (see below).
    _sig(
        "cannot-open-shared-object",
        Category.LIBRARY_MISSING,
        rf"(?P<library>{CUDA_SO}|(?<!dlerror: )libnvinfer\w*\.so(?:\.\d+)*):\s*cannot open shared object file",
    ),
    # tensorflow/stream_executor/platform/default/dso_loader.cc (TF 2.x).
    _sig(
        "could-not-load-dynamic-library",
        Category.LIBRARY_MISSING,
        r"Could not load dynamic library '?(?!libnvinfer)(?P<library>lib[\w.+-]+?\.so(?:\.\d+)*)'?",
    ),
    # tensorflow/stream_executor/dso_loader.cc (TF 1.x).
    _sig(
        "couldnt-open-cuda-library",
        Category.LIBRARY_MISSING,
        r"Couldn't open CUDA library (?P<library>[\w+-]+(?:\.so(?:\.\d+)*|\.dll))",
    ),
    # cuDNN 9's sub-library loader.
    _sig(
        "unable-to-load-any",
        Category.LIBRARY_MISSING,
        r"Unable to load any of \{(?P<library>libcudnn[^,}]*)",
    ),
    _sig(
        "dll-not-found",
        Category.LIBRARY_MISSING,
        r"Could not load (?:dynamic library '|library )?(?P<library>(?:cudnn|cudart|cublas|cusolver|cufft|curand|cusparse)\w*\.dll)",
    ),
    # TF 0.x cuda_dnn.cc "Unable to load cuDNN DSO"; jax/_src/xla_bridge.py "Unable to load cuDNN. Is it
    # installed?" and "Unable to load CUDA." (one per CUDA component).
    _sig(
        "unable-to-load-component",
        Category.LIBRARY_MISSING,
        r"Unable to load (?P<component>cuDNN|CUDA|cuBLAS|cuFFT|cuSOLVER|cuSPARSE|cuPTI|NCCL)(?: DSO)?\.(?!\w)",
    ),
    _sig("unable-to-find-cudnn", Category.LIBRARY_MISSING, r"Unable to find cuDNN"),
    # jaxlib/cuda/versions_helpers.cc: "operation cusparseGetProperty(...) failed: The cuSPARSE library
    # was not found."
    _sig(
        "library-was-not-found",
        Category.LIBRARY_MISSING,
        r"The (?P<component>cuDNN|cuBLAS|cuFFT|cuSOLVER|cuSPARSE|cuPTI|NCCL) library was not found",
    ),
    # --- DNN initialisation --------------------------------------------------------------------------------------
    # CUDNN_STATUS_ALLOC_FAILED is cuDNN running out of GPU memory: out-of-memory, below.
    _sig(
        "cudnn-status-error",
        Category.DNN_INIT_FAILED,
        r"CUDNN_STATUS_(?P<status>INTERNAL_ERROR|NOT_INITIALIZED|EXECUTION_FAILED|NOT_SUPPORTED|BAD_PARAM|MAPPING_ERROR|SUBLIBRARY_VERSION_MISMATCH|VERSION_MISMATCH)",
    ),
    _sig(
        "could-not-create-handle",
        Category.DNN_INIT_FAILED,
        r"Could not create cudnn handle(?!:\s*CUDNN_STATUS_ALLOC_FAILED)",
    ),
    # TF/XLA cuda_dnn.cc, after a failed handle creation.
    _sig(
        "possibly-insufficient-driver",
        Category.DNN_INIT_FAILED,
        rf"Possibly insufficient driver version:\s*(?P<driver>{V})",
    ),
    # XLA cuda_dnn.cc: a CUDA error pending when cudnnCreate is called.
    _sig(
        "error-before-creating-handle",
        Category.DNN_INIT_FAILED,
        r"There was an error before creating cudnn handle",
    ),
    _sig(
        "failed-conv-algorithm",
        Category.DNN_INIT_FAILED,
        r"Failed to get convolution algorithm\. This is probably because cuDNN failed to initialize",
    ),
    # TF ("UNIMPLEMENTED: DNN library is not found.") and XLA ("FAILED_PRECONDITION: DNN library
    # initialization failed."): the DNN plugin did not come up. A missing libcudnn or a mismatch, when the
    # log shows it, ranks first.
    _sig(
        "dnn-library-not-available",
        Category.DNN_INIT_FAILED,
        r"DNN library is not found|DNN library initialization failed",
    ),
    _sig(
        "dnn-not-available",
        Category.DNN_INIT_FAILED,
        r"cuDNN error(?!:\s*CUDNN_STATUS_(?:ALLOC_FAILED|ARCH_MISMATCH))|cuDNN launch failure|CUDNN_BACKEND_API_FAILED",
    ),
    # --- forward compatibility ------------------------------------------------------------------------------
    # CUDA error 804 (cudaErrorCompatNotSupportedOnDevice / CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE): the
    # cuda-compat libcuda was loaded on a GPU that does not support forward compatibility (CUDA Runtime API,
    # "Data types used by CUDA Runtime", cudaError).
    _sig(
        "forward-compat",
        Category.FORWARD_COMPAT_UNSUPPORTED,
        r"forward compatibility was attempted on non supported HW|CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE|cudaErrorCompatNotSupportedOnDevice",
    ),
    # --- driver -----------------------------------------------------------------------------------------------
    # CUDA error 35 (insufficient driver) and 803 (cudaErrorSystemDriverMismatch /
    # CUDA_ERROR_SYSTEM_DRIVER_MISMATCH, "system has unsupported display driver / cuda driver combination":
    # the user-mode driver does not match the kernel module).
    _sig(
        "driver-insufficient",
        Category.DRIVER_TOO_OLD,
        r"CUDA driver version is insufficient for CUDA runtime version|cudaErrorInsufficientDriver|CUDA_ERROR_SYSTEM_DRIVER_MISMATCH|cudaErrorSystemDriverMismatch|system has unsupported display driver\s*/\s*cuda driver combination",
    ),
    # torch/cuda/__init__.py and c10/cuda: the driver's CUDA version as an integer (11040 = 11.4).
    _sig(
        "torch-driver-too-old",
        Category.DRIVER_TOO_OLD,
        r"The NVIDIA driver on your system is too old \(found version (?P<driver_cuda>\d+)\)",
    ),
    _sig(
        "driver-older-than-ptx",
        Category.DRIVER_TOO_OLD,
        r"the provided PTX was compiled with an unsupported toolchain|CUDA_ERROR_UNSUPPORTED_PTX_VERSION",
    ),
    # conda/mamba/pixi solvers: a package needs a newer __cuda (the driver's CUDA, a virtual package) than
    # the machine's, or the machine has none (no driver, or CONDA_OVERRIDE_CUDA unset on a build host).
    _sig(
        "conda-cuda-virtual-package",
        Category.DRIVER_TOO_OLD,
        rf"constraint __cuda\s*>=\s*(?P<required>{V}) conflicting with __cuda-(?P<virtual_cuda>{V})|nothing provides (?:requested )?__cuda\s*>=?\s*(?P<required_missing>{V})|__cuda\S* is missing on the system",
    ),
    # TF/XLA cuda_diagnostics.cc; the kernel module's version is the driver.
    _sig(
        "kernel-driver-version",
        Category.DRIVER_TOO_OLD,
        rf"kernel version (?P<driver>{V}) does not match DSO version (?P<dso>{V})",
    ),
    # --- GPU architecture --------------------------------------------------------------------------------------
    _sig(
        "torch-sm-not-compatible",
        Category.GPU_ARCH_UNSUPPORTED,
        r"with CUDA capability sm_(?P<sm>\d+) is not compatible with the current PyTorch installation",
    ),
    _sig(
        "torch-gpu-too-old",
        Category.GPU_ARCH_UNSUPPORTED,
        rf"which is of cuda capability (?P<compute_capability>{V})\.?\s*PyTorch no longer supports this GPU",
    ),
    # cuDNN's own check, as PyTorch, TensorFlow and XLA report it: the GPU is older than the loaded cuDNN
    # supports (cudnnStatus_t CUDNN_STATUS_ARCH_MISMATCH).
    _sig("cudnn-arch-mismatch", Category.GPU_ARCH_UNSUPPORTED, r"CUDNN_STATUS_ARCH_MISMATCH"),
    _sig(
        "no-kernel-image",
        Category.GPU_ARCH_UNSUPPORTED,
        r"no kernel image is available for execution on the device|CUDA_ERROR_NO_BINARY_FOR_GPU|cudaErrorNoKernelImageForDevice",
    ),
    _sig(
        "tf-min-capability",
        Category.GPU_ARCH_UNSUPPORTED,
        rf"Ignoring visible gpu device .*?compute capability (?P<compute_capability>{V})\. The minimum required Cuda capability is (?P<required>{V})",
    ),
    # --- CPU build installed --------------------------------------------------------------------------------
    _sig(
        "torch-not-compiled-cuda",
        Category.CPU_BUILD_INSTALLED,
        r"Torch not compiled with CUDA enabled",
        "torch",
    ),
    # jax/_src/xla_bridge.py: "An NVIDIA GPU may be present on this machine, but a CUDA-enabled jaxlib is
    # not installed. Falling back to cpu."
    _sig(
        "jaxlib-no-cuda",
        Category.CPU_BUILD_INSTALLED,
        r"a CUDA-enabled jaxlib is not installed|jaxlib is not compiled with CUDA|jax\[cuda\d*\].*not installed",
        "jax",
    ),
    # --- no GPU visible ------------------------------------------------------------------------------------------
    # TF/XLA cuda_driver.cc; newer XLA repeats "INTERNAL: CUDA error: Failed call to cuInit:". Error 802
    # (CUDA_ERROR_SYSTEM_NOT_READY) is an NVSwitch system whose fabric manager is not running.
    _sig(
        "cuinit-no-device",
        Category.NO_GPU_VISIBLE,
        r"failed call to cuInit:\s*(?:INTERNAL:\s*CUDA error:\s*Failed call to cuInit:\s*)?(?:CUDA_ERROR_NO_DEVICE|CUDA_ERROR_SYSTEM_NOT_READY|UNKNOWN ERROR \(\d+\)|CUDA_ERROR_UNKNOWN|CUDA_ERROR_NOT_INITIALIZED)",
    ),
    # tsl/cuda/cudart_stub.cc: the message says the GPU will not be used, so it is never benign.
    _sig(
        "no-cuda-drivers",
        Category.NO_GPU_VISIBLE,
        r"Could not find cuda drivers on your machine, GPU will not be used",
    ),
    _sig(
        "skipping-gpu-devices",
        Category.NO_GPU_VISIBLE,
        r"Cannot dlopen some GPU libraries.*?Skipping registering GPU devices",
    ),
    _sig(
        "jax-no-gpu",
        Category.NO_GPU_VISIBLE,
        r"No GPU/TPU found, falling back to CPU|Unable to initialize backend 'cuda'",
    ),
    # c10/cuda/CUDAFunctions.cpp: "CUDA unknown error - this may be due to an incorrectly set up
    # environment, e.g. changing env variable CUDA_VISIBLE_DEVICES after program start."
    _sig(
        "torch-no-gpu",
        Category.NO_GPU_VISIBLE,
        r"Found no NVIDIA driver on your system|No CUDA GPUs are available|CUDA driver initialization failed|CUDA unknown error - this may be due to an incorrectly set up environment|cuda\.is_available\(\)\s*(?:returned|is|==)\s*False",
    ),
    # --- toolchain ---------------------------------------------------------------------------------------------
    # XLA's asm_compiler.cc / nvptx_compiler.cc.
    _sig(
        "ptxas-missing",
        Category.TOOLCHAIN_MISSING,
        r"(?:Couldn't (?:find|get) ptxas|Couldn't find a suitable version of ptxas|ptxas[^\n]*not found|Can't find ptxas|XLA requires ptxas version)",
    ),
    # XLA's asm_compiler.cc warns about ptxas < 11.1, which miscompiles XLA code.
    _sig(
        "ptxas-too-old",
        Category.TOOLCHAIN_MISSING,
        rf"You are using ptxas (?P<cuda>{V}), which is older than (?P<required>{V})",
    ),
    _sig(
        "libdevice-missing", Category.TOOLCHAIN_MISSING, r"Can't find libdevice directory|libdevice not found"
    ),
    _sig(
        "nvcc-missing",
        Category.TOOLCHAIN_MISSING,
        r"nvcc(?: was)? not found|No such file or directory: '?nvcc",
    ),
    # torch/utils/cpp_extension.py: building a CUDA extension needs a CUDA toolkit.
    _sig(
        "torch-cuda-home-unset",
        Category.TOOLCHAIN_MISSING,
        r"CUDA_HOME environment variable is not set",
        "torch",
    ),
    # --- out of memory -----------------------------------------------------------------------------------------
    _sig(
        "torch-oom",
        Category.OUT_OF_MEMORY,
        rf"CUDA out of memory\. Tried to allocate (?P<amount>{V} ?[KMG]iB)",
    ),
    _sig(
        "tf-oom",
        Category.OUT_OF_MEMORY,
        r"ResourceExhaustedError|OOM when allocating tensor|RESOURCE_EXHAUSTED: Out of memory|CUDNN_STATUS_ALLOC_FAILED|CUDA_ERROR_OUT_OF_MEMORY",
    ),
    # tensorflow/core/common_runtime/bfc_allocator.cc, the failing allocation (its retried, benign
    # counterpart says "The caller indicates that this is not a failure" instead of "(rounded to N)").
    _sig(
        "bfc-allocator-oom",
        Category.OUT_OF_MEMORY,
        rf"ran out of memory trying to allocate (?P<amount>{V}\s*[KMGT]?i?B) \(rounded to \d+\)",
        "tensorflow",
    ),
    # --- benign noise ---------------------------------------------------------------------------------------------
    _sig(
        "factory-registration",
        Category.BENIGN,
        r"Unable to register cu(?:DNN|FFT|BLAS) factory|Attempting to register factory for plugin",
    ),
    # TF-TRT is optional: TensorFlow probes libnvinfer and warns when it is absent.
    _sig(
        "tensorrt-missing",
        Category.BENIGN,
        r"Could not find TensorRT|Could not load dynamic library '?libnvinfer\w*\.so(?:\.\d+)*|Cannot dlopen some TensorRT libraries",
    ),
    # TensorRT's logger compares cuDNN versions and only warns: it runs with the cuDNN it finds.
    _sig(
        "tensorrt-cudnn-version-warning",
        Category.BENIGN,
        rf"TensorRT was linked against cuDNN (?P<compiled>{V}) but loaded cuDNN (?P<loaded>{V})",
    ),
    _sig(
        "cpu-feature-guard",
        Category.BENIGN,
        r"cpu_feature_guard|This TensorFlow binary is optimized to use available CPU instructions",
    ),
    _sig("onednn-notice", Category.BENIGN, r"oneDNN custom operations are on"),
    _sig("numa-node", Category.BENIGN, r"successful NUMA node read from SysFS had negative value|NUMA node"),
    _sig("mlir-reproducer", Category.BENIGN, r"disabling MLIR crash reproducer"),
    # bfc_allocator.cc, an allocation the caller retries; cpu_allocator_impl.cc, host memory.
    _sig(
        "bfc-allocator-retry",
        Category.BENIGN,
        r"ran out of memory trying to allocate [^\n]*?The caller indicates that this is not a failure",
    ),
    _sig(
        "host-allocation-warning",
        Category.BENIGN,
        r"Allocation of \d+ exceeds 10% of (?:free )?system memory",
    ),
    # jax/_src/xla_bridge.py probes every platform; on a CUDA machine the others fail and are logged.
    _sig(
        "jax-other-backends",
        Category.BENIGN,
        r"Unable to initialize backend '(?:rocm|tpu|tpu_driver|METAL)'",
    ),
)
