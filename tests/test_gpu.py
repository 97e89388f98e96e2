"""Choosing GPU layers from free VRAM."""

from __future__ import annotations

from semfind.engine.runtime.gpu import HEADROOM_BYTES, choose_offload

MIB = 1024 * 1024


def test_cpu_builds_offload_nothing_whatever_was_asked() -> None:
    for requested in (-1, 0, 20):
        offload = choose_offload(
            requested, gpu_build=False, model_bytes=MIB, n_layer=30, free_bytes=None
        )
        assert offload.n_gpu_layers == 0 and offload.device == "CPU"
        assert "without a GPU backend" in offload.reason


def test_automatic_offload_fits_the_free_memory() -> None:
    model, layers = 4000 * MIB, 39  # 40 blocks' worth with the output layer: 100 MiB each
    whole = choose_offload(
        -1, gpu_build=True, model_bytes=model, n_layer=layers, free_bytes=8000 * MIB
    )
    assert whole.n_gpu_layers == -1 and "all 39 layers" in whole.reason
    part = choose_offload(
        -1, gpu_build=True, model_bytes=model, n_layer=layers,
        free_bytes=2000 * MIB + HEADROOM_BYTES,
    )  # fmt: skip
    assert part.n_gpu_layers == 20 and part.device == "GPU" and "20 of 39" in part.reason
    none = choose_offload(
        -1, gpu_build=True, model_bytes=model, n_layer=layers, free_bytes=HEADROOM_BYTES
    )
    assert none.n_gpu_layers == 0


def test_the_users_setting_wins_and_unknown_memory_offloads_everything() -> None:
    kept = choose_offload(12, gpu_build=True, model_bytes=MIB, n_layer=30, free_bytes=1)
    assert kept.n_gpu_layers == 12 and kept.reason == "n_gpu_layers setting"
    unknown = choose_offload(-1, gpu_build=True, model_bytes=MIB, n_layer=30, free_bytes=None)
    assert unknown.n_gpu_layers == -1 and "unknown" in unknown.reason
