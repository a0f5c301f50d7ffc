"""The ``muselab`` command line: outputs, determinism, and one-line errors on bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import mido
import pytest

from cli_helpers import assert_one_line_error, run


@pytest.mark.parametrize("generator", ["rules", "markov"])
def test_compose_writes_midi_and_same_seed_same_piece(
    generator: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    for d in (a, b):
        code, out, err = run(
            [
                "compose",
                "-g",
                generator,
                "--out",
                str(d),
                "--seed",
                "7",
                "--formats",
                "mid",
                "--bars",
                "8",
            ],
            capsys,
        )
        assert code == 0, err
        assert out.strip() == str(d / f"{generator}-7.mid")
    assert (a / f"{generator}-7.mid").read_bytes() == (b / f"{generator}-7.mid").read_bytes()
    mid = mido.MidiFile(a / f"{generator}-7.mid")
    assert sum(m.type == "note_on" and m.velocity > 0 for t in mid.tracks for m in t) > 16


def test_compose_count_gives_different_pieces(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(
        [
            "compose",
            "-g",
            "markov",
            "--out",
            str(tmp_path),
            "--seed",
            "1",
            "--count",
            "3",
            "-f",
            "mid,json",
        ],
        capsys,
    )
    assert code == 0, err
    files = out.split()
    assert len(files) == 6
    bodies = {Path(f).read_bytes() for f in files if f.endswith(".mid")}
    assert len(bodies) == 3


def test_compose_out_file_name_writes_that_one_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "sub" / "tune.mid"
    code, out, err = run(["compose", "-g", "rules", "--out", str(target), "--seed", "2"], capsys)
    assert code == 0, err
    assert out.strip() == str(target)
    assert target.is_file() and mido.MidiFile(target).length > 0
    assert sorted(p.name for p in target.parent.iterdir()) == ["tune.mid"]


def test_compose_out_file_with_count_and_folder_primer_are_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["compose", "-g", "rules", "--out", str(tmp_path / "t.mid"), "--count", "2"]
    code, _, err = run(args, capsys)
    assert_one_line_error(code, err, "names one file")
    assert not (tmp_path / "t.mid").exists()
    code, _, err = run(["compose", "--primer", str(tmp_path), "--out", str(tmp_path)], capsys)
    assert_one_line_error(code, err, "is a folder")


def test_style_chorale_picks_the_chorale_generator(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "c.json"
    code, _, err = run(["compose", "--style", "chorale", "--bars", "2", "--out", str(out)], capsys)
    assert code == 0, err
    tracks = json.loads(out.read_text())["tracks"]
    assert len(tracks) == 4
    args = ["compose", "-g", "chorale", "--style", "jig", "--out", str(tmp_path)]
    code, _, err = run(args, capsys)
    assert_one_line_error(code, err, "style 'jig'")


def test_info_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(
        [
            "compose",
            "-g",
            "rules",
            "--out",
            str(tmp_path),
            "--seed",
            "3",
            "-f",
            "mid",
            "--key",
            "D major",
            "--meter",
            "3/4",
            "--tempo",
            "90",
        ],
        capsys,
    )
    code, out, err = run(["info", str(tmp_path / "rules-3.mid"), "--json"], capsys)
    assert code == 0, err
    info = json.loads(out)
    assert info["meter"] == "3/4"
    assert info["key"] == "D major"
    assert info["tempo_qpm"] == pytest.approx(90, abs=0.01)
    assert info["notes"] > 0
    assert info["tracks"][0]["name"] == "Melody"


def test_convert_midi_to_musicxml_and_back(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(
        [
            "compose",
            "-g",
            "rules",
            "--out",
            str(tmp_path),
            "--seed",
            "5",
            "-f",
            "mid",
            "--bars",
            "4",
        ],
        capsys,
    )
    src = tmp_path / "rules-5.mid"
    code, _, err = run(["convert", str(src), str(tmp_path / "x.musicxml")], capsys)
    assert code == 0, err
    code, _, err = run(["convert", str(tmp_path / "x.musicxml"), str(tmp_path / "y.mid")], capsys)
    assert code == 0, err
    assert (tmp_path / "y.mid").stat().st_size > 100


@pytest.mark.parametrize(
    ("args", "pattern"),
    [
        (["info", "/no/such/file.mid"], "not found"),
        (["compose", "--bars", "0", "-f", "mid"], "bars"),
        (["compose", "-g", "nope"], "unknown generator"),
        (["compose", "-f", "mid,mp5"], "unknown output format"),
        (["compose", "--key", "H major", "-f", "mid"], "key"),
        (["compose", "--meter", "4/5", "-f", "mid"], "power of two"),
        (["compose", "--bars", "x"], "--bars"),
        (["compose", "--bogus"], "no such option"),
        (["render", "/no/such/file.mid", "--out", "x.ogg"], ".wav"),
    ],
)
def test_bad_input_gives_one_line_error(
    args: list[str], pattern: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if "compose" in args and "--out" not in args:
        args = [*args, "--out", str(tmp_path)]
    code, _, err = run(args, capsys)
    assert_one_line_error(code, err, pattern)


def test_not_a_midi_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "song.mid"
    bad.write_text("this is not MIDI\n")
    code, _, err = run(["info", str(bad)], capsys)
    assert_one_line_error(code, err, "song.mid")
    empty = tmp_path / "empty.mid"
    empty.write_bytes(b"")
    code, _, err = run(["info", str(empty)], capsys)
    assert_one_line_error(code, err, "empty.mid")


def test_unwritable_output_leaves_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if os.geteuid() == 0:
        blocker = tmp_path / "file"
        blocker.write_text("x")
        code, _, err = run(["compose", "--out", str(blocker), "-f", "mid"], capsys)
        assert_one_line_error(code, err, "not a folder")
        return
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    code, _, err = run(["compose", "--out", str(ro), "-f", "mid"], capsys)
    assert_one_line_error(code, err, "permission")
    assert list(ro.iterdir()) == []


def test_failed_render_leaves_no_partial_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "in.mid"
    src.write_bytes(b"MThd\x00\x00\x00\x06\x00\x01")  # truncated header
    code, _, err = run(["render", str(src), "--out", str(tmp_path / "out.wav")], capsys)
    assert_one_line_error(code, err, "in.mid")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.mid"]


def test_entry_point_runs_without_traceback(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "muselab.cli.main", "info", str(tmp_path / "missing.abc")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1
    assert proc.stderr.strip().startswith("muselab: error:")
    assert "Traceback" not in proc.stderr
