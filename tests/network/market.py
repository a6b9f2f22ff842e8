"""The ``market`` test scenario (data/market.yaml) and its hand-derived numbers.

Oxide index (USD/t) per month of 2027: observed 48,000 in 2026-11 and 52,000 in 2027-03,
linear in between (Jan 50,000, Feb 51,000, Mar 52,000), then linear to 60,000 by
2027-11 (+1,000 a month) and flat after: 50, 51, ..., 60, 60 thousand.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np
from ruamel.yaml import YAML

from oreline.scenario import Scenario
from tests.conftest import scenario_from

MARKET = Path(__file__).parent / "data" / "market.yaml"
#: Oxide index per month of 2027, USD/t.
INDEX = np.array([50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 60], dtype=float) * 1000.0
#: t Nd2O3 holding the Nd of one t of Nd metal (IUPAC 2021: Nd 144.242, O 15.999).
ND_CONTENT = (2 * 144.242 + 3 * 15.999) / (2 * 144.242)


def market_dict() -> dict[str, Any]:
    """The market scenario as a plain dict, to modify in tests."""
    return copy.deepcopy(YAML(typ="safe").load(MARKET.read_text(encoding="utf-8")))


def market(change: dict[str, Any] | None = None) -> Scenario:
    """The market scenario, with top-level keys replaced by ``change``."""
    data = market_dict()
    data.update(change or {})
    return scenario_from(data)


def oxide_up(factor: float) -> Scenario:
    """The market scenario with every oxide price on the path multiplied by ``factor``."""
    data = market_dict()
    path = data["commodities"][0]["price_path"]
    path["observed"] = {"2026-11": f"{48 * factor!r} USD/kg", "2027-03": f"{52 * factor!r} USD/kg"}
    path["forward"] = f"linear to {60 * factor!r} USD/kg by 2027-11"
    return scenario_from(data)
