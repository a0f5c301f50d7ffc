"""``muselab compose`` with the neural generators: --primer, --infill, --top-k/--top-p, errors;
``muselab train`` on a tiny config."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli_helpers import run
from muselab import io
from muselab.core import KeySignature, Note, Score, TimeSignature, Track


def one_line_error(code: int, err: str, pattern: str) -> None:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code != 0 and len(lines) == 1, err
    assert lines[0].startswith("muselab: error: ") and pattern.lower() in lines[0].lower(), err


@pytest.fixture
def primer(tmp_path: Path) -> Path:
    notes = [Note(67 + (0, 2, 4, 2)[i % 4], i * 480, 480) for i in range(16)]  # 4 bars of 4/4
    s = Score(tracks=[Track("Melody", notes=notes)], time_signatures=[TimeSignature(0, 4, 4)],
              key_signatures=[KeySignature(0, "G")])  # fmt: skip
    return io.save(s, tmp_path / "primer.mid")


def test_compose_default_is_the_transformer_with_sampling_options(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["compose", "--out", str(tmp_path), "--seed", "3", "--bars", "8", "-f", "mid,json",
            "--top-k", "20", "--top-p", "0.95", "--temperature", "0.9"]  # fmt: skip
    code, out, err = run(args, capsys)
    assert code == 0, err
    mid = tmp_path / "transformer-3.mid"
    assert str(mid) in out
    score = io.load(mid)
    assert score.tracks[0].name == "Melody" and {"Chords", "Bass"} <= {t.name for t in score.tracks}
    doc = json.loads((tmp_path / "transformer-3.json").read_text())
    assert doc["chords"]


@pytest.mark.parametrize("generator", ["transformer", "lstm"])
def test_primer_continuation_and_infill(
    generator: str, primer: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["compose", "-g", generator, "--primer", str(primer), "--seed", "1", "-f", "mid"]
    code, _, err = run([*base, "--out", str(tmp_path / "c"), "--bars", "4"], capsys)
    assert code == 0, err
    cont = io.load(tmp_path / "c" / f"{generator}-1.mid")
    mel = cont.tracks[0].notes
    assert [n.pitch for n in mel[:16]] == [n.pitch for n in io.load(primer).tracks[0].notes]
    assert 7 * 1920 < max(n.end for n in mel) <= 8 * 1920
    code, _, err = run([*base, "--out", str(tmp_path / "i"), "--infill", "2-3"], capsys)
    assert code == 0, err
    filled = io.load(tmp_path / "i" / f"{generator}-1.mid").tracks[0].notes
    outside = [(n.pitch, n.onset) for n in filled if not 1920 <= n.onset < 3 * 1920]
    orig = [(n.pitch, n.onset) for n in io.load(primer).tracks[0].notes
            if not 1920 <= n.onset < 3 * 1920]  # fmt: skip
    assert outside == orig


@pytest.mark.parametrize(
    ("extra", "pattern"),
    [
        (["--infill", "3-9"], "outside the primer's bars 1-4"),
        (["--infill", "five"], "--infill must look like 5-8"),
        (["-g", "markov"], "cannot continue or fill a primer"),
        (["--top-p", "1.5"], "top_p must be in (0, 1]"),
    ],
)
def test_bad_primer_options_give_one_line_errors(
    extra: list[str], pattern: str, primer: Path, tmp_path: Path, capsys
) -> None:
    code, _, err = run(["compose", "--out", str(tmp_path), "--primer", str(primer), *extra],
                       capsys)  # fmt: skip
    one_line_error(code, err, pattern)


def test_unreadable_or_missing_primer(tmp_path: Path, capsys) -> None:
    junk = tmp_path / "junk.mid"
    junk.write_bytes(b"this is not midi")
    code, _, err = run(["compose", "--out", str(tmp_path), "--primer", str(junk)], capsys)
    one_line_error(code, err, "junk.mid")
    code, _, err = run(["compose", "--out", str(tmp_path), "--primer", "nope.mid"], capsys)
    one_line_error(code, err, "does not exist")
    code, _, err = run(["compose", "--out", str(tmp_path), "--infill", "1-2"], capsys)
    one_line_error(code, err, "--infill needs --primer")


@pytest.mark.shared_data
def test_train_command_runs_a_tiny_config_and_resumes(tmp_path: Path, capsys, shared_data) -> None:
    cfg = tmp_path / "tiny.json"
    out = tmp_path / "ck"
    cfg.write_text(json.dumps({
        "data": {"encoding": "folk", "corpora": ["nottingham"], "limit": 12, "max_len": 128,
                 "batch_tokens": 512, "valid_tunes": 4},
        "model": {"type": "lstm", "d_embed": 8, "d_hidden": 16, "n_layers": 1},
        "train": {"epochs": 1, "lr": 0.003, "progress": False},
        "output": {"dir": str(out)},
    }))  # fmt: skip
    code, stdout, err = run(["train", str(cfg)], capsys)
    assert code == 0, err
    assert "best valid loss" in stdout
    rep = json.loads((out / "report.json").read_text())
    assert rep["epochs_run"] == 1 and rep["best_valid_loss"] < 6.0
    assert (out / "model.safetensors").is_file() and (out / "resume" / "optimizer.json").is_file()
    doc = json.loads(cfg.read_text())
    doc["train"]["epochs"] = 2
    cfg.write_text(json.dumps(doc))
    code, stdout, err = run(["train", str(cfg)], capsys)  # resumes after epoch 1
    assert code == 0, err
    rep2 = json.loads((out / "report.json").read_text())
    assert rep2["epochs_run"] == 2 and rep2["history"][0] == rep["history"][0]
    code, _, err = run(["train", str(tmp_path / "missing.toml")], capsys)
    one_line_error(code, err, "does not exist")
