#!/usr/bin/env bash
# Print llama.cpp CMake flags for this machine's CPU, without -march=native.
#
# A native build crashes on some CPUs, so the instruction sets are named one by one instead,
# from what Linux reports in /proc/cpuinfo. AVX-512 embeds about 20 % faster than AVX2 where
# present, and AMX (Sapphire Rapids and newer) 1.5 times faster again (docs/benchmarks.md).
# ggml's AMX code crashes as released; scripts/llama_wheel.sh builds it with
# scripts/patches/ applied, and ggml itself falls back when the kernel refuses AMX state.
# SEMFIND_NO_AMX=1 leaves AMX out. Elsewhere (macOS, other architectures) the portable
# default stays.
set -euo pipefail
args="-DGGML_NATIVE=OFF"
if [ "$(uname -s)" = Linux ] && [ "$(uname -m)" = x86_64 ] && [ -r /proc/cpuinfo ]; then
  flags=" $(grep -m1 '^flags' /proc/cpuinfo | cut -d: -f2) "
  has() { for f in "$@"; do case "$flags" in *" $f "*) ;; *) return 1 ;; esac; done; }
  if has avx2 fma f16c bmi2; then
    args="$args -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON"
    if has avx512f avx512cd avx512vl avx512dq avx512bw; then
      args="$args -DGGML_AVX512=ON"
      has avx512vbmi && args="$args -DGGML_AVX512_VBMI=ON"
      has avx512_vnni && args="$args -DGGML_AVX512_VNNI=ON"
      has avx512_bf16 && args="$args -DGGML_AVX512_BF16=ON"
      if [ -z "${SEMFIND_NO_AMX:-}" ] && has avx512_vnni amx_tile amx_int8; then
        args="$args -DGGML_AMX_TILE=ON -DGGML_AMX_INT8=ON"
      fi
    fi
  fi
fi
echo "$args"
