"""What retraining with the mask fixed recovers, over seeds (the literature's schedule).

A trained model is pruned at the preset's ``retrain["amounts"]`` and its survivors are
retrained, the mask fixed, for ``retrain["epochs"]`` at the training learning rate
(:mod:`bnntut.finetune`, schedule ``"literature"``, Han et al. 2015).  This module reads the
stored results (it never trains) and shows, per method and fraction removed, the test accuracy
after every epoch of retraining (epoch 0: the pruned net before retraining) as a mean over
seeds, what share of the accuracy pruning lost the retraining won back, and whether the
accuracy had stopped rising when the retraining ended.

Decisions follow the book's noise rule (:mod:`bnnbook.stats`):

* the accuracy has *stopped rising* (:func:`plateau`) when the mean curve gained no more than
  :data:`~bnnbook.stats.NOISE_SE` test-set standard errors of its final value over its last
  epochs;
* one method is *ahead* of another after retraining (:func:`compare_after`) only when the
  difference of the means clears both :data:`~bnnbook.stats.NOISE_SE` test-set standard errors
  and as many standard errors of the difference over seeds
  (:func:`bnnbook.stats.compare_over_seeds`); otherwise it is *within noise*.

The inputs are what :func:`bnntut.collect.grid` returns: ``{seed: result}`` per method (kind
``"retrain"`` for the retrained models, ``"training"`` for the unpruned ones).
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence

import pandas as pd

from bnntut.methods import get as get_method

from . import claims, stats
from .comparison import label
from .report import accuracy_at, frame, number, percent
from .style import DATASET_LABELS, DATASET_TAGS, REFERENCE_COLOR

#: Line styles of the fractions removed in :func:`figure`, smallest fraction first.
AMOUNT_STYLES = ("-", "--", ":", "-.")
#: Epochs over whose gain :func:`plateau` (and the table) decides whether accuracy stopped
#: rising.
LAST_EPOCHS = 5
#: What a table cell shows where there is nothing to decide (too few epochs).
NOT_DECIDED = "—"


def _seeds_text(seeds: Sequence[int]) -> str:
    return ", ".join(map(str, seeds))


def _amounts_text(amounts: Sequence[float]) -> str:
    return ", ".join(f"{a:g}" for a in amounts)


def curves(by_seed: Mapping[int, dict]) -> dict[float, dict]:
    """The test accuracy over the epochs of retraining, per fraction removed, over seeds.

    Parameters
    ----------
    by_seed : mapping
        ``{seed: retraining result}`` of one method on one dataset (:mod:`bnntut.finetune`);
        every seed pruned at the same amounts and retrained for the same number of epochs.

    Returns
    -------
    dict
        ``{amount: curve}`` in the results' order of amounts; each curve has ``epochs``
        (``[0, 1, …, E]``, length E + 1; 0 is the pruned net before retraining), ``mean``
        (length E + 1: the mean over seeds of the test accuracy — posterior mean for BBB —
        at ``before`` and then after each epoch) and ``per_seed`` (``{seed: list of length
        E + 1}``, seeds sorted).

    Raises
    ------
    ValueError
        For no seed, or seeds that disagree on the amounts or on the number of epochs.
    """
    if not by_seed:
        raise ValueError("no seed: curves need at least one retraining result")
    seeds = sorted(by_seed)
    amounts = {s: [lv["amount"] for lv in by_seed[s]["by_amount"]] for s in seeds}
    first = seeds[0]
    for s in seeds[1:]:
        if amounts[s] != amounts[first]:
            raise ValueError(f"seeds disagree on the amounts removed: seed {first} has "
                             f"{_amounts_text(amounts[first])}, seed {s} has "
                             f"{_amounts_text(amounts[s])}")
    out: dict[float, dict] = {}
    for i, amount in enumerate(amounts[first]):
        per_seed = {}
        for s in seeds:
            level = by_seed[s]["by_amount"][i]
            per_seed[s] = [level["before"]["accuracy"],
                           *(h["test_accuracy"] for h in level["history"])]
        lengths = {s: len(v) - 1 for s, v in per_seed.items()}
        if len(set(lengths.values())) > 1:
            raise ValueError(f"seeds disagree on the epochs of retraining at {percent(amount)} "
                             f"removed: " + ", ".join(f"seed {s} has {e}"
                                                      for s, e in lengths.items()))
        mean = [statistics.fmean(values) for values in zip(*per_seed.values())]
        out[amount] = {"epochs": list(range(len(mean))), "mean": mean, "per_seed": per_seed}
    return out


def _curve(by_seed: Mapping[int, dict], amount: float) -> dict:
    found = curves(by_seed)
    if amount not in found:
        raise ValueError(f"{amount} is not an amount these results removed; allowed: "
                         f"{_amounts_text(list(found))}")
    return found[amount]


def plateau(by_seed: Mapping[int, dict], amount: float, last: int = LAST_EPOCHS) -> dict:
    """Whether the mean test accuracy had stopped rising when retraining ended.

    Parameters
    ----------
    by_seed : mapping
        ``{seed: retraining result}`` of one method on one dataset.
    amount : float
        The fraction removed (one of the results' amounts).
    last : int
        Epochs at the end of the curve over which the gain is measured; the curve
        (:func:`curves`, epochs 0..E) needs at least ``last + 1`` points.

    Returns
    -------
    dict
        ``amount``, ``last``, ``final`` (the mean accuracy after the last epoch), ``gain``
        (``mean[-1] − mean[-1 − last]``), ``margin`` (:data:`~bnnbook.stats.NOISE_SE` test-set
        standard errors of ``final``, on the results' test images) and ``stopped``
        (``gain <= margin``).

    Raises
    ------
    ValueError
        For ``last < 1``, an amount the results did not remove, or too short a curve.
    """
    if last < 1:
        raise ValueError(f"last must be a number of epochs >= 1, got {last}")
    mean = _curve(by_seed, amount)["mean"]
    if len(mean) < last + 1:
        raise ValueError(f"the gain over the last {last} epochs needs at least {last + 1} "
                         f"points (epochs 0..{last}); the curve at {percent(amount)} removed "
                         f"has {len(mean)}")
    final = mean[-1]
    n = stats.n_test_images(by_seed[min(by_seed)])
    gain = final - mean[-1 - last]
    margin = stats.NOISE_SE * stats.standard_error(final, n)
    return {"amount": amount, "last": last, "final": final, "gain": gain, "margin": margin,
            "stopped": gain <= margin}


def summary(training: Mapping[int, dict], retrained: Mapping[int, dict], amount: float) -> dict:
    """One method's accuracy unpruned, pruned and retrained at ``amount``, over the seeds that
    have both a training and a retraining result.

    Parameters
    ----------
    training : mapping
        ``{seed: training result}`` (its unpruned test accuracy).
    retrained : mapping
        ``{seed: retraining result}`` of the same method and dataset.
    amount : float
        The fraction removed.

    Returns
    -------
    dict
        ``amount``, ``seeds`` (sorted, k of them), ``basis`` (``"seed 0"`` or ``"mean of k
        seeds"``), ``n`` (test images), the means over the seeds ``unpruned``, ``before``
        (pruned, before retraining) and ``after`` (retrained), ``values_after`` (k
        accuracies, in the order of ``seeds``), ``sd_after`` (their sample standard
        deviation, ``None`` for one seed) and ``recovered``: the mean over seeds of
        ``(after − before) / (unpruned − before)``, the share of what pruning lost that
        retraining won back (1.0 for a seed where pruning lost nothing;
        :func:`bnnbook.claims.finetune_recovery`).

    Raises
    ------
    ValueError
        When no seed has both results, or the results did not remove ``amount``.
    """
    seeds = sorted(set(training) & set(retrained))
    if not seeds:
        raise ValueError(f"no seed has both a training and a retraining result; training has "
                         f"seeds {_seeds_text(sorted(training)) or 'none'}, retraining has "
                         f"{_seeds_text(sorted(retrained)) or 'none'}")
    for s in seeds:
        removed = [lv["amount"] for lv in retrained[s]["by_amount"]]
        if amount not in removed:
            raise ValueError(f"{amount} is not an amount seed {s} removed; allowed: "
                             f"{_amounts_text(removed)}")
    found = [claims.finetune_recovery(retrained[s], amount, accuracy_at(training[s], 0.0))
             for s in seeds]
    after = [f["after"] for f in found]
    return {"amount": amount, "seeds": seeds, "basis": claims.basis(seeds),
            "n": stats.n_test_images(retrained[seeds[0]]),
            "unpruned": statistics.fmean(accuracy_at(training[s], 0.0) for s in seeds),
            "before": statistics.fmean(f["before"] for f in found),
            "after": statistics.fmean(after), "values_after": after,
            "sd_after": statistics.stdev(after) if len(after) > 1 else None,
            "recovered": statistics.fmean(f["recovered"] for f in found)}


def _of(by_method: Mapping[str, Mapping[int, dict]], method: str, what: str) -> Mapping:
    if method not in by_method:
        raise ValueError(f"no {what} results of {method!r}; allowed: "
                         f"{', '.join(by_method) or 'none'}")
    return by_method[method]


def compare_after(training: Mapping[str, Mapping[int, dict]],
                  retrained: Mapping[str, Mapping[int, dict]], first: str = "bbb",
                  second: str = "sgd", *, amount: float) -> dict:
    """Whether ``first`` is ahead of ``second`` after retraining at ``amount`` removed, by the
    book's rule over seeds (:func:`bnnbook.stats.compare_over_seeds`).

    Parameters
    ----------
    training, retrained : mapping
        ``{method: {seed: result}}`` of one dataset (training and retraining results).
    first, second : str
        The methods compared.
    amount : float
        The fraction removed (keyword only).

    Returns
    -------
    dict
        What :func:`~bnnbook.stats.compare_over_seeds` returns on the two methods' retrained
        accuracies per seed (``difference`` = mean of ``first`` − mean of ``second``,
        ``test_margin``, ``seed_margin``, ``verdict``), and ``seeds``: ``{first: seeds,
        second: seeds}`` (those of :func:`summary`).

    Raises
    ------
    ValueError
        For a method without results, or as :func:`summary`.
    """
    found = {m: summary(_of(training, m, "training"), _of(retrained, m, "retraining"), amount)
             for m in (first, second)}
    return {**_compare_summaries(found[first], found[second]),
            "seeds": {m: found[m]["seeds"] for m in (first, second)}}


def _compare_summaries(first: dict, second: dict) -> dict:
    """:func:`bnnbook.stats.compare_over_seeds` on two :func:`summary` results' accuracies
    after retraining (``difference`` = first − second)."""
    return stats.compare_over_seeds(first["values_after"], second["values_after"],
                                    first["n"], second["n"])


def table(training_by_method: Mapping[str, Mapping[int, dict]],
          retrained_by_method: Mapping[str, Mapping[int, dict]],
          methods: Sequence[str] = ("sgd", "bbb"), last: int = LAST_EPOCHS) -> pd.DataFrame:
    """What retraining recovered, per method and fraction removed, on one dataset.

    Parameters
    ----------
    training_by_method, retrained_by_method : mapping
        ``{method: {seed: result}}`` of one dataset (training and retraining results).
    methods : sequence of str
        The methods shown, in this order; a method without a seed that has both results is
        left out.
    last : int
        Epochs over which :func:`plateau` decides ``stopped rising``.

    Returns
    -------
    pandas.DataFrame
        Index ``(Model, removed)`` (``"Bayes by Backprop"``, ``"90 %"``); columns ``seeds``
        (``"0, 1, 2"``), ``unpruned``, ``pruned`` (before retraining), ``after fine-tuning``
        (mean, ``"0.9712 ± 0.0011"`` with the standard deviation over seeds when more than
        one), ``recovered`` (percent) and ``stopped rising`` (``"yes"``/``"no"`` from
        :func:`plateau`, ``"—"`` when the curve is shorter than ``last + 1`` points).  Cells
        are text, accuracies with four decimals (posterior mean for BBB).
    """
    rows: dict = {}
    for method in methods:
        get_method(method)                          # an unknown name: ValueError naming them
        training = training_by_method.get(method, {})
        retrained = retrained_by_method.get(method, {})
        seeds = sorted(set(training) & set(retrained))
        if not seeds:
            continue
        common = {s: retrained[s] for s in seeds}
        for amount, curve in curves(common).items():
            found = summary(training, common, amount)
            after = number(found["after"])
            if found["sd_after"] is not None:
                after += f" ± {number(found['sd_after'])}"
            stopped = (NOT_DECIDED if len(curve["mean"]) < last + 1
                       else "yes" if plateau(common, amount, last)["stopped"] else "no")
            rows[label(method), percent(amount)] = {
                "seeds": _seeds_text(found["seeds"]), "unpruned": number(found["unpruned"]),
                "pruned": number(found["before"]), "after fine-tuning": after,
                "recovered": percent(found["recovered"]), "stopped rising": stopped}
    return frame(rows, ["Model", "removed"],
                 ["seeds", "unpruned", "pruned", "after fine-tuning", "recovered",
                  "stopped rising"])


def figure(training: Mapping[str, Mapping[str, Mapping[int, dict]]],
           retrained_by_dataset: Mapping[str, Mapping[str, Mapping[int, dict]]],
           methods: Sequence[str] = ("sgd", "bbb")):
    """Test accuracy over the epochs of retraining with the mask fixed, one panel per dataset.

    x is the epoch of retraining (0: pruned, before retraining), y the test accuracy (mean over
    the seeds that have both results; posterior mean for BBB); one colour per method (the
    registry's), one line style per fraction removed (:data:`AMOUNT_STYLES`), and each method's
    unpruned mean as a thin horizontal line in its colour.  One legend below the panels.

    Parameters
    ----------
    training : mapping
        ``{dataset: {method: {seed: training result}}}``.
    retrained_by_dataset : mapping
        ``{dataset: {method: {seed: retraining result}}}``; its datasets are the panels.
    methods : sequence of str
        The methods drawn; one without a seed that has both results is left out.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        For no dataset, or more fractions removed than :data:`AMOUNT_STYLES` has styles.
    """
    from matplotlib.lines import Line2D
    from matplotlib.ticker import MaxNLocator

    from . import plots

    if not retrained_by_dataset:
        raise ValueError("no dataset to draw; pass {dataset: {method: {seed: result}}}")
    drawn: dict[str, dict[str, tuple[float, dict]]] = {}
    for dataset, by_method in retrained_by_dataset.items():
        drawn[dataset] = {}
        for method in methods:
            get_method(method)
            trained = training.get(dataset, {}).get(method, {})
            seeds = sorted(set(trained) & set(by_method.get(method, {})))
            if seeds:
                unpruned = statistics.fmean(accuracy_at(trained[s], 0.0) for s in seeds)
                drawn[dataset][method] = (unpruned,
                                          curves({s: by_method[method][s] for s in seeds}))
    amounts = sorted({a for panel in drawn.values() for _, found in panel.values()
                      for a in found})
    if len(amounts) > len(AMOUNT_STYLES):
        raise ValueError(f"at most {len(AMOUNT_STYLES)} fractions removed fit one figure; "
                         f"got {_amounts_text(amounts)}")
    style = dict(zip(amounts, AMOUNT_STYLES))
    fig, axes = plots.figure(1, len(drawn), height=3.6, sharey=True)
    for ax, (dataset, panel) in zip(axes[0], drawn.items()):
        for method, (unpruned, found) in panel.items():
            color = get_method(method).color
            ax.axhline(unpruned, color=color, lw=0.8, alpha=0.8,
                       label=f"{label(method)}, unpruned")
            for amount, curve in found.items():
                ax.plot(curve["epochs"], curve["mean"], color=color, ls=style[amount], lw=1.6,
                        label=f"{label(method)}, {percent(amount, 'removed')}")
        ax.set_title(DATASET_LABELS.get(dataset, dataset))
        ax.set_xlabel("fine-tuning epoch (0: pruned, before)")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.tick_params(labelleft=True)
    axes[0, 0].set_ylabel("test accuracy")
    shown = [m for m in methods if any(m in panel for panel in drawn.values())]
    handles = [Line2D([], [], color=get_method(m).color, lw=1.6) for m in shown]
    labels = [label(m) for m in shown]
    handles += [Line2D([], [], color=REFERENCE_COLOR, ls=style[a], lw=1.6) for a in amounts]
    labels += [percent(a, "removed") for a in amounts]
    handles.append(Line2D([], [], color=REFERENCE_COLOR, lw=0.8))
    labels.append("unpruned (mean)")
    plots.legend_below(fig, handles, labels, ncol=2)
    return fig


def chapter_values(training: Mapping[str, Mapping[str, Mapping[int, dict]]],
                   retrained: Mapping[str, Mapping[str, Mapping[int, dict]]],
                   amounts: Sequence[float] = (0.9, 0.95, 0.98)) -> dict[str, str]:
    """Every value the retraining section of *A fair comparison* glues, as text;
    :data:`bnnbook.comparison.MISSING` where a result is not part of this run.

    Parameters
    ----------
    training, retrained : mapping
        ``{dataset: {method: {seed: result}}}`` (training and retraining results).
    amounts : sequence of float
        The fractions removed the prose names.

    Returns
    -------
    dict
        ``rt_<method>_<data>_<percent>`` (``rt_bbb_mnist_95``: the mean accuracy after
        retraining, four decimals; ``data`` is ``mnist`` or ``fmnist``) and
        ``rt_basis_<data>`` (``"seed 0"``, ``"mean of 3 seeds"``) for the "SGD" net and BBB.
    """
    from .comparison import MISSING

    values = {}
    for dataset, key in DATASET_TAGS.items():
        bases = set()
        for method in ("sgd", "bbb"):
            trained = training.get(dataset, {}).get(method, {})
            found = retrained.get(dataset, {}).get(method, {})
            done = set(curves(found)) if found else set()
            for amount in amounts:
                text = MISSING
                if amount in done and set(trained) & set(found):
                    result = summary(trained, found, amount)
                    text = number(result["after"])
                    bases.add(result["basis"])
                values[f"rt_{method}_{key}_{round(100 * amount)}"] = text
        values[f"rt_basis_{key}"] = bases.pop() if len(bases) == 1 else MISSING
    return values


def chapter_claims(training: Mapping[str, Mapping[str, Mapping[int, dict]]],
                   retrained: Mapping[str, Mapping[str, Mapping[int, dict]]]) -> dict[str, bool]:
    """The decisions the retraining section of *A fair comparison* states, each ``True`` when
    the stored results bear it out.  Needs the "SGD" net and BBB retrained at 90, 95 and 98 %
    removed on both datasets (the ``paper`` preset's schedule).

    Raises
    ------
    ValueError
        As :func:`summary` or :func:`compare_after` for a missing method, seed or amount.
    """
    both = ("mnist", "fashion-mnist")
    methods = ("sgd", "bbb")

    def verdict(dataset, amount):
        return compare_after(training[dataset], retrained[dataset], amount=amount)["verdict"]

    def recovered(dataset, method, amount):
        return summary(_of(training[dataset], method, "training"),
                       _of(retrained[dataset], method, "retraining"), amount)["recovered"]

    def stopped(dataset, method, amount):
        return plateau(_of(retrained[dataset], method, "retraining"), amount)["stopped"]

    return {
        "90 % and 95 %: both nets win back at least 90 % of what pruning lost": all(
            recovered(d, m, a) >= 0.9 for d in both for m in methods for a in (0.9, 0.95)),
        "90 % and 95 %: the accuracy has stopped rising": all(
            stopped(d, m, a) for d in both for m in methods for a in (0.9, 0.95)),
        "98 %: the \"SGD\" net's accuracy has not stopped rising on either dataset": not any(
            stopped(d, "sgd", 0.98) for d in both),
        "90 %: the two nets within noise on both datasets": all(
            verdict(d, 0.9) == claims.WITHIN_NOISE for d in both),
        "95 %: BBB ahead on MNIST, within noise on Fashion-MNIST": (
            verdict("mnist", 0.95) == claims.AHEAD
            and verdict("fashion-mnist", 0.95) == claims.WITHIN_NOISE),
        "98 %: BBB ahead on both datasets": all(
            verdict(d, 0.98) == claims.AHEAD for d in both),
    }


def longer_values(training: Mapping[str, Mapping[str, Mapping[int, dict]]],
                  longer: Mapping[str, Mapping[str, Mapping[int, dict]]],
                  amount: float = 0.98) -> dict[str, str]:
    """Every value the paragraph on the longer retraining glues, as text;
    :data:`bnnbook.comparison.MISSING` where a result is not part of this run.

    Parameters
    ----------
    training : mapping
        ``{dataset: {method: {seed: training result}}}``.
    longer : mapping
        ``{dataset: {method: {seed: result}}}`` of the longer schedule (kind
        ``"retrain-long"``).
    amount : float
        The fraction removed.

    Returns
    -------
    dict
        Per method (``sgd``, ``bbb``) and dataset (``mnist``, ``fmnist``):
        ``rtl_<method>_<data>`` (the mean accuracy after the longer retraining, four
        decimals), ``rtl_basis_<method>_<data>`` (``"seed 0"``, ``"mean of 3 seeds"``) and
        ``rtl_gain_<method>_<data>`` (the mean curve's gain over its last
        :data:`LAST_EPOCHS` epochs, signed, four decimals).
    """
    from .comparison import MISSING

    values = {}
    for dataset, key in DATASET_TAGS.items():
        for method in ("sgd", "bbb"):
            trained = training.get(dataset, {}).get(method, {})
            found = longer.get(dataset, {}).get(method, {})
            common = {s: found[s] for s in sorted(set(trained) & set(found))}
            after = basis = gain = MISSING
            if common and amount in curves(common):
                result = summary(trained, common, amount)
                after, basis = number(result["after"]), result["basis"]
                gain = number(plateau(common, amount)["gain"], sign=True)
            values.update({f"rtl_{method}_{key}": after, f"rtl_basis_{method}_{key}": basis,
                           f"rtl_gain_{method}_{key}": gain})
    return values


def compare_on_common_seeds(training: Mapping[str, Mapping[int, dict]],
                            first: tuple[str, Mapping[int, dict]],
                            second: tuple[str, Mapping[int, dict]], *,
                            amount: float) -> dict:
    """Whether one retrained net is ahead of another at ``amount`` removed, on the seeds both
    have, where the two may come from different schedules (the longer one against the
    literature's, say).

    Parameters
    ----------
    training : mapping
        ``{method: {seed: training result}}`` of one dataset.
    first, second : tuple
        ``(method, {seed: retraining result})`` of each side.
    amount : float
        The fraction removed (keyword only).

    Returns
    -------
    dict
        What :func:`bnnbook.stats.compare_over_seeds` returns on the two sides' accuracies
        after retraining (``difference`` = first − second, ``test_margin``, ``seed_margin``,
        ``verdict``), and ``seeds``: the common seeds, sorted.

    Raises
    ------
    ValueError
        When the two sides share no seed, or as :func:`summary`.
    """
    (method_a, found_a), (method_b, found_b) = first, second
    seeds = sorted(set(found_a) & set(found_b))
    if not seeds:
        raise ValueError(f"{method_a} and {method_b} share no seed: "
                         f"{_seeds_text(sorted(found_a)) or 'none'} against "
                         f"{_seeds_text(sorted(found_b)) or 'none'}")
    sides = [summary(_of(training, method, "training"), {s: found[s] for s in seeds}, amount)
             for method, found in (first, second)]
    return {**_compare_summaries(*sides), "seeds": seeds}


def shared_seeds(by_method: Mapping[str, Mapping[int, dict]]) -> dict[str, dict[int, dict]]:
    """Each method's results on the seeds that every method with results has, so that means
    set side by side rest on the same seeds (``{method: {seed: result}}`` of one dataset;
    methods without results are left out)."""
    present = {m: found for m, found in by_method.items() if found}
    if not present:
        return {}
    common = set.intersection(*(set(found) for found in present.values()))
    return {m: {s: found[s] for s in sorted(common)} for m, found in present.items()}


def longer_claims(training: Mapping[str, Mapping[str, Mapping[int, dict]]],
                  retrained: Mapping[str, Mapping[str, Mapping[int, dict]]],
                  longer: Mapping[str, Mapping[str, Mapping[int, dict]]],
                  amount: float = 0.98) -> dict[str, bool]:
    """The decisions the paragraph on the longer retraining states, each ``True`` when the
    stored results bear it out; comparisons use the seeds both sides have
    (:func:`compare_on_common_seeds`).  Needs the "SGD" net and BBB under both schedules at
    ``amount`` on both datasets.

    Raises
    ------
    ValueError
        As :func:`plateau` or :func:`compare_on_common_seeds` for a missing method, seed or
        amount.
    """
    both = ("mnist", "fashion-mnist")

    def side(results, dataset, method):
        return method, _of(results[dataset], method, "retraining")

    def verdict(dataset, first, second):
        return compare_on_common_seeds(training[dataset], first, second,
                                       amount=amount)["verdict"]

    return {
        "longer: both nets' accuracy has stopped rising on both datasets": all(
            plateau(side(longer, d, m)[1], amount)["stopped"]
            for d in both for m in ("sgd", "bbb")),
        "longer: BBB ahead on both datasets": all(
            verdict(d, side(longer, d, "bbb"), side(longer, d, "sgd")) == claims.AHEAD
            for d in both),
        "MNIST: the \"SGD\" net's longer schedule still ends behind BBB's shorter one": verdict(
            "mnist", side(retrained, "mnist", "bbb"), side(longer, "mnist", "sgd"))
        == claims.AHEAD,
        "Fashion-MNIST: the \"SGD\" net's longer schedule reaches BBB's shorter one within "
        "noise": verdict("fashion-mnist", side(retrained, "fashion-mnist", "bbb"),
                         side(longer, "fashion-mnist", "sgd")) == claims.WITHIN_NOISE,
    }
