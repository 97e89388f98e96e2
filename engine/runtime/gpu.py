"""How many of a model's layers to put on the GPU: all that fit in free VRAM."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass

HEADROOM_BYTES = 512 * 1024 * 1024
"""Left free for the KV cache, compute buffers and the desktop."""


@dataclass(frozen=True)
class Offload:
    """The layers chosen for one model, and why, for reports."""

    n_gpu_layers: int
    """As llama.cpp takes it: -1 every layer, 0 none."""
    reason: str

    @property
    def device(self) -> str:
        return "CPU" if self.n_gpu_layers == 0 else "GPU"


def free_vram_bytes() -> int | None:
    """Free memory of the first NVIDIA GPU; None where it cannot be asked (no driver tool,
    Apple unified memory, other vendors)."""
    tool = shutil.which("nvidia-smi")
    if tool is None:
        return None
    try:
        result = subprocess.run(
            [tool, "--query-gpu=memory.free", "--format=csv,noheader,nounits"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
        first = result.stdout.strip().splitlines()[0]
        return int(float(first)) * 1024 * 1024
    except (OSError, subprocess.SubprocessError, ValueError, IndexError):
        return None


def choose_offload(
    requested: int,
    *,
    gpu_build: bool,
    model_bytes: int,
    n_layer: int | None,
    free_bytes: int | None,
) -> Offload:
    """`requested` -1 means automatic; any other value is the user's and is kept (0 on a
    CPU-only build, where there is nothing to offload to)."""
    if not gpu_build:
        return Offload(0, "llama.cpp was built without a GPU backend")
    if requested >= 0:
        return Offload(requested, "n_gpu_layers setting")
    if free_bytes is None or not n_layer:
        return Offload(-1, "all layers (free GPU memory unknown)")
    per_layer = model_bytes / (n_layer + 1)  # the output layer is about one block's size
    fit = int((free_bytes - HEADROOM_BYTES) / per_layer) if per_layer > 0 else n_layer
    free_mib = free_bytes // (1024 * 1024)
    if fit >= n_layer + 1:
        return Offload(-1, f"all {n_layer} layers fit in {free_mib} MiB free")
    if fit <= 0:
        return Offload(0, f"only {free_mib} MiB GPU memory free")
    return Offload(fit, f"{fit} of {n_layer} layers fit in {free_mib} MiB free")
