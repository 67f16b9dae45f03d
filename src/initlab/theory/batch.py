"""Mean-field predictions for every layer of a network on a finite input batch.

:func:`predict_layers` carries a batch (:class:`BatchSummary`: the spread of its inputs' lengths
and cosines) through the mean-field length and correlation maps layer by layer, and predicts every
statistic of :data:`initlab.theory.statistics.STATISTICS` plus the gradient scale, for
``initlab histograms`` and the coordinate check. Also available from
:mod:`initlab.theory.meanfield`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from initlab.activations import Activation
from initlab.theory.gaussian import Kernel, kernel
from initlab.theory.statistics import Expected, predict_all

Array = NDArray[np.float64]

_GH2 = (-1.0, 1.0)  # 2-point Gauss-Hermite: exact for cubics in the batch's fluctuations
# Vertices of a tetrahedron, weights 1/4: exact for quadratics in three independent N(0, 1)
# fluctuations (q_a, q_b, c); with q_a <-> q_b symmetry only 3 of the 4 need a 2-D integral.
_TETRA = ((1.0, 1.0, 1.0), (1.0, -1.0, -1.0), (-1.0, 1.0, -1.0), (-1.0, -1.0, 1.0))


@dataclass(frozen=True)
class BatchSummary:
    """What the predictions need from an input batch ``X`` of shape (n_0, m).

    ``q`` is each input's squared length over ``n_0`` (its first-layer variance before ``sigma_w2``);
    ``c`` is the cosine between two inputs. Their means and standard deviations over the batch carry
    the finite-batch effects to second order.
    """

    m: int
    q_mean: float
    q_std: float
    c_mean: float
    c_std: float

    @classmethod
    def from_inputs(cls, X: Array, max_pairs_from: int = 512) -> BatchSummary:
        """Summarise ``X`` (cosines from at most ``max_pairs_from`` columns, for speed)."""
        X = np.asarray(X, dtype=np.float64)
        q = np.einsum("ij,ij->j", X, X) / X.shape[0]
        cols = X[:, :max_pairs_from]
        norms = np.sqrt(np.einsum("ij,ij->j", cols, cols))
        unit = cols / np.where(norms > 0, norms, 1.0)
        gram = unit.T @ unit
        c = gram[np.triu_indices(gram.shape[0], 1)] if gram.shape[0] > 1 else np.ones(1)
        return cls(X.shape[1], float(q.mean()), float(q.std()), float(c.mean()), float(c.std()))

    @classmethod
    def mean_of(cls, summaries: list[BatchSummary]) -> BatchSummary:
        """Average several batches' summaries (for predictions over repeats)."""
        vals = np.mean([[s.q_mean, s.q_std, s.c_mean, s.c_std] for s in summaries], axis=0)
        return cls(summaries[0].m, *(float(v) for v in vals))

    def diagonal(self) -> list[tuple[float, float]]:
        """``(weight, q)`` representatives of the inputs' lengths."""
        return [(0.5, self.q_mean + t * self.q_std) for t in _GH2]

    def pairs(self) -> list[tuple[float, float, float, float]]:
        """``(weight, q_a, q_b, d_ab)`` representatives of input pairs; ``d`` is ``|x_a - x_b|^2 / n_0``."""
        out: dict[tuple[float, float, float], float] = {}
        for ta, tb, tc in _TETRA:
            qa, qb = self.q_mean + ta * self.q_std, self.q_mean + tb * self.q_std
            c = min(1.0, max(-1.0, self.c_mean + tc * self.c_std))
            key = (min(qa, qb), max(qa, qb), qa + qb - 2.0 * math.sqrt(qa * qb) * c)
            out[key] = out.get(key, 0.0) + 0.25
        return [(w, *key) for key, w in out.items()]


def _omc(qa: float, qb: float, d: float) -> float:
    """``1 - c`` from the squared distance, free of cancellation."""
    if qa <= 0.0 or qb <= 0.0:
        return 1.0
    ra, rb = math.sqrt(qa), math.sqrt(qb)  # sqrt(qa * qb) would underflow to 0 for tiny q
    delta2 = (ra - rb) ** 2
    denom = 2.0 * ra * rb
    if denom == 0.0:
        return 1.0
    return min(2.0, max(0.0, (d - delta2) / denom))


def _stats(k: Kernel, diag: list[tuple[float, float]], pairs: list[Any], m: int, n: int,
           pre: bool) -> dict[str, float | int | None]:
    """Every statistic of :data:`~initlab.theory.statistics.STATISTICS`, predicted for a layer."""
    w = np.array([d[0] for d in diag])
    q = np.array([d[1] for d in diag])
    if pre:
        mean, second = 0.0, float(w @ q)
        half_d = sum(p[0] * p[3] for p in pairs) / 2.0
    else:
        mean, second = float(w @ k.mean(q)), float(w @ k.second(q))
        half_d = sum(p[0] * k.dist(p[1], p[2], _omc(p[1], p[2], p[3])) for p in pairs) / 2.0
    var = max(second - mean * mean, 0.0)
    sample_var = (1.0 - 1.0 / m) * half_d if pairs else None
    sat = None if pre else k.saturated_share(q)
    zero = float(w @ k.zero_share(q)) if not pre else float(np.all(q == 0))
    return predict_all(Expected(mean, var, sample_var, None if sat is None else float(w @ sat),
                                zero, bool(np.all(q == 0)), n))


def predict_layers(
    activation: str | Activation,
    sigma_w2: list[float],
    sigma_b2: list[float],
    widths: list[int],
    batch: BatchSummary,
    spreads: bool = True,
) -> list[dict[str, Any]]:
    """Mean-field predictions for every layer of a network on a finite batch.

    Parameters
    ----------
    sigma_w2, sigma_b2 : list of float, one per layer
        ``fan_in * Var(W_l)`` and ``Var(b_l)``.
    widths : list of int
        ``[n_0, n_1, ..., n_L]``.
    spreads : bool
        Also predict the across-sample and across-unit spreads (2-D integrals; slower).

    Returns
    -------
    list of dict, one per layer from the input side
        ``preactivation`` and ``activation`` statistics, and ``gradient`` with ``std`` (of
        ``dL/dA_l`` under the random linear readout, whose top-layer variance is 1) and
        ``variance_factor`` (``E[dA_{l-1}^2] / E[dA_l^2] = sigma_w2 n_l / n_{l-1} E[phi'(h_l)^2]``).
    """
    k = kernel(activation)
    diag = batch.diagonal()
    pairs = batch.pairs() if spreads else []
    out: list[dict[str, Any]] = []
    for l, (sw2, sb2) in enumerate(zip(sigma_w2, sigma_b2, strict=True), start=1):
        diag = [(w, sw2 * q + sb2) for w, q in diag]
        pairs = [(w, sw2 * qa + sb2, sw2 * qb + sb2, sw2 * d) for w, qa, qb, d in pairs]
        chi = float(np.dot([w for w, _ in diag], k.chi(np.array([q for _, q in diag]))))
        n_prev, n = widths[l - 1], widths[l]
        out.append({
            "layer": l,
            "preactivation": _stats(k, diag, pairs, batch.m, n, pre=True),
            "activation": _stats(k, diag, pairs, batch.m, n, pre=False),
            "gradient": {"variance_factor": sw2 * n / n_prev * chi},
            "q_reps": list(diag),
        })
        diag = [(w, float(k.second(q))) for w, q in diag]
        pairs = [(w, float(k.second(qa)), float(k.second(qb)), k.dist(qa, qb, _omc(qa, qb, d)))
                 for w, qa, qb, d in pairs]
    v = 1.0
    for rec in reversed(out):
        rec["gradient"]["std"] = math.sqrt(v)
        v *= rec["gradient"]["variance_factor"]
    return out
