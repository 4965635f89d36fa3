"""The book's statistics, in one place: intervals over seeds, the test set's standard error and
the noise rule, paired differences over seeds, and numbers read off stored histograms.

Intervals over seeds (:func:`interval`): with fewer than :data:`T_INTERVAL_MIN_N` seeds the
range (min–max) is shown, from that many on a 95 % Student-t interval of the mean.

An accuracy :math:`p` measured on :math:`n` test images carries the test set's standard error
:math:`\\sqrt{p(1-p)/n}` (:func:`standard_error`); the book's rule (:func:`compare`) gives a
difference within :data:`NOISE_SE` standard errors no verdict, only "within noise".
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence

from bnntut.data import SPLIT_SIZES

from .report import accuracy_at

# ------------------------------------------------------------------ intervals over seeds

#: From this many seeds on, :func:`interval` gives a 95 % t-interval instead of min–max.
T_INTERVAL_MIN_N = 5

#: Two-sided 95 % quantiles of Student's t by degrees of freedom (df > 30: normal, 1.96).
T_975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306,
         9: 2.262, 10: 2.228, 15: 2.131, 20: 2.086, 30: 2.042}


def t_quantile(df: int) -> float:
    """The two-sided 95 % quantile of Student's t with ``df`` degrees of freedom, from
    :data:`T_975` (the next smaller tabulated df between entries: conservative)."""
    if df < 1:
        raise ValueError(f"degrees of freedom must be >= 1, got {df}")
    if df > 30:
        return 1.96
    return T_975[max(k for k in T_975 if k <= df)]


def interval_kind(n: int) -> str:
    """What :func:`interval` gives for ``n`` values: ``single``, ``min-max`` or ``95% t``."""
    if n < 1:
        raise ValueError(f"need at least one value, got {n}")
    return "single" if n == 1 else "min-max" if n < T_INTERVAL_MIN_N else "95% t"


def interval(values: Sequence[float]) -> dict:
    """Mean of ``values`` and an interval around it.

    Returns
    -------
    dict
        ``mean``, ``low``, ``high``, ``n`` and ``kind``: ``"95% t"`` (mean ± t·s/√n) when
        ``n >= T_INTERVAL_MIN_N``, ``"min-max"`` when 2 <= n < that, ``"single"`` for one.

    Raises
    ------
    ValueError
        For no values.
    """
    values = [float(v) for v in values]
    if not values:
        raise ValueError("interval needs at least one value")
    n, mean = len(values), statistics.fmean(values)
    kind = interval_kind(n)
    if kind == "single":
        return {"mean": mean, "low": mean, "high": mean, "n": 1, "kind": kind}
    if kind == "min-max":
        return {"mean": mean, "low": min(values), "high": max(values), "n": n, "kind": kind}
    half = t_quantile(n - 1) * statistics.stdev(values) / math.sqrt(n)
    return {"mean": mean, "low": mean - half, "high": mean + half, "n": n, "kind": "95% t"}


def prediction_interval(values: Sequence[float]) -> dict:
    """Mean of ``values`` and the 95 % Student-t *prediction* interval for one more value,
    mean ± t·s·√(1 + 1/n), next to the confidence interval of the mean, mean ± t·s/√n.

    Returns
    -------
    dict
        ``mean``, ``n``, ``confidence`` and ``prediction`` (half-widths; their ratio is
        √(n + 1), 2 at n = 3).

    Raises
    ------
    ValueError
        For fewer than two values (no standard deviation).
    """
    values = [float(v) for v in values]
    if len(values) < 2:
        raise ValueError(f"need at least two values, got {len(values)}")
    n, s = len(values), statistics.stdev(values)
    t = t_quantile(n - 1)
    return {"mean": statistics.fmean(values), "n": n, "confidence": t * s / math.sqrt(n),
            "prediction": t * s * math.sqrt(1 + 1 / n)}


def seed_intervals(by_seed: Mapping[int, dict], amounts: Sequence[float],
                   ensemble: bool = False) -> dict[float, dict]:
    """Per pruned fraction, the :func:`interval` of the test accuracy over the seeds of one
    model (``{seed: training result}``; each by its family's criterion, ``ensemble`` picks
    BBB's Monte Carlo accuracy)."""
    return {a: interval([accuracy_at(r, a, ensemble=ensemble) for r in by_seed.values()])
            for a in amounts}


def difference_of_means(first: Sequence[float], second: Sequence[float]) -> dict:
    """``second`` − ``first`` over independent seeds: each side's mean and sample standard
    deviation, the difference of the means and its standard error
    :math:`\\sqrt{s_1^2/n_1 + s_2^2/n_2}`.

    Returns
    -------
    dict
        ``first_mean``, ``first_sd``, ``second_mean``, ``second_sd``, ``difference``, ``se``.

    Raises
    ------
    ValueError
        Fewer than two values on either side (no spread).
    """
    if len(first) < 2 or len(second) < 2:
        raise ValueError(f"need at least two values on each side, got {len(first)} and "
                         f"{len(second)}")
    mean = [statistics.fmean(v) for v in (first, second)]
    sd = [statistics.stdev(v) for v in (first, second)]
    se = math.sqrt(sd[0] ** 2 / len(first) + sd[1] ** 2 / len(second))
    return {"first_mean": mean[0], "first_sd": sd[0], "second_mean": mean[1],
            "second_sd": sd[1], "difference": mean[1] - mean[0], "se": se}


def paired_gaps(by_method: Mapping[str, Mapping[int, dict]], first: str, second: str,
                amount: float) -> dict[int, float]:
    """Per seed trained for both, accuracy of ``first`` minus ``second`` after removing
    ``amount`` (each by its own criterion; posterior mean for BBB)."""
    common = sorted(set(by_method.get(first, {})) & set(by_method.get(second, {})))
    return {s: accuracy_at(by_method[first][s], amount)
            - accuracy_at(by_method[second][s], amount) for s in common}


# ---------------------------------------------------------- the test set's standard error

#: Test images of the official MNIST and Fashion-MNIST test sets.
TEST_IMAGES = SPLIT_SIZES["t10k"]

#: A difference within this many standard errors gets no verdict (:func:`compare`).
NOISE_SE = 2.0

#: The verdicts of :func:`compare`.
AHEAD, BEHIND, WITHIN_NOISE = "ahead", "behind", "within noise"


def n_test_images(result: Mapping) -> int:
    """Number of test images a stored result was evaluated on: its preset's subset, else the
    whole official test set.  ``result`` is a training result or a result derived from one
    (criteria, fine-tuning), whose configuration holds the training's under ``training``."""
    config = result["config"]
    subset = config.get("training", config).get("subset")
    return int(subset[1]) if subset else TEST_IMAGES


def standard_error(accuracy: float, n: int = TEST_IMAGES) -> float:
    """The test set's standard error of an accuracy, :math:`\\sqrt{p(1-p)/n}`.

    Parameters
    ----------
    accuracy : float
        The measured accuracy :math:`p`, in [0, 1].
    n : int
        Number of test images it was measured on.

    Returns
    -------
    float
        The standard error, in units of accuracy.
    """
    if not 0.0 <= accuracy <= 1.0 or n < 1:
        raise ValueError(f"need an accuracy in [0, 1] and n >= 1, got {accuracy} and {n}")
    return math.sqrt(accuracy * (1.0 - accuracy) / n)


def compare(first: float, second: float, n_first: int = TEST_IMAGES,
            n_second: int | None = TEST_IMAGES) -> dict:
    """Whether ``first`` is ahead of ``second``, behind it, or within noise of it.

    Parameters
    ----------
    first, second : float
        Two test accuracies.
    n_first : int
        Test images behind ``first``.
    n_second : int or None
        Test images behind ``second``; ``None`` when ``second`` is a fixed reference (a
        published number, a target), which carries no standard error of ours.

    Returns
    -------
    dict
        ``difference`` (first − second), ``se`` (its standard error: the two test-set standard
        errors added in quadrature, treating the two as independent — conservative for two
        models scored on the same images), ``margin`` (:data:`NOISE_SE` × ``se``) and
        ``verdict``: :data:`AHEAD` or :data:`BEHIND` when ``|difference| > margin``, else
        :data:`WITHIN_NOISE`.
    """
    se = standard_error(first, n_first)
    if n_second is not None:
        se = math.hypot(se, standard_error(second, n_second))
    difference = first - second
    margin = NOISE_SE * se
    verdict = (WITHIN_NOISE if abs(difference) <= margin
               else AHEAD if difference > 0 else BEHIND)
    return {"difference": difference, "se": se, "margin": margin, "verdict": verdict}


def compare_over_seeds(first: Sequence[float], second: Sequence[float],
                       n_first: int = TEST_IMAGES, n_second: int = TEST_IMAGES) -> dict:
    """Whether the mean of ``first`` (one test accuracy per seed) is ahead of the mean of
    ``second``, behind it, or within noise, counting both sources of noise.

    The difference of the means must exceed :data:`NOISE_SE` test-set standard errors
    (:func:`compare` on the two means) *and* :data:`NOISE_SE` standard errors of the
    difference over seeds (:func:`difference_of_means`); a side with one seed has no spread,
    so its seeds decide nothing and the verdict rests on the test set alone.

    Parameters
    ----------
    first, second : sequence of float
        Test accuracies, one per seed; at least one each.
    n_first, n_second : int
        Test images behind each.

    Returns
    -------
    dict
        ``difference`` (mean of ``first`` − mean of ``second``), ``test_margin``,
        ``seed_margin`` (``None`` when a side has one seed) and ``verdict``
        (:data:`AHEAD`, :data:`BEHIND` or :data:`WITHIN_NOISE`).
    """
    if not first or not second:
        raise ValueError("need at least one accuracy on each side")
    means = statistics.fmean(first), statistics.fmean(second)
    test_margin = compare(*means, n_first, n_second)["margin"]
    seed_margin = None
    if len(first) > 1 and len(second) > 1:
        seed_margin = NOISE_SE * difference_of_means(second, first)["se"]
    difference = means[0] - means[1]
    beyond = abs(difference) > max(test_margin, seed_margin or 0.0)
    verdict = WITHIN_NOISE if not beyond else AHEAD if difference > 0 else BEHIND
    return {"difference": difference, "test_margin": test_margin,
            "seed_margin": seed_margin, "verdict": verdict}


# ------------------------------------------------------------------- stored histograms


def histogram_share(hist: Mapping, low: float = -math.inf, high: float = math.inf) -> float:
    """Share of a stored histogram's values in ``[low, high]``, each bin counted in proportion
    to its overlap with the interval (values spread evenly within a bin); the values below or
    above the histogram's range count only for an interval open on that side."""
    edges = [float(e) for e in hist["edges"]]
    inside = sum(count * max(0.0, min(hi, high) - max(lo, low)) / (hi - lo)
                 for count, lo, hi in zip(hist["counts"], edges[:-1], edges[1:]))
    inside += hist["below"] * (low == -math.inf) + hist["above"] * (high == math.inf)
    return inside / hist["n"]


def near_zero(result: Mapping, width: float = 0.006) -> float:
    """Share of a BBB result's μ with |μ| < ``width`` (the stored histogram's bins are 0.006
    wide, so the default is exact)."""
    return histogram_share(result["weights"]["mu"], -width, width)


def histogram_median(h: Mapping) -> float:
    """The median of a stored histogram (linear within its bin; under/overflow counted)."""
    target = h["n"] / 2
    running = h["below"]
    if running >= target:
        return h["edges"][0]
    for count, lo, hi in zip(h["counts"], h["edges"][:-1], h["edges"][1:]):
        if running + count >= target:
            return lo + (hi - lo) * (target - running) / count
        running += count
    return h["edges"][-1]
