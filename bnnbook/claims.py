"""The decisions the book's prose rests on, each one tested function of the stored results.

A sentence such as "BBB is ahead at 90 % removed" compares test accuracies measured on the same
:math:`n` test images.  An accuracy :math:`p` carries the test set's standard error
:math:`\\sqrt{p(1-p)/n}` (:func:`standard_error`): another draw of :math:`n` images from the
same distribution would move it by about that much.  The rule of the book (:func:`compare`): a
difference within :data:`NOISE_SE` standard errors gets no verdict — neither "ahead" nor
"behind", neither "reached" nor "missed" — only "within noise".

The other functions read the stored full results (``results/paper``) and return what the
chapters *Evaluation* and *Conclusions* say about them: the sign of BBB against the "SGD" net
(Adam + dropout 0.01) under both rankings of the biases, what fine-tuning recovers, how the best
rows of the prunability search compare with Blundell et al.'s Table 2, how large that search
was, and which of two models fits in fewer epochs.  ``tests/test_claims.py`` pins each answer on
the stored results, so a prose sentence and the function it rests on cannot drift apart.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence

import pandas as pd

from bnntut import collect
from bnntut.methods import get as get_method
from bnntut.presets import BLUNDELL_TABLE2_ERROR, Preset
from bnntut.prune import criterion_for

from . import comparison
from .report import epochs_to_reach, frame, number, percent

# The noise rule is :mod:`bnnbook.stats`'; the claims rest on it and name it as their own.
from .stats import AHEAD as AHEAD
from .stats import BEHIND as BEHIND
from .stats import NOISE_SE as NOISE_SE
from .stats import TEST_IMAGES as TEST_IMAGES
from .stats import WITHIN_NOISE as WITHIN_NOISE
from .stats import compare as compare
from .stats import compare_over_seeds
from .stats import n_test_images as n_test_images
from .stats import standard_error as standard_error
from .style import DATASET_LABELS

#: The two rankings of the criteria results (``bnntut.criteria.BIAS_MODES``): the study's,
#: biases ranked and removed together with the weights, and weights only, every bias kept.
BIAS_MODES = ("with_bias", "weights_only")


def basis(seeds: Sequence[int]) -> str:
    """How a number was obtained, for the prose: ``"seed 0"`` or ``"mean of 3 seeds"``."""
    seeds = sorted(seeds)
    if not seeds:
        raise ValueError("no seed: nothing was measured")
    return f"seed {seeds[0]}" if len(seeds) == 1 else f"mean of {len(seeds)} seeds"


def _mean(values) -> float:
    return statistics.fmean(values)


# ----------------------------------------------------------------- the ranking of biases


def criteria_by_seed(preset: Preset | str, dataset: str, method: str,
                     seeds: Sequence[int] = comparison.SEEDS, results=None,
                     compute: bool = False) -> dict[int, dict]:
    """The criteria results (``bnntut.criteria``) of one model, by seed: without ``compute``
    only the stored, current ones (other seeds are left out); with it, the first of ``seeds``
    is computed when missing (quick mode), the others still only loaded."""
    def load(some: Sequence[int], compute_them: bool) -> dict[int, dict]:
        return collect.grid(preset, [dataset], [method], some, kind="criteria",
                            compute=compute_them, results=results)[dataset][method]

    seeds = list(seeds)
    return {**load(seeds[:1], compute), **load(seeds[1:], False)}


def _criteria_accuracy(result: dict, mode: str, amount: float) -> float:
    criterion = criterion_for(result["config"]["training"]["model"])
    sweep = result["sweeps"][mode][criterion]
    return sweep["accuracy"][sweep["amounts"].index(amount)]


def ranking_comparison(preset: Preset | str, dataset: str, amount: float, first: str = "bbb",
                       second: str = "sgd", seeds: Sequence[int] = comparison.SEEDS,
                       results=None, compute: bool = False) -> dict | None:
    """``first`` against ``second`` after removing ``amount``, each by its family's criterion
    (SNR for BBB, global L1 otherwise; posterior mean), under both rankings of the biases.

    Reads the criteria results of the seeds stored for both models (``None`` when there is
    none; ``compute`` computes the first seed's when missing, see :func:`criteria_by_seed`).
    The verdict is :func:`bnnbook.stats.compare_over_seeds`: beyond two test-set standard
    errors and, with more than one seed, two standard errors of the difference over seeds.

    Returns
    -------
    dict or None
        ``seeds`` (sorted list), ``basis`` (:func:`basis`), ``n`` (test images) and per mode
        of :data:`BIAS_MODES` a dict with ``first`` and ``second`` (accuracies, means over the
        seeds), ``difference``, ``margin`` (the test set's), ``seed_margin`` (``None`` for
        one seed) and ``verdict``.
    """
    a = criteria_by_seed(preset, dataset, first, seeds, results, compute)
    b = criteria_by_seed(preset, dataset, second, seeds, results, compute)
    common = sorted(set(a) & set(b))
    if not common:
        return None
    n = n_test_images(a[common[0]])
    out: dict = {"seeds": common, "basis": basis(common), "n": n}
    for mode in BIAS_MODES:
        ours = [_criteria_accuracy(a[s], mode, amount) for s in common]
        theirs = [_criteria_accuracy(b[s], mode, amount) for s in common]
        found = compare_over_seeds(ours, theirs, n, n)
        out[mode] = {"first": _mean(ours), "second": _mean(theirs),
                     "difference": found["difference"], "margin": found["test_margin"],
                     "seed_margin": found["seed_margin"], "verdict": found["verdict"]}
    return out


def ranking_table(preset: Preset | str, datasets: Sequence[str],
                  amounts: Sequence[float] = (0.75, 0.9, 0.95), first: str = "bbb",
                  second: str = "sgd") -> pd.DataFrame:
    """:func:`ranking_comparison` at each of ``amounts`` on each dataset, as a table.

    Returns
    -------
    pandas.DataFrame
        Index ``(data set, removed)``; per ranking of :data:`BIAS_MODES` the two means
        (``"BBB"``, ``'"SGD"'``) and the verdict for ``first``; a ``seeds`` column.  Rows
        with no stored criteria result are left out.
    """
    names = {"with_bias": "biases ranked too", "weights_only": "weights only"}
    body = {}
    for dataset in datasets:
        for amount in amounts:
            found = ranking_comparison(preset, dataset, amount, first, second)
            if found is None:
                continue
            cells = {("", "seeds"): ", ".join(map(str, found["seeds"]))}
            for mode in BIAS_MODES:
                r = found[mode]
                cells[(names[mode], "BBB")] = number(r["first"])
                cells[(names[mode], '"SGD"')] = number(r["second"])
                cells[(names[mode], "BBB is")] = r["verdict"]
            body[(DATASET_LABELS.get(dataset, dataset), percent(amount))] = cells
    return frame(body, ["data set", "removed"])


def ranking_decides(ranking: Mapping) -> bool:
    """Whether the verdict of a :func:`ranking_comparison` changes with the ranking of the
    biases (ranked with the weights, or weights only)."""
    return len({ranking[mode]["verdict"] for mode in BIAS_MODES}) > 1


def biases_removed(model, amount: float) -> float:
    """Share of a deterministic net's biases that global L1 pruning of ``amount`` removes when
    the biases are ranked together with the weights (the study's protocol)."""
    from bnntut import prune

    pruned = prune.l1(model, amount)
    biases = [linear.bias for linear in pruned.linears]
    return sum(int((b == 0).sum()) for b in biases) / sum(b.numel() for b in biases)


# --------------------------------------------------------------------------- fine-tuning


def finetune_recovery(result: dict, amount: float, unpruned: float) -> dict:
    """What retraining the survivors recovered at one pruned fraction.

    Parameters
    ----------
    result : dict
        A stored fine-tuning result (``bnntut.finetune``), ``by_amount`` levels with
        ``before`` and ``after`` accuracies (posterior mean for BBB).
    amount : float
        The pruned fraction.
    unpruned : float
        The model's accuracy before pruning.

    Returns
    -------
    dict
        ``before``, ``after``, ``recovered`` (the share of the accuracy pruning lost that
        retraining won back, ``(after − before) / (unpruned − before)``) and ``most``
        (``recovered > 0.5``).
    """
    level = next(lv for lv in result["by_amount"] if lv["amount"] == amount)
    before, after = level["before"]["accuracy"], level["after"]["accuracy"]
    lost = unpruned - before
    recovered = (after - before) / lost if lost > 0 else 1.0
    return {"before": before, "after": after, "recovered": recovered, "most": recovered > 0.5}


# ------------------------------------------------------------------- the prunability search


def search_sizes(summaries: Mapping[str, dict]) -> dict[str, int]:
    """How many settings of each kind a prunability search tried (rows with a stored seed):
    ``bayesian``, ``deterministic`` and, among the latter, ``sgd`` (the "SGD" net's)."""
    kinds = {m: get_method(m).bayesian for m in summaries}
    return {"bayesian": sum(kinds.values()),
            "deterministic": sum(not b for b in kinds.values()),
            "sgd": sum(not b and m.startswith("sgd") for m, b in kinds.items())}


def table2_comparison(summary: dict, amounts: Sequence[float] = (0.95, 0.98),
                      n: int = TEST_IMAGES) -> dict[float, dict]:
    """A prunability row's SNR accuracy against Blundell et al.'s Table 2 (their 2 × 1200
    network, 600 epochs) at each of ``amounts``.

    Returns
    -------
    dict
        ``{amount: {"error": ours in %, "table2": theirs in %, **compare}}``, our accuracy
        compared with Table 2's as a fixed reference.
    """
    out = {}
    for amount in amounts:
        accuracy = summary["snr"][amount]
        theirs = 1 - BLUNDELL_TABLE2_ERROR[amount] / 100
        out[amount] = {"error": 100 * (1 - accuracy), "table2": BLUNDELL_TABLE2_ERROR[amount],
                       **compare(accuracy, theirs, n, None)}
    return out


# ------------------------------------------------------------------------ fitting speed


def epochs_relation(first: Sequence[float], second: Sequence[float]) -> str:
    """How ``first``'s epochs to fit (one per seed) relate to ``second``'s: ``"fewer"`` when
    every seed of ``first`` needs fewer than every seed of ``second``, ``"more"`` in the
    opposite case, else ``"overlap"``."""
    if not first or not second:
        raise ValueError("need at least one seed of each model")
    if max(first) < min(second):
        return "fewer"
    if min(first) > max(second):
        return "more"
    return "overlap"


def epochs_to_fit(result: dict, within: float = 0.005) -> int:
    """First epoch at which a training result's test accuracy comes within ``within`` (a
    fraction; 0.005 is half a percentage point) of its final value."""
    final = result["history"][-1]["test_accuracy"]
    return epochs_to_reach(result, "test_accuracy", final - within, below=False)
