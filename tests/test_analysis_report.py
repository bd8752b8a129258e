"""designspace analyze end to end on small synthetic studies, inputs, colors and CLI errors."""

import csv
import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import designspace as ds
from designspace.analysis.colors import FIXED, PALETTE, color_map, space_color
from designspace.analysis.inputs import parameter_columns, populations
from designspace.analysis.regnet_fit import fit_top_models, spec_block_widths
from designspace.cli import main
from designspace.specs import HeadSpec, NetSpec, StageSpec, StemSpec

FIXED_VALUES = {
    "train_loss": 1.0,
    "seconds": 2.0,
    "images_per_second": 500.0,
    "device": "cpu",
    "precision": "fp32",
    "seed": 0,
}


def _anynet_rows(study: str, n: int, rng: np.random.Generator) -> list[dict]:
    rows = []
    for t in range(n):
        d, w = rng.integers(1, 4, 4), rng.choice([16, 32, 64, 128], 4)
        b, g = rng.choice([1, 2], 4), rng.choice([1, 2, 4], 4)
        stages = tuple(
            StageSpec("res_bottleneck", int(d[i]), int(w[i]), 1 if i == 0 else 2, float(b[i]), int(g[i]))
            for i in range(4)
        )
        spec = NetSpec(StemSpec("simple", 16), stages, HeadSpec("linear", 10))
        cx = ds.complexity(spec, 32)
        state = "FAIL" if t % 9 == 8 else "COMPLETE"
        err = 30 - 3 * np.log10(cx["flops"]) + rng.normal(0, 0.7) if state == "COMPLETE" else float("nan")
        row = {"study": study, "space": "anynetx_a", "trial": t, "state": state, "test_error": err, **cx}
        row.update(FIXED_VALUES, spec=spec.to_json(), reason="" if state == "COMPLETE" else "diverged")
        row.update({f"{k}{i + 1}": v[i] for k, v in zip("dwbg", (d, w, b, g)) for i in range(4)})
        rows.append(row)
    return rows


def _regnet_rows(study: str, n: int, rng: np.random.Generator) -> list[dict]:
    rows = []
    for t in range(n):
        p = {"d": int(rng.integers(5, 12)), "w0": int(rng.choice([16, 24, 32])), "wa": float(rng.uniform(8, 40))}
        p.update(wm=float(rng.uniform(1.6, 2.8)), g=int(rng.choice([1, 2, 4, 8])))
        spec = ds.regnet(p["w0"], p["wa"], p["wm"], p["d"], p["g"], num_classes=10)
        cx = ds.complexity(spec, 32)
        err = 29 - 3 * np.log10(cx["flops"]) + rng.normal(0, 0.7)
        row = {"study": study, "space": "regnetx", "trial": t, "state": "COMPLETE", "test_error": err, **cx}
        row.update(FIXED_VALUES, spec=spec.to_json(), reason="", **p)
        rows.append(row)
    return rows


@pytest.fixture(scope="module")
def trials_csv(tmp_path_factory) -> Path:
    rng = np.random.default_rng(0)
    path = tmp_path_factory.mktemp("trials") / "trials.csv"
    frame = pd.DataFrame(_anynet_rows("any_a", 45, rng) + _regnet_rows("reg_x", 40, rng))
    frame.to_csv(path, index=False)
    return path


class _Checker(HTMLParser):
    """Checks that every non-void element is closed in order, and counts tags."""

    VOID = {"meta", "br", "img", "hr", "input", "link"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.counts: dict[str, int] = {}
        self.ids: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.counts[tag] = self.counts.get(tag, 0) + 1
        if tag == "figure":
            self.ids.append(dict(attrs)["id"])
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.counts[tag] = self.counts.get(tag, 0) + 1

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes <{self.stack[-1] if self.stack else None}>"
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def _run(argv, capsys) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


FAST = ["--boot", "300", "--permutations", "200", "--top", "2"]


def test_report_end_to_end(trials_csv, tmp_path, capsys):
    out_dir = tmp_path / "report"
    code, out, err = _run(["analyze", "--csv", str(trials_csv), "--out", str(out_dir), *FAST], capsys)
    assert code == 0, err
    report = out_dir / "report.html"
    assert out.strip().splitlines()[-1] == str(report)
    assert "reg_x vs any_a" in out and "verdict" in out  # the comparison table comes first
    comparisons = pd.read_csv(out_dir / "comparisons.csv")
    assert comparisons["after"].tolist() == ["reg_x"] and comparisons["p_adj"].iloc[0] >= comparisons["p"].iloc[0]
    figures = ["edf_normalized", "edf_raw", "error_vs_complexity", "params_any_a", "params_reg_x", "regnet_fit"]
    for name in figures:
        assert (out_dir / f"{name}.svg").read_text().lstrip().startswith("<?xml")
        assert (out_dir / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    checker = _Checker()
    text = report.read_text(encoding="utf-8")
    checker.feed(text)
    checker.close()
    assert checker.stack == []  # every element closed
    assert checker.ids == figures  # each plot, in order, as inline SVG
    assert checker.counts["svg"] == len(figures)
    assert "src=" not in text and "<script" not in text  # self-contained
    ids = re.findall(r'\sid="([^"]+)"', text)
    assert len(ids) == len(set(ids))  # the inline SVGs share no element id
    assert set(re.findall(r'(?:href="#|url\(#)([^")]+)', text)) <= set(ids)  # every reference resolves
    body = " ".join(checker.text)
    assert "any_a" in body and "reg_x" in body and "not COMPLETE" in body
    summary = pd.read_csv(out_dir / "summary.csv")
    assert summary["study"].tolist() == ["any_a", "reg_x"]
    assert summary["n"].tolist() == [40, 40] and summary["not_complete"].tolist() == [5, 0]
    assert np.isnan(summary.loc[0, "ks_d"]) and 0 < summary.loc[1, "ks_d"] <= 1 and 0 < summary.loc[1, "ks_p"] <= 1
    assert {"w1_low", "w1_median", "w1_high", "wm_low", "g_high"} <= set(summary.columns)
    assert summary.loc[0, "w1_low"] <= summary.loc[0, "w1_median"] <= summary.loc[0, "w1_high"]
    assert summary.loc[0, "min_error"] == pytest.approx(
        pd.read_csv(trials_csv).query("study == 'any_a' and state == 'COMPLETE'")["test_error"].min()
    )


def test_report_selection_no_normalization_and_default_out(trials_csv, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    argv = ["analyze", "reg_x", "--csv", str(trials_csv), "--normalize", "none", "--top", "0", "--boot", "200"]
    code, out, err = _run(argv, capsys)
    assert code == 0, err
    assert Path(out.strip()) == Path("results/analysis/reg_x/report.html")
    files = sorted(p.name for p in (tmp_path / "results/analysis/reg_x").iterdir())
    assert files == sorted(
        ["report.html", "summary.csv"]
        + [f"{n}.{x}" for n in ("edf_raw", "error_vs_complexity", "params_reg_x") for x in ("svg", "png")]
    )


@pytest.mark.parametrize(
    "argv, message",
    [
        (["analyze"], "no input"),
        (["analyze", "nope", "--csv", "{csv}"], "unknown study 'nope'"),
        (["analyze", "--csv", "{tmp}/missing.csv"], "no such file"),
        (["analyze", "--csv", "{few}"], "need at least 10"),
        (["analyze", "--csv", "{csv}", "--storage", "sqlite:///x.db"], "not both"),
        (["analyze", "--storage", "sqlite:///x.db"], "name the studies"),
        (["analyze", "--csv", "{csv}", "--boot", "0"], "n_boot"),
        (["analyze", "--csv", "{nocol}"], "'test_error'"),
    ],
)
def test_cli_errors_are_one_line_exit_2(argv, message, trials_csv, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # nothing may be written outside tmp_path, even on a bug
    few = tmp_path / "few.csv"
    pd.read_csv(trials_csv).head(10).to_csv(few, index=False)  # 10 rows, 1 of them failed
    nocol = tmp_path / "nocol.csv"
    pd.read_csv(trials_csv).drop(columns=["test_error"]).to_csv(nocol, index=False)
    argv = [a.format(csv=trials_csv, tmp=tmp_path, few=few, nocol=nocol) for a in argv]
    code, out, err = _run(argv, capsys)
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1 and message in err


def test_storage_unknown_study_is_one_line_exit_2(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    # through designspace.study.export.trials_frame when present, else "not available"
    code, out, err = _run(["analyze", "ghost", "--storage", f"sqlite:///{tmp_path}/s.db"], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1


def test_storage_input_goes_through_trials_frame(trials_csv, tmp_path, monkeypatch, capsys):
    export = pytest.importorskip("designspace.study.export")  # written by the study layer
    calls = []

    def fake_trials_frame(storage, studies):  # the study layer's dtypes: nullable Int64 complexities
        calls.append((storage, list(studies)))
        frame = pd.read_csv(trials_csv)
        frame = frame[frame["study"].isin(studies)]
        return frame.astype({"flops": "Int64", "params": "Int64", "acts": "Int64"})

    monkeypatch.setattr(export, "trials_frame", fake_trials_frame)
    out_dir = tmp_path / "storage"
    argv = ["analyze", "reg_x", "--storage", "sqlite:///s.db", "--out", str(out_dir), *FAST, "--top", "0"]
    code, out, err = _run(argv, capsys)
    assert code == 0, err
    assert calls == [("sqlite:///s.db", ["reg_x"])]
    summary = pd.read_csv(out_dir / "summary.csv")
    assert summary["study"].tolist() == ["reg_x"] and summary["best_flops"].notna().all()
    assert (out_dir / "edf_normalized.svg").is_file()  # normalized by the Int64 flops column


def test_populations_and_parameter_columns(trials_csv):
    frame = pd.read_csv(trials_csv)
    pops = populations(frame)
    assert [(p.name, p.space, p.n, p.dropped) for p in pops] == [
        ("any_a", "anynetx_a", 40, 5),
        ("reg_x", "regnetx", 40, 0),
    ]
    assert pops[0].params == tuple(f"{k}{i}" for k in "dwbg" for i in range(1, 5))
    assert pops[1].params == ("d", "w0", "wa", "wm", "g")
    assert pops[1].trials["trial"].is_monotonic_increasing
    # grouped by space without a study column; extra text columns are reported, not analysed
    by_space = populations(frame.drop(columns=["study"]).assign(note="x"), ["regnetx"])
    assert by_space[0].name == "regnetx" and by_space[0].skipped == ("note",)
    assert parameter_columns(pd.DataFrame({"b": [1], "w2": [1], "d": [1], "w0": [1], "wa": [1], "x": [1]}))[0] == (
        "d",
        "w0",
        "w2",
        "wa",
        "b",
        "x",
    )


def test_regnet_fit_of_regnet_models_is_exact(trials_csv):
    frame = pd.read_csv(trials_csv)
    reg = frame[frame["study"] == "reg_x"]
    fits = fit_top_models(reg, k=2)
    best = reg.sort_values("test_error").iloc[0]
    assert fits[0].trial == best["trial"] and fits[0].widths == tuple(spec_block_widths(best["spec"]))
    assert len(fits[0].widths) == best["d"]
    for f in fits:
        assert f.fit.e_fit < 1e-9 and f.fit.widths == f.widths


def test_space_colors_are_deterministic_and_distinct():
    assert space_color("AnyNetX_A") == space_color("anynetx-a") == FIXED["anynetxa"]
    assert space_color("my_space") == space_color("my_space") and space_color("my_space") in PALETTE
    spaces = ["regnetx", "anynetx_a", "zzz", "yyy", "xxx", "www", "vvv"]
    cmap = color_map(spaces)
    assert len(set(cmap.values())) == len(spaces)  # clashes moved to free colors
    assert cmap == color_map(list(reversed(spaces)))  # independent of order
    assert cmap["regnetx"] == FIXED["regnetx"] and cmap["anynetx_a"] == FIXED["anynetxa"]


def test_csv_columns_of_the_contract(trials_csv):
    with open(trials_csv) as f:
        header = next(csv.reader(f))
    from designspace.analysis.inputs import COLUMNS

    assert set(COLUMNS) <= set(header)


def test_analyze_returns_its_figures_and_comparisons_before_writing(trials_csv, tmp_path):
    from designspace.analysis.inputs import read_csvs
    from designspace.analysis.pipeline import Options, analyze, write_analysis

    pops = populations(read_csvs([str(trials_csv)]))
    a = analyze(pops, Options(n_boot=200, permutations=100, top=2))
    names = [f.name for f in a.figures]
    assert names[:2] == ["edf_normalized", "edf_raw"] and all(f.figure is not None and f.svg == "" for f in a.figures)
    assert a.comparisons is not None and a.comparisons["after"].tolist() == ["reg_x"]
    assert a.comparisons.loc[0, "verdict"] in ("better", "worse", "equivalent", "inconclusive")
    write_analysis(a, tmp_path / "out")
    assert all(f.svg.startswith("<svg") for f in a.figures) and [f.name for f in a.figures] == names
