"""Shared helpers for the command-line tests: run `muselab` in-process, check error lines."""

from __future__ import annotations

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
