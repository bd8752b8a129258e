"""``designspace describe``: table, --json, spec files, and one-line errors (exit 2)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

import designspace as ds
from designspace.cli import main


def test_describe_prints_table_with_totals(capsys) -> None:
    assert main(["describe", "regnetx_200mf"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == "regnetx_200mf at 224x224 px"
    assert lines[1].split() == ["part", "block", "d", "w", "b", "g", "stride", "output", "flops", "params"]
    parts = [line.split()[0] for line in lines[2:] if not line.startswith("-")]
    assert parts == ["stem", "stage1", "stage2", "stage3", "stage4", "head", "total", "flops"]
    stage4 = next(line for line in lines if line.startswith("stage4")).split()
    assert stage4[:7] == ["stage4", "res_bottleneck", "7", "368", "1", "8", "2"] and stage4[7] == "368x7x7"
    total = next(line for line in lines if line.startswith("total")).split()
    assert total == ["total", "199.04M", "2.68M"]
    assert lines[-1] == "flops 199,040,872 (multiply-adds)  params 2,684,792  acts 2,164,056"


def test_describe_json(capsys) -> None:
    assert main(["describe", "resnet56_cifar", "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert set(record) == {"spec", "flops", "params", "acts", "resolution"}
    assert record["resolution"] == 32  # the model's own resolution
    assert (record["flops"], record["params"], record["acts"]) == (125_747_850, 855_770, 544_778)
    assert ds.NetSpec.from_dict(record["spec"]) == ds.zoo.get("resnet56_cifar")


def test_describe_resolution_option(capsys) -> None:
    assert main(["describe", "resnet56_cifar", "--json", "--resolution", "64"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["resolution"] == 64
    assert record["flops"] == ds.complexity("resnet56_cifar", 64)["flops"]


def test_describe_spec_file(tmp_path, capsys) -> None:
    spec = ds.NetSpec(
        ds.StemSpec("cifar", 16),
        (ds.StageSpec("res_bottleneck", 2, 32, 1, bottleneck=2.0, group_width=4, se=0.25),),
        ds.HeadSpec("linear", 10),
    )
    path = tmp_path / "net.json"
    path.write_text(spec.to_json())
    assert main(["describe", str(path), "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert ds.NetSpec.from_dict(record["spec"]) == spec
    assert {k: record[k] for k in ("flops", "params", "acts")} == ds.complexity(spec, 32)
    # the JSON record of describe is itself accepted as a spec file
    path2 = tmp_path / "record.json"
    path2.write_text(json.dumps(record))
    assert main(["describe", str(path2)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("spec at 32x32 px") and "res_bottleneck" in out


def _one_error_line(capsys) -> str:
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("designspace describe: error: ")
    return lines[0]


def test_unknown_name_lists_close_matches(capsys) -> None:
    assert main(["describe", "regnetx_200m"]) == 2
    line = _one_error_line(capsys)
    assert "unknown model 'regnetx_200m'" in line and "did you mean:" in line and "regnetx_200mf" in line


@pytest.mark.parametrize(
    "content, expected",
    [
        (
            '{"stem": {"kind": "cifar", "width": 16}, "stages": [{"block": "res_basic", "depth": 1, "width": 16, '
            '"colour": 1}]}',
            "stages[0]: unknown key 'colour'",
        ),
        (
            '{"stem": {"kind": "cifar", "width": 16}, "stages": [{"block": "res_basic", "depth": 0, "width": 16}]}',
            "depth=0",
        ),
        ('{"stem": {"kind": "cifra", "width": 16}, "stages": [{"block": "vgg", "depth": 1, "width": 8}]}', "stem.kind"),
        ("{not json", "is not valid JSON"),
        ("[1, 2]", "spec="),
    ],
)
def test_bad_spec_file(tmp_path, capsys, content: str, expected: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    assert main(["describe", str(path)]) == 2
    assert expected in _one_error_line(capsys)


def test_missing_spec_file(tmp_path, capsys) -> None:
    assert main(["describe", str(tmp_path / "nope.json")]) == 2
    assert "does not exist" in _one_error_line(capsys)


def test_too_small_resolution(capsys) -> None:
    assert main(["describe", "vgg16_bn", "--resolution", "16"]) == 2
    assert "resolution=16" in _one_error_line(capsys)


def test_console_script_subprocess() -> None:
    """The installed console script: exit status 2 and exactly one line on stderr."""
    exe = shutil.which("designspace")
    cmd = [exe] if exe else [sys.executable, "-c", "from designspace.cli import entry; entry()"]
    proc = subprocess.run([*cmd, "describe", "resnet5O"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert len(proc.stderr.splitlines()) == 1 and "did you mean: resnet50" in proc.stderr
