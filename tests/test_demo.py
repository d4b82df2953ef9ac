"""``make demo`` runs the examples package; keep it working."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_demo_runs_and_writes_its_files(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "examples.demo"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    out = tmp_path / "demo-output"
    assert (out / "INV-2026-000042.en.pdf").read_bytes().startswith(b"%PDF")
    assert (out / "srv-02-month.png").read_bytes().startswith(b"\x89PNG")
    assert "writes nothing: True" in done.stdout
    assert "srv-01 is on" in done.stdout
    assert "reverse_charge" in done.stdout
