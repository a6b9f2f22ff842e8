"""The root app: ``--version``, help that shows real types, one error handler, exit codes."""

from __future__ import annotations

import sqlite3
from importlib.metadata import version
from pathlib import Path

import pytest
import typer.main
from typer.testing import CliRunner

from oreline import errors
from oreline.cli import app
from oreline.cli.handler import Command, Group
from oreline.errors import CheckFailedError, OrelineError
from oreline.ledger import Ledger
from tests.ledger.ledgerkit import KMP, L, doc, receipt

runner = CliRunner()


def _walk(command: object, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], object]]:
    """Every command and group of the tree, with the words that reach it."""
    found = [(path, command)]
    for name, sub in getattr(command, "commands", {}).items():
        found += _walk(sub, (*path, name))
    return found


TREE = _walk(typer.main.get_command(app))


def test_version_prints_the_installed_version_and_exits_0() -> None:
    res = runner.invoke(app, ["--version"])
    assert res.exit_code == 0, res.output
    assert res.output.split() == ["oreline", version("oreline")]


def test_every_command_uses_the_one_handler_and_every_group_hides_flag_types() -> None:
    groups = [path for path, c in TREE if hasattr(c, "commands")]
    commands = [path for path, c in TREE if not hasattr(c, "commands")]
    assert {("scenario",), ("trace",)} <= set(groups)
    assert len(commands) >= 19  # plan, stress, 4 scenario and 13 trace commands
    for path, c in TREE:
        kind = Group if hasattr(c, "commands") else Command
        assert isinstance(c, kind), f"`oreline {' '.join(path)}` is not a {kind.__name__}"


def _help(*words: str) -> list[str]:
    res = runner.invoke(app, [*words, "--help"], env={"COLUMNS": "200"}, terminal_width=200)
    assert res.exit_code == 0, res.output
    return res.output.splitlines()


def _line(lines: list[str], option: str) -> str:
    """The help line of ``option`` (the first one that names it)."""
    return next(line for line in lines if line.lstrip("│ ").startswith(f"{option} "))


@pytest.mark.parametrize(("words", "option", "shown"), [
    (("plan",), "--out", "<path>"),
    (("stress",), "--samples", "<int"),
    (("stress",), "--executor", "<inprocess|process|dask>"),
    (("trace", "account"), "--method", "<credit|rolling>"),
    (("trace", "account"), "--period", "<str>"),
    (("trace", "export"), "--key", "<path>"),
    (("trace", "demo"), "--months", "<int range>"),
    (("trace", "check"), "--rule", "<dfars-2027|crma|crma-report>"),
    (("scenario", "export"), "--format", "<yaml|csv|xlsx>"),
])
def test_help_shows_the_real_type_of_an_option(words: tuple[str, ...], option: str,
                                               shown: str) -> None:
    assert shown in _line(_help(*words), option)


def test_no_help_calls_a_flag_a_bool() -> None:
    """A flag takes no value: no command's or group's help gives it a type."""
    for path, _ in TREE:
        lines = _help(*path)
        assert not [line for line in lines if "<bool>" in line], " ".join(path)
    assert "<" not in _line(_help("plan"), "--report")  # --report / --no-report


def test_a_failed_check_has_its_own_exit_code() -> None:
    user_codes = {cls.exit_code for name in errors.__all__
                  if isinstance(cls := getattr(errors, name), type)
                  and issubclass(cls, OrelineError) and not issubclass(cls, CheckFailedError)}
    assert CheckFailedError.exit_code == 9
    assert CheckFailedError.exit_code not in user_codes | {0, 2}  # 2 is also click's usage
    assert errors.ChainError.exit_code == 9
    assert issubclass(errors.ChainError, errors.LedgerError)  # still a ledger error
    documented = (Path(__file__).parents[2] / "docs" / "trace.md").read_text(encoding="utf-8")
    assert "exits 9" in documented


def _ledger_with_a_receipt(db: Path) -> None:
    led = Ledger.open(db)
    try:
        led.register_site(KMP, "KMP", "KR", "alloying")
        led.capture(doc(receipt("ox1", 1000.0)))
    finally:
        led.close()


def test_check_exits_9_for_a_lot_that_fails_and_0_with_json(tmp_path: Path) -> None:
    db = tmp_path / "l.sqlite"
    led = Ledger.open(db)
    try:
        led.register_site(KMP, "KMP", "KR", "alloying")
        led.capture(doc(receipt("cn", 10.0, {"mined": "CN", "separated": "CN"}),
                        receipt("au", 10.0)))
    finally:
        led.close()
    res = runner.invoke(app, ["trace", "check", L + "cn", "--db", str(db)])
    assert res.exit_code == 9 and "FAIL" in res.output, res.output
    assert "error" not in res.output  # a verdict, printed once, not an error
    res = runner.invoke(app, ["trace", "check", L + "au", "--db", str(db)])
    assert res.exit_code == 0 and "PASS" in res.output, res.output
    res = runner.invoke(app, ["trace", "check", L + "cn", "--json", "--db", str(db)])
    assert res.exit_code == 0, res.output  # documented: read `status`


def test_verify_of_a_tampered_ledger_exits_9(tmp_path: Path) -> None:
    db = tmp_path / "l.sqlite"
    _ledger_with_a_receipt(db)
    res = runner.invoke(app, ["trace", "verify", "--db", str(db)])
    assert res.exit_code == 0, res.output
    conn = sqlite3.connect(db)  # an intruder with database rights
    conn.execute("DROP TRIGGER IF EXISTS entries_no_update")
    conn.execute("UPDATE entries SET actor = 'mallory' WHERE seq = 1")
    conn.commit()
    conn.close()
    res = runner.invoke(app, ["trace", "verify", "--db", str(db)])
    assert res.exit_code == 9, res.output
    assert "error: entry 1" in res.output and "Traceback" not in res.output


@pytest.mark.parametrize(("args", "code", "message"), [
    (["plan", "{bad}"], 2, "scenario is invalid"),
    (["scenario", "validate", "{bad}"], 2, "scenario is invalid"),
    (["stress", "{bad}"], 7, "stress input is invalid"),
    (["trace", "stock", "--db", "{missing}"], 6, "no ledger at"),
    (["trace", "check", "urn:oreline:lot:x", "--rule", "dfars2027", "--db", "{db}"], 6,
     "unknown rule"),
    (["plan", "tiny", "--out", "{bad}"], 8, "--out"),
])
def test_every_group_maps_oreline_errors_to_a_message_and_the_class_code(
        tmp_path: Path, args: list[str], code: int, message: str) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nhorizon: 3\n", encoding="utf-8")
    db = tmp_path / "l.sqlite"
    _ledger_with_a_receipt(db)
    where = {"bad": str(bad), "missing": str(tmp_path / "none.sqlite"), "db": str(db)}
    res = runner.invoke(app, [a.format(**where) for a in args])
    assert res.exit_code == code, res.output
    assert f"error: {message}" in res.output
    assert "Traceback" not in res.output
    assert isinstance(res.exception, SystemExit)  # an exit with a code, nothing escaped
