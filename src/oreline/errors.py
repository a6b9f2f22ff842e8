"""The one exception tree of Oreline.

Every error a user can cause is an :class:`OrelineError`; the CLI maps each
class to an exit code and prints its message, never a traceback::

    OrelineError                      exit 1
    ├── ScenarioError                 exit 2   bad scenario file(s); lists every problem
    ├── ModelError                    exit 3   the scenario cannot be compiled into a model
    ├── SolverError                   exit 4   HiGHS failed or returned no usable solution
    ├── MassBalanceError              exit 5   a solution or ledger step violates element balance
    ├── LedgerError                   exit 6   lot ledger problems
    │   ├── CaptureError                       a document was rejected; nothing was written
    │   ├── LotNotFoundError                   a query names a lot the ledger does not hold
    │   ├── QueryError                         an EPCIS query parameter is unknown or malformed
    │   └── ChainError                exit 9   tamper evidence does not verify
    ├── StressError                   exit 7   bad stress file or sweep failure
    ├── ConfigError                   exit 8   settings, paths or environment
    └── CheckFailedError              exit 9   a check ran and the lot or ledger failed it
        └── ChainError                         (the same class as above: both a LedgerError
                                               and a failed check)

Exit 9 is a verdict, not a user error: the input was fine and the check ran to its end
(``trace check`` of a lot that does not pass, ``trace verify`` of a chain that does not
verify). Click's usage errors (an unknown option, a bad choice) exit 2.

Messages are built before ``raise`` and say what to do about the problem.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

__all__ = [
    "CaptureError",
    "ChainError",
    "CheckFailedError",
    "ConfigError",
    "Issue",
    "LedgerError",
    "LotNotFoundError",
    "MassBalanceError",
    "ModelError",
    "OrelineError",
    "QueryError",
    "ScenarioError",
    "SolverError",
    "StressError",
]


@dataclass(frozen=True)
class Issue:
    """One problem found in a user's input.

    Parameters
    ----------
    where
        File (and line or row) the problem is in, e.g. ``"kmp.yaml:41"``.
    field
        Dotted path of the field, e.g. ``"processes[2].capacity[0].capacity"``.
    message
        What is wrong, including the bad value.
    fix
        What would fix it.
    code
        A short, stable, machine-readable name of the kind of problem (keyword only),
        e.g. ``"stock.short"``; ``""`` for problems nobody matches on. Programs (the
        CSV importer) match on it, never on the message text. The codes are listed in
        ``docs/trace.md``.

    Examples
    --------
    >>> issue = Issue("doc.json", "eventID", "is a duplicate", "drop it", code="event.duplicate")
    >>> issue.code, str(issue)
    ('event.duplicate', 'doc.json: eventID: is a duplicate (fix: drop it)')

    """

    where: str
    field: str
    message: str
    fix: str = ""
    code: str = dataclasses.field(default="", kw_only=True)

    def __str__(self) -> str:
        head = f"{self.where}: {self.field}: {self.message}" if self.field else (
            f"{self.where}: {self.message}"
        )
        return f"{head} (fix: {self.fix})" if self.fix else head


class OrelineError(Exception):
    """Base class of every error a user of Oreline can cause."""

    exit_code = 1


class _IssueListError(OrelineError):
    """An error carrying a list of :class:`Issue`, all reported at once."""

    title = "invalid input"

    def __init__(self, issues: list[Issue], title: str | None = None) -> None:
        self.issues = list(issues)
        if title is not None:
            self.title = title
        lines = [f"{self.title}: {len(self.issues)} problem(s)"]
        lines += [f"  - {issue}" for issue in self.issues]
        super().__init__("\n".join(lines))


class ScenarioError(_IssueListError):
    """One or more problems in scenario input; every problem is listed."""

    exit_code = 2
    title = "scenario is invalid"


class ModelError(OrelineError):
    """The validated scenario cannot be compiled into a model."""

    exit_code = 3


class SolverError(OrelineError):
    """HiGHS failed or returned a status without a usable solution."""

    exit_code = 4


class MassBalanceError(OrelineError):
    """A solution or a ledger transformation creates or loses element mass."""

    exit_code = 5


class LedgerError(OrelineError):
    """Base class of lot ledger errors."""

    exit_code = 6


class CaptureError(_IssueListError, LedgerError):
    """An EPCIS document or event was rejected; nothing of it was written."""

    exit_code = 6
    title = "capture rejected"


class LotNotFoundError(LedgerError):
    """A query names a lot that the ledger does not hold."""


class QueryError(LedgerError):
    """An EPCIS query names a parameter the ledger does not know, or a malformed value.

    ``parameter`` is the parameter's name (the REST binding answers 400
    ``QueryParameterException`` naming it).
    """

    def __init__(self, parameter: str, message: str) -> None:
        self.parameter = parameter
        super().__init__(message)


class CheckFailedError(OrelineError):
    """A check ran to its end and the lot or ledger failed it: a verdict, not a user error.

    ``oreline trace check`` exits with this code after printing a verdict other than
    pass (``fail``, ``unproven``, ``above-benchmark``, ``retracted``).
    """

    exit_code = 9


class ChainError(CheckFailedError, LedgerError):
    """The hash chain, a checkpoint signature or an audit pack does not verify."""


class StressError(_IssueListError):
    """A stress file is invalid or a sweep failed."""

    exit_code = 7
    title = "stress input is invalid"


class ConfigError(OrelineError):
    """Settings, paths or the environment are wrong."""

    exit_code = 8
