"""``muselab serve`` without ``--model``: the studio, compose and analyse; no recommender."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli_helpers import assert_one_line_error, run, serving


def test_store_needs_a_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["serve", "--store", str(tmp_path / "x.db")], capsys)
    assert_one_line_error(code, err, "--store names items of a recommender; give --model")
    code, _, err = run(["serve", "--max-upload-mb", "0", "--port", "8000"], capsys)
    assert_one_line_error(code, err, "max_upload_mb must be in (0, 10000]")


def test_serve_without_a_model_answers_http() -> None:
    with serving() as client:
        assert client.get("/health").json() == {"status": "ok", "model": None}
        assert "muselab studio" in client.get("/").text
        r = client.post("/compose", json={"generator": "rules", "bars": 2, "seed": 1})
        assert r.status_code == 200 and r.content.startswith(b"MThd")
        r = client.get("/recommend/u1")
        assert r.status_code == 503 and "muselab serve --model" in r.json()["error"]
