"""Device, precision, memory format and thread selection, each checked rather than assumed."""

from __future__ import annotations

import functools
import platform
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import torch

from designspace.ui import checks

#: CPU feature flags (Linux /proc/cpuinfo) that mean native bf16 matrix/conv kernels in oneDNN
CPU_BF16_FLAGS = ("avx512_bf16", "amx_bf16", "bf16")  # x86 AVX512-BF16, x86 AMX, aarch64 BF16


def select_device(device: str = "auto") -> torch.device:
    """``auto``: CUDA when available, else CPU. ``cuda`` without a GPU is an error."""
    if not isinstance(device, str):
        raise ValueError(f"device={device!r}: must be auto, cpu or cuda[:N]")
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except RuntimeError:
        raise ValueError(f"device={device!r}: must be auto, cpu or cuda[:N]") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={device!r}: CUDA is not available on this machine (use --device cpu)")
    if dev.type not in ("cpu", "cuda"):
        raise ValueError(f"device={device!r}: must be auto, cpu or cuda[:N]")
    return dev


@functools.cache
def cpu_model() -> str:
    """The CPU's model name (/proc/cpuinfo's ``model name``; else ``platform.processor()``)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        text = ""
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("model name", "Model", "Hardware") and value.strip():
            return value.strip()
    return platform.processor() or platform.machine() or "unknown"


def device_name(device: torch.device) -> str:
    """What a result records as the hardware it ran on: the GPU's name, or the CPU model."""
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return cpu_model()


def runs_natively(precision: str, device: torch.device) -> bool:
    """Whether ``precision`` (fp32/bf16/fp16) runs at native speed here: bf16 on a CPU without
    native bf16 is emulated (several times slower than fp32, and other numerics than native bf16)."""
    if device.type == "cpu" and precision == "bf16":
        return cpu_has_native_bf16()
    return True


@functools.cache
def cpu_flags() -> frozenset[str]:
    """The CPU's feature flags from /proc/cpuinfo (empty where there is none)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return frozenset()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("flags", "Features"):
            return frozenset(value.split())
    return frozenset()


def cpu_has_native_bf16() -> bool:
    """True when the CPU computes bf16 natively (AVX512-BF16/AMX on x86, BF16 on Arm) and
    PyTorch's oneDNN can use it; without it bf16 is emulated and slower than fp32."""
    if not torch.backends.mkldnn.is_available():
        return False
    flags = cpu_flags()
    if flags:
        return any(f in flags for f in CPU_BF16_FLAGS)
    return platform.system() == "Darwin" and platform.machine() == "arm64"  # Apple M2+ have BF16


def select_precision(requested: str, device: torch.device) -> str:
    """``fp32`` | ``bf16`` | ``fp16`` for ``requested`` (auto|fp32|bf16|fp16) on ``device``."""
    if requested == "auto":
        if device.type == "cuda":
            return "bf16" if torch.cuda.is_bf16_supported() else "fp16"
        return "bf16" if cpu_has_native_bf16() else "fp32"
    if requested == "fp16" and device.type != "cuda":
        raise ValueError("precision='fp16' needs a CUDA device (use bf16 or fp32 on the CPU)")
    if requested not in ("fp32", "bf16", "fp16"):
        raise ValueError(f"precision={requested!r}: must be auto, fp32, bf16 or fp16")
    return requested


def autocast_dtype(precision: str) -> torch.dtype | None:
    return {"bf16": torch.bfloat16, "fp16": torch.float16}.get(precision)


def select_channels_last(requested: str, device: torch.device) -> bool:
    """``auto`` is on: channels_last convolutions were faster on GPUs and in oneDNN on the CPU
    (ResNet-20 and AnyNetX at 32 px, fp32 and bf16: benchmarks/bench_precision.py)."""
    if requested == "auto":
        return device.type in ("cuda", "cpu")
    return requested == "on"


@contextmanager
def threads_and_rng(threads: int | None, seed: int, device: torch.device) -> Iterator[None]:
    """Sets the intra-op thread count and seeds torch's RNGs for the block, then restores both.

    The caller's global RNG state and thread count are the same afterwards, so ``train`` has no
    lasting side effects. cuDNN autotuning (``torch.backends.cudnn.benchmark``) is left as the
    caller has it, off by default: each trial is a new model, and timing every new convolution
    shape cost more than it saved (H200, AnyNetX-A models at 1 epoch x 20k images, the same three
    models side by side: 7.4/4.2/5.4 s without it, 13.2/7.9/8.3 s with it).
    """
    if threads is not None:
        checks.integer("threads", threads, low=1)
    before = torch.get_num_threads()
    devices = [device.index or 0] if device.type == "cuda" else []
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        with torch.random.fork_rng(devices=devices):
            torch.manual_seed(seed)
            yield
    finally:
        torch.set_num_threads(before)
