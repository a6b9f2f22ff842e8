"""The invest job's progress phases and the scenarios /invest offers."""

from __future__ import annotations

from pathlib import Path

from oreline.api.investdata import STAGES, _stage_progress, invest_scenarios
from oreline.api.scenarios import ScenarioLibrary


def test_library_messages_map_to_phases_in_order():
    seen: list[tuple[str, int, int]] = []
    say = _stage_progress(lambda phase, done, total: seen.append((phase, done, total)))
    for text in ("reading scenario", "solving (extensive, 3 scenarios)",
                 "alternatives: cell2 alone", "break-even capex of cell2",
                 "optimality gap: replication 2 of 5", "something new"):
        say(text)
    assert [d for _, d, _ in seen] == [0, 2, 4, 5, 8, 0]
    assert {t for _, _, t in seen} == {len(STAGES)}
    assert seen[1][0] == "solving (extensive, 3 scenarios)"  # the library's words, as said


def test_only_scenarios_with_options_are_offered(tmp_path: Path):
    names = invest_scenarios(ScenarioLibrary(tmp_path))
    assert "tiny-invest" in names and "kmp" in names
    assert "tiny" not in names and "exchina" not in names
    (tmp_path / "broken.yaml").write_text("name: [", encoding="utf-8")
    assert "broken" not in invest_scenarios(ScenarioLibrary(tmp_path))
