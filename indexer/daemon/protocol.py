"""What crosses the control socket, typed: the commands, the status and the events.

The JSON on the wire is exactly what `to_json` writes; `from_json` reads it back and raises
DaemonError when the daemon sent something else.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeVar, get_args

from semfind.engine.embed.token_shares import TokenShares
from semfind.engine.errors import DaemonError
from semfind.engine.search.aggregate import Hit, Match, Passage
from semfind.engine.search.query import MODES, Expansion, Filters, Mode

if TYPE_CHECKING:
    from semfind.engine.config import Settings
    from semfind.engine.embed.base import BackendInfo

Command = Literal[
    "status",
    "subscribe",
    "pause",
    "resume",
    "index",
    "watch_add",
    "watch_remove",
    "shutdown",
    "embed",
    "search",
]
COMMANDS: tuple[Command, ...] = get_args(Command)
State = Literal["starting", "idle", "indexing", "paused", "stopping"]
StatusKind = Literal["status", "progress"]
"""A status event: a change of state, or progress within a run."""

_T = TypeVar("_T")


@dataclass(frozen=True)
class Watch:
    path: str
    mode: str
    """How the folder is watched: "native", or "polling (...)" and why."""


@dataclass(frozen=True)
class FailedFile:
    path: str
    reason: str


@dataclass(frozen=True)
class Run:
    """The files of the run in progress (or the last one)."""

    total: int
    done: int
    remaining: int


@dataclass(frozen=True)
class Backend:
    """Where the embedding model runs (engine.embed.base.BackendInfo) and which it is."""

    backend: str
    device: str
    threads: int
    n_gpu_layers: int
    description: str
    model: str

    @classmethod
    def of(cls, info: BackendInfo, model: str) -> Backend:
        described = info.describe()
        return cls(info.backend, info.device, info.threads, info.n_gpu_layers, described, model)


@dataclass(frozen=True)
class Switching:
    """A switch of embedding model: how far its vectors are (`name` set), or why it failed."""

    error: str | None
    name: str | None = None
    done: int = 0
    total: int = 0

    def to_json(self) -> dict[str, object]:
        if self.name is None:
            return {"error": self.error}
        return {"name": self.name, "done": self.done, "total": self.total, "error": self.error}


@dataclass(frozen=True)
class VectorPass:
    """The vector pass of the run in progress: its files are found by keyword meanwhile."""

    todo: int
    """Distinct texts it found to embed."""
    done: int


@dataclass(frozen=True)
class Shares:
    """Where the daemon's embedded tokens went: since it started (the run in progress
    included), and in the run in progress (None between runs)."""

    since_start: TokenShares
    run: TokenShares | None


@dataclass(frozen=True)
class Coverage:
    """How much of the index the vectors of the model in use cover, in units; the rest is
    found by its keywords only (engine.store.records.VectorCoverage)."""

    model: str
    units: int
    without: int
    """Units with no vector of this model yet."""


@dataclass(frozen=True)
class DaemonStatus:
    """The answer to "status", and the body of every status or progress event."""

    pid: int
    state: State
    paused_reason: str | None
    on_battery: bool
    db: str
    watches: tuple[Watch, ...]
    queue: int
    current: str
    files_done: int
    indexed: int
    unchanged: int
    removed: int
    moved: int
    failed: tuple[FailedFile, ...]
    run: Run
    eta_s: float | None
    tokens_per_s: float
    units_per_s: float
    backend: Backend | None
    """None only before the model is loaded (written as {})."""
    switching: Switching | None
    rss_mb: float
    uptime_s: float
    vectors: VectorPass | None = None
    """Set while a run embeds what its committed files lack."""
    shares: Shares | None = None
    """None only from a daemon older than the shares."""
    coverage: Coverage | None = None
    """In the answer to "status" (not in events: it costs a query as long as the work
    left); None from an older daemon, or before the model is loaded."""

    def to_json(self) -> dict[str, object]:
        data = asdict(self)
        data["watches"] = [asdict(w) for w in self.watches]
        data["failed"] = [asdict(f) for f in self.failed]
        data["backend"] = data["backend"] or {}
        data["switching"] = self.switching.to_json() if self.switching else None
        for key in ("vectors", "shares", "coverage"):
            if data[key] is None:  # what daemons sent before these fields
                del data[key]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DaemonStatus:
        return _parsed("status", data, _status)


def _status(data: dict[str, Any]) -> DaemonStatus:
    switching, backend = data["switching"], data["backend"]
    return DaemonStatus(
        pid=int(data["pid"]),
        state=_state(data["state"]),
        paused_reason=_optional_str(data["paused_reason"]),
        on_battery=bool(data["on_battery"]),
        db=str(data["db"]),
        watches=tuple(Watch(str(w["path"]), str(w["mode"])) for w in data["watches"]),
        queue=int(data["queue"]),
        current=str(data["current"]),
        files_done=int(data["files_done"]),
        indexed=int(data["indexed"]),
        unchanged=int(data["unchanged"]),
        removed=int(data["removed"]),
        moved=int(data["moved"]),
        failed=tuple(FailedFile(str(f["path"]), str(f["reason"])) for f in data["failed"]),
        run=Run(int(data["run"]["total"]), int(data["run"]["done"]), int(data["run"]["remaining"])),
        eta_s=None if data["eta_s"] is None else float(data["eta_s"]),
        tokens_per_s=float(data["tokens_per_s"]),
        units_per_s=float(data["units_per_s"]),
        backend=Backend(**backend) if backend else None,
        switching=None if switching is None else _switching(switching),
        rss_mb=float(data["rss_mb"]),
        uptime_s=float(data["uptime_s"]),
        vectors=_vector_pass(data.get("vectors")),
        shares=_shares(data.get("shares")),
        coverage=_coverage(data.get("coverage")),
    )


def _shares(data: dict[str, Any] | None) -> Shares | None:
    if data is None:
        return None
    run = data["run"]
    return Shares(_split(data["since_start"]), None if run is None else _split(run))


def _split(data: dict[str, Any]) -> TokenShares:
    return TokenShares(*(_count(data[key]) for key in ("passages", "parts", "context")))


def _coverage(data: dict[str, Any] | None) -> Coverage | None:
    if data is None:
        return None
    units, without = _count(data["units"]), _count(data["without"])
    if without > units:
        raise ValueError(f"{without} units without vectors out of {units}")
    return Coverage(str(data["model"]), units, without)


def _count(value: object) -> int:
    """A count: a whole number, never negative (JSON has no other kind of int)."""
    if type(value) is not int or value < 0:
        raise ValueError(f"not a count: {value!r}")
    return value


def _vector_pass(data: dict[str, Any] | None) -> VectorPass | None:
    return None if data is None else VectorPass(int(data["todo"]), int(data["done"]))


def _switching(data: dict[str, Any]) -> Switching:
    error = _optional_str(data["error"])
    if "name" not in data:
        return Switching(error)
    return Switching(error, str(data["name"]), int(data["done"]), int(data["total"]))


def _state(value: object) -> State:
    for state in get_args(State):
        if value == state:
            return state  # type: ignore[no-any-return]
    raise ValueError(f"unknown state {value!r}")


def _optional_str(value: object) -> str | None:
    return None if value is None else str(value)


def _parsed(what: str, data: dict[str, Any], parse: Callable[[dict[str, Any]], _T]) -> _T:
    try:
        return parse(data)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise DaemonError(f"the daemon sent a malformed {what}: {exc!r}") from exc


# -- events ---------------------------------------------------------------------


@dataclass(frozen=True)
class StatusEvent:
    """The daemon's status, sent when it changes state (`status`) or as a run goes on."""

    kind: StatusKind
    status: DaemonStatus

    def to_json(self) -> dict[str, object]:
        return {"event": self.kind, **self.status.to_json()}


@dataclass(frozen=True)
class Stopped:
    """The daemon stops: the last event of a stream."""

    def to_json(self) -> dict[str, object]:
        return {"event": "stopped"}


@dataclass(frozen=True)
class Idle:
    """Nothing arrived for the client's `idle` seconds (made by the client, never sent)."""


Event = StatusEvent | Stopped | Idle


def event_from_json(data: dict[str, Any]) -> Event | None:
    """The event a stream line carries; None for a kind this client does not know."""
    kind = data.get("event")
    if kind == "stopped":
        return Stopped()
    if kind == "idle":
        return Idle()
    if kind == "status" or kind == "progress":
        return StatusEvent(kind, _parsed("event", data, _status))
    return None


# -- replies --------------------------------------------------------------------


@dataclass(frozen=True)
class PauseReply:
    """The answer to "pause" and "resume": whether indexing waits now, and why."""

    paused: bool
    reason: str | None

    def to_json(self) -> dict[str, object]:
        return {"ok": True, "paused": self.paused, "reason": self.reason}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PauseReply:
        return cls(bool(data.get("paused")), _optional_str(data.get("reason")))


# -- search ---------------------------------------------------------------------


def settings_key(settings: Settings) -> str:
    """A digest of every setting: a search is answered by the daemon only where it runs with
    the settings of the command asking (the index file aside, which chose the daemon), so
    its results are the ones a search in that command would find."""
    values = {f.name: getattr(settings, f.name) for f in dataclasses.fields(settings)}
    values.pop("db", None)
    text = json.dumps(values, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class SearchRequest:
    """A search for the daemon's warm searcher: what Searcher.search takes, with the filters
    already read by the asking process (paths resolved against its folder) and the
    expansion, if any, written by its LLM."""

    query: str
    k: int
    mode: Mode
    filters: Filters
    expansion: Expansion | None
    settings: str
    """settings_key of the asking process's settings."""

    def to_json(self) -> dict[str, object]:
        return {
            "cmd": "search",
            "query": self.query,
            "k": self.k,
            "mode": self.mode,
            "filters": asdict(self.filters),
            "expansion": None if self.expansion is None else asdict(self.expansion),
            "settings": self.settings,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SearchRequest:
        return _parsed("search request", data, _search_request)


def _search_request(data: dict[str, Any]) -> SearchRequest:
    mode = next((m for m in MODES if m == data["mode"]), None)
    if mode is None or not isinstance(data["query"], str) or type(data["k"]) is not int:
        raise ValueError("a search needs a query (text), k (a whole number) and a mode")
    f, e = data["filters"], data["expansion"]
    since = f["modified_since"]
    filters = Filters(
        path_glob=_optional_str(f["path_glob"]),
        types=tuple(str(t) for t in f["types"]),
        units=f["units"],
        modified_since=None if since is None else float(since),
    )
    expansion = None
    if e is not None:
        expansion = Expansion(
            kind=str(e["kind"]),
            query=str(e["query"]),
            text=str(e["text"]),
            keyword_queries=tuple(str(q) for q in e["keyword_queries"]),
            semantic_texts=tuple(str(t) for t in e["semantic_texts"]),
            seconds=float(e["seconds"]),
            cached=bool(e["cached"]),
            fallback=_optional_str(e["fallback"]),
        )
    return SearchRequest(
        str(data["query"]), data["k"], mode, filters, expansion, str(data["settings"])
    )


@dataclass(frozen=True)
class SearchReply:
    """The daemon's answer to a search: the hits, as its searcher returned them."""

    hits: tuple[Hit, ...]
    embedder: str | None
    """The model that embedded the query; None in keyword mode."""
    has_vectors: bool
    """Whether the index holds vectors of that model (else only keywords matched)."""
    vectors_note: str = ""
    """How much of the index has vectors, while some units have none yet ("" when all do,
    or in keyword mode)."""

    def to_json(self) -> dict[str, object]:
        hits = [asdict(hit) for hit in self.hits]
        return {
            "ok": True,
            "hits": hits,
            "embedder": self.embedder,
            "vectors": self.has_vectors,
            "vectors_note": self.vectors_note,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SearchReply:
        return _parsed("search reply", data, _search_reply)


def _search_reply(data: dict[str, Any]) -> SearchReply:
    hits = tuple(_hit(h) for h in data["hits"])
    note = str(data["vectors_note"])
    return SearchReply(hits, _optional_str(data["embedder"]), bool(data["vectors"]), note)


def _hit(data: dict[str, Any]) -> Hit:
    """A Hit from asdict(hit) sent as JSON (floats survive JSON exactly)."""
    return Hit(
        path=str(data["path"]),
        title=_optional_str(data["title"]),
        file_kind=_optional_str(data["file_kind"]),
        score=float(data["score"]),
        page=_optional_int(data["page"]),
        passage=Passage(**data["passage"]),
        matches=tuple(_match(m) for m in data["matches"]),
        cosine=_optional_float(data["cosine"]),
        bm25=_optional_float(data["bm25"]),
        close=None if data["close"] is None else bool(data["close"]),
    )


def _match(data: dict[str, Any]) -> Match:
    spans = tuple((int(start), int(end)) for start, end in data["spans"])
    return Match(**{**data, "spans": spans})


def _optional_int(value: object) -> int | None:
    return None if value is None else int(value)  # type: ignore[call-overload]


def _optional_float(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]
