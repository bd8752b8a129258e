"""Stratified, seeded subsets: each class keeps its share of the images."""

from __future__ import annotations

import torch

from designspace.ui import checks


def stratified_indices(
    labels: torch.Tensor, n: int, num_classes: int, generator: torch.Generator, *, what: str = "subset"
) -> torch.Tensor:
    """Sorted indices of ``n`` items whose class counts are proportional to those of ``labels``.

    Each class gets ``floor(n * share)`` items; the remainder goes to the classes with the largest
    fractional parts (ties: lower class index). Which items of a class are taken is drawn from
    ``generator``, so a seed fixes the subset.
    """
    total = int(labels.numel())
    checks.integer(what, n, low=1)
    if n > total:
        raise ValueError(f"{what}={n}: larger than the split ({total} images)")
    if n == total:
        return torch.arange(total)
    counts = torch.bincount(labels, minlength=num_classes).tolist()
    exact = [n * c / total for c in counts]
    take = [int(e) for e in exact]
    order = sorted(range(num_classes), key=lambda k: (-(exact[k] - take[k]), k))
    for k in order[: n - sum(take)]:
        take[k] += 1
    picked = []
    for k, t in enumerate(take):
        if t:
            members = (labels == k).nonzero().flatten()
            picked.append(members[torch.randperm(members.numel(), generator=generator)[:t]])
    return torch.cat(picked).sort().values
