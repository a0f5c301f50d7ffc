"""Analysis route: ``POST /analyze`` (an uploaded recording or score -> tempo, key, chords ...).

Documented behaviour
--------------------
* ``POST /analyze`` - multipart: ``file`` (audio: WAV, FLAC, OGG, MP3, AIFF, ...; or a score:
  MIDI, MusicXML, ABC, JSON - recognised by the file name's extension, as ``muselab analyze``
  reads them), optional form fields ``melody`` (audio: track the melody, default true) and
  ``plot`` (default false).  The answer is the analysis JSON, the same schema as
  ``muselab analyze FILE --json`` (``docs/analysis.md``), with ``source`` = the uploaded
  file's name; with ``plot=true`` a PNG picture of the analysis instead.
* An empty or unreadable file: 400.  Another extension: 415.  Over the upload limit
  (50 MiB unless ``create_app(max_upload_mb=...)``): 413.  Every error body is
  ``{"error": "..."}``.
"""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response

__all__ = ["analysis_extensions", "router"]

router = APIRouter(tags=["analyze"])


def analysis_extensions() -> tuple[str, ...]:
    """File name extensions ``POST /analyze`` accepts: audio first, then scores."""
    from muselab.analysis.api import SCORE_EXTENSIONS
    from muselab.analysis.loader import AUDIO_EXTENSIONS

    return (*AUDIO_EXTENSIONS, *SCORE_EXTENSIONS)


_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The analysis (JSON, schema of docs/analysis.md), or a PNG with plot=true.",
        "content": {"application/json": {}, "image/png": {}},
    }
}


@router.post("/analyze", response_class=Response, responses=_RESPONSES)
def analyze(
    request: Request,
    file: Annotated[UploadFile, File(description="An audio file or a score.")],
    melody: Annotated[bool, Form(description="Audio: track the melody contour.")] = True,
    plot: Annotated[bool, Form(description="Answer a PNG picture instead of JSON.")] = False,
) -> Response:
    """Tempo, beats, meter, key, chords, melody and loudness of an uploaded file."""
    from muselab import io
    from muselab.analysis.api import analyze as run_analysis
    from muselab.analysis.api import is_score_path
    from muselab.analysis.symbolic import analyze_score
    from muselab.web.uploads import safe_stem, saved_upload, upload_limit, upload_name

    name = upload_name(file)
    with saved_upload(
        file,
        extensions=analysis_extensions(),
        max_bytes=upload_limit(request.app),
        what="an audio file or a score",
    ) as path:
        score = None
        if is_score_path(path):
            score = io.load(path)
            result = analyze_score(score, source=name)
        else:
            result = dataclasses.replace(run_analysis(path, melody=melody), source=name)
        if not plot:
            return Response(content=result.to_json(), media_type="application/json")
        from muselab.analysis.plot import plot_analysis

        with tempfile.TemporaryDirectory(prefix="muselab-plot-") as folder:
            png = plot_analysis(
                result,
                Path(folder) / "analysis.png",
                audio=None if score is not None else path,
                score=score,
            )
            data = png.read_bytes()
    stem = safe_stem(name, "analysis")
    return Response(
        content=data,
        media_type="image/png",
        headers={"Content-Disposition": f'inline; filename="{stem}-analysis.png"'},
    )
