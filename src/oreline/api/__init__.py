"""``oreline serve``: the web app, its JSON API and its tokens.

Sits on both stacks (like the command line): it reads scenarios and plans from the
planner and lots from the ledger. :func:`~oreline.api.app.create_app` builds the app.
"""

from __future__ import annotations

__all__: list[str] = []
