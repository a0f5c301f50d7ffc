"""The web API's POST /analyze, upload limits and temp files, and the studio page at GET /."""

from __future__ import annotations

import json
import tempfile
import warnings
from pathlib import Path
from typing import Any

import pytest

from muselab import io
from muselab.analysis import analyze_score
from muselab.analysis.schema import AnalysisResult
from muselab.core import Score
from muselab.generate import ComposeOptions, get_generator
from muselab.web import create_app

with warnings.catch_warnings():  # starlette nudges towards httpx2; httpx works the same here
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

SCHEMA_KEYS = list(
    AnalysisResult(source="x", kind="score", duration=1.0).to_dict()
)  # the documented key order of `muselab analyze --json`


@pytest.fixture(scope="module")
def tune() -> Score:
    return get_generator("rules").generate(
        ComposeOptions(bars=4, key="E minor", meter="3/4", tempo=90, seed=8)
    )


@pytest.fixture(scope="module")
def files(tune: Score, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from muselab.render import render_audio

    folder = tmp_path_factory.mktemp("analyze")
    out = {"mid": io.save(tune, folder / "tune.mid"), "json": io.save(tune, folder / "tune.json")}
    out["wav"] = render_audio(tune, folder / "tune.wav")
    return out


@pytest.fixture
def client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> TestClient:
    """An app with a 4 MiB upload limit whose temp files go to ``tmp_path/tmp``."""
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    return TestClient(create_app(max_upload_mb=4))


def leftovers(tmp_path: Path) -> list[str]:
    return sorted(p.name for p in (tmp_path / "tmp").iterdir())


def upload(client: TestClient, name: str, data: bytes, **form: str) -> Any:
    return client.post("/analyze", files={"file": (name, data)}, data=form)


def one_line_error(r: Any, status: int, pattern: str) -> str:
    assert r.status_code == status, r.text
    body = r.json()
    assert list(body) == ["error"]
    assert "\n" not in body["error"] and pattern.lower() in body["error"].lower(), body
    return str(body["error"])


@pytest.mark.parametrize("kind", ["mid", "json"])
def test_analyze_a_score_matches_the_python_api(
    client: TestClient, files: dict[str, Path], tmp_path: Path, kind: str
) -> None:
    path = files[kind]
    r = upload(client, path.name, path.read_bytes())
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/json"
    body = r.json()
    assert list(body) == SCHEMA_KEYS
    expected = analyze_score(io.load(path), source=path.name).to_dict()
    assert body == json.loads(json.dumps(expected))
    assert (body["kind"], body["key"], body["meter"], body["tempo"]) == (
        "score",
        "E minor",
        "3/4",
        90.0,
    )
    assert leftovers(tmp_path) == []


def test_analyze_a_rendered_clip(
    client: TestClient, files: dict[str, Path], tmp_path: Path
) -> None:
    r = upload(client, "clip.wav", files["wav"].read_bytes(), melody="false")
    assert r.status_code == 200, r.text
    body = r.json()
    assert list(body) == SCHEMA_KEYS
    assert body["source"] == "clip.wav" and body["kind"] == "audio"
    assert 7.0 < body["duration"] < 10.0  # 4 bars of 3/4 at 90 BPM = 8 s, plus the release
    assert body["beats"] and body["chords"]
    assert body["melody"]["times"] == []  # melody=false skips the melody tracker
    assert leftovers(tmp_path) == []


def test_plot_returns_a_png(client: TestClient, files: dict[str, Path]) -> None:
    r = upload(client, "my tune.mid", files["mid"].read_bytes(), plot="true")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "image/png"
    assert r.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert r.headers["content-disposition"] == 'inline; filename="my_tune-analysis.png"'


def test_empty_corrupt_and_unsupported_uploads(client: TestClient, tmp_path: Path) -> None:
    one_line_error(upload(client, "a.mid", b""), 400, "'a.mid' is empty (0 bytes)")
    error = one_line_error(upload(client, "a.mid", b"MThd garbage"), 400, "a.mid")
    assert "muselab-upload" not in error and str(tmp_path) not in error
    error = one_line_error(upload(client, "b.wav", b"RIFF....WAVEjunk" * 10), 400, "b.wav")
    assert "muselab-upload" not in error and str(tmp_path) not in error
    one_line_error(upload(client, "c.txt", b"hello"), 415, "upload an audio file or a score")
    one_line_error(upload(client, "noext", b"hello"), 415, "ending in .wav")
    one_line_error(client.post("/analyze"), 422, "file: Field required")
    assert leftovers(tmp_path) == []


def test_oversize_uploads_are_413(client: TestClient, tmp_path: Path) -> None:
    mib = 1024 * 1024
    # refused by its Content-Length before the body is read
    early = upload(client, "big.wav", b"\0" * (5 * mib))
    one_line_error(early, 413, "limit of 4 MiB")
    assert early.headers["connection"] == "close"  # the middleware answered
    # just over the limit but within the multipart allowance: refused while copying
    late = upload(client, "big.wav", b"\0" * (4 * mib + 10))
    one_line_error(late, 413, "limit of 4 MiB")
    assert "connection" not in late.headers  # the route answered
    assert leftovers(tmp_path) == []


def test_studio_page(client: TestClient) -> None:
    r = client.get("/")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    html = r.text
    assert "<title>muselab studio</title>" in html
    for route in ('"/generators"', '"/compose"', '"/compose/continue"', '"/analyze"'):
        assert route in html
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/generators", "/compose", "/compose/continue", "/analyze"} <= set(paths)
    assert "/" not in paths


def test_bad_upload_limit() -> None:
    from muselab.errors import InvalidInputError

    with pytest.raises(InvalidInputError, match="max_upload_mb"):
        create_app(max_upload_mb=0)
