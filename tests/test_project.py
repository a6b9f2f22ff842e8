"""Guards of the project's shape: imports point one way, public names are declared,
settings are documented and the tests mirror the package (see docs/architecture.md)."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "oreline"

#: Rank of each top-level part of the planner pipeline: a module may import parts of a
#: lower rank (and its own part), never a higher one. The ledger stands beside the
#: pipeline on the shared base; only the command line sits on both.
RANKS: dict[str, int] = {
    "errors": -1, "units": 0, "countries": 0, "origin": 0, "settings": 0,
    "scenario": 1, "network": 2, "model": 3, "solve": 4, "results": 5, "planner": 6,
    "stress": 7, "report": 8, "ledger": 1, "seed": 9, "invest": 9, "api": 10, "cli": 11,
}
#: Parts that may import the ledger: the command line, and ``seed``, the bridge that
#: reads a ledger's stock as a plan's opening stock (the planner itself never does).
MEET_LEDGER = {"cli", "seed", "api"}
#: The ledger's sub-packages in import order: each may import the ones before it. ""
#: is the façade level (ledger.py, the demo); the CSV import sits on the façade.
LEDGER_ORDER = ["epcis", "profile", "rules", "store", "capture", "integrity", "", "csv"]
#: What the ledger's top-level modules count as (others are the façade level "").
LEDGER_TOP = {"records": "epcis"}


def _modules() -> list[tuple[str, Path]]:
    out = []
    for path in sorted(SRC.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        parts = path.relative_to(SRC.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out.append((name, path))
    return out


def _imports(path: Path) -> set[str]:
    """Every ``oreline.*`` module a file imports, at any depth (function-level too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("oreline")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(
                "oreline"):
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names}
    return found


def _part(module: str) -> str:
    bits = module.split(".")
    return bits[1] if len(bits) > 1 else ""


def _ledger_level(module: str) -> int:
    bits = module.split(".")
    sub = bits[2] if len(bits) > 2 else ""
    sub = LEDGER_TOP.get(sub, sub)
    return LEDGER_ORDER.index(sub if sub in LEDGER_ORDER else "")


def test_imports_point_one_way() -> None:
    wrong = []
    for name, path in _modules():
        part = _part(name)
        if part not in RANKS:
            continue
        for target in _imports(path):
            other = _part(target)
            if other not in RANKS or other == part:
                continue
            if RANKS[other] >= RANKS[part]:
                wrong.append(f"{name} imports {target}")
            if (part not in MEET_LEDGER and other == "ledger") or (
                    part == "ledger" and RANKS[other] > 0):
                wrong.append(f"{name} imports {target} (the ledger and the planner meet "
                             f"only in the command line)")
    assert not wrong, "\n".join(sorted(set(wrong)))


def test_ledger_subpackages_import_one_way() -> None:
    wrong = []
    for name, path in _modules():
        if not name.startswith("oreline.ledger.") or name == "oreline.ledger":
            continue
        mine = _ledger_level(name)
        for target in _imports(path):
            if not target.startswith("oreline.ledger.") or target.count(".") < 2:
                continue
            if _ledger_level(target) > mine:
                wrong.append(f"{name} imports {target}")
    assert not wrong, "\n".join(sorted(set(wrong)))


@pytest.mark.parametrize("sub", ["epcis", "rules"])
def test_standard_and_rules_hold_no_sql(sub: str) -> None:
    """The GS1 layer and the custody/compliance rules are pure: no database in them."""
    for path in (SRC / "ledger" / sub).rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "sqlalchemy" not in text, path
        assert "oreline.ledger.store" not in text, path


def _is_command(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """A typer command: public by registration, not by ``__all__``."""
    return any(isinstance(d, ast.Call) and isinstance(d.func, ast.Attribute)
               and d.func.attr in ("command", "callback") for d in node.decorator_list)


def test_public_names_are_declared_in_all() -> None:
    """Every public function and class a module defines is in its ``__all__``, and
    every name in ``__all__`` exists (httpx's guard)."""
    problems = []
    for name, path in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        declared: list[str] | None = None
        defined = set()
        for node in tree.body:
            if isinstance(node, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
                declared = ast.literal_eval(node.value)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and _is_command(node):
                continue
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and (
                    not node.name.startswith("_")):
                defined.add(node.name)
        if declared is None:
            if defined:
                problems.append(f"{name}: no __all__ (defines {sorted(defined)})")
            continue
        if missing := defined - set(declared):
            problems.append(f"{name}: public but not in __all__: {sorted(missing)}")
        module = importlib.import_module(name)
        if ghosts := [n for n in declared if not hasattr(module, n)]:
            problems.append(f"{name}: __all__ names what it does not define: {ghosts}")
    assert not problems, "\n".join(problems)


def _settings_used() -> set[str]:
    names: set[str] = set()
    for folder in ("src", "tests", "benchmarks", ".ci"):
        for path in (ROOT / folder).rglob("*"):
            if path.is_file() and path.suffix in (".py", "", ".sh") and "__pycache__" not in (
                    path.parts):
                names |= set(re.findall(r"\bORELINE_[A-Z0-9_]+", path.read_text(
                    encoding="utf-8", errors="replace")))
    return names


def test_every_setting_is_documented() -> None:
    """Every ``ORELINE_*`` variable anything reads has a row in docs/settings.md."""
    doc = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    rows = set(re.findall(r"^\| `(ORELINE_[A-Z0-9_]+)` \|", doc, flags=re.M))
    used = _settings_used()
    assert used, "no settings found: the scan is broken"
    assert used <= rows, f"undocumented: {sorted(used - rows)}"
    assert rows <= used, f"documented but read nowhere: {sorted(rows - used)}"


def test_settings_object_and_its_docstring_agree() -> None:
    from oreline import settings

    text = Path(settings.__file__).read_text(encoding="utf-8")
    spec = set(re.findall(r'"(ORELINE_[A-Z0-9_]+)": \(', text))
    documented = set(re.findall(r"^``(ORELINE_[A-Z0-9_]+)``$", settings.__doc__ or "",
                                flags=re.M))
    assert spec and spec == documented


def test_tests_mirror_the_package() -> None:
    """Each sub-package of oreline has a test folder of the same path; each is a package."""
    missing = []
    for init in SRC.rglob("__init__.py"):
        rel = init.parent.relative_to(SRC)
        if rel == Path() or "migrations" in rel.parts or "library" in rel.parts:
            continue
        if not (ROOT / "tests" / rel).is_dir():
            missing.append(str(rel))
    assert not missing, f"no tests/ folder for: {missing}"
    loose = [str(d.relative_to(ROOT)) for d in (ROOT / "tests").rglob("*")
             if d.is_dir() and "__pycache__" not in d.parts and any(d.glob("test_*.py"))
             and not (d / "__init__.py").exists()]
    assert not loose, f"test folders that are not packages: {loose}"


def test_every_data_file_in_the_package_is_installed() -> None:
    """A file the code reads from the package (a built-in scenario, a stress set, a
    template) must be in ``package-data``, or a non-editable install lacks it."""
    import fnmatch
    import tomllib

    root = Path(__file__).resolve().parents[1]
    globs = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))[
        "tool"]["setuptools"]["package-data"]["oreline"]
    pkg = root / "src" / "oreline"
    data = [p.relative_to(pkg).as_posix() for p in pkg.rglob("*")
            if p.is_file() and p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts]
    assert data, "no data files found: the test looks in the wrong place"

    def covered(rel: str) -> bool:
        # setuptools globs: "**/" spans zero or more folders, "*" stays within one
        for g in globs:
            for pattern in {g, g.replace("**/", "")}:
                if fnmatch.fnmatch(rel, pattern) and (
                        "**" in pattern or pattern.count("/") == rel.count("/")):
                    return True
        return False

    missing = [rel for rel in data if not covered(rel)]
    assert not missing, f"add to [tool.setuptools.package-data] in pyproject.toml: {missing}"
