"""Shared helpers for the command-line tests: run `muselab` in-process, check error lines."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from muselab.cli.main import main


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run ``muselab ARGS`` in this process; return (exit code, stdout, stderr)."""
    try:
        main(args)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code: int, err: str, pattern: str) -> None:
    """A user mistake: non-zero exit, exactly one `muselab: error:` line naming ``pattern``."""
    assert code != 0
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("muselab: error: "), err
    assert pattern.lower() in lines[0].lower(), err
    assert "Traceback" not in err


@contextmanager
def serving(*args: str, timeout: float = 30) -> Iterator[Any]:
    """Start ``muselab serve ARGS`` on a free local port; yield an httpx client once it answers.

    The server process is stopped on exit.
    """
    import httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = [sys.executable, "-m", "muselab", "serve", *args, "--port", str(port)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=timeout) as client:
            while True:
                assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
                try:
                    client.get("/health")
                    break
                except httpx.TransportError:
                    assert time.monotonic() < deadline, "muselab serve did not start in 60 s"
                    time.sleep(0.1)
            yield client
    finally:
        proc.terminate()
        proc.wait(timeout=20)
