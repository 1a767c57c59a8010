"""`ughi flows check` and `ughi flows diagram`."""

from __future__ import annotations

from pathlib import Path

import pytest

from ughi.cli import main


def test_check_validates_the_shipped_flows(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["flows", "check"]) == 0
    out = capsys.readouterr().out
    assert "pre_departure v1" in out and "returnee_profile v1" in out


def test_check_reports_a_broken_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "bad.yaml").write_text("id: bad\nversion: 1\nemoji: x\n", encoding="utf-8")
    assert main(["flows", "check", str(tmp_path)]) == 1
    assert "bad.yaml" in capsys.readouterr().err
    (tmp_path / "bad.yaml").unlink()
    assert main(["flows", "check", str(tmp_path)]) == 1


def test_diagram_prints_mermaid(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["flows", "diagram", "pre_departure", "--lang", "hy"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("flowchart TD\n") and "s_has_offer" in out and "Ստուգում մեկնելուց առաջ" in out
    assert main(["flows", "diagram", "nope"]) == 2
    assert "pre_departure" in capsys.readouterr().err
