"""Where the local workbook lives: [sheets] xlsx_path, read against the instance folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.config import load_config


def _workbook(tmp_path: Path, config_text: str) -> Path:
    path = tmp_path / "hub.toml"
    path.write_text(config_text, encoding="utf-8")
    return load_config(environ={"HUB_CONFIG": str(path)}).workbook_path


def test_the_default_is_hub_xlsx_in_the_instance_folder_beside_the_config(tmp_path: Path) -> None:
    assert _workbook(tmp_path, "") == tmp_path / "instance" / "hub.xlsx"


def test_the_default_follows_the_instance_folder_wherever_it_is(tmp_path: Path) -> None:
    text = f'[hub]\ninstance_path = "{tmp_path / "var" / "hub"}"\n'
    assert _workbook(tmp_path, text) == tmp_path / "var" / "hub" / "hub.xlsx"


@pytest.mark.parametrize(
    ("setting", "inside"),
    [("reports/ops.xlsx", "reports/ops.xlsx"), ("instance/ops.xlsx", "ops.xlsx")],
)
def test_a_relative_path_is_inside_the_instance_folder(
    tmp_path: Path, setting: str, inside: str
) -> None:
    text = f'[sheets]\nxlsx_path = "{setting}"\n'
    assert _workbook(tmp_path, text) == tmp_path / "instance" / inside


def test_an_absolute_path_is_kept(tmp_path: Path) -> None:
    text = f'[sheets]\nxlsx_path = "{tmp_path / "elsewhere.xlsx"}"\n'
    assert _workbook(tmp_path, text) == tmp_path / "elsewhere.xlsx"
