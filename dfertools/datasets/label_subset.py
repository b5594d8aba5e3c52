"""A stratified fraction of a labeled list: the low-label regime.

Semi-supervised and self-supervised papers show what pretraining buys by
fine-tuning on a fraction of the labels. :func:`stratified_subset` keeps
``round(fraction * n_c)`` videos of every class ``c`` (at least one of a
class that has any), drawn with a seeded generator, in the list's order, so
the class balance of the full list is kept and the same fraction and seed
give the same videos on every machine and in every process.
"""
from typing import List, Sequence, TypeVar

import numpy as np

T = TypeVar('T')


def check_fraction(fraction: float) -> float:
    fraction = float(fraction)
    if not 0.0 < fraction <= 1.0:
        raise ValueError(
            f'label_fraction must be in (0, 1], got {fraction}')
    return fraction


def stratified_subset(items: Sequence[T], labels: Sequence[int],
                      fraction: float, seed: int = 0) -> List[T]:
    """The items of a stratified ``fraction`` of each label, in order."""
    fraction = check_fraction(fraction)
    if len(items) != len(labels):
        raise ValueError(f'{len(items)} items but {len(labels)} labels')
    if fraction == 1.0:
        return list(items)
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    keep = np.zeros(len(items), dtype=bool)
    for label in np.unique(labels):      # sorted: the draw order is fixed
        rows = np.flatnonzero(labels == label)
        count = max(1, int(round(fraction * len(rows))))
        keep[rng.permutation(rows)[:count]] = True
    return [item for item, k in zip(items, keep) if k]
