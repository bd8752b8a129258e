"""Specs: exact JSON round trip, hashing/equality, validation errors that name field and value."""

from __future__ import annotations

import copy
import dataclasses
import json

import pytest

import designspace as ds
from designspace.specs import HeadSpec, NetSpec, StageSpec, StemSpec

CUSTOM = NetSpec(
    StemSpec("cifar", 12, in_channels=1),
    (
        StageSpec("res_bottleneck", 2, 24, 2, bottleneck=0.25, group_width=32, se=0.25),
        StageSpec("vanilla", 1, 7, 1, bn=False),
        StageSpec("dense", 3, 8, 2, bottleneck=0.5),
    ),
    HeadSpec("linear", 7, hidden=(33, 5), dropout=0.1),
)


def json_round_trip(spec: NetSpec) -> NetSpec:
    return NetSpec.from_dict(json.loads(json.dumps(spec.to_dict())))


@pytest.mark.parametrize("name", ds.zoo.names())
def test_zoo_spec_round_trips_through_json(name: str) -> None:
    spec = ds.zoo.get(name)
    back = json_round_trip(spec)
    assert back == spec and hash(back) == hash(spec)
    assert back.to_dict() == spec.to_dict()
    assert NetSpec.from_json(spec.to_json()) == spec


def test_custom_spec_round_trip_equality_and_hash() -> None:
    back = json_round_trip(CUSTOM)
    assert back == CUSTOM
    assert hash(back) == hash(CUSTOM)
    assert len({CUSTOM, back}) == 1
    assert {CUSTOM: "x"}[back] == "x"
    assert back.to_json() == CUSTOM.to_json()
    d = CUSTOM.to_dict()
    assert isinstance(d["stages"], list) and isinstance(d["head"]["hidden"], list)
    assert json.loads(json.dumps(d)) == d  # pure JSON types only


def test_different_specs_differ() -> None:
    other = dataclasses.replace(CUSTOM, head=dataclasses.replace(CUSTOM.head, num_classes=8))
    assert other != CUSTOM
    assert other.to_dict() != CUSTOM.to_dict()


def test_int_and_float_ratios_are_the_same_spec() -> None:
    a = StageSpec("res_bottleneck", 1, 16, bottleneck=2, se=0)
    b = StageSpec("res_bottleneck", 1, 16, bottleneck=2.0, se=0.0)
    assert a == b and hash(a) == hash(b)
    assert isinstance(a.bottleneck, float) and isinstance(a.se, float)


def test_hidden_list_becomes_a_tuple() -> None:
    head = HeadSpec("linear", 10, hidden=[64, 32])
    assert head.hidden == (64, 32)
    hash(head)


def test_bottleneck_width_and_groups() -> None:
    s = StageSpec("res_bottleneck", 1, 256, bottleneck=2.0, group_width=4)
    assert (s.bottleneck_width, s.groups) == (128, 32)
    s = StageSpec("dense", 1, 32, bottleneck=0.25)
    assert (s.bottleneck_width, s.groups) == (128, 1)


def test_frozen_and_replace() -> None:
    stage = CUSTOM.stages[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        stage.depth = 3  # type: ignore[misc]
    deeper = dataclasses.replace(stage, depth=5)
    assert deeper.depth == 5 and deeper != stage and stage.depth == 2
    spec = dataclasses.replace(CUSTOM, stages=(*CUSTOM.stages, deeper))
    assert spec.depths == (2, 1, 3, 5) and json_round_trip(spec) == spec
    with pytest.raises(ValueError, match=r"depth=0"):
        dataclasses.replace(stage, depth=0)  # replace validates too
    assert CUSTOM.with_num_classes(3).head.num_classes == 3
    vgg = ds.zoo.get("vgg11_bn").with_in_channels(1)
    assert (vgg.stem.in_channels, vgg.stem.width) == (1, 1)  # the 'none' stem follows the input


def _good() -> dict:
    return copy.deepcopy(CUSTOM.to_dict())


def _set(path: tuple, value: object) -> dict:
    d = _good()
    target = d
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return d


BAD_VALUES = [
    # (path into the dict, bad value, the field the message must name)
    (("stages", 0, "depth"), 0, "stages[0].depth"),
    (("stages", 1, "depth"), -2, "stages[1].depth"),
    (("stages", 0, "width"), 0, "stages[0].width"),
    (("stages", 0, "width"), -8, "stages[0].width"),
    (("stages", 1, "width"), 7.5, "stages[1].width"),
    (("stages", 1, "width"), "7", "stages[1].width"),
    (("stages", 1, "width"), None, "stages[1].width"),
    (("stages", 0, "depth"), True, "stages[0].depth"),
    (("stages", 0, "depth"), 2.0, "stages[0].depth"),
    (("stages", 0, "group_width"), 5, "stages[0].group_width"),  # does not divide 96
    (("stages", 0, "group_width"), -1, "stages[0].group_width"),
    (("stages", 2, "bottleneck"), 3.0, "stages[2].bottleneck"),  # 8 / 3 is not an integer
    (("stages", 2, "bottleneck"), 0, "stages[2].bottleneck"),
    (("stages", 2, "bottleneck"), -0.5, "stages[2].bottleneck"),
    (("stages", 2, "bottleneck"), float("nan"), "stages[2].bottleneck"),
    (("stages", 2, "bottleneck"), "1", "stages[2].bottleneck"),
    (("stages", 0, "stride"), 0, "stages[0].stride"),
    (("stages", 0, "se"), -0.25, "stages[0].se"),
    (("stages", 0, "se"), "0.25", "stages[0].se"),
    (("stages", 1, "bn"), "yes", "stages[1].bn"),
    (("stages", 1, "bn"), 1, "stages[1].bn"),
    (("stages", 0, "block"), "res_bottlenek", "stages[0].block"),
    (("stages", 0, "block"), 3, "stages[0].block"),
    (("stem", "kind"), "cifra", "stem.kind"),
    (("stem", "width"), 0, "stem.width"),
    (("stem", "in_channels"), "3", "stem.in_channels"),
    (("head", "kind"), "linaer", "head.kind"),
    (("head", "num_classes"), 0, "head.num_classes"),
    (("head", "hidden"), [16, 0], "head.hidden"),
    (("head", "hidden"), "16", "head.hidden"),
    (("head", "dropout"), 1.0, "head.dropout"),
    (("head", "dropout"), -0.1, "head.dropout"),
]


@pytest.mark.parametrize("path, value, name", BAD_VALUES)
def test_bad_value_names_field_and_value(path: tuple, value: object, name: str) -> None:
    with pytest.raises(ValueError) as e:
        NetSpec.from_dict(_set(path, value))
    msg = str(e.value)
    assert msg.startswith(f"{name}={value!r}:"), msg
    assert "\n" not in msg


def test_unknown_kinds_list_close_matches() -> None:
    with pytest.raises(ValueError, match=r"did you mean: res_bottleneck"):
        NetSpec.from_dict(_set(("stages", 0, "block"), "res_bottlenek"))
    with pytest.raises(ValueError, match=r"did you mean: cifar"):
        NetSpec.from_dict(_set(("stem", "kind"), "cifra"))
    with pytest.raises(ValueError, match=r"did you mean: linear"):
        NetSpec.from_dict(_set(("head", "kind"), "linaer"))


@pytest.mark.parametrize(
    "path, where",
    [((), "spec"), (("stem",), "stem"), (("stages", 1), "stages[1]"), (("head",), "head")],
)
def test_unknown_key_is_rejected(path: tuple, where: str) -> None:
    d = _good()
    target = d
    for key in path:
        target = target[key]
    target["colour"] = "blue"
    with pytest.raises(ValueError) as e:
        NetSpec.from_dict(d)
    assert str(e.value).startswith(f"{where}: unknown key 'colour'"), e.value


@pytest.mark.parametrize(
    "mutate, where",
    [
        (lambda d: d.pop("stem"), "missing key 'stem'"),
        (lambda d: d.pop("stages"), "missing key 'stages'"),
        (lambda d: d["stages"][0].pop("depth"), "stages[0]"),
        (lambda d: d.update(stem="cifar"), "stem="),
        (lambda d: d.update(stages={"block": "vgg"}), "stages="),
        (lambda d: d.update(stages=[]), "stages="),
        (lambda d: d["stages"].__setitem__(0, [1, 2]), "stages[0]="),
        (lambda d: d.update(head=None), "head=None"),
    ],
)
def test_wrong_structure(mutate, where: str) -> None:
    d = _good()
    mutate(d)
    with pytest.raises(ValueError) as e:
        NetSpec.from_dict(d)
    assert where in str(e.value)


@pytest.mark.parametrize("data", [[], "spec", None, 3])
def test_spec_must_be_an_object(data: object) -> None:
    with pytest.raises(ValueError, match="spec="):
        NetSpec.from_dict(data)


def test_invalid_json_text() -> None:
    with pytest.raises(ValueError, match="not valid JSON"):
        NetSpec.from_json("{stem: 1")


@pytest.mark.parametrize(
    "make",
    [
        lambda: NetSpec("simple", (StageSpec("vgg", 1, 8),)),
        lambda: NetSpec(StemSpec(), 5),
        lambda: NetSpec(StemSpec(), None),
        lambda: NetSpec(StemSpec(), ({"block": "vgg"},)),
        lambda: NetSpec(StemSpec(), (StageSpec("vgg", 1, 8),), head="linear"),
        lambda: StageSpec("vgg", 1, 8, stride=1.0),
        lambda: StemSpec(kind=None),
    ],
)
def test_wrong_types_in_constructors(make) -> None:
    with pytest.raises(ValueError):
        make()
