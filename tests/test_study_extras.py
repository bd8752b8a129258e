"""Optional features name the extra that installs what they need, in one line."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pandas as pd
import pytest

from designspace.study.config import StudyConfig
from designspace.study.export import write_frame
from designspace.study.objective import check_config
from designspace.tomlfile import tomllib

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def test_pyproject_names_the_optional_packages_in_extras() -> None:
    extras = tomllib.loads(PYPROJECT.read_text())["project"]["optional-dependencies"]
    assert any(d.startswith("pyarrow") for d in extras["parquet"])
    assert any(d.startswith("cmaes") for d in extras["cmaes"])
    deps = tomllib.loads(PYPROJECT.read_text())["project"]["dependencies"]
    assert any(d.startswith("tomli") and "python_version < '3.11'" in d for d in deps)


def test_parquet_without_pyarrow_names_the_extra(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # import pyarrow -> ImportError
    with pytest.raises(ValueError, match=r"pip install 'designspace\[parquet\]'") as e:
        write_frame(pd.DataFrame({"a": [1]}), tmp_path / "t.parquet")
    assert "\n" not in str(e.value)


def test_cmaes_without_the_package_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "cmaes" else real(name, *a))
    config = StudyConfig(
        name="s", space="anynetx_a", trials=3, flops=(1e6, 3e6), epochs=1, mode="search", sampler="cmaes"
    )
    with pytest.raises(ValueError, match=r"pip install 'designspace\[cmaes\]'") as e:
        check_config(config)
    assert "\n" not in str(e.value)
