"""Put the default models in a folder for the standalone build.

    python packaging/bundle_models.py OUT_DIR

The default embedder is converted here, at build time (safetensors to Q4_0 GGUF); the LLM
GGUF is copied from its carrier package. The executable finds them in its `models` folder.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path


def main() -> None:
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as data:
        os.environ["SEMFIND_DATA_DIR"] = data
        from semfind.engine.models.default_embedder import DEFAULT_EMBEDDER, ensure_default_gguf
        from semfind.engine.models.default_llm import DEFAULT_LLM_FILE, default_llm_path

        embedder, _ = ensure_default_gguf()
        shutil.copyfile(embedder, out / f"{DEFAULT_EMBEDDER}.gguf")
    shutil.copyfile(default_llm_path(), out / DEFAULT_LLM_FILE)
    for path in sorted(out.iterdir()):
        print(f"{path.name}: {path.stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
