"""The family names of model/families.py are the names the model lays out, in order."""

from __future__ import annotations

from oreline.model import build_model
from oreline.model.families import CONSTRAINT_FAMILY_NAMES, VARIABLE_FAMILIES
from oreline.network import compile_network
from oreline.scenario import load_scenario


def test_families_match_the_layout():
    lp = build_model(compile_network(load_scenario("tiny")))
    assert tuple(lp.variables.blocks) == VARIABLE_FAMILIES
    assert tuple(lp.rows) == CONSTRAINT_FAMILY_NAMES
