"""The fast seeded population sampler: vectorized draws, regime rejection, exact narrowing.

``sample(space, n, seed, resolution, flops, params)``:

1. ``regime`` is validated; with a regime the space may return an exact *narrowing*
   (:mod:`designspace.spaces.bounds`): parameter values that provably cannot meet the regime
   are removed from the draw. The draw is then the space's distribution conditioned on the
   remaining values, and since every excluded value lies outside the regime, the accepted
   specs have exactly the distribution of plain rejection sampling from the whole space.
2. Draws come in batches of ``space.batch_size`` from one ``numpy.random.Generator(PCG64(seed))``
   through :class:`~designspace.spaces.trials.BatchTrial` (the space's own ``draw``), are
   canonicalized, their complexity is computed (vectorized where the space can), and the
   ones inside the regime that satisfy the space's own constraint (``space.valid``, e.g.
   RegNet's four stages) are kept in draw order until ``n`` are accepted.
3. Records are built for the accepted draws only.

Same space, seed, resolution, regime and ``n`` give the identical records on any machine;
a shorter run is a prefix of a longer one. ``draws`` counts the draws up to the ``n``-th
acceptance. ``max_draws`` draws in a row without an acceptance -> ``ValueError`` (an impossible
regime when nothing was accepted, else one too narrow to fill): a rare but possible regime (sorted
spaces in a small regime accept ~1 draw in 20,000) always finishes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from designspace.models.network import network_complexity
from designspace.regime import Regime
from designspace.spaces.records import Narrowing, SampleResult, check_resolution, effective_values
from designspace.spaces.trials import BatchTrial
from designspace.ui import checks
from designspace.ui.numbers import si

if TYPE_CHECKING:  # pragma: no cover
    from designspace.spaces.base import DesignSpace

__all__ = ["sample", "MAX_DRAWS"]

#: default bound on the draws in a row without an acceptance
MAX_DRAWS = 2_000_000


def _check_int(name: str, value: Any, minimum: int) -> int:
    """``checks.integer`` that also takes numpy integers (a seed or count read from an array)."""
    return checks.integer(name, int(value) if isinstance(value, np.integer) else value, low=minimum)


def _py(x: Any) -> Any:
    return x.item() if isinstance(x, np.generic) else x


def sample(
    space: DesignSpace,
    n: int,
    *,
    seed: int = 0,
    resolution: int = 32,
    flops: Any = None,
    params: Any = None,
    narrow: bool = True,
    max_draws: int = MAX_DRAWS,
    progress: bool | None = False,
) -> SampleResult:
    """``n`` records ``{space, seed, index, resolution, <params>, <effective values>, flops, params, acts, spec}``.

    The effective values are the network's X-stage widths, bottleneck widths, group widths and
    groups after the compatibility rule (:func:`~designspace.spaces.records.effective_values`).
    """
    n = _check_int("n", n, 0)
    seed = _check_int("seed", seed, 0)
    max_draws = _check_int("max_draws", max_draws, 1)
    resolution = check_resolution(resolution)
    regime = Regime.make(flops, params)
    narrowing = space.narrow(resolution, regime) if (regime and narrow and n) else Narrowing()
    names = space.param_names(resolution)
    rng = np.random.Generator(np.random.PCG64(seed))
    records: list[dict[str, Any]] = []
    draws = 0
    last_accept = 0  # draws up to and including the latest acceptance

    bar = None
    if progress is not False and n:
        from tqdm import tqdm

        bar = tqdm(total=n, desc=f"sample {space.name}", unit="spec", disable=None if progress is None else False)

    def record(values: dict[str, Any], cx: dict[str, int]) -> None:
        spec = space.build(values, resolution)
        rec: dict[str, Any] = {"space": space.name, "seed": seed, "index": len(records), "resolution": resolution}
        rec.update((k, values[k]) for k in names)
        rec.update(effective_values(spec))
        rec.update(flops=int(cx["flops"]), params=int(cx["params"]), acts=int(cx["acts"]), spec=spec.to_dict())
        records.append(rec)
        if bar is not None:
            bar.update(1)

    try:
        while len(records) < n:
            if draws - last_accept >= max_draws:
                _give_up(space, resolution, regime, n, len(records), draws, last_accept)
            batch = space.batch_size
            raw = space.draw(BatchTrial(rng, batch, narrowing.restrict), resolution)
            cols = space.canonical({k: np.asarray(v) for k, v in raw.items()})
            valid = space.valid(cols, resolution)
            cx = space.batch_complexity(cols, resolution)
            if cx is not None:
                ok = regime.mask(cx) if regime else np.ones(batch, dtype=bool)
                ok = ok if valid is None else ok & valid
                idx = np.flatnonzero(ok)[: n - len(records)]
                for j in idx:
                    record({k: _py(cols[k][j]) for k in names}, {m: cx[m][j] for m in ("flops", "params", "acts")})
                if len(idx):
                    last_accept = draws + int(idx[-1]) + 1
                draws += int(idx[-1]) + 1 if len(records) == n else batch
                continue
            for j in range(batch):  # per-spec complexity, only as far as needed
                draws += 1
                if valid is not None and not valid[j]:
                    continue
                values = {k: _py(cols[k][j]) for k in names}
                c = network_complexity(space.build(values, resolution), resolution)
                if regime.accepts(c):
                    last_accept = draws
                    record(values, c)
                    if len(records) == n:
                        break
    finally:
        if bar is not None:
            bar.close()
    return SampleResult(space.name, seed, resolution, regime, records, draws, narrowing)


def _give_up(space: DesignSpace, resolution: int, regime: Regime, n: int, got: int, draws: int, last: int) -> None:
    where = f"{space.name} at {resolution} px"
    if got == 0:
        raise ValueError(
            f"impossible regime: no draw of {where} had {regime.describe()} in {draws:,} draws (widen the regime)"
        )
    raise ValueError(
        f"regime too narrow: only {got} of {n} specs of {where} had {regime.describe()} in {draws:,} draws"
        f" (acceptance {si(100 * got / draws)}%, none in the last {draws - last:,});"
        " widen it or raise max_draws"
    )
