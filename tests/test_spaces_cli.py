"""``designspace spaces`` and ``designspace sample``."""

from __future__ import annotations

import json

import pytest

from designspace import spaces
from designspace.cli import main
from designspace.specs import NetSpec


def _run(capsys, *argv):
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def test_spaces_lists_every_space_with_size(capsys):
    rc, out, _ = _run(capsys, "spaces")
    assert rc == 0
    for name in spaces.names():
        line = next(ln for ln in out.splitlines() if ln.startswith(name + " "))
        assert spaces.get(name).description in line
    assert "3.28e+17" in next(ln for ln in out.splitlines() if ln.startswith("anynetx_a"))


def test_spaces_json_and_detail(capsys):
    rc, out, _ = _run(capsys, "spaces", "--json")
    rows = [json.loads(ln) for ln in out.splitlines()]
    assert rc == 0 and [r["name"] for r in rows] == spaces.names()
    a = next(r for r in rows if r["name"] == "anynetx_a")
    assert a["size"] == spaces.get("anynetx_a").size and a["settings"] == (16 * 128 * 3 * 6) ** 4
    assert next(r for r in rows if r["name"] == "regnetx")["size"] is None
    rc, out, _ = _run(capsys, "spaces", "regnetx")
    assert rc == 0 and "wa   float log-uniform (8, 256)" in out


def test_sample_json_lines(capsys):
    argv = ["sample", "anynetx_c", "--n", "5", "--seed", "1", "--resolution", "224", "--flops", "360M:400M", "--json"]
    rc, out, err = _run(capsys, *argv)
    assert rc == 0 and err == ""
    recs = [json.loads(ln) for ln in out.splitlines()]
    assert recs == spaces.get("anynetx_c").sample(5, seed=1, resolution=224, flops="360M:400M")
    for i, rec in enumerate(recs):
        assert rec["space"] == "anynetx_c" and rec["seed"] == 1 and rec["index"] == i
        assert 360e6 <= rec["flops"] <= 400e6 and {"params", "acts", "b", "g", "d1", "w4"} <= set(rec)
        NetSpec.from_dict(rec["spec"])


def test_sample_table(capsys):
    rc, out, _ = _run(capsys, "sample", "regnety", "--n", "3", "--params", ":1M", "--flops", "10M:")
    assert rc == 0
    lines = out.splitlines()
    assert lines[0].split() == ["index", "flops", "params", "d", "w0", "wa", "wm", "g"]
    assert len(lines) == 2 + 3 + 1 and "accepted 3 of" in lines[-1]


@pytest.mark.parametrize(
    "argv, msg",
    [
        (["sample", "anynetx_q"], "unknown design space 'anynetx_q'"),
        (["sample", "resnet", "--flops", "400M:360M"], "LO > HI"),
        (["sample", "resnet", "--params", "lots"], "expected LO:HI"),
        (["sample", "resnet", "--flops", "1:1000"], "impossible regime"),
        (["sample", "regnetx", "--flops", "1:2", "--max-draws", "1000"], "impossible regime"),
        (["sample", "vgg", "--n", "-3"], "n=-3"),
        (["spaces", "nope"], "unknown design space"),
    ],
)
def test_bad_input_exits_2_with_one_line(capsys, argv, msg):
    rc, out, err = _run(capsys, *argv)
    assert rc == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and msg in err
