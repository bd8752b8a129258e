"""designspace analyze --link-plots: a report that links its plots instead of inlining them."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from designspace.cli import main


def _trials(path) -> None:
    rng = np.random.default_rng(0)
    rows = []
    for study, shift in (("one", 0.0), ("two", 1.0)):
        for t in range(12):
            flops = float(rng.uniform(1e6, 3e6))
            d1, w1 = int(rng.integers(1, 4)), int(rng.choice([16, 32, 64]))
            error = 40 - 2 * np.log10(flops) + shift + rng.normal(0, 0.5)
            rows.append(
                {"study": study, "space": "anynetx_a", "trial": t, "state": "COMPLETE", "test_error": error}
                | {"flops": flops, "params": 1e5, "acts": 1e5, "d1": d1, "w1": w1}
            )
    pd.DataFrame(rows).to_csv(path, index=False)


def test_linked_report_references_every_plot_file_and_inlines_none(tmp_path, capsys) -> None:
    _trials(tmp_path / "t.csv")
    common = ["analyze", "one", "two", "--csv", str(tmp_path / "t.csv"), "--boot", "50", "--permutations", "50"]
    assert main([*common, "--out", str(tmp_path / "inline"), "--top", "0"]) == 0
    assert main([*common, "--out", str(tmp_path / "linked"), "--top", "0", "--link-plots"]) == 0
    inline = (tmp_path / "inline" / "report.html").read_text()
    linked = (tmp_path / "linked" / "report.html").read_text()
    assert "<svg" in inline and "<img" not in inline  # the default stays self-contained
    assert "<svg" not in linked
    sources = re.findall(r'<img src="([^"]+)"', linked)
    assert sources and all((tmp_path / "linked" / s).is_file() for s in sources)
    assert sorted(sources) == sorted(p.name for p in (tmp_path / "linked").glob("*.svg"))
    assert len(linked) < len(inline) / 5
