"""``oreline trace hash-id`` through the command line."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from oreline.cli.app import app

VECTORS = Path(__file__).parents[1] / "ledger" / "vectors" / "hashid" / "ralphtro"
runner = CliRunner()


def test_prints_hashes_and_prehashes_like_the_reference_cli() -> None:
    path = VECTORS / "epcisDocWithSingleEvent.jsonld"
    res = runner.invoke(app, ["trace", "hash-id", str(path), "--prehash"])
    assert res.exit_code == 0, res.output
    expected_hash = (VECTORS / "epcisDocWithSingleEvent.hashes").read_text().strip()
    expected_pre = (VECTORS / "epcisDocWithSingleEvent.prehashes").read_text().strip()
    assert res.output == (f"\n\nHashes of the events contained in '{path}':\n{expected_hash}\n"
                          f"\nPre-hash strings:\n{expected_pre}\n")


def test_query_document_and_single_event(tmp_path: Path) -> None:
    query = VECTORS / "epcisQueryDocument.jsonld"
    res = runner.invoke(app, ["trace", "hash-id", str(query), "--json"])
    assert res.exit_code == 0, res.output
    got = [r["hashID"] for r in json.loads(res.output)]
    assert got == (VECTORS / "epcisQueryDocument.hashes").read_text().split()
    event = json.loads(query.read_text())["epcisBody"]["queryResults"]["resultsBody"][
        "eventList"][0]
    single = tmp_path / "event.json"
    single.write_text(json.dumps(event))
    res = runner.invoke(app, ["trace", "hash-id", str(single)])
    assert res.exit_code == 0 and got[0] in res.output


def test_ignore_option_leaves_fields_out() -> None:
    path = VECTORS / "epcisDocHavingEventWithIgnoreFields.jsonld"
    res = runner.invoke(app, ["trace", "hash-id", str(path), "--ignore", "repository-x:hash",
                              "--ignore", "example:captureID"])
    assert res.exit_code == 0
    for h in (VECTORS / "epcisDocHavingEventWithIgnoreFields.hashes").read_text().split():
        assert h in res.output


def test_bad_input_names_the_file(tmp_path: Path) -> None:
    text = tmp_path / "notes.json"
    text.write_text("not json")
    res = runner.invoke(app, ["trace", "hash-id", str(text)])
    assert res.exit_code == 6 and "notes.json" in res.output and "not valid JSON" in res.output
    assert "Traceback" not in res.output
    other = tmp_path / "other.json"
    other.write_text('{"type": "Invoice"}')
    res = runner.invoke(app, ["trace", "hash-id", str(other)])
    assert res.exit_code == 6 and "other.json" in res.output and "not an EPCIS" in res.output
