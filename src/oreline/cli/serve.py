"""``oreline serve``: the web app on uvicorn, and ``oreline serve token`` for its tokens."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from oreline.cli.console import console, esc
from oreline.cli.handler import Command, Group, report
from oreline.errors import OrelineError

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from oreline.api.config import ServeConfig

__all__ = ["ServeGroup", "app"]


class ServeGroup(Group):
    """``serve`` is a command and a group: its own Oreline errors are reported too."""

    def invoke(self, ctx: Any) -> Any:
        """Run the server or a subcommand; an :class:`OrelineError` exits with its code."""
        try:
            return super().invoke(ctx)
        except OrelineError as exc:
            report(exc)
            raise typer.Exit(exc.exit_code) from None


app = typer.Typer(cls=ServeGroup, help="The web app: plans, stress, trace and a JSON API.",
                  add_completion=False, invoke_without_command=True,
                  pretty_exceptions_enable=False)
token_app = typer.Typer(cls=Group, help="Make, list and revoke the server's API tokens.",
                        no_args_is_help=True, add_completion=False,
                        pretty_exceptions_enable=False)
app.add_typer(token_app, name="token")

DataOpt = Annotated[Path | None, typer.Option(
    "--data-dir", help="The server's folder: demo ledger, tokens, jobs "
                       "(default: $XDG_DATA_HOME/oreline or ~/.local/share/oreline)")]
DbOpt = Annotated[str | None, typer.Option(
    "--db", help="Ledger: SQLite path or SQLAlchemy URL (default: the demo ledger, built "
                 "on first start)")]


def _config(data_dir: Path | None, db: str | None) -> ServeConfig:
    from oreline.api.config import ServeConfig

    return ServeConfig.default(data_dir, db)


@app.callback()
def serve(ctx: typer.Context,
          host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
          port: Annotated[int, typer.Option(min=0, max=65535, help="Port")] = 8000,
          db: DbOpt = None, data_dir: DataOpt = None,
          workers: Annotated[int, typer.Option(min=1, help="Worker processes")] = 1,
          private: Annotated[bool, typer.Option(
              "--private", help="Pages and GET endpoints need a token with the read scope")]
          = False) -> None:
    """Serve the web app (built-in scenarios and the demo ledger with no options)."""
    if ctx.invoked_subcommand is not None:
        ctx.obj = (data_dir, db)
        return
    import uvicorn

    from oreline.api.app import create_app
    from oreline.api.config import CONFIG_VARIABLE

    config = _config(data_dir, db).with_reads(not private)
    console.print(f"Oreline on http://{esc(host)}:{port}/ (data in {esc(config.data_dir)}; "
                  "first start builds the demo ledger)", highlight=False)
    if workers == 1:
        uvicorn.run(create_app(config), host=host, port=port, log_level="warning")
        return
    create_app(config)  # build the demo ledger once, before the workers start
    os.environ[CONFIG_VARIABLE] = config.to_json()
    uvicorn.run("oreline.api.app:app_from_env", factory=True, host=host, port=port,
                workers=workers, log_level="warning")


def _engine(ctx: typer.Context) -> Engine:
    from oreline.api.appdb import open_app_db

    data_dir, db = ctx.obj or (None, None)
    config = _config(data_dir, db)
    Path(config.data_dir).mkdir(parents=True, exist_ok=True)
    return open_app_db(config.app_url)


def _when(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M UTC")


@token_app.command("create", cls=Command)
def token_create(ctx: typer.Context,
                 scope: Annotated[list[str], typer.Option(
                     help="read, plan, capture or admin; repeat for several")],
                 days: Annotated[float, typer.Option(help="Days until it expires")] = 30,
                 note: Annotated[str, typer.Option(help="What it is for")] = "") -> None:
    """Make a token; it is printed once and stored only as a hash."""
    from oreline.api.tokens import create_token

    tok = create_token(_engine(ctx), scope, days, note)
    console.print(f"token {tok.id} ({' '.join(tok.scopes)}), expires {_when(tok.expires)}:",
                  highlight=False)
    print(tok.secret)  # plain, so scripts can capture it


@token_app.command("list", cls=Command)
def token_list(ctx: typer.Context) -> None:
    """List tokens (never their secrets)."""
    from oreline.api.tokens import list_tokens

    for t in list_tokens(_engine(ctx)):
        state = "revoked" if t.revoked else f"expires {_when(t.expires)}"
        console.print(f"{t.id}  {' '.join(t.scopes):<20} {state}  {esc(t.note)}",
                      highlight=False)


@token_app.command("revoke", cls=Command)
def token_revoke(ctx: typer.Context,
                 token_id: Annotated[str, typer.Argument(help="Token id (from token list)")]
                 ) -> None:
    """Revoke a token at once."""
    from oreline.api.tokens import revoke_token

    revoke_token(_engine(ctx), token_id)
    console.print(f"revoked {esc(token_id)}")
