"""The one error hierarchy of semfind.

Library code raises these; only the edges (CLI, TUI) turn them into messages
and exit codes.
"""

from __future__ import annotations


class SemfindError(Exception):
    """Base of every error semfind raises on purpose."""

    exit_code = 1


class UsageError(SemfindError):
    """The user asked for something that cannot be done as asked."""

    exit_code = 2


class ConfigError(SemfindError):
    """The configuration file or an environment variable is invalid."""

    exit_code = 2


class ModelError(SemfindError):
    """A model is missing, unreadable, or not what it claims to be."""


class LLMTooSlowError(ModelError):
    """The LLM had not begun its reply by the time it was given (`ask_llm_wait_s`)."""


class ModelNotFoundError(ModelError):
    """No model file could be found for the requested role."""


class StoreError(SemfindError):
    """The index database cannot be used."""


class NotAnIndexError(StoreError):
    """The file is not a semfind index (corrupt, foreign, or not SQLite)."""


class SchemaTooNewError(StoreError):
    """The index was written by a newer semfind than this one."""


class DiskFullError(StoreError):
    """The disk holding the index is full: the write was rolled back, nothing was lost."""


class IndexLockedError(StoreError):
    """Another process holds the single-writer lock."""


class ExtractionError(SemfindError):
    """Text could not be extracted from one file; the file is skipped."""


class FileGoneError(ExtractionError):
    """The file disappeared between being found and being read."""


class UnsupportedFileError(ExtractionError):
    """The file is of a kind semfind does not index (binary, unknown type)."""


class DaemonError(SemfindError):
    """The daemon cannot be reached, refused a request, or cannot start."""


class DaemonNotRunningError(DaemonError):
    """No daemon is serving this index."""


class DaemonRunningError(DaemonError):
    """A daemon already serves this index."""
