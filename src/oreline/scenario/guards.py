"""Guards against hostile and odd input files, shared by the scenario and stress readers.

Every reader reads its bytes through :func:`read_text` (or checks a workbook with
:func:`check_workbook`) and composes YAML with :class:`GuardedComposer`, so that a file
that is too large, not a regular file, unreadable, not UTF-8, binary, nested too deep or
an alias bomb ("billion laughs") stops with a :class:`~oreline.errors.ScenarioError`
naming the file (and line) and a fix, within a second, never a traceback or a hang.

The limits (also in ``docs/scenario-format.md``, "Limits and bad files"):

- one input file (a YAML file, each CSV file of a folder, a workbook) is at most
  ``ORELINE_MAX_INPUT_MB`` megabytes (:attr:`~oreline.settings.Settings.max_input_mb`);
  a workbook's unpacked content at most :data:`UNPACKED_FACTOR` times that;
- YAML nests at most :data:`MAX_DEPTH` levels;
- YAML aliases (``*name``) add at most :data:`ALIAS_BUDGET` nodes in all.
"""

from __future__ import annotations

import errno
import math
import re
import stat
import zipfile
from pathlib import Path
from typing import Any

from ruamel.yaml.composer import Composer
from ruamel.yaml.events import AliasEvent

from oreline.errors import Issue, ScenarioError
from oreline.settings import get_settings

__all__ = [
    "ALIAS_BUDGET",
    "MAX_DEPTH",
    "UNPACKED_FACTOR",
    "GuardedComposer",
    "LimitExceededError",
    "broken_link_issue",
    "check_workbook",
    "empty_table_issue",
    "flow_depth_issue",
    "folder_issue",
    "path_exists",
    "read_bytes",
    "read_text",
    "reader_line",
    "stat_issue",
    "value_issue",
]

#: Deepest nesting of YAML mappings and lists (a scenario needs about six levels).
MAX_DEPTH = 64
#: Most nodes that YAML aliases may add to a document, counted as if expanded.
ALIAS_BUDGET = 100_000
#: A workbook's unpacked content may be this many times the file size limit.
UNPACKED_FACTOR = 10

_SETTING = "ORELINE_MAX_INPUT_MB"

#: Leading bytes of formats people save by mistake under a text name, and what they are.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xfe", "UTF-16 text (it starts with a UTF-16 byte order mark)"),
    (b"\xfe\xff", "UTF-16 text (it starts with a UTF-16 byte order mark)"),
    (b"PK\x03\x04", "a zip file, such as an .xlsx workbook"),
    (b"\xd0\xcf\x11\xe0", "an old-style .xls workbook"),
    (b"%PDF", "a PDF document"),
    (b"\x1f\x8b", "a gzip-compressed file"),
)


class LimitExceededError(Exception):
    """Raised by :class:`GuardedComposer` when a YAML document passes a limit.

    ``line`` is 1-based; the YAML reader turns it into a :class:`ScenarioError`.
    """

    def __init__(self, line: int, message: str, fix: str, code: str) -> None:
        super().__init__(message)
        self.line, self.message, self.fix, self.code = line, message, fix, code


def _what_it_is(data: bytes) -> str:
    """What a file of ``data`` looks like when it is not UTF-8 text ('' when unknown)."""
    return next((kind for magic, kind in _MAGIC if data.startswith(magic)), "")


def stat_issue(path: Path, exc: OSError) -> Issue:
    """The problem of a file the system will not open: a link loop, no target, no permission."""
    if exc.errno == errno.ELOOP:
        return Issue(str(path), "", "is a symbolic link that loops back on itself",
                     "point the link at the real file (ls -l shows where it leads)",
                     code="file.link_loop")
    if exc.errno == errno.ENOENT:
        return Issue(str(path), "", "is a symbolic link to a file that does not exist",
                     "point the link at the real file or give the file's own path",
                     code="file.link_dangling")
    if exc.errno in (errno.EACCES, errno.EPERM):
        return Issue(str(path), "", "cannot be read: permission denied",
                     f"make it readable (chmod u+r {path}) or copy it somewhere you can read",
                     code="file.unreadable")
    return Issue(str(path), "", f"cannot be read: {exc.strerror or exc}",
                 "check that the file exists and is readable", code="file.unreadable")


def path_exists(path: Path) -> bool:
    r"""Whether ``path`` exists; a name the system refuses (too long, a NUL byte) does not.

    Examples
    --------
    >>> path_exists(Path("x" * 5000)), path_exists(Path("a\x00b"))
    (False, False)

    """
    try:
        return path.exists()
    except (OSError, ValueError):
        return False


def broken_link_issue(path: Path) -> Issue | None:
    """The problem of ``path`` if it is a symbolic link that loops or leads nowhere."""
    try:
        if not path.is_symlink():
            return None
        path.stat()
    except OSError as exc:
        return stat_issue(path, exc)
    except ValueError:
        return None
    return None


def _size_issue(path: Path, size: int, limit_mb: float, what: str = "the file",
                factor: int = 1) -> Issue:
    """The file (or what it unpacks to, ``factor`` times the setting) is over the limit."""
    suggest = math.ceil(max(2 * limit_mb, 1.5 * size / 1e6) / factor)
    return Issue(str(path), "", f"{what} is {size / 1e6:,.3g} MB, above the limit of "
                 f"{factor * limit_mb:g} MB" + ("" if factor == 1 else f" ({factor} times "
                                                f"{_SETTING})"),
                 "split the scenario (a CSV folder, or 'extends:' a base) or raise the limit, "
                 f"e.g. {_SETTING}={suggest}", code="file.too_large")


def _checked_stat(path: Path) -> int:
    """The size of ``path`` after checking it is a readable regular file within the limit."""
    try:
        st = path.stat()
    except OSError as exc:
        raise ScenarioError([stat_issue(path, exc)]) from None
    if not stat.S_ISREG(st.st_mode):
        kind = "a folder" if stat.S_ISDIR(st.st_mode) else "a device, pipe or socket"
        raise ScenarioError([Issue(str(path), "", f"is {kind}, not a file",
                                   "give the path of a scenario file (.yaml, .xlsx) or of "
                                   "a folder of CSV files", code="file.not_a_file")])
    limit_mb = get_settings().max_input_mb
    if st.st_size > limit_mb * 1e6:
        raise ScenarioError([_size_issue(path, st.st_size, limit_mb)])
    return st.st_size


def read_bytes(path: Path) -> bytes:
    """The bytes of a readable regular file within the size limit.

    Raises
    ------
    ScenarioError
        If the file is a dangling or looping link, unreadable, not a regular file
        or larger than ``ORELINE_MAX_INPUT_MB``.

    """
    size = _checked_stat(path)
    try:
        with path.open("rb") as fh:
            data = fh.read(size + 1)
    except OSError as exc:
        raise ScenarioError([stat_issue(path, exc)]) from None
    limit_mb = get_settings().max_input_mb
    if len(data) > limit_mb * 1e6:  # grew since stat
        raise ScenarioError([_size_issue(path, len(data), limit_mb)])
    return data


def read_text(path: Path, *, rows: bool = False) -> str:
    r"""The text of a UTF-8 file (a byte order mark is dropped), or a clear error.

    A problem's place is ``file:line``, or ``file row N`` when ``rows`` (a CSV table).

    Raises
    ------
    ScenarioError
        If :func:`read_bytes` refuses the file, or it is not UTF-8 (the byte offset and
        line of the first bad byte are named) or holds NUL bytes (a binary file).

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "latin1.yaml"
    >>> _ = path.write_bytes(b"name: caf\xe9\n")
    >>> try:
    ...     read_text(path)
    ... except ScenarioError as exc:
    ...     print(exc.issues[0].message)
    not UTF-8 text: byte 0xe9 at byte offset 9 (line 1) is not valid UTF-8

    """
    data = read_bytes(path)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        where = f"{path} row {line}" if rows else f"{path}:{line}"
        kind = _what_it_is(data)
        message = (f"not UTF-8 text: byte 0x{data[exc.start]:02x} at byte offset {exc.start} "
                   f"(line {line}) is not valid UTF-8")
        if kind:
            message += f"; the file looks like {kind}"
        raise ScenarioError([Issue(where, "", message,
                                   "re-save the file as UTF-8 (in Excel: 'CSV UTF-8'; in an "
                                   "editor: encoding UTF-8)", code="file.not_utf8")]) from None
    nul = text.find("\x00")
    if nul >= 0:
        line = text.count("\n", 0, nul) + 1
        where = f"{path} row {line}" if rows else f"{path}:{line}"
        kind = _what_it_is(data) or "a binary file"
        raise ScenarioError([Issue(where, "", f"holds a NUL byte at character "
                                   f"{nul} (line {line}): it looks like {kind}, not text",
                                   "give the path of the scenario's text file, saved as "
                                   "UTF-8", code="file.binary")])
    return text


def check_workbook(path: Path) -> None:
    """Check that ``path`` is an .xlsx workbook (a zip file) within the size limits.

    Raises
    ------
    ScenarioError
        If the file is refused by the checks of :func:`read_bytes`, is not a zip file
        (naming what it looks like) or unpacks to more than :data:`UNPACKED_FACTOR`
        times the size limit.

    """
    _checked_stat(path)
    try:
        with path.open("rb") as fh:
            head = fh.read(8)
    except OSError as exc:
        raise ScenarioError([stat_issue(path, exc)]) from None
    if not head.startswith(b"PK\x03\x04"):
        kind = _what_it_is(head)
        what = (f"it looks like {kind}" if kind else "the file is empty" if not head else
                f"it starts with {head!r}, and an .xlsx file is a zip archive")
        raise ScenarioError([Issue(str(path), "", f"is not an Excel workbook: {what}",
                                   "open it in Excel or LibreOffice and save it as "
                                   "'Excel Workbook (.xlsx)'", code="workbook.not_xlsx")])
    limit_mb = get_settings().max_input_mb
    try:
        with zipfile.ZipFile(path) as zf:
            unpacked = sum(info.file_size for info in zf.infolist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise ScenarioError([Issue(str(path), "", f"is not a readable workbook: {exc}",
                                   "save it again as .xlsx from Excel or LibreOffice",
                                   code="workbook.unreadable")]) from None
    if unpacked > UNPACKED_FACTOR * limit_mb * 1e6:
        raise ScenarioError([_size_issue(path, unpacked, limit_mb,
                                         "the workbook's unpacked content", UNPACKED_FACTOR)])


def reader_line(exc: Exception, text: str) -> str:
    """``":N"``, the line of a character the YAML reader refused, or ``""``."""
    position = getattr(exc, "position", None)
    return f":{text.count(chr(10), 0, position) + 1}" if isinstance(position, int) else ""


def value_issue(path: Path, text: str, exc: ValueError) -> Issue:
    """A scalar the YAML constructor cannot turn into a value.

    Placed at the line of the longest run of digits: Python refuses to read integers
    of more than 4,300 digits.
    """
    runs = list(re.finditer(r"\d{100,}", text))
    longest = max(runs, key=lambda m: m.end() - m.start(), default=None)
    where = f"{path}:{text.count(chr(10), 0, longest.start()) + 1}" if longest else str(path)
    return Issue(where, "", f"a value cannot be read: {str(exc).split(';')[0]}",
                 "shorten the number, or quote it to keep it as text", code="yaml.bad_value")


def empty_table_issue(where: str, name: str, columns: list[str]) -> Issue:
    """A CSV file or sheet with nothing in it, not even the header row."""
    entity = {"scenario": "setting", "sources": "source", "capacity": "capacity phase",
              "initial_stock": "stock", "demand": "customer and period"}.get(
        name, name.removesuffix("s"))
    plural = {"scenario": "settings", "initial_stock": "initial stock", "capacity":
              "capacity phases", "demand": "demand by period"}.get(name, name)
    return Issue(where, "", f"the {name!r} table is empty: it has no header row, so it "
                 f"would silently give no {plural}",
                 f"start it with the header row {','.join(columns)} and add one row per "
                 f"{entity}; or delete it if the scenario has none", code="table.empty")


def folder_issue(path: Path, tables: list[str]) -> Issue:
    """A folder given as a scenario that holds no CSV file: say what it holds instead."""
    try:
        found = sorted(p.name for p in path.iterdir())
    except OSError as exc:
        return Issue(str(path), "", f"the folder cannot be listed: {exc.strerror or exc}",
                     f"make it readable (chmod u+rx {path})", code="folder.unreadable")
    shown = ", ".join(found[:8]) + (f" and {len(found) - 8} more" if len(found) > 8 else "")
    yamls = [p for p in found if p.lower().endswith((".yaml", ".yml", ".xlsx"))]
    fix = (f"give the file's path, e.g. {path / yamls[0]}" if yamls else
           "a scenario folder holds scenario.csv and one CSV file per table "
           f"({', '.join(tables)}); or give the path of a .yaml or .xlsx scenario")
    return Issue(str(path), "", "the folder holds no CSV files" +
                 (f" (it holds: {shown})" if found else " (it is empty)"), fix,
                 code="folder.no_csv")


_BRACKET_RUN = re.compile(r"(?:[\[{][ \t\r\n]*){" + str(MAX_DEPTH + 1) + ",}")


def flow_depth_issue(path: Path, text: str) -> Issue | None:
    """The problem of a run of more than :data:`MAX_DEPTH` opening brackets, or ``None``.

    Checked before parsing: ruamel's scanner looks up to 1,024 characters ahead for
    every open bracket, so deep flow nesting costs seconds before the composer's depth
    limit is reached.

    Examples
    --------
    >>> flow_depth_issue(Path("a.yaml"), "d: " + "[" * 100).message
    'the YAML nests deeper than 64 levels (65 or more opening brackets in a row)'
    >>> flow_depth_issue(Path("a.yaml"), "d: [[1, 2], [3]]") is None
    True

    """
    match = _BRACKET_RUN.search(text)
    if match is None:
        return None
    line = text.count("\n", 0, match.start()) + 1
    return Issue(f"{path}:{line}", "", f"the YAML nests deeper than {MAX_DEPTH} levels "
                 f"({MAX_DEPTH + 1} or more opening brackets in a row)",
                 "a scenario needs a few levels of nesting: check for unclosed brackets or "
                 "flatten the structure", code="yaml.too_deep")


class GuardedComposer(Composer):  # type: ignore[misc]
    """A ruamel.yaml composer that refuses deep nesting, alias bombs and self-reference.

    It counts the nodes of the document as if every alias were expanded (an anchored
    node's expanded size is recorded when it is composed), so a "billion laughs"
    document is refused at its first large alias, before anything is expanded.
    Install it with ``yaml.Composer = GuardedComposer``.
    """

    def __init__(self, loader: Any = None) -> None:
        super().__init__(loader)
        self._level = 0
        self._alias_nodes = 0
        self._count = 0
        self._sizes: dict[Any, int] = {}
        self._open: set[Any] = set()

    def compose_node(self, parent: Any, index: Any) -> Any:
        """Compose one node, counting its expanded size and checking the limits."""
        event = self.parser.peek_event()
        line = event.start_mark.line + 1
        if isinstance(event, AliasEvent):
            name = event.anchor
            if name in self._open:
                raise LimitExceededError(
                    line, f"alias *{name} refers to a node that contains it (a recursive "
                    "structure)", f"write the values out instead of '*{name}'",
                    "yaml.recursive_alias")
            node = super().compose_node(parent, index)
            added = self._sizes.get(name, 1)
            self._alias_nodes += added
            self._count += added
            if self._alias_nodes > ALIAS_BUDGET:
                raise LimitExceededError(
                    line, f"YAML aliases expand to more than {ALIAS_BUDGET:,} nodes (an alias "
                    "bomb?); Oreline refuses to expand them",
                    "write the values out, or use 'extends:' to share a base scenario",
                    "yaml.aliases")
            return node
        self._level += 1
        if self._level > MAX_DEPTH:
            raise LimitExceededError(
                line, f"the YAML nests deeper than {MAX_DEPTH} levels",
                "a scenario needs a few levels of nesting: check for unclosed brackets or "
                "flatten the structure", "yaml.too_deep")
        name = event.anchor
        start = self._count
        self._count += 1
        if name is not None:
            self._open.add(name)
        node = super().compose_node(parent, index)
        if name is not None:
            self._open.discard(name)
            self._sizes[name] = self._count - start
        self._level -= 1
        return node
