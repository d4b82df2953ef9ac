"""The ``hostlib traffic`` command against real RRD files."""

from __future__ import annotations

import json
import struct
from pathlib import Path

from click.testing import CliRunner

from hostlib.cli import main

T0 = 1_790_000_100  # a multiple of 300


def _run(root: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["traffic", *args, "--root", str(root)])
    return result.exit_code, result.output


def _filled(tmp_path: Path) -> Path:
    root = tmp_path / "rrd"
    assert _run(root, "create", "srv-1", "--start", str(T0))[0] == 0
    for i in range(1, 7):
        # 1 MB/s in, 2 MB/s out
        code, out = _run(
            root, "update", "srv-1", str(T0 + 300 * i), str(i * 300_000_000), str(i * 600_000_000)
        )
        assert code == 0, out
    return root


def test_total_and_percentile(tmp_path: Path) -> None:
    root = _filled(tmp_path)
    code, out = _run(root, "total", "srv-1", "--start", str(T0), "--end", str(T0 + 1800), "--json")
    assert code == 0, out
    # Five known 5-minute samples (the first update only sets the counter).
    assert json.loads(out) == {"name": "srv-1", "inbound": 1_500_000_000, "outbound": 3_000_000_000}
    code, out = _run(
        root, "percentile", "srv-1", "--start", "2026-09-21T11:35:00Z",
        "--end", str(T0 + 1800), "--direction", "out", "--json",
    )  # fmt: skip
    assert code == 0, out
    assert json.loads(out)["bps"] == 16_000_000


def test_show_summary(tmp_path: Path) -> None:
    root = _filled(tmp_path)
    code, out = _run(root, "show", "srv-1", "--end", str(T0 + 1800), "--json", "--rows")
    assert code == 0, out
    doc = json.loads(out)
    assert doc["step"] == 300
    assert doc["summary"]["in"] == {"average_bps": 8e6, "max_bps": 8e6, "known_rows": 5}
    assert len(doc["rows"]) == 288


def test_graph_png(tmp_path: Path) -> None:
    root = _filled(tmp_path)
    png = tmp_path / "g.png"
    code, out = _run(
        root, "graph", "srv-1", str(png), "--end", str(T0 + 1800),
        "--width", "640", "--height", "200", "--percentile", "95",
    )  # fmt: skip
    assert code == 0, out
    header = png.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", header[16:24]) == (640, 200)


def test_errors_are_bad_input_or_not_found(tmp_path: Path) -> None:
    root = _filled(tmp_path)
    assert _run(root, "total", "nope", "--start", str(T0), "--end", str(T0 + 600))[0] == 1
    code, out = _run(root, "total", "srv-1", "--start", str(T0 + 600), "--end", str(T0))
    assert code == 2
    code, out = _run(root, "total", "srv-1", "--start", "yesterday", "--end", str(T0))
    assert code == 2
    assert "ISO 8601" in out
    code, out = _run(root, "create", "../etc")
    assert code == 2
    code, out = _run(root, "update", "srv-1", str(T0 + 300), "1", "1")
    assert code == 2  # not after the last update
