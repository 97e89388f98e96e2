"""The weight types the built-in BERT converter writes."""

from __future__ import annotations

from typing import Literal

Quant = Literal["Q8_0", "Q4_0"]
"""Q8_0: closest to the original weights. Q4_0: about 1.27 times the tokens/s on a CPU (llama.cpp
repacks it for its fastest kernels), with embeddings at cosine ~0.96 of the original."""
