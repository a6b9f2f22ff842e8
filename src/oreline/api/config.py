"""What one ``oreline serve`` process needs to know: databases, folders and limits.

The command line builds a :class:`ServeConfig`; with several workers uvicorn imports the
app afresh in each process, so the config travels as JSON in ``ORELINE_SERVE_CONFIG``.

Examples
--------
>>> c = ServeConfig.default(Path("/tmp/o"))
>>> c.ledger_url
'sqlite:////tmp/o/demo-ledger.sqlite'
>>> ServeConfig.from_json(c.to_json()) == c
True

"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from oreline.errors import ConfigError

__all__ = ["CONFIG_VARIABLE", "ServeConfig", "default_data_dir"]

#: Environment variable that hands the config to each uvicorn worker.
CONFIG_VARIABLE = "ORELINE_SERVE_CONFIG"


def default_data_dir() -> Path:
    """Where the server keeps its own files: ``$XDG_DATA_HOME/oreline`` or ``~/.local/share``."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "oreline"


@dataclass(frozen=True)
class ServeConfig:
    """Settings of one server.

    Attributes
    ----------
    data_dir
        The server's folder: the demo ledger, the app database (tokens, jobs, plan
        cache) and what-if scenario copies.
    ledger_url
        The ledger (SQLite path or SQLAlchemy URL).
    app_url
        Tokens, jobs and cached plans. A PostgreSQL ledger holds them too, so that
        several workers (or hosts) share them.
    reads_open
        Whether pages and GET endpoints answer without a token.
    max_body_bytes
        Largest request body accepted (413 beyond), except EPCIS captures.
    epcis_capture_events
        Most events in one EPCIS capture (``GS1-EPCIS-Capture-Limit``; 413 beyond).
    epcis_capture_bytes
        Largest EPCIS capture body (``GS1-EPCIS-Capture-File-Size-Limit``; 413 beyond).
    """

    data_dir: str
    ledger_url: str
    app_url: str
    reads_open: bool = True
    max_body_bytes: int = 5 * 1024 * 1024
    epcis_capture_events: int = 10_000
    epcis_capture_bytes: int = 32 * 1024 * 1024

    @classmethod
    def default(cls, data_dir: Path | None = None, db: str | None = None) -> ServeConfig:
        """The config of ``oreline serve`` with a data folder and an optional ``--db``."""
        folder = (data_dir or default_data_dir()).resolve()
        ledger = db or f"sqlite:///{folder / 'demo-ledger.sqlite'}"
        if "://" not in ledger:
            ledger = f"sqlite:///{Path(ledger).resolve()}"
        app = ledger if ledger.startswith("postgresql") else \
            f"sqlite:///{folder / 'serve.sqlite'}"
        return cls(str(folder), ledger, app)

    @property
    def demo_ledger(self) -> bool:
        """Whether the ledger is the demo one the server builds on first start."""
        return self.ledger_url == f"sqlite:///{Path(self.data_dir) / 'demo-ledger.sqlite'}"

    def with_reads(self, reads_open: bool) -> ServeConfig:
        """A copy with reads open or closed."""
        return replace(self, reads_open=reads_open)

    def to_json(self) -> str:
        """The config as JSON (for ``ORELINE_SERVE_CONFIG``)."""
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> ServeConfig:
        """The config from :meth:`to_json` text.

        Raises
        ------
        ConfigError
            When the text is not such a config.
        """
        try:
            return cls(**json.loads(text))
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"{CONFIG_VARIABLE} is not a server config ({exc}); unset it "
                              "and start the server with `oreline serve`") from exc

    @classmethod
    def from_env(cls) -> ServeConfig:
        """The config handed over by ``oreline serve``, or the default one."""
        text = os.environ.get(CONFIG_VARIABLE)
        return cls.from_json(text) if text else cls.default()
