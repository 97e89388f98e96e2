"""What crosses the control socket, typed: the commands, the status and the events.

The JSON on the wire is exactly what `to_json` writes; `from_json` reads it back and raises
DaemonError when the daemon sent something else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeVar, get_args

from semfind.engine.errors import DaemonError

if TYPE_CHECKING:
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

    def to_json(self) -> dict[str, object]:
        data = asdict(self)
        data["watches"] = [asdict(w) for w in self.watches]
        data["failed"] = [asdict(f) for f in self.failed]
        data["backend"] = data["backend"] or {}
        data["switching"] = self.switching.to_json() if self.switching else None
        if self.vectors is None:  # what daemons sent before the vector pass
            del data["vectors"]
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
    )


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
