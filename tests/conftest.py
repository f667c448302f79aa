"""Fixtures shared by every test folder."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]


def _datasets_root() -> Path:
    env = os.environ.get("INKPICK_DATASETS")
    return Path(env) if env else REPO.parent / "shared" / "datasets"


@pytest.fixture(scope="session")
def datasets_root() -> Path:
    """The real datasets folder. Missing: skip locally, fail under CI=true."""
    root = _datasets_root()
    if not (root / "movielens-latest-small").is_dir():
        msg = f"real datasets not found at {root} (set INKPICK_DATASETS)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(msg)
        pytest.skip(msg)
    return root


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20261204)
