"""Shared printing for the demo sections."""

from __future__ import annotations

__all__ = ["heading", "section"]


def section(text: str) -> None:
    print(f"\n{'=' * 72}\n{text}\n{'=' * 72}")


def heading(text: str) -> None:
    print(f"\n== {text}")
