"""Invocation ids and the typed inputs of planned invocations: the only place an id is spelled.

An invocation is named by its CAT suite, the index of its acceptance test in that suite and its role in the
test (``basic_read-0-bad_catalog``: the basic read's bad-catalog read of test 0).  The ids are stored in the
invocation index and in cassette file names, so their text never changes; everything else builds and reads
them through :class:`InvocationKey`.

A planned invocation's catalog and state may only exist at record time (the discovered catalog, the final
states of an earlier read): they are described by the typed sources below, resolved live by the recorder.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from pathlib import Path


class Role(enum.Enum):
    MAIN = "main"  # a suite's own invocation: spec, check, discover, the basic read
    BAD_CATALOG = "bad_catalog"  # the basic read with CAT's catalog of a stream that does not exist
    READ1 = "read1"  # full_refresh / incremental: the first of two sequential reads
    READ2 = "read2"  # the second one (incremental: from the first one's final states)
    SLICES = "slices"  # planned only: expanded at record time into SLICE_FIRST and SLICE_STATE reads
    SLICE_FIRST = "slice_first"  # one stream's first read
    SLICE_STATE = "slice_state"  # one stream's read from its k-th sampled checkpoint
    ABNORMAL_STATE = "abnormal_state"  # the read from the future (abnormally large) state


_SUFFIXES = {role: role.value for role in (Role.BAD_CATALOG, Role.READ1, Role.READ2, Role.SLICES, Role.ABNORMAL_STATE)}
_BY_SUFFIX = {suffix: role for role, suffix in _SUFFIXES.items()}
_ID = re.compile(r"(?P<suite>[a-z_]+)-(?P<index>\d+)(?:-(?P<rest>.+))?")
_SLICE = re.compile(r"slices-(?P<stream>.+)-(?:read1|state(?P<step>\d+))")


@dataclass(frozen=True)
class InvocationKey:
    suite: str
    index: int
    role: Role = Role.MAIN
    stream: str = ""  # slices: the stream's slug
    step: int = 0  # SLICE_STATE: which sampled checkpoint (from 1)

    @property
    def id(self) -> str:
        base = f"{self.suite}-{self.index}"
        if self.role is Role.MAIN:
            return base
        if self.role is Role.SLICE_FIRST:
            return f"{base}-slices-{self.stream}-read1"
        if self.role is Role.SLICE_STATE:
            return f"{base}-slices-{self.stream}-state{self.step}"
        return f"{base}-{_SUFFIXES[self.role]}"

    def expands_to(self, other: InvocationKey) -> bool:
        """Whether ``other`` is one of the reads this planned slices invocation expands into."""
        return (
            self.role is Role.SLICES
            and other.role in (Role.SLICE_FIRST, Role.SLICE_STATE)
            and (other.suite, other.index) == (self.suite, self.index)
        )


def parse(invocation_id: str) -> InvocationKey | None:
    """The key an id spells, None for an id no plan builds."""
    match = _ID.fullmatch(invocation_id)
    if match is None:
        return None
    suite, index, rest = match["suite"], int(match["index"]), match["rest"]
    if rest is None:
        return InvocationKey(suite, index)
    if rest in _BY_SUFFIX:
        return InvocationKey(suite, index, _BY_SUFFIX[rest])
    sliced = _SLICE.fullmatch(rest)
    if sliced is None:
        return None
    if sliced["step"] is None:
        return InvocationKey(suite, index, Role.SLICE_FIRST, sliced["stream"])
    return InvocationKey(suite, index, Role.SLICE_STATE, sliced["stream"], int(sliced["step"]))


def role_of(invocation_id: str) -> Role | None:
    key = parse(invocation_id)
    return key.role if key is not None else None


def stream_slug(name: str) -> str:
    """A stream name as it appears in a sequential-slices read's id (and its cassette's file name)."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name) or "stream"


def spec(i: int = 0) -> InvocationKey:
    return InvocationKey("spec", i)


def connection(i: int) -> InvocationKey:
    return InvocationKey("connection", i)


def discovery(i: int = 0) -> InvocationKey:
    """Discover with test ``i``'s config; ``discovery()`` is the one whose catalog the reads are built from."""
    return InvocationKey("discovery", i)


def basic_read(i: int) -> InvocationKey:
    return InvocationKey("basic_read", i)


def bad_catalog_read(i: int) -> InvocationKey:
    return InvocationKey("basic_read", i, Role.BAD_CATALOG)


def full_refresh_read(i: int, n: int) -> InvocationKey:
    return InvocationKey("full_refresh", i, _nth_read(n))


def incremental_read(i: int, n: int) -> InvocationKey:
    return InvocationKey("incremental", i, _nth_read(n))


def slices(i: int) -> InvocationKey:
    return InvocationKey("incremental", i, Role.SLICES)


def slices_first(i: int, stream: str) -> InvocationKey:
    return InvocationKey("incremental", i, Role.SLICE_FIRST, stream_slug(stream))


def slices_state(i: int, stream: str, k: int) -> InvocationKey:
    return InvocationKey("incremental", i, Role.SLICE_STATE, stream_slug(stream), k)


def abnormal_state(i: int) -> InvocationKey:
    return InvocationKey("incremental", i, Role.ABNORMAL_STATE)


def acceptance_test_label(suite: str, i: int) -> str:
    """How an acceptance test is named in messages: ``incremental-0``."""
    return InvocationKey(suite, i).id


def reads_label(suite: str, i: int) -> str:
    """The two sequential reads of a test, as messages name them: ``full_refresh-0-read1/read2``."""
    return f"{InvocationKey(suite, i, Role.READ1).id}/{_SUFFIXES[Role.READ2]}"


def _nth_read(n: int) -> Role:
    if n not in (1, 2):
        raise ValueError(f"a test has a first and a second read, not read {n}")
    return Role.READ1 if n == 1 else Role.READ2


# -- where a planned invocation's catalog and state come from ---------------------------------------------------


@dataclass(frozen=True)
class Discovered:
    """The configured catalog CAT builds from the discovered one (incremental: its incremental streams only)."""

    incremental: bool = False

    def describe(self) -> str:
        return "discovered-incremental" if self.incremental else "discovered"


@dataclass(frozen=True)
class BadCatalog:
    """CAT's catalog for ``test_airbyte_trace_message_on_failure``: one stream that does not exist."""

    def describe(self) -> str:
        return "bad-catalog"


@dataclass(frozen=True)
class CatalogFile:
    path: Path

    def describe(self) -> str:
        return self.path.name


@dataclass(frozen=True)
class StateAfter:
    """The final states of an earlier read of the plan."""

    invocation: InvocationKey

    def describe(self) -> str:
        return f"after:{self.invocation.id}"


@dataclass(frozen=True)
class StateFile:
    path: Path

    def describe(self) -> str:
        return self.path.name


CatalogSource = Discovered | BadCatalog | CatalogFile
StateSource = StateAfter | StateFile
