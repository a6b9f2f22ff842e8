"""``oreline serve token``: tokens made, listed and revoked from the command line."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from oreline.api.appdb import open_app_db
from oreline.api.tokens import check_token
from oreline.cli.app import app


def test_token_create_list_revoke(tmp_path: Path):
    run = CliRunner()
    base = ["serve", "--data-dir", str(tmp_path), "token"]
    made = run.invoke(app, [*base, "create", "--scope", "plan", "--scope", "read",
                            "--note", "team"])
    assert made.exit_code == 0, made.output
    secret = made.output.split()[-1]
    engine = open_app_db(f"sqlite:///{tmp_path / 'serve.sqlite'}")
    row = check_token(engine, secret, "plan")
    assert row.scopes == ("plan", "read")
    listed = run.invoke(app, [*base, "list"])
    assert row.id in listed.output and secret not in listed.output
    assert run.invoke(app, [*base, "revoke", row.id]).exit_code == 0
    assert "revoked" in run.invoke(app, [*base, "list"]).output


def test_unknown_scope_is_a_config_error(tmp_path: Path):
    out = CliRunner().invoke(app, ["serve", "--data-dir", str(tmp_path), "token", "create",
                                   "--scope", "root"])
    assert out.exit_code == 8
    assert "unknown scope" in out.output and "Traceback" not in out.output
