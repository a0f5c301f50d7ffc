"""Held-out quality of the shipped folk Transformer and LSTM (slow: scores all Nottingham and
O'Neill test tunes)."""

from __future__ import annotations

import pytest
import torch

from muselab.generate.markov import MarkovGenerator
from muselab.generate.neural import default_generator
from muselab.tokens.folk import FolkTokenizer, style_of

pytestmark = [pytest.mark.slow, pytest.mark.shared_data]


def _nll(kind: str, corpus: str) -> tuple[float, float, float]:
    """Nats per token, per Markov event (melody tokens only), and the Markov model's per event."""
    from muselab.corpora import load_corpus

    gen, tok, markov = default_generator(kind), FolkTokenizer(), MarkovGenerator.default()
    tot = mel = m_tot = 0.0
    n_tok = n_ev = 0
    for it in load_corpus(corpus, split="test", progress=False):
        enc = tok.encode(it.score, source=corpus, style=style_of(corpus, it.id, it.score.title))
        m_ll, events = markov.log_likelihood(it.score)
        if enc.n_notes < 4 or not events:
            continue
        with torch.no_grad():
            lp = gen.token_log_probs(enc.ids)
        names = tok.decode_names(enc.ids[1:])
        keep = torch.tensor([not n.startswith(("Chord_", "Src_", "Meter_", "Mode_", "Style_",
                                               "Bars_")) for n in names])  # fmt: skip
        tot, n_tok = tot - float(lp.sum()), n_tok + len(lp)
        mel, n_ev, m_tot = mel - float(lp[keep].sum()), n_ev + events, m_tot - m_ll
    return tot / n_tok, mel / n_ev, m_tot / n_ev


@pytest.mark.parametrize(("corpus", "max_tok"), [("nottingham", 1.30), ("oneill", 1.15)])
def test_held_out_nll_of_the_shipped_models(shared_data, corpus: str, max_tok: float) -> None:
    """Measured (benchmarks/folk_nll.md): Transformer 1.267 / 1.095 nats per token, LSTM
    1.504 / 1.304; per melody event Transformer 2.58 / 2.39, Markov 2.44 / 2.14."""
    t_tok, t_ev, m_ev = _nll("transformer", corpus)
    l_tok, l_ev, _ = _nll("lstm", corpus)
    assert t_tok < max_tok
    assert t_tok < l_tok - 0.1 and t_ev < l_ev - 0.2
    # the undertrained neural models still trail the in-domain Markov model per event:
    # this guards the gap from growing (a better model should tighten this bound)
    assert t_ev < m_ev + 0.3
