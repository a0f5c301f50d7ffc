"""File uploads for the web API: bounded in size, kept in a temp folder that is always removed.

Two guards bound an upload:

* :class:`BodyLimitMiddleware` refuses a request whose ``Content-Length`` is over the limit
  with 413 before anything is read (the usual case: browsers and curl send the length);
* :func:`saved_upload` counts the bytes while copying the file out of the request, so a
  chunked upload without a length is refused with 413 too.

Uploads are recognised by their file name extension, as :func:`muselab.io.load` and
:func:`muselab.analysis.analyze` read them; anything else is a 415.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from fastapi import HTTPException, UploadFile
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from muselab.errors import InvalidInputError, MuselabError

__all__ = [
    "DEFAULT_MAX_UPLOAD_BYTES",
    "BodyLimitMiddleware",
    "safe_stem",
    "saved_upload",
    "upload_limit",
    "upload_name",
]

DEFAULT_MAX_UPLOAD_BYTES = 50 * 1024 * 1024
"""Largest accepted upload (50 MiB): about 5 minutes of 44.1 kHz stereo WAV, hours of MP3."""

_FORM_OVERHEAD = 64 * 1024  # multipart boundaries and the small form fields around a file
_CHUNK = 1024 * 1024


def _mib(n: int) -> str:
    return f"{n / (1024 * 1024):.3g} MiB"


def upload_limit(app: object) -> int:
    """The app's upload limit in bytes (``create_app(max_upload_mb=...)``)."""
    state = getattr(app, "state", None)
    return int(getattr(state, "max_upload_bytes", DEFAULT_MAX_UPLOAD_BYTES))


class BodyLimitMiddleware:
    """ASGI middleware: 413 JSON for a request whose ``Content-Length`` exceeds the limit.

    Parameters
    ----------
    app : ASGI app
    max_bytes : int
        Largest file accepted; the body may be a little larger (multipart framing).
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            for name, value in scope.get("headers", ()):
                if name == b"content-length":
                    try:
                        length = int(value)
                    except ValueError:
                        length = 0
                    if length > self.max_bytes + _FORM_OVERHEAD:
                        await _send_json(send, 413, _too_large(self.max_bytes))
                        return
                    break
        await self.app(scope, receive, send)


def _too_large(max_bytes: int) -> str:
    return f"the upload is larger than the server's limit of {_mib(max_bytes)}; send a smaller file"


async def _send_json(send: Send, status: int, message: str) -> None:
    body = json.dumps({"error": message}).encode("utf-8")
    start: Message = {
        "type": "http.response.start",
        "status": status,
        "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode("ascii")),
            (b"connection", b"close"),
        ],
    }
    await send(start)
    await send({"type": "http.response.body", "body": body})


def safe_stem(name: str, default: str = "file") -> str:
    """A file name stem fit for a ``Content-Disposition`` header (ASCII letters, digits, ``._-``).

    >>> safe_stem('my "tune" é.mid')
    'my_tune'
    """
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(name).stem).strip("._")[:80]
    return stem or default


def upload_name(upload: UploadFile) -> str:
    """The uploaded file's base name (no folders), as the client sent it."""
    return Path(upload.filename or "").name


@contextmanager
def saved_upload(
    upload: UploadFile, *, extensions: Sequence[str], max_bytes: int, what: str
) -> Iterator[Path]:
    """Copy ``upload`` into a fresh temp folder; yield its path; remove the folder afterwards.

    Parameters
    ----------
    upload : UploadFile
    extensions : sequence of str
        Accepted file name extensions (lower case, with the dot).
    max_bytes : int
        Largest accepted size.
    what : str
        What the file should be, for error messages (``"a score or audio file"``).

    Raises
    ------
    HTTPException
        415 for an extension not in ``extensions``; 413 when the file is over ``max_bytes``.
    InvalidInputError
        The file is empty (400).
    """
    name = upload_name(upload)
    suffix = Path(name).suffix.lower()
    if suffix not in extensions:
        raise HTTPException(
            415,
            f"cannot read {name or 'a file without a name'!r}: upload {what} "
            f"ending in {', '.join(extensions)}",
        )
    folder = Path(tempfile.mkdtemp(prefix="muselab-upload-"))
    try:
        path = folder / f"{safe_stem(name, 'upload')}{suffix}"
        size = 0
        with open(path, "wb") as f:
            while chunk := upload.file.read(_CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise HTTPException(413, _too_large(max_bytes))
                f.write(chunk)
        if size == 0:
            raise InvalidInputError(f"{name!r} is empty (0 bytes); upload {what}")
        try:
            yield path
        except MuselabError as exc:  # say the client's file name, not the temp path
            message = str(exc).replace(f"{folder}{os.sep}", "")
            if message == str(exc):
                raise
            raise type(exc)(message) from exc
    finally:
        shutil.rmtree(folder, ignore_errors=True)
