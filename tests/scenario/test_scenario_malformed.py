"""The malformed-scenario corpus: every mistake gives its own message, file and line.

Each YAML file in ``malformed/`` holds one kind of mistake (or several, to show that
all are listed at once) and ends with one ``# expect:`` line per problem::

    # expect: <file>:<line> | <field> | <message> | <fix>

The file is relative to ``malformed/`` (a cycle or a base scenario can put the error
in another file). The loader must report exactly these problems, in this order, and
nothing else. CSV folders and workbooks are built in the tests from an export of
``data/full.yaml``, then broken one cell or header at a time.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from openpyxl import load_workbook

from oreline.errors import Issue, ScenarioError
from oreline.scenario import export_scenario, load_scenario

HERE = Path(__file__).parent
CORPUS = HERE / "malformed"
FULL = HERE / "data" / "full.yaml"
_EXPECT = re.compile(r"^# expect: (?P<where>[^|]*?) \| (?P<field>[^|]*?) \| (?P<message>.*?) \| ?"
                     r"(?P<fix>.*)$")


@dataclass(frozen=True)
class Expected:
    file: Path
    line: int | None
    field: str
    message: str
    fix: str


def _expectations(path: Path) -> list[Expected]:
    out = []
    for text in path.read_text(encoding="utf-8").splitlines():
        if not text.startswith("# expect:"):
            continue
        match = _EXPECT.match(text)
        assert match is not None, f"bad expect line in {path.name}: {text}"
        file, _, line = match["where"].partition(":")
        out.append(Expected((CORPUS / file).resolve(), int(line) if line else None,
                            match["field"], match["message"], match["fix"].rstrip()))
    return out


def _place(issue: Issue) -> tuple[Path, int | None]:
    file, sep, line = issue.where.rpartition(":")
    if sep and line.isdigit():
        return Path(file).resolve(), int(line)
    return Path(issue.where).resolve(), None


def _issues(source: Path) -> list[Issue]:
    with pytest.raises(ScenarioError) as info:
        load_scenario(source)
    issues = info.value.issues
    text = str(info.value)
    assert text.startswith(f"scenario is invalid: {len(issues)} problem(s)")
    assert all(str(issue) in text for issue in issues)  # every problem in the message
    return issues


CASES = sorted(CORPUS.glob("*.yaml"))


def test_corpus_is_large_and_every_file_states_its_problems() -> None:
    assert len(CASES) >= 18
    for case in CASES:
        assert _expectations(case), f"{case.name} has no '# expect:' line"
        assert case.read_text(encoding="utf-8").startswith("# Mistake: ")


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_malformed_yaml(case: Path) -> None:
    expected = _expectations(case)
    issues = _issues(case)
    got = [(_place(i), i.field) for i in issues]
    assert got == [((e.file, e.line), e.field) for e in expected]
    for issue, exp in zip(issues, expected, strict=True):
        assert exp.message in issue.message
        assert exp.fix in issue.fix


def test_unknown_field_suggests_the_right_name() -> None:
    issue, = _issues(CORPUS / "unknown_field.yaml")
    assert issue.message == "unknown field 'holding_cots'"
    assert issue.fix == "did you mean 'holding_cost'?"


def test_several_errors_listed_at_once() -> None:
    fields = [i.field for i in _issues(CORPUS / "several_field_errors.yaml")]
    assert fields == ["horizon.periods", "sites[0].country", "processes[0].capacity[0].capacity"]
    fields = [i.field for i in _issues(CORPUS / "several_reference_errors.yaml")]
    assert fields == ["sites[1].id", "contracts[0].commodity", "contracts[0].price",
                      "customers[0].site"]


def test_fixed_corpus_file_loads() -> None:
    """The corpus is built on ``data/small.yaml``, which is itself valid."""
    assert load_scenario(HERE / "data" / "small.yaml").name == "small"


# --------------------------------------------------------------------------- CSV folders


def _rows(file: Path) -> list[list[str]]:
    with file.open(newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def _write_rows(file: Path, rows: list[list[str]]) -> None:
    with file.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)


def _set_cell(folder: Path, table: str, row: int, column: str, value: str) -> None:
    """Set a cell; ``row`` counts like a spreadsheet (1 is the header)."""
    rows = _rows(folder / f"{table}.csv")
    rows[row - 1][rows[0].index(column)] = value
    _write_rows(folder / f"{table}.csv", rows)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return export_scenario(load_scenario(FULL), tmp_path / "full", "csv")


def test_csv_unknown_column(folder: Path) -> None:
    rows = _rows(folder / "contracts.csv")
    rows[0][rows[0].index("price")] = "prise"
    _write_rows(folder / "contracts.csv", rows)
    issue, = _issues(folder)
    assert issue.where == f"{folder / 'contracts.csv'} row 1"
    assert issue.message == "unknown column(s) ['prise']"
    assert issue.fix.startswith("did you mean 'price' for 'prise'? allowed columns: id, ")


def test_csv_bad_cells_name_row_and_column(folder: Path) -> None:
    _set_cell(folder, "capacity", 3, "capacity", "-355 t/quarter metal")
    _set_cell(folder, "sites", 2, "country", "Korea")
    _set_cell(folder, "contracts", 3, "max", "1000 t/yr")
    issues = _issues(folder)
    assert [(i.where, i.field) for i in issues] == [
        (f"{folder / 'capacity.csv'} row 3, column capacity", "processes[0].capacity[1].capacity"),
        (f"{folder / 'contracts.csv'} row 3, column max", "contracts[1].max"),
        (f"{folder / 'sites.csv'} row 2, column country", "sites[0].country"),
    ]
    assert issues[0].message == (
        "quantity '-355 t/quarter metal' is negative; quantities must be >= 0"
    )
    assert "'1000 t/yr' has no basis" in issues[1].message
    assert issues[2].message == "country 'Korea' must be an ISO 3166 alpha-2 code such as 'KR'"


def test_csv_reference_errors(folder: Path) -> None:
    _set_cell(folder, "capacity", 4, "process", "castng")
    _set_cell(folder, "lanes", 3, "destination", "eu_port")
    _set_cell(folder, "demand", 2, "customer", "nobody")
    issues = _issues(folder)
    assert [(i.where, i.field, i.message) for i in issues] == [
        (f"{folder / 'capacity.csv'} row 4", "", "capacity row names unknown process 'castng'"),
        (f"{folder / 'demand.csv'} row 2", "", "demand row names unknown customer 'nobody'"),
        (f"{folder / 'lanes.csv'} row 3, column destination", "lanes[1].destination",
         "unknown site 'eu_port'"),
        # the phase went to no process, so 'casting' has none left
        (f"{folder / 'processes.csv'} row 3", "processes[1].capacity", "required field is missing"),
    ]  # all at once: the reference check runs on the entries that are valid
    assert issues[2].fix == "did you mean 'port'?"
    _set_cell(folder, "capacity", 4, "process", "casting")
    _set_cell(folder, "demand", 2, "customer", "eu_magnets")
    issue, = _issues(folder)
    assert issue.where == f"{folder / 'lanes.csv'} row 3, column destination"


def test_csv_unknown_table_and_missing_scenario(folder: Path) -> None:
    (folder / "contracts.csv").rename(folder / "contract.csv")
    (folder / "scenario.csv").unlink()
    issues = _issues(folder)
    assert [(i.where, i.message) for i in issues] == [
        (str(folder / "contract.csv"), "unknown table 'contract'"),
        (str(folder), "no scenario.csv in the folder"),
    ]


def test_csv_row_with_unquoted_comma(folder: Path) -> None:
    text = (folder / "sites.csv").read_text(encoding="utf-8")
    (folder / "sites.csv").write_text(text.replace("Ochang plant", '"Ochang",plant'), "utf-8")
    issue, = _issues(folder)
    assert issue.where == f"{folder / 'sites.csv'} row 2"
    assert issue.message.startswith("the row has 8 cells but the header has 7 columns")
    assert "double quotes" in issue.fix


# --------------------------------------------------------------------------- workbooks


@pytest.fixture
def workbook(tmp_path: Path) -> Path:
    return export_scenario(load_scenario(FULL), tmp_path / "full.xlsx")


def test_xlsx_bad_cells_name_sheet_row_and_column(workbook: Path) -> None:
    wb = load_workbook(workbook)
    wb["processes"]["H2"] = 1.5  # yield
    wb["customers"]["N2"] = "crma"  # provenance without its share
    wb["customers"]["G2"] = "1; 1; 1"  # a short profile
    wb.save(workbook)
    issues = _issues(workbook)
    assert [(i.where, i.field) for i in issues] == [
        (f"{workbook} sheet customers row 2, column profile", "customers[0].profile"),
        (f"{workbook} sheet customers row 2, column provenance", "customers[0].provenance"),
        (f"{workbook} sheet processes row 2, column yield", "processes[0].yield"),
    ]
    assert issues[1].message == "the crma rule needs max_share, e.g. 'crma:0.65' (got 'crma')"
    assert issues[2].message == "Input should be less than or equal to 1 (got 1.5)"


def test_xlsx_unknown_sheet_and_column(workbook: Path) -> None:
    wb = load_workbook(workbook)
    wb["lanes"].title = "routes"
    wb["sites"]["F1"] = "holding"
    wb["contracts"]["P2"] = "stray"
    wb.save(workbook)
    issues = _issues(workbook)
    assert [(i.where, i.message) for i in issues] == [  # in sheet order
        (f"{workbook} sheet sites row 1", "unknown column(s) ['holding']"),
        (f"{workbook} sheet contracts row 2", "value(s) ['stray'] in a column without a header"),
        (f"{workbook} sheet routes", "unknown sheet 'routes'"),
    ]
    assert issues[0].fix.startswith("did you mean 'holding_cost' for 'holding'?")


def test_xlsx_reference_error_after_structure(workbook: Path) -> None:
    wb = load_workbook(workbook)
    wb["contracts"]["C2"] = "ndpr_oxyde"
    wb.save(workbook)
    issue, = _issues(workbook)
    assert issue.where == f"{workbook} sheet contracts row 2, column commodity"
    assert (issue.message, issue.fix) == ("unknown commodity 'ndpr_oxyde'",
                                         "did you mean 'ndpr_oxide'?")


def test_not_a_workbook(tmp_path: Path) -> None:
    bad = tmp_path / "bad.xlsx"
    bad.write_text("not a zip", encoding="utf-8")
    issue, = _issues(bad)
    assert issue.where == str(bad)
    assert issue.message == "is not an Excel workbook: it starts with b'not a zi', and an .xlsx " \
        "file is a zip archive"


def test_every_builtin_scenario_names_real_countries() -> None:
    from oreline.countries import is_country
    from oreline.scenario import builtin_names

    for name in builtin_names():
        sc = load_scenario(name)
        assert all(is_country(s.country) for s in sc.sites), name
        origins = [c.origin for c in sc.contracts] + [s.origin for s in sc.initial_stock]
        assert all(v == "unknown" or is_country(v) for o in origins for v in o.values()), name


def test_unassigned_country_codes_are_refused_with_a_suggestion() -> None:
    site, = _issues(CORPUS / "unassigned_site_country.yaml")
    assert site.field == "sites[0].country"
    assert site.where.endswith("unassigned_site_country.yaml:8")
    assert "'KO' is not an ISO 3166-1 alpha-2 code" in site.message
    assert "'KR' (South Korea)" in site.fix
    origin, = _issues(CORPUS / "unassigned_origin_country.yaml")
    assert origin.field == "contracts[0].origin.separated"
    assert "'XX'" in origin.message
