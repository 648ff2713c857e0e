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
    CUDNN_MISMATCH = "cudnn-mismatch"
    LIBRARY_MISSING = "library-missing"
    LIBRARY_SHADOWED = "library-shadowed"
    DNN_INIT_FAILED = "dnn-init-failed"
    DRIVER_TOO_OLD = "driver-too-old"
    FORWARD_COMPAT_UNSUPPORTED = "forward-compat-unsupported"
    GPU_ARCH_UNSUPPORTED = "gpu-arch-unsupported"
    NO_GPU_VISIBLE = "no-gpu-visible"
    CPU_BUILD_INSTALLED = "cpu-build-installed"
    TOOLCHAIN_MISSING = "toolchain-missing"
    OUT_OF_MEMORY = "out-of-memory"
    BENIGN = "benign"

    def __str__(self) -> str:
        return self.value


# Most specific root causes first: when several match, the earlier category is the likelier root cause
# (a cuDNN mismatch also produces "DNN library is not found" and "Failed to get convolution algorithm").
RANK = {c: i for i, c in enumerate(Category)}


@dataclass(frozen=True)
class Signature:
    id: str
    category: Category
    pattern: re.Pattern[str]
    framework: str | None = None  # tensorflow | torch | jax, where the message names its origin


def _sig(id_: str, category: Category, pattern: str, framework: str | None = None) -> Signature:
    return Signature(id_, category, re.compile(pattern, re.IGNORECASE), framework)


V = r"[\d.]+"  # a dotted version
TUPLE = r"\(\s*\d+\s*,\s*\d+\s*,\s*\d+\s*\)"

SIGNATURES: tuple[Signature, ...] = (
    # --- cuDNN mismatch ----------------------------------------------------------------------------------
    _sig(
        "tf-loaded-vs-compiled",
        Category.CUDNN_MISMATCH,
        rf"Loaded runtime CuDNN library:\s*(?P<loaded>{V})\s*(?:\(compatibility version (?P<compat>{V})\))?\s*but source was compiled with:?\s*(?P<compiled>{V})",
        "tensorflow",
    ),
    _sig(
        "torch-version-incompatibility",
        Category.CUDNN_MISMATCH,
        rf"cuDNN version incompatibility:\s*PyTorch was compiled\s+against\s+(?P<compiled>{TUPLE}|{V})\s+but found runtime version\s+(?P<loaded>{TUPLE}|{V})",
        "torch",
    ),
    _sig(
        "torch-cudnn-compiled-runtime",
        Category.CUDNN_MISMATCH,
        rf"cuDNN (?:version )?mismatch.*?compiled (?:with|against)[: ]+(?P<compiled>{V}).*?(?:found|loaded|runtime)[^\d]*(?P<loaded>{V})",
    ),
    _sig(
        "jax-cudnn-older",
        Category.CUDNN_MISMATCH,
        rf"(?:Loaded|found) (?:runtime )?cuDNN (?:version |library:?\s*)(?P<loaded>{V}).*?(?:compiled|built) (?:with|against)[: ]+(?:cuDNN )?(?P<compiled>{V})",
        "jax",
    ),
    # --- library shadowed (a copy from the wrong place) -----------------------------------------------------
    _sig(
        "undefined-cudnn-symbol",
        Category.LIBRARY_SHADOWED,
        r"undefined symbol:?\s*(?P<symbol>cudnn\w+|cublas\w+|cuda\w+)(?:,\s*version\s*(?P<library>lib\w+\.so[.\d]*))?",
    ),
    _sig(
        "version-node-not-found",
        Category.LIBRARY_SHADOWED,
        r"version\s*`(?P<node>lib(?:cudnn|cublas|cudart)\w*\.so[.\d]*)'\s*not found",
    ),
    # --- library missing ---------------------------------------------------------------------------------
    _sig(
        "could-not-load-dynamic-library",
        Category.LIBRARY_MISSING,
        r"Could not load dynamic library '?(?P<library>lib[\w.+-]+?\.so[.\d]*)'?",
    ),
    _sig(
        "cannot-open-shared-object",
        Category.LIBRARY_MISSING,
        r"(?P<library>lib(?:cudnn|cudart|cublas|cublasLt|cufft|curand|cusolver|cusparse|nvrtc|nvJitLink|nccl|nvinfer)\w*\.so[.\d]*):\s*cannot open shared object file",
    ),
    _sig(
        "unable-to-load-any",
        Category.LIBRARY_MISSING,
        r"Unable to load any of \{(?P<library>libcudnn[^}]*)\}",
    ),
    _sig(
        "dll-not-found",
        Category.LIBRARY_MISSING,
        r"Could not load (?:dynamic library '|library )?(?P<library>(?:cudnn|cudart|cublas|cusolver|cufft|curand|cusparse)\w*\.dll)",
    ),
    _sig(
        "cudnn-not-found-dnn", Category.LIBRARY_MISSING, r"(?:DNN library is not found|Unable to find cuDNN)"
    ),
    # --- driver -----------------------------------------------------------------------------------------------
    _sig(
        "driver-insufficient",
        Category.DRIVER_TOO_OLD,
        r"CUDA driver version is insufficient for CUDA runtime version|CUDA_ERROR_SYSTEM_DRIVER_MISMATCH|cudaErrorInsufficientDriver",
    ),
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
    _sig(
        "kernel-driver-version",
        Category.DRIVER_TOO_OLD,
        rf"kernel version (?P<kernel>{V}) does not match DSO version (?P<dso>{V})",
    ),
    # --- forward compatibility ------------------------------------------------------------------------------
    _sig(
        "forward-compat",
        Category.FORWARD_COMPAT_UNSUPPORTED,
        r"forward compatibility was attempted on non supported HW|CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE|system has unsupported display driver\s*/\s*cuda driver combination",
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
    # --- DNN initialisation --------------------------------------------------------------------------------------
    _sig(
        "cudnn-status-error",
        Category.DNN_INIT_FAILED,
        r"CUDNN_STATUS_(?P<status>INTERNAL_ERROR|NOT_INITIALIZED|EXECUTION_FAILED|NOT_SUPPORTED|ARCH_MISMATCH|BAD_PARAM|MAPPING_ERROR|SUBLIBRARY_VERSION_MISMATCH|VERSION_MISMATCH)",
    ),
    _sig("could-not-create-handle", Category.DNN_INIT_FAILED, r"Could not create cudnn handle"),
    _sig(
        "failed-conv-algorithm",
        Category.DNN_INIT_FAILED,
        r"Failed to get convolution algorithm\. This is probably because cuDNN failed to initialize",
    ),
    _sig(
        "dnn-not-available",
        Category.DNN_INIT_FAILED,
        r"cuDNN (?:error|launch failure)|CUDNN_BACKEND_API_FAILED",
    ),
    # --- CPU build installed --------------------------------------------------------------------------------
    _sig(
        "torch-not-compiled-cuda",
        Category.CPU_BUILD_INSTALLED,
        r"Torch not compiled with CUDA enabled",
        "torch",
    ),
    _sig(
        "jaxlib-no-cuda",
        Category.CPU_BUILD_INSTALLED,
        r"a CUDA-enabled jaxlib is not installed|jaxlib is not compiled with CUDA|jax\[cuda\d*\].*not installed",
        "jax",
    ),
    # --- toolchain ---------------------------------------------------------------------------------------------
    _sig(
        "ptxas-missing",
        Category.TOOLCHAIN_MISSING,
        r"(?:Couldn't (?:find|get) ptxas|ptxas[^\n]*not found|Can't find ptxas|XLA requires ptxas version)",
    ),
    _sig(
        "libdevice-missing", Category.TOOLCHAIN_MISSING, r"Can't find libdevice directory|libdevice not found"
    ),
    _sig(
        "nvcc-missing",
        Category.TOOLCHAIN_MISSING,
        r"nvcc(?: was)? not found|No such file or directory: '?nvcc",
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
    # --- no GPU visible ------------------------------------------------------------------------------------------
    _sig(
        "cuinit-no-device",
        Category.NO_GPU_VISIBLE,
        r"failed call to cuInit:\s*(?:CUDA_ERROR_NO_DEVICE|UNKNOWN ERROR \(\d+\)|CUDA_ERROR_UNKNOWN|CUDA_ERROR_NOT_INITIALIZED)",
    ),
    _sig(
        "skipping-gpu-devices",
        Category.NO_GPU_VISIBLE,
        r"Cannot dlopen some GPU libraries.*?Skipping registering GPU devices",
    ),
    _sig(
        "jax-no-gpu",
        Category.NO_GPU_VISIBLE,
        r"No GPU/TPU found, falling back to CPU|Unable to initialize backend 'cuda'|An NVIDIA GPU may be present on this machine, but",
    ),
    _sig(
        "torch-no-gpu",
        Category.NO_GPU_VISIBLE,
        r"Found no NVIDIA driver on your system|No CUDA GPUs are available|CUDA driver initialization failed|cuda\.is_available\(\)\s*(?:returned|is|==)\s*False",
    ),
    # --- benign noise ---------------------------------------------------------------------------------------------
    _sig(
        "factory-registration",
        Category.BENIGN,
        r"Unable to register cu(?:DNN|FFT|BLAS) factory|Attempting to register factory for plugin",
    ),
    _sig(
        "tensorrt-missing",
        Category.BENIGN,
        r"TF-TRT Warning: Could not find TensorRT|Could not find TensorRT",
    ),
    _sig(
        "cpu-feature-guard",
        Category.BENIGN,
        r"cpu_feature_guard|This TensorFlow binary is optimized to use available CPU instructions",
    ),
    _sig("onednn-notice", Category.BENIGN, r"oneDNN custom operations are on"),
    _sig("numa-node", Category.BENIGN, r"successful NUMA node read from SysFS had negative value|NUMA node"),
    _sig(
        "no-cuda-drivers",
        Category.BENIGN,
        r"Could not find cuda drivers on your machine, GPU will not be used",
    ),
    _sig("mlir-reproducer", Category.BENIGN, r"disabling MLIR crash reproducer"),
)
