"""The cudnn-resolve probe: run by an environment's own interpreter, it reports what that environment
really loads and writes one JSON object (to the file named by --output, else stdout).

Stdlib only and Python 3.7-compatible: it runs inside environments we did not build, with whatever Python
they have. Every section is guarded: a failure becomes an entry in "errors", never a crash.

Reports: the interpreter and platform; the environment variables that steer library loading; the NVIDIA
driver (libcuda's cuDriverGetVersion, NVML) and GPUs; each framework present (torch, tensorflow, jax): its
version, the CUDA/cuDNN it was compiled against, the GPU architectures it was built for and whether it
sees a GPU; every CUDA library mapped into this process (read from the process's own memory map) with
the version of each libcudnn (cudnnGetVersion / cudnnGetProperty); where a framework mapped no cuDNN
(TensorFlow without a GPU), the copy its loader would open; and a conv2d, forward and backward, per
framework, on the GPU compared with the CPU when there is a GPU, on the CPU otherwise.
"""

from __future__ import annotations

import ctypes
import importlib
import importlib.util
import json
import os
import platform
import re
import sys
import time
import traceback

PROBE_VERSION = 1
ENV_VARS = (
    "LD_LIBRARY_PATH",
    "LD_PRELOAD",
    "PYTHONPATH",
    "CUDA_VISIBLE_DEVICES",
    "CUDA_HOME",
    "CUDA_PATH",
    "CONDA_PREFIX",
    "XLA_FLAGS",
    "TF_CPP_MIN_LOG_LEVEL",
    # Set by nvidia/cuda images (and those built on them): the image's own CUDA and cuDNN.
    "CUDA_VERSION",
    "NV_CUDNN_VERSION",
    "NVIDIA_VISIBLE_DEVICES",
)
# The libraries a CUDA framework loads whose copies decide what runs (Linux SONAMEs, Windows DLL names).
CUDA_LIB = re.compile(
    r"(libcudnn[a-z_]*\.so[.\d]*|libcudart\.so[.\d]*|libcublas(?:Lt)?\.so[.\d]*|libnvrtc[a-z\-_]*\.so[.\d]*"
    r"|libnvJitLink\.so[.\d]*|libcuda\.so[.\d]*|cudnn[a-z_]*64_\d+\.dll|cudart64_\d+\.dll|cublas(?:Lt)?64_\d+\.dll"
    r"|nvrtc64_\d+(?:_\d+)?\.dll|nvJitLink_\d+_\d+\.dll)$",
    re.IGNORECASE,
)
CUDNN_MAIN = re.compile(r"^(libcudnn\.so(\.\d+)*|cudnn64_\d+\.dll)$", re.IGNORECASE)
ERRORS: list = []


def guarded(section):
    """Run a section; record its exception (with the last frames) instead of failing the probe."""

    def run(*args, **kwargs):
        try:
            return section(*args, **kwargs)
        except BaseException as exc:  # a probe never dies: it reports
            if isinstance(exc, KeyboardInterrupt):
                raise
            ERRORS.append(
                {
                    "section": section.__name__,
                    "error": f"{type(exc).__name__}: {exc}",
                    "trace": traceback.format_exc(limit=3)[-1500:],
                }
            )
            return None

    run.__name__ = section.__name__  # last_error(function.__name__) finds the section's record
    return run


# --- the interpreter and the environment ------------------------------------------------------------------


@guarded
def python_info():
    return {
        "version": platform.python_version(),
        "implementation": platform.python_implementation(),
        "executable": sys.executable,
        "prefix": sys.prefix,
        "base_prefix": getattr(sys, "base_prefix", sys.prefix),
        "path": [p for p in sys.path if p],
    }


@guarded
def platform_info():
    libc, libc_version = platform.libc_ver()
    return {
        "system": platform.system(),
        "machine": platform.machine(),
        "release": platform.release(),
        "libc": libc or None,
        "libc_version": libc_version or None,
    }


def env_info():
    return {name: os.environ.get(name) for name in ENV_VARS}


# --- driver and GPUs ---------------------------------------------------------------------------------------


# Set (by the test suite, or a user who wants to): do not look for this machine's driver, as if it had none.
NO_DETECT = "CUDNN_RESOLVE_NO_DETECT"
NOT_LOOKED_FOR = "not looked for (" + NO_DETECT + " is set)"


@guarded
def driver_info():
    names = ("nvcuda.dll",) if os.name == "nt" else ("libcuda.so.1",)
    result: dict = {"libcuda": None, "cuda_driver_version": None, "error": None}
    if os.environ.get(NO_DETECT):
        result["error"] = NOT_LOOKED_FOR
        return result
    for name in names:
        try:
            lib = ctypes.CDLL(name)
        except OSError as exc:
            result["error"] = str(exc)
            continue
        version = ctypes.c_int(0)
        code = lib.cuDriverGetVersion(ctypes.byref(version))
        result["libcuda"] = name
        if code == 0:
            result["cuda_driver_version"] = decode_cuda(version.value)
        else:
            result["error"] = f"cuDriverGetVersion returned {code}"
        break
    return result


class _Memory(ctypes.Structure):
    _fields_ = [("total", ctypes.c_ulonglong), ("free", ctypes.c_ulonglong), ("used", ctypes.c_ulonglong)]


@guarded
def nvml_info():
    if os.environ.get(NO_DETECT):
        return {"driver": None, "gpus": [], "error": NOT_LOOKED_FOR}
    name = "nvml.dll" if os.name == "nt" else "libnvidia-ml.so.1"
    try:
        nvml = ctypes.CDLL(name)
    except OSError as exc:
        return {"driver": None, "gpus": [], "error": str(exc)}
    code = nvml.nvmlInit_v2()
    if code != 0:
        return {"driver": None, "gpus": [], "error": f"nvmlInit_v2 returned {code}"}
    try:
        buffer = ctypes.create_string_buffer(96)
        nvml.nvmlSystemGetDriverVersion(buffer, 96)
        count = ctypes.c_uint(0)
        nvml.nvmlDeviceGetCount_v2(ctypes.byref(count))
        gpus = []
        for index in range(count.value):
            handle = ctypes.c_void_p()
            if nvml.nvmlDeviceGetHandleByIndex_v2(index, ctypes.byref(handle)) != 0:
                continue
            device = ctypes.create_string_buffer(96)
            nvml.nvmlDeviceGetName(handle, device, 96)
            major, minor = ctypes.c_int(0), ctypes.c_int(0)
            nvml.nvmlDeviceGetCudaComputeCapability(handle, ctypes.byref(major), ctypes.byref(minor))
            memory = _Memory()
            nvml.nvmlDeviceGetMemoryInfo(handle, ctypes.byref(memory))
            gpus.append(
                {
                    "index": index,
                    "name": device.value.decode(errors="replace"),
                    "compute_capability": f"{major.value}.{minor.value}",
                    "memory_mib": memory.total // (1024 * 1024),
                }
            )
        return {"driver": buffer.value.decode(errors="replace"), "gpus": gpus, "error": None}
    finally:
        nvml.nvmlShutdown()


# --- libraries mapped into this process ------------------------------------------------------------------


def mapped_paths():
    """Every file mapped into this process (Linux: /proc/self/maps; Windows: the loaded modules)."""
    paths = []
    if os.path.exists("/proc/self/maps"):
        with open("/proc/self/maps") as maps:
            for line in maps:
                parts = line.split(None, 5)
                if len(parts) == 6 and parts[5].startswith("/"):
                    path = parts[5].strip()
                    if path.endswith(" (deleted)"):
                        path = path[: -len(" (deleted)")]
                    if path not in paths:
                        paths.append(path)
    elif os.name == "nt":
        paths = _windows_modules()
    return paths


def _windows_modules():
    windll = getattr(ctypes, "WinDLL")  # noqa: B009  # Windows-only name, absent from Linux type stubs
    psapi = windll("psapi")
    kernel32 = windll("kernel32")
    process = kernel32.GetCurrentProcess()
    modules = (ctypes.c_void_p * 4096)()
    needed = ctypes.c_ulong(0)
    psapi.EnumProcessModules(process, modules, ctypes.sizeof(modules), ctypes.byref(needed))
    paths = []
    for i in range(min(needed.value // ctypes.sizeof(ctypes.c_void_p), 4096)):
        name = ctypes.create_unicode_buffer(1024)
        if psapi.GetModuleFileNameExW(process, ctypes.c_void_p(modules[i]), name, 1024):
            paths.append(name.value)
    return paths


def decode_cuda(raw: int) -> str:
    """CUDA's version integer (1000 x major + 10 x minor) as MAJOR.MINOR: 12040 = 12.4. A copy of
    versions.cuda_version_text, which this stdlib-only script cannot import (tests hold them equal)."""
    return f"{raw // 1000}.{raw % 1000 // 10}"


def decode_cudnn(raw: int) -> str:
    """cudnnGetVersion's integer as MAJOR.MINOR.PATCH: cuDNN 9 encodes M*10000+m*100+p (92400 = 9.24.0),
    cuDNN 8 and 7 M*1000+m*100+p (8904 = 8.9.4)."""
    if raw >= 90000:
        return f"{raw // 10000}.{raw % 10000 // 100}.{raw % 100}"
    return f"{raw // 1000}.{raw % 1000 // 100}.{raw % 100}"


def cudnn_version(path):
    """Version facts of one libcudnn main library, read through its own API (loads it if needed)."""
    lib = ctypes.CDLL(path)
    lib.cudnnGetVersion.restype = ctypes.c_size_t
    raw = int(lib.cudnnGetVersion())
    info = {"raw": raw, "version": decode_cudnn(raw)}
    parts = []
    for prop in (0, 1, 2):  # MAJOR_VERSION, MINOR_VERSION, PATCH_LEVEL
        value = ctypes.c_int(-1)
        if lib.cudnnGetProperty(prop, ctypes.byref(value)) == 0:
            parts.append(str(value.value))
    if len(parts) == 3:
        info["version"] = ".".join(parts)  # encoding-independent, where the library answers
    try:
        lib.cudnnGetCudartVersion.restype = ctypes.c_size_t
        cudart = int(lib.cudnnGetCudartVersion())
        info["cudart"] = decode_cuda(cudart)
    except AttributeError:
        pass
    return info


def library_entry(path, source):
    entry = {
        "path": path,
        "name": os.path.basename(path),
        "dir": os.path.dirname(path),
        "source": source,
        "real_path": os.path.realpath(path),
    }
    if CUDNN_MAIN.match(entry["name"]):
        try:
            entry.update(cudnn_version(path))
        except (OSError, AttributeError) as exc:
            entry["error"] = str(exc)
    return entry


@guarded
def mapped_cuda_libraries():
    return [library_entry(p, "mapped") for p in mapped_paths() if CUDA_LIB.search(os.path.basename(p))]


@guarded
def library_path_dirs():
    """The CUDA libraries in each LD_LIBRARY_PATH directory, with each cuDNN main library's version: a
    program that loads by RUNPATH (TensorFlow) gets these copies before its own. Listed here, inside the
    environment, because the checker may run elsewhere (on the host, for a container image)."""
    found = []
    for directory in [d for d in os.environ.get("LD_LIBRARY_PATH", "").split(":") if d]:
        try:
            names = sorted(n for n in os.listdir(directory) if CUDA_LIB.search(n))
        except OSError:
            continue
        cudnn, seen = [], set()
        for name in names:
            path = os.path.join(directory, name)
            if CUDNN_MAIN.match(name) and os.path.realpath(path) not in seen:
                seen.add(os.path.realpath(path))
                entry = {"path": path}
                try:
                    entry.update(cudnn_version(path))
                except (OSError, AttributeError) as exc:
                    entry["error"] = str(exc)
                cudnn.append(entry)
        found.append({"dir": directory, "names": names, "cudnn": cudnn})
    return found


# --- frameworks -------------------------------------------------------------------------------------------


def _present(name):
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def _time(function):
    start = time.perf_counter()
    value = function()
    return value, round((time.perf_counter() - start) * 1000, 2)


# The GPU result must equal the CPU one up to float32 rounding, relative to the size of the values: cuDNN
# may pick Winograd or FFT algorithms whose error grows with the magnitude of the sums (the weight
# gradient here sums 512 products), so an absolute bound would flag correct runs on large values.
CONV_TOLERANCE = 1e-3


def _gpu_conv_result(run, device, name, cpu, difference):
    """Run the conv on ``device`` twice (the first run pays for context creation, library loading and
    algorithm selection; the second is the steady state) and compare each output with the CPU's."""
    out, gpu_ms = _time(lambda: run(device))
    _, warm_ms = _time(lambda: run(device))
    pairs = [difference(a, b) for a, b in zip(cpu, out)]
    diff = max(d for d, _ in pairs)
    scale = max([1.0] + [s for _, s in pairs])
    return {
        "device": str(device),
        "gpu": name,
        "gpu_ms": gpu_ms,
        "gpu_ms_warm": warm_ms,
        "max_abs_diff": diff,
        "max_abs_value": scale,
        "tolerance": CONV_TOLERANCE,
        "ok": diff <= CONV_TOLERANCE * scale,
    }


def run_conv(conv_function, *args):
    """A conv's result, or its failure as a result: the framework's other facts stay reported either way."""
    result = guarded(conv_function)(*args)
    if result is None:
        return {"device": None, "gpu": None, "ok": False, "error": last_error(conv_function.__name__)}
    return result


def last_error(section):
    for entry in reversed(ERRORS):
        if entry["section"] == section:
            return entry["error"]
    return "no result and no error recorded"


def _numpy_difference(a, b):
    return float(abs(a - b).max()), float(abs(a).max())


@guarded
def torch_info(conv):
    import torch

    info = {
        "version": torch.__version__,
        "cuda_compiled": torch.version.cuda,
        "cudnn_runtime": None,
        "cudnn_compiled": None,
        "arch_list": [],
        "gpu_available": False,
        "gpus": [],
    }
    cudnn = getattr(torch._C, "_cudnn", None)
    if cudnn is not None:
        info["cudnn_compiled"] = ".".join(str(x) for x in cudnn.getCompileVersion())
        info["cudnn_runtime"] = ".".join(str(x) for x in cudnn.getRuntimeVersion())
    flags = getattr(torch._C, "_cuda_getArchFlags", None)
    if flags is not None and flags():
        info["arch_list"] = [f for f in flags().split() if f]
    info["gpu_available"] = bool(torch.cuda.is_available())
    if info["gpu_available"]:
        for i in range(torch.cuda.device_count()):
            major, minor = torch.cuda.get_device_capability(i)
            info["gpus"].append(
                {"name": torch.cuda.get_device_name(i), "compute_capability": f"{major}.{minor}"}
            )
    if conv:
        info["conv"] = run_conv(torch_conv, torch, info["gpu_available"])
    return info


def torch_conv(torch, gpu):
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(2, 3, 16, 16, generator=generator)
    w = torch.randn(4, 3, 3, 3, generator=generator)

    def run(device):
        # Fresh leaves on every run: x.to("cpu") returns x itself, so without detach() the first run
        # would make x require grad and every later x.to(device) a non-leaf whose .grad stays None
        # (found on a real GPU: the CUDA run read a None gradient).
        xd = x.detach().to(device).requires_grad_(True)
        wd = w.detach().to(device).requires_grad_(True)
        y = torch.nn.functional.conv2d(xd, wd, padding=1)
        y.sum().backward()
        if device != "cpu":
            torch.cuda.synchronize()
        return y.detach().cpu(), xd.grad.cpu(), wd.grad.cpu()

    cpu, cpu_ms = _time(lambda: run("cpu"))
    result = {"device": "cpu", "gpu": None, "cpu_ms": cpu_ms, "ok": True}
    if gpu:
        torch.backends.cudnn.allow_tf32 = False  # compare like with like: full fp32 on both sides
        torch.backends.cuda.matmul.allow_tf32 = False

        def difference(a, b):
            return float((a - b).abs().max()), float(a.abs().max())

        result.update(_gpu_conv_result(run, "cuda:0", torch.cuda.get_device_name(0), cpu, difference))
        result["cudnn_used"] = bool(torch.backends.cudnn.enabled)
    return result


@guarded
def tensorflow_info(conv):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    build = dict(tf.sysconfig.get_build_info())
    gpus = tf.config.list_physical_devices("GPU")
    info = {
        "version": tf.__version__,
        "cuda_compiled": build.get("cuda_version"),
        "cudnn_compiled": build.get("cudnn_version"),
        "is_cuda_build": bool(build.get("is_cuda_build")),
        "arch_list": build.get("cuda_compute_capabilities") or [],
        "gpu_available": bool(gpus),
        "gpus": [g.name for g in gpus],
        "package_dir": os.path.dirname(tf.__file__),
    }
    if conv:
        info["conv"] = run_conv(tensorflow_conv, tf, bool(gpus))
    return info


def tensorflow_conv(tf, gpu):
    x = tf.random.stateless_normal((2, 16, 16, 3), seed=(1, 2))
    w = tf.random.stateless_normal((3, 3, 3, 4), seed=(3, 4))

    def run(device):
        with tf.device(device):
            xv, wv = tf.Variable(x), tf.Variable(w)
            with tf.GradientTape() as tape:
                y = tf.nn.conv2d(xv, wv, strides=1, padding="SAME")
                total = tf.reduce_sum(y)
            gx, gw = tape.gradient(total, [xv, wv])
            return y.numpy(), gx.numpy(), gw.numpy()

    cpu, cpu_ms = _time(lambda: run("/CPU:0"))
    result = {"device": "cpu", "gpu": None, "cpu_ms": cpu_ms, "ok": True}
    if gpu:
        tf.config.experimental.enable_tensor_float_32_execution(False)
        result.update(_gpu_conv_result(run, "/GPU:0", "GPU:0", cpu, _numpy_difference))
    return result


@guarded
def jax_info(conv):
    # JAX takes 75% of the GPU's memory at its first GPU operation unless told otherwise; a smoke test
    # must not hold a shared GPU's memory (or fail beside a framework imported before it).
    os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
    import jax

    info = {
        "version": jax.__version__,
        "cuda_compiled": None,
        "cudnn_compiled": None,
        "cudnn_runtime": None,
        "gpu_available": False,
        "gpus": [],
    }
    try:
        import jaxlib

        info["jaxlib"] = getattr(jaxlib, "__version__", None) or getattr(jaxlib.version, "__version__", None)
    except ImportError:
        info["jaxlib"] = None
    try:
        from jax._src.lib import cuda_versions
    except ImportError:
        cuda_versions = None
    if cuda_versions is not None:
        info["cudnn_compiled"] = decode_cudnn(int(cuda_versions.cudnn_build_version()))
        info["cudnn_runtime"] = decode_cudnn(int(cuda_versions.cudnn_get_version()))
        runtime = int(cuda_versions.cuda_runtime_build_version())
        info["cuda_compiled"] = decode_cuda(runtime)
    try:
        gpus = jax.devices("gpu")
    except RuntimeError:
        gpus = []
    info["gpu_available"] = bool(gpus)
    info["gpus"] = [str(d) for d in gpus]
    if conv:
        info["conv"] = run_conv(jax_conv, jax, gpus)
    return info


def jax_conv(jax, gpus):
    import jax.numpy as jnp

    key = jax.random.PRNGKey(0)
    x = jax.random.normal(key, (2, 3, 16, 16))
    w = jax.random.normal(jax.random.PRNGKey(1), (4, 3, 3, 3))

    # JAX's default precision lets the GPU use TF32 (10-bit mantissa) for float32 convolutions on
    # Ampere and newer; HIGHEST compares like with like, as torch's run turns TF32 off.
    highest = jax.lax.Precision.HIGHEST

    def conv2d(xv, wv):
        return jax.lax.conv_general_dilated(xv, wv, (1, 1), "SAME", precision=highest)

    def loss(xv, wv):
        return jnp.sum(conv2d(xv, wv))

    def run(device):
        xd, wd = jax.device_put(x, device), jax.device_put(w, device)
        y = conv2d(xd, wd)
        gx, gw = jax.grad(loss, argnums=(0, 1))(xd, wd)
        return [jax.device_get(a) for a in (y.block_until_ready(), gx, gw)]

    cpu, cpu_ms = _time(lambda: run(jax.devices("cpu")[0]))
    result = {"device": "cpu", "gpu": None, "cpu_ms": cpu_ms, "ok": True}
    if gpus:
        result.update(_gpu_conv_result(run, gpus[0], str(gpus[0]), cpu, _numpy_difference))
    return result


# --- the cuDNN TensorFlow would load, when it mapped none --------------------------------------------------


@guarded
def tensorflow_would_load(tf_info, mapped):
    """Without a GPU TensorFlow opens no cuDNN; find the copy its loader would open, as ld.so would."""
    if os.name == "nt" or not tf_info or not tf_info.get("cudnn_compiled"):
        return None
    if any(CUDNN_MAIN.match(m["name"]) for m in mapped):
        return None
    here = os.path.dirname(os.path.abspath(__file__))
    if here not in sys.path:
        sys.path.insert(0, here)
    import elf

    package = tf_info["package_dir"]
    loaders = [
        os.path.join(package, n)
        for n in sorted(os.listdir(package))
        if n.startswith("libtensorflow_framework")
    ]
    loaders += [
        os.path.join(package, "python", n)
        for n in sorted(os.listdir(os.path.join(package, "python")))
        if n.startswith("_pywrap_tensorflow_internal")
    ]
    major = str(tf_info["cudnn_compiled"]).split(".")[0]
    soname = "libcudnn.so." + major
    cache = elf.loader_cache()
    for loader in loaders:
        info = elf.read_dynamic(loader)
        path, how = elf.find_library(soname, info, os.environ.get("LD_LIBRARY_PATH", ""), cache)
        if path:
            entry = library_entry(path, "would-load")
            entry["found_by"] = how
            entry["loader"] = loader
            entry["search"] = [d for d, _ in elf.search_order(info, os.environ.get("LD_LIBRARY_PATH", ""))]
            return entry
    return {"name": soname, "path": None, "source": "would-load", "found_by": "not found", "loaders": loaders}


@guarded
def loader_cache_copies():
    if os.name == "nt":
        return []
    here = os.path.dirname(os.path.abspath(__file__))
    if here not in sys.path:
        sys.path.insert(0, here)
    import elf

    copies = []
    for name, paths in sorted(elf.loader_cache().items()):
        if not CUDA_LIB.search(name):
            continue
        entry = {"name": name, "paths": paths}
        if CUDNN_MAIN.match(name) and paths:  # the system's cuDNN: what an image brings with it
            try:
                entry["version"] = cudnn_version(paths[0])["version"]
            except (OSError, AttributeError) as exc:
                entry["error"] = str(exc)
        copies.append(entry)
    return copies


def main(argv):
    conv = "--no-conv" not in argv
    output = argv[argv.index("--output") + 1] if "--output" in argv else None
    report = {
        "probe_version": PROBE_VERSION,
        "conv_requested": conv,
        "python": python_info(),
        "platform": platform_info(),
        "env": env_info(),
        "driver": driver_info(),
        "nvml": nvml_info(),
        "frameworks": {},
    }
    for name, function in (("torch", torch_info), ("tensorflow", tensorflow_info), ("jax", jax_info)):
        if _present(name):
            report["frameworks"][name] = function(conv) or {"error": last_error(function.__name__)}
    mapped = mapped_cuda_libraries() or []
    report["libraries"] = mapped
    would = tensorflow_would_load(report["frameworks"].get("tensorflow"), mapped)
    if would:
        report["libraries"] = [*mapped, would]
    report["loader_cache"] = loader_cache_copies() or []
    report["ld_library_path_dirs"] = library_path_dirs() or []
    report["errors"] = ERRORS
    text = json.dumps(report, indent=1, sort_keys=True, default=str)
    if output:
        with open(output, "w") as handle:
            handle.write(text)
    else:
        sys.stdout.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
