"""Read stress files (YAML) with every problem reported by file and line."""

from __future__ import annotations

import difflib
from importlib import resources
from pathlib import Path
from typing import Any, get_args

from pydantic import BaseModel, ValidationError

from oreline.errors import Issue, ScenarioError, StressError
from oreline.scenario.guards import broken_link_issue, path_exists
from oreline.scenario.readers import Raw, read_yaml
from oreline.stress.events import Event, StressFile

__all__ = ["builtin_stress_names", "load_stress"]

_EVENT_TYPES = {m.model_fields["type"].annotation.__args__[0]: m  # type: ignore[union-attr]
                for m in get_args(get_args(Event)[0])}


def builtin_stress_names() -> list[str]:
    """Names of the built-in stress sets (one per built-in scenario that has one).

    Examples
    --------
    >>> "kmp" in builtin_stress_names()
    True
    """
    lib = resources.files("oreline.stress") / "library"
    return sorted(p.name[:-5] for p in lib.iterdir() if p.name.endswith(".yaml"))


def _fields_at(loc: tuple[Any, ...]) -> list[str]:
    model: type[BaseModel] = StressFile
    tags = [p for p in loc if isinstance(p, str) and p in _EVENT_TYPES]
    if tags:  # inside an event: the discriminator names its model
        model = _EVENT_TYPES[tags[-1]]
        loc = loc[loc.index(tags[-1]) + 1:]
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        if part in _EVENT_TYPES:
            model = _EVENT_TYPES[part]
            continue
        info = model.model_fields.get(str(part))
        if info is None:
            return []
        nxt = [a for a in (info.annotation, *get_args(info.annotation))
               if isinstance(a, type) and issubclass(a, BaseModel)]
        if not nxt:
            inner = [b for a in get_args(info.annotation) for b in get_args(a)
                     if isinstance(b, type) and issubclass(b, BaseModel)]
            if not inner:
                return []
            nxt = inner
        model = nxt[0]
    return list(model.model_fields)


def _issue(raw: Raw, err: Any) -> Issue:
    loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p in _EVENT_TYPES))
    loc = tuple(p for p in loc if not (isinstance(p, str) and ("[" in p or p in (
        "Dist", "str", "function-after[_params(), Dist]"))))
    path = ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in loc).replace(".[", "[")
    msg = err["msg"].removeprefix("Value error, ")
    fix = ""
    name = err["loc"][-1] if err["loc"] else ""  # a key may hold "[" ("a[1]": 2)
    if err["type"] == "extra_forbidden":
        allowed = _fields_at(tuple(err["loc"]))
        close = difflib.get_close_matches(str(name), allowed, n=1)
        msg = f"unknown field {name!r}"
        fix = f"did you mean {close[0]!r}?" if close else f"allowed: {', '.join(allowed)}"
    elif err["type"] == "missing":
        msg, fix = "required field is missing", f"add '{name}'"
    elif err["type"] == "union_tag_invalid":
        fix = f"use one of: {', '.join(sorted(_EVENT_TYPES))}"
    elif not isinstance(err.get("input"), dict | list) and repr(err.get("input")) not in msg:
        msg = f"{msg} (got {err.get('input')!r})"
    return Issue(raw.where(loc), path, msg, fix)


def load_stress(source: str | Path) -> tuple[StressFile, str]:
    """Load a stress file (path, or the name of a built-in set) and its base scenario path.

    Returns the validated file and where its ``scenario`` resolves to (a built-in name
    or a path relative to the stress file).

    Raises
    ------
    StressError
        Listing every problem with file and line.
    """
    path = Path(str(source))
    if not path_exists(path) and str(source) in builtin_stress_names():
        path = Path(str(resources.files("oreline.stress") / "library" / f"{source}.yaml"))
    if not path_exists(path):
        link = broken_link_issue(path)
        raise StressError([link or Issue(
            str(source), "", "no such stress file or built-in stress set",
            f"built-in sets: {', '.join(builtin_stress_names())}")])
    if path.is_dir():
        raise StressError([Issue(str(path), "", "is a folder, not a stress file",
                                 "give the path of a stress file (.yaml) or a built-in set: "
                                 + ", ".join(builtin_stress_names()))])
    try:
        raw = read_yaml(path)  # the guards of oreline.scenario.guards apply
    except ScenarioError as exc:
        raise StressError(exc.issues) from None
    try:
        stress = StressFile.model_validate(raw.data)
    except ValidationError as exc:
        raise StressError([_issue(raw, e) for e in exc.errors()]) from None
    problems = stress.id_problems()
    if problems:
        raise StressError([Issue(raw.where(loc), ".".join(map(str, loc)), what, fix)
                           for loc, what, fix in problems])
    base = path.parent / stress.scenario
    return stress, str(base) if path_exists(base) else stress.scenario
