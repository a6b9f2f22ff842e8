"""Scenarios the server offers: the built-in ones and the copies in its data folder.

A scenario is named by a plain identifier; the name picks a built-in file or a file in
``<data_dir>/scenarios``, never a path taken from a request.
"""

from __future__ import annotations

import functools
import io
import re
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from oreline.errors import ConfigError
from oreline.scenario import Scenario, builtin_names, builtin_path, load_scenario
from oreline.scenario.resolve import KEYED
from oreline.scenario.writers import export_scenario, scenario_to_data

__all__ = ["FLAG", "ScenarioLibrary", "UnknownScenarioError", "entity_rows"]

#: The mark a source uses for an assumption or a computed figure.
FLAG = "⚑"
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,80}$")
_LISTS = (*KEYED, "initial_stock")


class UnknownScenarioError(ConfigError):
    """No scenario of that name (HTTP 404)."""


@dataclass(frozen=True)
class ScenarioLibrary:
    """The built-in scenarios and those saved under ``folder``."""

    folder: Path

    def names(self) -> list[dict[str, str]]:
        """Every scenario: its name and where it comes from (built-in or saved)."""
        out = [{"name": n, "origin": "built-in"} for n in builtin_names()]
        if self.folder.is_dir():
            out += [{"name": p.stem, "origin": "saved"} for p in sorted(self.folder.glob("*.yaml"))
                    if _NAME.match(p.stem)]
        return out

    def path(self, name: str) -> Path:
        """The file of scenario ``name``.

        Raises
        ------
        UnknownScenarioError
            When no scenario has that name.
        """
        if _NAME.match(name):
            if name in builtin_names():
                return builtin_path(name)
            saved = self.folder / f"{name}.yaml"
            if saved.is_file():
                return saved
        known = ", ".join(n["name"] for n in self.names())
        raise UnknownScenarioError(f"no scenario named {name!r}; the server has: {known}")

    def load(self, name: str) -> Scenario:
        """The validated scenario ``name`` (read again only when its file changed)."""
        path = self.path(name)
        return _load(str(path), path.stat().st_mtime_ns)

    def export(self, name: str, fmt: str) -> tuple[bytes, str, str]:
        """Scenario ``name`` as ``(bytes, media type, file name)`` in ``yaml``, ``csv`` or ``xlsx``.

        The CSV folder comes as a zip file.

        Raises
        ------
        ConfigError
            For another format.
        """
        sc = self.load(name)
        with tempfile.TemporaryDirectory() as tmp:
            if fmt == "yaml":
                out = export_scenario(sc, Path(tmp) / f"{name}.yaml", "yaml")
                return out.read_bytes(), "application/yaml", f"{name}.yaml"
            if fmt == "xlsx":
                out = export_scenario(sc, Path(tmp) / f"{name}.xlsx", "xlsx")
                return (out.read_bytes(), "application/vnd.openxmlformats-officedocument."
                        "spreadsheetml.sheet", f"{name}.xlsx")
            if fmt == "csv":
                folder = export_scenario(sc, Path(tmp) / name, "csv")
                buf = io.BytesIO()
                with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
                    for f in sorted(folder.iterdir()):
                        zf.write(f, f"{name}/{f.name}")
                return buf.getvalue(), "application/zip", f"{name}-csv.zip"
        raise ConfigError(f"unknown export format {fmt!r}; use yaml, csv or xlsx")


@functools.lru_cache(maxsize=32)
def _load(path: str, _mtime: int) -> Scenario:
    return load_scenario(Path(path))


def _source_text(source: Any) -> list[dict[str, Any]]:
    if source is None:
        return []
    if isinstance(source, dict):
        return [{"field": str(k), "text": str(v), "flagged": FLAG in str(v)}
                for k, v in source.items()]
    return [{"field": "", "text": str(source), "flagged": FLAG in str(source)}]


def _text(value: Any) -> str:
    """A field value as a person reads it: ``a: 1; b: 2``, not a Python dict."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_nested(v)}" for k, v in value.items())
    if isinstance(value, list):
        return "; ".join(_nested(v) for v in value)
    return str(value)


def _nested(value: Any) -> str:
    text = _text(value)
    return f"({text})" if isinstance(value, dict | list) and ";" in text else text


def _fields(item: dict[str, Any]) -> dict[str, str]:
    return {k: _text(v) for k, v in item.items() if k not in ("id", "source")}


def entity_rows(scenario: Scenario) -> dict[str, Any]:
    """Every entity of ``scenario`` with its fields, its sources and whether any is flagged.

    Examples
    --------
    >>> from oreline.scenario import load_scenario
    >>> rows = entity_rows(load_scenario("tiny"))
    >>> rows["entities"]["customers"][0]["id"]
    'c1'
    """
    data = scenario_to_data(scenario)
    out: dict[str, list[dict[str, Any]]] = {}
    flagged = 0
    for key in _LISTS:
        items = data.get(key) or []
        rows = []
        for i, item in enumerate(items):
            sources = _source_text(item.get("source"))
            flags = sum(1 for s in sources if s["flagged"])
            flagged += flags
            rows.append({"id": str(item.get("id", i + 1)), "fields": _fields(item),
                         "sources": sources, "flags": flags})
        if rows:
            out[key] = rows
    return {"name": scenario.name, "description": scenario.description,
            "currency": scenario.currency,
            "horizon": {"start": scenario.horizon.start, "periods": scenario.horizon.periods,
                        "period": scenario.horizon.period},
            "references": dict(scenario.sources), "flags": flagged, "entities": out}
