"""Gradient-boosted trees for the abstention model and the answer ranking.

A logistic model weighs each signal once (and, in its "pairs" form, each product of two); what
makes a question answerable is often a combination it cannot draw — a strong passage vector
with a weak word match means one thing when a name is missing and another when it is not.
Boosted trees draw such combinations from the data. Out of fold (whole rounds of question
writing held out), on the 3,684 tuning questions of the fifteenth session, against the logistic
model with products at its best weight: accuracy 0.919 → 0.929, answers when it should 0.966 →
0.963, abstains when it should 0.785 → 0.833 (README, "Measured quality").

The trees are fitted by scikit-learn's ``HistGradientBoostingClassifier`` at ``calibrate``
time (scikit-learn comes with sentence-transformers) and kept in calibration.json as plain
numbers; answering a question walks them here, without importing scikit-learn.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# Fixed, not searched per fit: chosen among four settings by out-of-fold accuracy (all four
# within 0.004 of each other); few, shallow trees with a floor on each leaf's questions.
TREE_SETTINGS = {
    "learning_rate": 0.1,
    "max_iter": 100,
    "max_leaf_nodes": 15,
    "min_samples_leaf": 30,
    "l2_regularization": 1.0,
    "early_stopping": False,
}
# For the answer ranking (one row per candidate unit, 116,000 of them: more data, so larger
# trees): out-of-fold unit@1 on the seventeenth session's groups (3,868 questions) rises with
# the leaves — 15 leaves 100 rounds 0.842, 31 leaves 200 rounds at 0.05 0.863, 63 0.878, 127
# 0.886; 63 keeps most of the gain in half the file (1.1 MB of calibration.json).
RANKING_TREE_SETTINGS = {**TREE_SETTINGS, "learning_rate": 0.05, "max_iter": 200, "max_leaf_nodes": 63}
# Signals that can only speak against answering: more of them never raises the probability
# (a missing kind of answer, a name the documents never use, a passage dated to another month).
DECREASING = frozenset({"kind_missing", "unknown_names", "date_conflict"})

Node = tuple[int, float, int, int, float]  # (signal index, or -1 for a leaf; threshold; left; right; leaf value)


class TreesError(ValueError):
    """Trees on disk that cannot be read."""


@dataclass(frozen=True)
class Trees:
    """p(answerable), or for the ranking p(the unit holds the answer) = sigmoid(baseline + the
    leaf each tree puts the signals in); a node sends a row left when its signal is at most the
    node's threshold."""

    names: tuple[str, ...]
    baseline: float
    trees: tuple[tuple[Node, ...], ...]

    def raw(self, features: dict[str, float]) -> float:
        """The log-odds of answerable.

        >>> Trees(("dense",), 0.5, (((0, 0.4, 1, 2, 0.0), (-1, 0.0, 0, 0, -1.0), (-1, 0.0, 0, 0, 1.0)),)).raw({"dense": 0.7})
        1.5
        """
        x = [float(features[name]) for name in self.names]
        total = self.baseline
        for nodes in self.trees:
            node = nodes[0]
            while node[0] >= 0:
                node = nodes[node[2] if x[node[0]] <= node[1] else node[3]]
            total += node[4]
        return total

    def probability(self, features: dict[str, float]) -> float:
        z = self.raw(features)
        return 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))

    def to_json(self) -> dict:
        return {
            "baseline": self.baseline,
            # whole floats: a threshold can equal a question's signal exactly (the bins' edges
            # are quantiles of the data), and a rounded one would send it the other way
            "trees": [[list(node) for node in nodes] for nodes in self.trees],
        }

    @classmethod
    def from_json(cls, raw: dict, names: list[str], where: str) -> Trees:
        """Trees over the signals ``names`` (the file's "features"), checked node by node —
        column by column, so that the ranking's 25,000 nodes load in milliseconds."""
        try:
            baseline = _number(raw["baseline"])
            trees = tuple(_tree(nodes) for nodes in raw["trees"])
        except (KeyError, TypeError, ValueError) as exc:
            raise TreesError(f"{where}: its trees cannot be read ({exc})") from None
        if not trees or not all(trees):
            raise TreesError(f"{where}: no trees, or a tree without nodes")
        for nodes in trees:
            signal, _, left, right, _ = (np.array(column) for column in zip(*nodes, strict=True))
            place, size = np.arange(len(nodes)), len(nodes)
            # a node's children come after it (no walk can loop), inside its tree
            inside = (place < left) & (left < size) & (place < right) & (right < size)
            if ((signal < -1) | (signal >= len(names)) | ((signal >= 0) & ~inside)).any():
                raise TreesError(f"{where}: a tree node points outside its tree or its signals")
        return cls(tuple(names), baseline, trees)


def _tree(nodes) -> tuple[Node, ...]:
    """One tree's nodes as read from JSON: five numbers each, the signal and children whole."""
    if not isinstance(nodes, list) or not all(type(node) is list and len(node) == 5 for node in nodes):
        raise ValueError("a tree is not a list of nodes of five numbers")
    if not nodes:
        return ()
    signal, threshold, left, right, value = zip(*nodes, strict=True)
    for column in (signal, left, right):
        if set(map(type, column)) != {int}:
            raise ValueError(f"{next(v for v in column if type(v) is not int)!r} is not a whole number")
    for column in (threshold, value):
        if not set(map(type, column)) <= {int, float} or not all(map(math.isfinite, column)):
            raise ValueError(f"{next(v for v in column if _not_finite(v))!r} is not a finite number")
    return tuple(zip(signal, map(float, threshold), left, right, map(float, value), strict=True))


def _not_finite(value) -> bool:
    return type(value) not in (int, float) or not math.isfinite(value)


def _number(value) -> float:
    if _not_finite(value):
        raise ValueError(f"{value!r} is not a finite number")
    return float(value)


def fit_trees(
    rows: list[dict[str, float]], labels: list[int], names, abstain_weight: float = 1.0, settings: dict | None = None
) -> Trees:
    """Boosted trees on the signals ``names`` of ``rows`` (a row labelled 0 counts
    ``abstain_weight`` times), read out of scikit-learn's model and checked to give its
    log-odds on every row (on 5,000 spread over them when there are more). ``settings``: the
    model's (default TREE_SETTINGS)."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    names = tuple(names)
    x = np.array([[float(row[name]) for name in names] for row in rows])
    y = np.asarray(labels)
    model = HistGradientBoostingClassifier(
        **(settings or TREE_SETTINGS), monotonic_cst=[-1 if name in DECREASING else 0 for name in names], random_state=0
    )
    model.fit(x, y, sample_weight=np.where(y == 0, abstain_weight, 1.0))
    trees = tuple(_nodes(predictor.nodes) for (predictor,) in model._predictors)
    fitted = Trees(names, float(np.ravel(model._baseline_prediction)[0]), trees)
    checked = range(0, len(rows), max(1, len(rows) // 5000))  # every row, or 5,000 spread over many
    ours = np.array([fitted.raw(rows[i]) for i in checked])
    if not np.allclose(ours, model.decision_function(x[list(checked)]), atol=1e-6):
        raise RuntimeError("the trees read out of scikit-learn do not give its predictions: has its model changed?")
    return fitted


def _nodes(records) -> tuple[Node, ...]:
    return tuple(
        (-1, 0.0, 0, 0, float(r["value"]))
        if r["is_leaf"]
        else (int(r["feature_idx"]), float(r["num_threshold"]), int(r["left"]), int(r["right"]), 0.0)
        for r in records
    )
