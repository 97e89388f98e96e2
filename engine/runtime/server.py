"""OpenAI-compatible servers (llama.cpp server, Ollama, LM Studio), spoken to over the standard
library's HTTP client: no extra dependency for a rarely used path. The chat and embedding
backends on top are engine.llm.remote and engine.embed.remote."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

from semfind.engine.config import Settings
from semfind.engine.errors import ModelError


class Server:
    """One OpenAI-compatible endpoint: JSON requests and server-sent event streams."""

    def __init__(self, base_url: str, api_key: str = "", timeout: float = 120.0) -> None:
        self.base = base_url.rstrip("/")
        self.api_key, self.timeout = api_key, timeout

    def _request(self, path: str, body: dict[str, Any] | None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        request = urllib.request.Request(self.base + path, data=data, headers=headers)
        try:
            return urllib.request.urlopen(request, timeout=self.timeout)
        except urllib.error.HTTPError as exc:
            detail = exc.read(500).decode("utf-8", "replace").strip()
            raise ModelError(f"{self.base}{path} answered {exc.code}: {detail}") from exc
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ModelError(f"cannot reach the model server {self.base}: {reason}") from exc

    def post(self, path: str, body: dict[str, Any]) -> Any:
        with self._request(path, body) as response:
            return _json(response.read(), self.base + path)

    def get(self, path: str) -> Any:
        with self._request(path, None) as response:
            return _json(response.read(), self.base + path)

    def events(self, path: str, body: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """The `data:` objects of a server-sent event stream, until `[DONE]`."""
        with self._request(path, body) as response:
            for raw in response:
                line = raw.decode("utf-8", "replace").strip()
                if not line.startswith("data:"):
                    continue
                payload = line[5:].strip()
                if payload == "[DONE]":
                    return
                yield _json(payload.encode(), self.base + path)

    def first_model(self) -> str:
        """The id of the first model the server lists (llama.cpp serves one)."""
        listed = self.get("/models").get("data") or []
        return str(listed[0].get("id", "")) if listed else ""


def _json(data: bytes, where: str) -> Any:
    try:
        return json.loads(data)
    except ValueError as exc:
        raise ModelError(f"{where} did not answer JSON: {data[:200]!r}") from exc


def server_for(settings: Settings, url: str) -> Server:
    return Server(url, settings.remote_api_key, settings.remote_timeout_s)
