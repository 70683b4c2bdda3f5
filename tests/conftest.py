"""Shared fixtures for the suite's own tests."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def recordings_dir() -> Path:
    d = SHARED / "recordings"
    if not (d / "openai").is_dir():
        pytest.skip(f"the shared recordings are not at {d} (they live beside the repository, in ../shared)")
    return d
