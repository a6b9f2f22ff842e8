"""``ledger/epcis`` is the GS1 standard only: no other ledger sub-package, no database."""

from __future__ import annotations

import ast
from pathlib import Path

from oreline.ledger import epcis

ALLOWED = ("oreline.errors", "oreline.ledger.epcis")
DATABASE = ("sqlalchemy", "alembic", "psycopg", "sqlite3")


def test_epcis_imports_only_itself_and_no_database() -> None:
    for path in Path(epcis.__file__).parent.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
        names += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
        for name in names:
            assert not name.startswith(DATABASE), (path.name, name)
            if name.startswith("oreline"):
                assert name.startswith(ALLOWED), (path.name, name)
