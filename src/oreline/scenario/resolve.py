"""Which files a scenario is read from: built-in names, the format, ``extends:``.

:func:`read_raw` turns a built-in name or a path into raw data with the reader
of :mod:`oreline.scenario.readers` for its format, then reads the base scenario
named by ``extends:`` the same way and overlays the child on it.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path
from typing import Any

from oreline.errors import Issue, ScenarioError
from oreline.scenario.guards import broken_link_issue, path_exists
from oreline.scenario.readers import Raw, read_csv_folder, read_excel, read_yaml

__all__ = ["builtin_names", "builtin_path", "read_raw"]

#: Entity lists keyed by id; ``extends:`` merges these entry by entry.
KEYED = ("commodities", "sites", "processes", "contracts", "in_transit", "open_orders",
         "stock_targets", "lanes", "customers", "enquiries", "options")


# --------------------------------------------------------------------------- built-ins


def builtin_names() -> list[str]:
    """Names of the built-in scenarios.

    Examples
    --------
    >>> "kmp" in builtin_names() and "tiny" in builtin_names()
    True

    """
    lib = resources.files("oreline.scenario") / "library"
    return sorted(p.name[:-5] for p in lib.iterdir() if p.name.endswith(".yaml"))


def builtin_path(name: str) -> Path:
    """Path of a built-in scenario file."""
    return Path(str(resources.files("oreline.scenario") / "library" / f"{name}.yaml"))


# --------------------------------------------------------------------------- extends


def _merge(base: Raw, child: Raw) -> Raw:
    """Overlay ``child`` on ``base``: keyed entities entry by entry, mappings key by key.

    Any other top-level value of the child replaces the base's, and so do the base's
    file places under it, so an error points into the file that wrote the value.
    """
    data, locs = _merge_plain(base, child)
    orphans = list(base.data.get("_orphans", [])) + list(child.data.get("_orphans", []))
    for entity in KEYED:
        base_items = base.data.get(entity) or []
        child_items = child.data.get(entity) or []
        if not isinstance(base_items, list) or not isinstance(child_items, list):
            # not a list: nothing to merge by id, the schema reports the bad value
            chosen = child if entity in child.data else base
            if entity in chosen.data:
                data[entity] = chosen.data[entity]
                locs.update({k: v for k, v in chosen.locs.items() if k[:1] == (entity,)})
            continue
        items, entity_locs = _merge_entity(entity, base, child, orphans)
        data[entity] = items
        locs.update(entity_locs)
        if not items and entity not in base.data and entity not in child.data:
            del data[entity]
    data.pop("extends", None)
    data.pop("_orphans", None)
    if orphans:
        data["_orphans"] = orphans
    return Raw(data, locs, child.origin)


def _merge_plain(base: Raw, child: Raw) -> tuple[dict[str, Any], dict[tuple[Any, ...], Any]]:
    """The top-level values other than keyed entities: mappings merged, others replaced."""
    data = dict(base.data)
    locs = {k: v for k, v in base.locs.items() if not (k and k[0] in KEYED)}
    for key, value in child.data.items():
        if key in KEYED or key == "_orphans":
            continue
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
            locs = {k: v for k, v in locs.items() if k[:1] != (key,)}
    locs.update({k: v for k, v in child.locs.items() if not (k and k[0] in KEYED)})
    return data, locs


def _merge_entity(entity: str, base: Raw, child: Raw, orphans: list[Any]
                  ) -> tuple[list[Any], dict[tuple[Any, ...], Any]]:
    """One keyed entity's list: the child's entries override, add or remove by id.

    Returns the merged list and the file places of its entries under their new
    positions; a ``remove`` naming no base entry is appended to ``orphans``.
    """
    out: list[Any] = []
    sources: list[list[tuple[Raw, int]]] = []
    index: dict[Any, int] = {}
    for b, item in enumerate(base.data.get(entity) or []):
        if isinstance(item, dict):
            index[item.get("id")] = len(out)
        out.append(item)
        sources.append([(base, b)])
    for c, item in enumerate(child.data.get(entity) or []):
        ident = item.get("id") if isinstance(item, dict) else None
        if ident is not None and ident in index:
            k = index[ident]
            if item.get("remove") is True:
                out[k], sources[k] = {}, []
                continue
            out[k] = {**out[k], **item}
            sources[k].append((child, c))
        elif isinstance(item, dict) and "remove" in item:
            orphans.append(Issue(
                child.where((entity, c, "remove")), f"{entity}[{c}].remove",
                f"'remove: true' names {ident!r}, which the base scenario has no entry for",
                f"correct the id or delete the entry; {entity} of the base: "
                + ", ".join(str(k) for k in index if k is not None)))
        else:
            if ident is not None:
                index[ident] = len(out)
            out.append(item)
            sources.append([(child, c)])
    keep = [k for k in range(len(out)) if sources[k]]
    locs: dict[tuple[Any, ...], Any] = {}
    for new, k in enumerate(keep):
        for raw, old in sources[k]:
            for loc, place in raw.locs.items():
                if loc[:2] == (entity, old):
                    locs[(entity, new, *loc[2:])] = place
    return [out[k] for k in keep], locs


def _missing(text: str, path: Path) -> ScenarioError:
    """The error for a source that is neither a file, a folder nor a built-in name."""
    link = broken_link_issue(path)
    if link is not None:
        return ScenarioError([link])
    hint = f"built-in scenarios: {', '.join(builtin_names())}"
    return ScenarioError([Issue(text, "", "no such file, folder or built-in scenario", hint)])


def read_raw(source: str | Path, _seen: tuple[str, ...] = ()) -> Raw:
    """Read a scenario (built-in name, YAML, CSV folder or workbook) into raw data.

    ``extends:`` is resolved here: a built-in name or a path relative to the file.
    """
    text = str(source)
    path = Path(text)
    if not path_exists(path) and text in builtin_names():
        path = builtin_path(text)
    if not path_exists(path):
        raise _missing(text, path)
    key = str(path.resolve())
    if key in _seen:
        raise ScenarioError([Issue(text, "extends", "extends forms a cycle: " +
                                   " -> ".join((*_seen, key)), "remove one 'extends'")])
    if path.is_dir():
        raw = read_csv_folder(path)
    elif path.suffix.lower() in (".xlsx", ".xlsm"):
        raw = read_excel(path)
    elif path.suffix.lower() in (".yaml", ".yml"):
        raw = read_yaml(path)
    else:
        raise ScenarioError([Issue(text, "", f"unknown scenario format {path.suffix!r}",
                                   "use .yaml, .xlsx or a folder of CSV files")])
    parent = raw.data.get("extends")
    if parent:
        parent_text = str(parent)
        here = raw.where(("extends",))
        # relative to the file holding 'extends' (scenario.csv inside a folder)
        anchor = path if path.is_dir() else path.parent
        candidate = Path(os.path.normpath(anchor / parent_text))
        if path_exists(candidate):
            base_source: str | Path = candidate
        elif parent_text in builtin_names():
            base_source = builtin_path(parent_text)
        else:
            raise ScenarioError([Issue(
                here, "extends", f"base scenario {parent_text!r} not found in {anchor} "
                "nor among the built-ins", f"built-in scenarios: {', '.join(builtin_names())}; "
                "or give a path relative to this file")])
        base_key = str(Path(base_source).resolve())
        if base_key in (*_seen, key):
            chain = " -> ".join(Path(k).name for k in (*_seen, key, base_key))
            raise ScenarioError([Issue(here, "extends", f"extends forms a cycle: {chain}",
                                       "remove one 'extends' from the cycle")])
        base = read_raw(base_source, (*_seen, key))
        raw = _merge(base, raw)
    return raw
