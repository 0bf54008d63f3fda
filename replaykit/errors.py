"""The one exception hierarchy of replaykit.

Every error says what happened (with the concrete file, key or request), then context lines, then a
``Hint:`` line with the next thing to do.  The CLI maps each family to an exit code; check failures
and snapshot differences are *results*, never exceptions.
"""

from __future__ import annotations

from pathlib import Path


class ReplaykitError(Exception):
    """Base of every error replaykit raises on purpose."""

    exit_code = 3

    def __init__(self, message: str, *, hint: str | None = None, details: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.details = list(details or [])

    def __str__(self) -> str:
        lines = [self.message, *self.details]
        if self.hint:
            lines.append(f"Hint: {self.hint}")
        return "\n".join(lines)


class UsageError(ReplaykitError):
    """The command line or the inputs it names are wrong (exit 2)."""

    exit_code = 2


class ConfigError(UsageError):
    """A settings or acceptance-test-config file is invalid (exit 2)."""


class UnknownConfigKeyError(ConfigError):
    """A config file holds a key replaykit does not know."""


class ConnectorNotFoundError(UsageError):
    """No way to run the connector was found in the connector directory."""


class NotRecordedError(UsageError):
    """Replay was asked for but nothing has been recorded yet."""


class CassetteError(ReplaykitError):
    """A cassette or index file cannot be used; always names the file (exit 2)."""

    exit_code = 2

    def __init__(self, message: str, *, path: str, hint: str | None = None, details: list[str] | None = None):
        super().__init__(message, hint=hint, details=details)
        self.path = path

    @classmethod
    def unreadable(cls, what: str, path: Path, exc: OSError) -> CassetteError:
        """``what`` (a cassette, the invocation index) at ``path`` exists but the OS refuses to read it."""
        return cls(
            f"{what} {path} cannot be read: {exc.strerror}", path=str(path), hint=f"Make it readable: chmod u+r {path}"
        )


class CassetteCorruptError(CassetteError):
    """A cassette or index file exists but cannot be parsed; never treated as empty."""


class RecordingError(ReplaykitError):
    """A live recording could not be completed; the previous recording is left untouched (exit 1)."""

    exit_code = 1


class MissingInputError(RecordingError):
    """An invocation's input comes from an earlier invocation that failed (e.g. discover returned no catalog)."""


class SecretLeakError(RecordingError):
    """A known secret was found in a file replaykit wrote; the file was deleted (never shows the value)."""


class ConnectorCrashedError(ReplaykitError):
    """The connector process could not be started or died without protocol output (exit 1)."""

    exit_code = 1


class ExpectedRecordsError(UsageError):
    """A line of an expected-records file is not an Airbyte record; names ``file:line`` (exit 2)."""
