"""Every published vector of the reference event hash generator, run through Oreline.

The vectors are vendored under ``tests/ledger/vectors/hashid/`` (see its README): each
``NAME.jsonld`` document comes with ``NAME.hashes`` (one hash ID per event, in order)
and, for most, ``NAME.prehashes``. An event whose published hash follows the reference
implementation where it departs from the CBV 2.0 text is an expected failure naming the
paragraph of docs/trace.md that explains it; every other event must match exactly.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from oreline.ledger.epcis.hashid import event_hash_id, prehash_string
from oreline.ledger.epcis.hashlist import document_events

VECTORS = Path(__file__).parents[1] / "vectors" / "hashid" / "ralphtro"

#: Events whose published hash follows the reference generator where it departs from the
#: CBV 2.0 text, by (file, event index): the reason, with the docs/trace.md paragraph.
DEPARTURES = {
    (name, index): "the reference writes destinationList before sourceList (alphabetical); "
    "CBV 2.0 and openEPCIS write sourceList first: docs/trace.md, 'Where the references "
    "and the standard disagree', source and destination order"
    for name, index in [("ReferenceEventHashAlgorithm3", 0),
                        ("epcisDocWithShippingAndTransportingEvent", 0),
                        ("epcisDocWithVariousEventTypes", 0),
                        ("epcisDocWithVariousEventTypes", 1)]
}


def _ni(prehash: str) -> str:
    return f"ni:///sha-256;{hashlib.sha256(prehash.encode()).hexdigest()}?ver=CBV2.0"


def _ignored(doc: dict[str, Any]) -> frozenset[str]:
    """The fields a vector's document asks the reference to leave out (``*:ignoreFields``)."""
    holders = [doc, doc.get("epcisBody", {}).get("queryResults", {})]
    return frozenset(v for h in holders for k, vals in h.items()
                     if k.endswith(":ignoreFields") for v in vals)


def _cases() -> list[Any]:
    cases = []
    for path in sorted(VECTORS.glob("*.jsonld")):
        hashes = path.with_suffix(".hashes").read_text().split()
        pre_path = path.with_suffix(".prehashes")
        prehashes = [p for p in pre_path.read_text().splitlines() if p] if pre_path.exists() \
            else []
        for i, expected in enumerate(hashes):
            marks = []
            if (path.stem, i) in DEPARTURES:
                marks.append(pytest.mark.xfail(reason=DEPARTURES[(path.stem, i)], strict=True))
            cases.append(pytest.param(path, i, expected,
                                      prehashes[i] if i < len(prehashes) else None,
                                      id=f"{path.stem}[{i}]", marks=marks))
    return cases


CASES = _cases()


def _event(path: Path, index: int) -> tuple[dict[str, Any], dict[str, str], frozenset[str]]:
    doc = json.loads(path.read_text())
    events, prefixes = document_events(doc)
    return events[index], prefixes, _ignored(doc)


@pytest.mark.parametrize(("path", "index", "expected", "prehash"), CASES)
def test_reference_vector(path: Path, index: int, expected: str, prehash: str | None) -> None:
    event, prefixes, ignore = _event(path, index)
    # a few published pre-hash files are cut short or garbled: compare the pre-hash only
    # where the published one hashes to the published hash ID
    if prehash is not None and _ni(prehash) == expected:
        assert prehash_string(event, prefixes, ignore=ignore) == prehash
    assert event_hash_id(event, prefixes, ignore=ignore) == expected


def test_vector_count_for_the_record() -> None:
    """43 published JSON-LD vectors; all but the documented departures match."""
    matched = 0
    for case in CASES:
        path, index, expected, _ = case.values
        event, prefixes, ignore = _event(path, index)
        matched += event_hash_id(event, prefixes, ignore=ignore) == expected
    print(f"reference hash-ID vectors matched: {matched}/{len(CASES)} "
          f"({len(DEPARTURES)} documented departures)")
    assert len(CASES) == 43
    assert matched == len(CASES) - len(DEPARTURES)
    consistent = sum(1 for case in CASES
                     if case.values[3] and _ni(case.values[3]) == case.values[2])
    assert consistent >= 30  # the pre-hash comparison above is not vacuous


def test_every_event_of_every_vector_file_has_a_published_hash() -> None:
    for path in sorted(VECTORS.glob("*.jsonld")):
        events, _ = document_events(json.loads(path.read_text()))
        assert len(events) == len(path.with_suffix(".hashes").read_text().split()), path.name
