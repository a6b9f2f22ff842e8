"""Hostile and odd input: every scenario reader stops with a clear error, never a hang.

Each case builds one bad input in ``tmp_path`` (nothing large or binary is committed)
and names the file the error must point at and a phrase of its message. Every error
must be a :class:`ScenarioError` whose issue names that file and gives a fix, and the
reader must return well within a bound that only guards against hangs (the bound is
not a speed claim: a hang or an exponential expansion takes minutes).
"""

from __future__ import annotations

import os
import random
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from oreline.errors import ScenarioError
from oreline.scenario import export_scenario, load_scenario
from oreline.scenario.guards import ALIAS_BUDGET, MAX_DEPTH

#: Seconds: far above what any refusal takes, far below a hang.
BOUND = 5.0

Case = Callable[[Path], tuple[Path, Path, str]]  # tmp -> (source, file named, phrase)


def _yaml(tmp: Path, name: str, data: bytes | str) -> Path:
    path = tmp / name
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    return path


def _folder(tmp: Path, table: str, data: bytes) -> tuple[Path, Path, str]:
    """An exported CSV folder of ``tiny`` with one table's bytes replaced."""
    folder = tmp / "sc"
    export_scenario(load_scenario("tiny"), folder, "csv")
    (folder / f"{table}.csv").write_bytes(data)
    return folder, folder / f"{table}.csv", ""


def _bomb(levels: int = 9, width: int = 9) -> str:
    lines = [f"a0: &a0 [{', '.join(['lol'] * width)}]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * width)}]" for i in range(1, levels + 1)]
    return "name: bomb\n" + "\n".join(lines) + "\n"


def latin1_yaml(tmp: Path) -> tuple[Path, Path, str]:
    path = _yaml(tmp, "latin1.yaml", b"name: x\ndescription: caf\xe9 au lait\n")
    return path, path, "byte 0xe9 at byte offset 24 (line 2)"  # 8 + len("description: caf")


def utf16_yaml(tmp: Path) -> tuple[Path, Path, str]:
    path = _yaml(tmp, "utf16.yaml", "name: x\n".encode("utf-16"))
    return path, path, "looks like UTF-16"


def deep_yaml(tmp: Path) -> tuple[Path, Path, str]:
    path = _yaml(tmp, "deep.yaml", "name: x\nd: " + "[" * 20_000 + "]" * 20_000 + "\n")
    return path, path, f"nests deeper than {MAX_DEPTH} levels"


def deep_mixed_flow_yaml(tmp: Path) -> tuple[Path, Path, str]:
    path = _yaml(tmp, "deep_mixed.yaml", "name: x\nd: " + "[1, " * 300 + "]" * 300 + "\n")
    return path, path, f"nests deeper than {MAX_DEPTH} levels"


def deep_block_yaml(tmp: Path) -> tuple[Path, Path, str]:
    text = "name: x\nd:\n" + "".join("  " * i + f"k{i}:\n" for i in range(2_000)) + "\n"
    path = _yaml(tmp, "deep_block.yaml", text)
    return path, path, f"nests deeper than {MAX_DEPTH} levels"


def billion_laughs(tmp: Path) -> tuple[Path, Path, str]:
    path = _yaml(tmp, "laughs.yaml", _bomb())
    return path, path, f"more than {ALIAS_BUDGET:,} nodes"


def merge_key_bomb(tmp: Path) -> tuple[Path, Path, str]:
    lines = ["a0: &a0 {" + ", ".join(f"k{j}: 1" for j in range(9)) + "}"]
    lines += [f"a{i}: &a{i} {{" + ", ".join(f"m{j}: *a{i - 1}" for j in range(9)) + "}"
              for i in range(1, 10)]
    path = _yaml(tmp, "merge.yaml", "name: x\n" + "\n".join(lines) + "\n")
    return path, path, "aliases expand"


def recursive_alias(tmp: Path) -> tuple[Path, Path, str]:
    path = _yaml(tmp, "loop.yaml", "name: x\na: &a [1, *a]\n")
    return path, path, "refers to a node that contains it"


def huge_integer(tmp: Path) -> tuple[Path, Path, str]:
    path = _yaml(tmp, "bigint.yaml", "name: x\ndiscount_rate: " + "9" * 5_000 + "\n")
    return path, path, "a value cannot be read"


def mapping_as_key(tmp: Path) -> tuple[Path, Path, str]:
    path = _yaml(tmp, "key.yaml", "name: x\n? {a: 1}\n: 2\n")
    return path, path, "a key is a mapping"


def nul_in_yaml(tmp: Path) -> tuple[Path, Path, str]:
    path = _yaml(tmp, "nul.yaml", b"name: x\x00\n")
    return path, path, "NUL byte"


def too_large(tmp: Path) -> tuple[Path, Path, str]:
    path = _yaml(tmp, "big.yaml", "name: x\n" + "# padding\n" * 600_000)  # 6 MB > 5 MB
    return path, path, "above the limit of 5 MB"


def binary_csv(tmp: Path) -> tuple[Path, Path, str]:
    rng = random.Random(11)
    source, file, _ = _folder(tmp, "customers", bytes(rng.randrange(256) for _ in range(4096)))
    return source, file, "not UTF-8 text"


def nul_csv(tmp: Path) -> tuple[Path, Path, str]:
    source, file, _ = _folder(tmp, "customers", b"id,name\nc1,\x00\x01\x02\n")
    return source, file, "NUL byte"


def empty_csv(tmp: Path) -> tuple[Path, Path, str]:
    source, file, _ = _folder(tmp, "customers", b"")
    return source, file, "the 'customers' table is empty"


def blank_csv(tmp: Path) -> tuple[Path, Path, str]:
    source, file, _ = _folder(tmp, "customers", b"\r\n  \r\n")
    return source, file, "would silently give no customers"


def huge_csv_field(tmp: Path) -> tuple[Path, Path, str]:
    source, file, _ = _folder(tmp, "customers", b'id,name\nc1,"' + b"x" * 200_000 + b'"\n')
    return source, file, "not a readable CSV file"


def semicolon_csv(tmp: Path) -> tuple[Path, Path, str]:
    source, file, _ = _folder(tmp, "customers", b"id;name;site\nc1;C;plant\n")
    return source, file, "unknown column"


def folder_of_wrong_files(tmp: Path) -> tuple[Path, Path, str]:
    folder = tmp / "docs"
    folder.mkdir()
    (folder / "notes.txt").write_text("hello", encoding="utf-8")
    (folder / "plant.yaml").write_text("name: x\n", encoding="utf-8")
    return folder, folder, "holds no CSV files (it holds: notes.txt, plant.yaml)"


def text_as_workbook(tmp: Path) -> tuple[Path, Path, str]:
    path = _yaml(tmp, "plant.xlsx", "id,name\nc1,C\n")
    return path, path, "is not an Excel workbook"


def old_xls_as_workbook(tmp: Path) -> tuple[Path, Path, str]:
    path = _yaml(tmp, "plant.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    return path, path, "old-style .xls"


def zip_bomb_workbook(tmp: Path) -> tuple[Path, Path, str]:
    path = tmp / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/worksheets/sheet1.xml", b"0" * 60_000_000)  # 60 MB, ~60 kB packed
    return path, path, "unpacked content"


def empty_sheet(tmp: Path) -> tuple[Path, Path, str]:
    from openpyxl import load_workbook

    path = tmp / "plant.xlsx"
    export_scenario(load_scenario("tiny"), path, "xlsx")
    wb = load_workbook(path)
    del wb["customers"]
    wb.create_sheet("customers")
    wb.save(path)
    return path, path, "the 'customers' table is empty"


def symlink_loop(tmp: Path) -> tuple[Path, Path, str]:
    link = tmp / "loop.yaml"
    link.symlink_to(link)
    return link, link, "loops back on itself"


def dangling_link(tmp: Path) -> tuple[Path, Path, str]:
    link = tmp / "gone.yaml"
    link.symlink_to(tmp / "nowhere.yaml")
    return link, link, "does not exist"


def link_loop_in_folder(tmp: Path) -> tuple[Path, Path, str]:
    source, file, _ = _folder(tmp, "lanes", b"")
    file.unlink()
    file.symlink_to(file)
    return source, file, "loops back on itself"


def fifo_as_yaml(tmp: Path) -> tuple[Path, Path, str]:
    path = tmp / "pipe.yaml"
    os.mkfifo(path)
    return path, path, "not a file"


def extends_a_bomb(tmp: Path) -> tuple[Path, Path, str]:
    base = _yaml(tmp, "base.yaml", _bomb())
    child = _yaml(tmp, "child.yaml", "extends: base.yaml\nname: child\n")
    return child, base, "aliases expand"


CASES: list[Case] = [
    # YAML
    latin1_yaml, utf16_yaml, deep_yaml, deep_mixed_flow_yaml, deep_block_yaml, billion_laughs,
    merge_key_bomb, recursive_alias, huge_integer, mapping_as_key, nul_in_yaml, too_large,
    # CSV folders
    binary_csv, nul_csv, empty_csv, blank_csv, huge_csv_field, semicolon_csv,
    folder_of_wrong_files, link_loop_in_folder,
    # workbooks
    text_as_workbook, old_xls_as_workbook, zip_bomb_workbook, empty_sheet,
    # paths and extends
    symlink_loop, dangling_link, fifo_as_yaml, extends_a_bomb,
]


#: The problem code (``Issue.code``, listed in docs/scenario-format.md) of each case.
CODES: dict[str, str] = {
    "latin1_yaml": "file.not_utf8", "utf16_yaml": "file.not_utf8", "deep_yaml": "yaml.too_deep",
    "deep_mixed_flow_yaml": "yaml.too_deep", "deep_block_yaml": "yaml.too_deep",
    "billion_laughs": "yaml.aliases", "merge_key_bomb": "yaml.aliases",
    "recursive_alias": "yaml.recursive_alias", "huge_integer": "yaml.bad_value",
    "mapping_as_key": "yaml.bad_key", "nul_in_yaml": "file.binary", "too_large": "file.too_large",
    "binary_csv": "file.not_utf8", "nul_csv": "file.binary", "empty_csv": "table.empty",
    "blank_csv": "table.empty", "huge_csv_field": "table.bad_csv", "semicolon_csv": "",
    "folder_of_wrong_files": "folder.no_csv", "link_loop_in_folder": "file.link_loop",
    "text_as_workbook": "workbook.not_xlsx", "old_xls_as_workbook": "workbook.not_xlsx",
    "zip_bomb_workbook": "file.too_large", "empty_sheet": "table.empty",
    "symlink_loop": "file.link_loop", "dangling_link": "file.link_dangling",
    "fifo_as_yaml": "file.not_a_file", "extends_a_bomb": "yaml.aliases",
}


@pytest.mark.parametrize("case", CASES, ids=[c.__name__ for c in CASES])
def test_hostile_input_gives_a_clear_error_quickly(tmp_path: Path, case: Case) -> None:
    source, file, phrase = case(tmp_path)
    start = time.perf_counter()
    with pytest.raises(ScenarioError) as info:
        load_scenario(source)
    assert time.perf_counter() - start < BOUND  # a guard against hangs, not a speed claim
    issues = info.value.issues
    ours = [i for i in issues if i.where.startswith(str(file))]
    assert ours, f"no issue names {file}: {issues}"
    assert any(phrase in i.message for i in ours), [i.message for i in ours]
    assert CODES[case.__name__] in {i.code for i in ours}
    assert all(i.fix for i in issues), issues


def test_not_utf8_names_the_line_of_a_csv_row_and_the_fix(tmp_path: Path) -> None:
    source, file, _ = _folder(tmp_path, "sites", b"id,name,country,role\nplant,Caf\xe9,KR,plant\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(source)
    issue, = info.value.issues
    assert issue.where == f"{file} row 2"
    # offset: len("id,name,country,role\n") + len("plant,Caf") = 21 + 9
    assert issue.message == ("not UTF-8 text: byte 0xe9 at byte offset 30 (line 2) is not "
                             "valid UTF-8")
    assert "re-save the file as UTF-8" in issue.fix


def test_size_limit_is_a_setting_and_the_message_says_how_to_raise_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "plant.yaml"
    export_scenario(load_scenario("tiny"), path)  # about 2 kB
    monkeypatch.setenv("ORELINE_MAX_INPUT_MB", "0.001")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    issue, = info.value.issues
    assert "above the limit of 0.001 MB" in issue.message
    assert "ORELINE_MAX_INPUT_MB=" in issue.fix
    monkeypatch.setenv("ORELINE_MAX_INPUT_MB", "1")
    assert load_scenario(path).name == "tiny"


def test_aliases_within_the_budget_still_work(tmp_path: Path) -> None:
    """Anchors and aliases are plain YAML: a scenario sharing an origin by alias loads."""
    from oreline.scenario import builtin_path

    text = builtin_path("tiny").read_text(encoding="utf-8")
    text = text.replace("origin: {mined: AU, separated: MY}",
                        "origin: &au_my {mined: AU, separated: MY}", 1)
    text = text.replace("origin: {mined: CN, separated: CN}", "origin: *au_my", 1)
    path = _yaml(tmp_path, "aliased.yaml", text)
    contracts = {c.id: c for c in load_scenario(path).contracts}
    assert contracts["cn"].origin == contracts["au"].origin


def test_a_header_only_table_is_an_empty_list_as_the_export_writes_it(tmp_path: Path) -> None:
    """Export writes every table, a header alone where there are no entries: not an error."""
    folder = tmp_path / "sc"
    export_scenario(load_scenario("tiny"), folder, "csv")
    assert (folder / "demand.csv").read_text(encoding="utf-8").count("\n") == 1
    assert load_scenario(folder).name == "tiny"


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file: permission cannot be "
                    "denied to the test")
def test_unreadable_file_says_permission_denied(tmp_path: Path) -> None:  # pragma: no cover
    path = tmp_path / "plant.yaml"
    export_scenario(load_scenario("tiny"), path)
    path.chmod(0)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    issue, = info.value.issues
    assert "permission denied" in issue.message and "chmod" in issue.fix
