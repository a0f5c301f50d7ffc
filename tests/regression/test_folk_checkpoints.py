"""The shipped folk Transformer and LSTM still load, describe themselves and sample valid tunes."""

from __future__ import annotations

import json
from importlib.resources import as_file, files

import pytest

from muselab.generate import ComposeOptions, get_generator
from muselab.generate.neural import NeuralFolkGenerator
from muselab.tokens.folk import FolkTokenizer


@pytest.mark.parametrize("kind", ["transformer", "lstm"])
def test_shipped_checkpoint_loads_and_samples_a_valid_8_bar_tune(kind: str) -> None:
    with as_file(files("muselab") / "checkpoints" / f"folk-{kind}") as folder:
        sizes = {p.name: p.stat().st_size for p in folder.iterdir()}
        assert {"config.json", "model.safetensors", "MODEL_CARD.md", "report.json"} <= set(sizes)
        assert sizes["model.safetensors"] < 8_000_000  # a few MB
        cfg = json.loads((folder / "config.json").read_text())
        report = json.loads((folder / "report.json").read_text())
    assert cfg["schema"] == "muselab.nn" and cfg["model"]["type"] == kind
    assert cfg["extra"]["tokenizer"]["tokens"] == list(FolkTokenizer().names)
    assert report["best_valid_loss"] == pytest.approx(cfg["extra"]["training"]["valid_loss"])
    # nats per token on the valid tunes (a random model: log(317) = 5.76)
    assert report["best_valid_loss"] < {"transformer": 1.05, "lstm": 1.15}[kind]
    gen = get_generator(kind)
    assert isinstance(gen, NeuralFolkGenerator) and gen.name == kind
    score = gen.generate(ComposeOptions(bars=8, key="D major", meter="6/8", seed=42))
    mel = score.tracks[0].notes
    bar = score.bar_ticks(0)
    assert score.tracks[0].name == "Melody" and len(mel) >= 8
    assert 7 * bar < max(n.end for n in mel) <= 8 * bar
    assert all(55 - 12 <= n.pitch <= 88 + 12 for n in mel)
    assert score.chords and {"Chords", "Bass"} <= {t.name for t in score.tracks}
    # a real model puts most notes in the key (D major) -- a random one would not
    in_key = sum(n.pitch % 12 in (2, 4, 6, 7, 9, 11, 1) for n in mel) / len(mel)
    assert in_key > 0.8
    again = gen.generate(ComposeOptions(bars=8, key="D major", meter="6/8", seed=42))
    assert again.tracks[0].notes == mel
