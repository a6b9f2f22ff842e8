"""The one memo helper: bounded, typed, and the only cache of capture's pure functions."""

from __future__ import annotations

import ast
import copy
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from oreline.ledger.epcis import extensions, standard, values
from oreline.ledger.epcis.memo import Memo

LEDGER = Path(values.__file__).resolve().parents[1]


def test_memo_remembers_and_stays_within_its_size() -> None:
    memo: Memo[str, int] = Memo(3)
    assert memo.get("a") is None
    assert memo.remember("a", 1) == 1
    assert memo.get("a") == 1
    for i, key in enumerate("bcdefg"):
        memo.remember(key, i)
        assert len(memo) <= 3
        assert memo.get(key) == i  # the last value stored is always there


def test_memoised_values_equal_a_fresh_computation() -> None:
    for text in ["2026-03-01T08:00:00+09:00", "2005-04-03T20:33:31.116000-06:00"]:
        first = values.normalise_timestamp(text)
        assert values.normalise_timestamp(text) == first == values._normalise_timestamp(text)
    for number in [1.0, "0.34340", 1200, 1e-7]:
        assert values.format_number(number) == values._format_number(number)
    urn = "urn:epc:id:sgtin:0614141.107346.2017"
    assert values.epc_to_digital_link(urn) == values._epc_to_digital_link(urn)


def test_every_module_level_cache_of_the_ledger_is_a_memo() -> None:
    """No hand-rolled cache: a module-level ``dict``/``set`` emptied with ``.clear()``."""
    for path in LEDGER.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        globals_ = {t.id for node in tree.body if isinstance(node, ast.Assign | ast.AnnAssign)
                    for t in ([node.target] if isinstance(node, ast.AnnAssign) else node.targets)
                    if isinstance(t, ast.Name)}
        cleared = {node.func.value.id for node in ast.walk(tree)
                   if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                   and node.func.attr == "clear" and isinstance(node.func.value, ast.Name)}
        assert not (globals_ & cleared - {"_LAST_PREFIXES"}), path
    for memo in (values._TIMESTAMPS, values._NUMBERS, values._LINKS, values._TERMS,
                 extensions._BODIES, standard._KNOWN_URIS, standard._KNOWN_TERMS):
        assert isinstance(memo, Memo)
        assert memo.size > 0


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-2**63, 2**63 - 1)
    | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner,
                                                                max_size=3),
    max_leaves=8)


@settings(max_examples=300, deadline=None)
@given(_JSON, _JSON)
def test_freeze_by_json_equals_freeze_by_walking(a: object, b: object) -> None:
    """The orjson key tells two values apart exactly when walking them does (1 and 1.0,
    True and 1, -0.0 and 0.0, NaN and null, key order)."""
    from oreline.ledger.epcis.canonical import _freeze_walk, freeze

    assert (freeze(a) == freeze(b)) == (_freeze_walk(a) == _freeze_walk(b))
    assert freeze(a) == freeze(copy.deepcopy(a)) or a != a  # NaN is not equal to itself
