"""The pipeline and price fields in CSV folders and workbooks: errors name the cell.

The YAML cases live in ``malformed/`` (enquiry_*, price_*, firm_over_demand); these
break one cell of an export of ``data/full.yaml``.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from openpyxl import load_workbook

from oreline.errors import ScenarioError
from oreline.scenario import export_scenario, load_scenario

FULL = Path(__file__).parent / "data" / "full.yaml"


def _set_cell(file: Path, row: int, column: str, value: str) -> None:
    with file.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    rows[row - 1][rows[0].index(column)] = value
    with file.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return export_scenario(load_scenario(FULL), tmp_path / "full", "csv")


def test_csv_round_trip_keeps_paths_formulas_and_enquiries(folder: Path) -> None:
    back = load_scenario(folder)
    assert back == load_scenario(FULL)
    assert str(back.customers[0].price) == "ndpr_oxide[Nd+Pr] + 12500 EUR/t"
    assert str(back.contracts[0].price) == "0.97 x ndpr_oxide - 500 EUR/t"
    assert back.enquiries[0].demand_by_period  # from the demand table
    path = back.commodities[0].price_path
    assert path is not None and str(path.forward) == "growth 2.5 %/yr"


def test_csv_pipeline_errors_name_row_and_column(folder: Path) -> None:
    _set_cell(folder / "enquiries.csv", 2, "probability", "1.5")
    _set_cell(folder / "enquiries.csv", 2, "product", "alloyy")
    _set_cell(folder / "commodities.csv", 2, "price_path",
              '{"observed": {"2026-01": "61 EUR/kg", "2025-06": "58 EUR/kg"}}')
    with pytest.raises(ScenarioError) as info:
        load_scenario(folder)
    got = {(Path(i.where.split(" row ")[0]).name, i.where.split(" row ")[1], i.field)
           for i in info.value.issues}
    assert got == {
        ("enquiries.csv", "2, column probability", "enquiries[0].probability"),
        ("commodities.csv", "2, column price_path", "commodities[0].price_path.observed"),
    }  # the bad product is not checked while the enquiry is invalid on its own
    messages = " ".join(i.message for i in info.value.issues)
    assert "between 0 and 1" in messages and "not in date order" in messages


def test_csv_formula_error_names_the_cell(folder: Path) -> None:
    _set_cell(folder / "customers.csv", 2, "price", "ndpr_oxide[Xx] + 1 EUR/kg")
    with pytest.raises(ScenarioError) as info:
        load_scenario(folder)
    issue, = info.value.issues
    assert issue.where == f"{folder / 'customers.csv'} row 2, column price"
    assert issue.message == "unknown content element 'Xx' in price index ndpr_oxide[Xx]"


def test_xlsx_keeps_the_pipeline(tmp_path: Path) -> None:
    out = export_scenario(load_scenario(FULL), tmp_path / "full.xlsx")
    sheet = load_workbook(out)["enquiries"]
    header = [c.value for c in sheet[1]]
    assert sheet.cell(row=2, column=header.index("probability") + 1).value == 0.35
    assert load_scenario(out) == load_scenario(FULL)
