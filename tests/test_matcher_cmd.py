"""``nieuwswacht match`` / ``eval``: the JSONL contract, bad input and bad config exit codes."""

from __future__ import annotations

import argparse
import io
import json
import sys
from pathlib import Path

import pytest

from alerts.matchcmd import cmd_eval, cmd_match

REPO = Path(__file__).resolve().parent.parent


def config(tmp_path: Path, watchlists: Path | None = None) -> Path:
    path = tmp_path / "nieuwswacht.yaml"
    target = watchlists or REPO / "config" / "watchlists.yaml"
    path.write_text(f"watchlists: {target}\n", encoding="utf-8")
    return path


def run_jsonl(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], cfg: Path, data: str
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(data))
    code = cmd_match(argparse.Namespace(config=cfg, jsonl="-", file=None))
    out, err = capsys.readouterr()
    return code, out, err


def test_jsonl_contract_and_offsets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    articles = [
        {
            "id": "a",
            "title": "Rusland valt Oekraïne binnen",
            "text": "Het Westen kondigt sancties aan.",
        },
        {"id": 2, "title": "", "text": "Het KNMI verwacht regen."},
    ]
    data = "".join(json.dumps(a, ensure_ascii=False) + "\n" for a in articles)
    code, out, err = run_jsonl(monkeypatch, capsys, config(tmp_path), data)
    assert code == 0, err
    lines = [json.loads(line) for line in out.splitlines()]
    assert [line["id"] for line in lines] == ["a", 2]
    first = lines[0]["results"][0]
    assert set(first) == {"watchlist", "alert", "categories", "score", "hits"}
    assert first["watchlist"] == "rusland-oekraine-navo" and first["alert"] is True
    assert set(first["categories"]) == {"invasion", "sanctions"}
    for hit in first["hits"]:
        assert set(hit) == {"category", "text", "start", "end", "field"}
        source = articles[0][hit["field"]]
        assert isinstance(source, str) and source[hit["start"] : hit["end"]] == hit["text"]
    assert lines[1]["results"][0] == {
        "watchlist": "rusland-oekraine-navo",
        "alert": False,
        "categories": [],
        "score": 0.0,
        "hits": [],
    }


def test_bad_json_line_names_line_number(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data = '{"id": 1, "title": "", "text": "x"}\n\n{"id": 2, "text": \n'
    code, out, err = run_jsonl(monkeypatch, capsys, config(tmp_path), data)
    assert code != 0
    assert "line 3" in err and "Traceback" not in err
    assert len(out.splitlines()) == 1


def test_invalid_config_exits_2_without_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "w.yaml"
    broken.write_text("watchlists:\n  - id: x\n    nam: X\n", encoding="utf-8")
    code, _, err = run_jsonl(monkeypatch, capsys, config(tmp_path, broken), "")
    assert code == 2
    assert f"{broken}:3:" in err and "did you mean 'name'?" in err
    bad_yaml = tmp_path / "bad.yaml"
    bad_yaml.write_text("watchlists: [\n", encoding="utf-8")
    assert cmd_match(argparse.Namespace(config=bad_yaml, jsonl="-", file=None)) == 2
    assert "YAML syntax error" in capsys.readouterr().err


def test_human_view_marks_hits(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], seed_article: str
) -> None:
    article = tmp_path / "a.txt"
    article.write_text(seed_article, encoding="utf-8")
    code = cmd_match(argparse.Namespace(config=config(tmp_path), jsonl=None, file=str(article)))
    out = capsys.readouterr().out
    assert code == 0
    assert "ALERT" in out and "Sancties (sanctions)" in out and "»" in out


def test_eval_prints_scores(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    labelled = tmp_path / "l.jsonl"
    labelled.write_text(
        '{"id": 1, "title": "", "text": "Sancties tegen Rusland.", "expect": ["sanctions"]}\n'
        '{"id": 2, "title": "", "text": "Regen in Utrecht.", "expect": []}\n',
        encoding="utf-8",
    )
    code = cmd_eval(argparse.Namespace(config=config(tmp_path), file=str(labelled)))
    out = capsys.readouterr().out
    assert code == 0
    assert "sanctions" in out and "micro" in out and "1.000" in out
