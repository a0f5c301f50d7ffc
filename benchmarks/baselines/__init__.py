"""Peer-library baselines for ``benchmarks/analysis_eval.py``: librosa and Essentia.

Each module has ``NAME``, ``available() -> str | None`` (None when it can run, else why
not) and ``analyze(path) -> dict`` returning the fields it can estimate, with the
muselab / mir_eval conventions: ``tempo`` (BPM), ``beats`` (s), ``key`` (``"A minor"``),
``chords`` (list of ``{"start", "end", "label"}`` with Harte labels).  Fields a library
has no method for (downbeats, meter, notes) are left out, never faked.
"""
