# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.7
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Conclusions: does a Bayesian network prune better?
#
# **Not in general, and being Bayesian is not necessary for it here.** The study's headline —
# BBB keeps {glue:text}`study_flat:.1f` % accuracy on MNIST with 90 % of its weights
# removed — came from a pruning step that never reached the network (section 1). Pruned
# correctly, BBB's lead over the network trained with Adam and dropout 0.01 that the study
# calls "SGD" depends on the protocol. On MNIST at 90 % removed, with the biases ranked
# together with the weights as the study did, BBB keeps {glue:text}`bbb_mnist_90:.4f`
# against {glue:text}`sgd_mnist_90:.4f` (mean of {glue:text}`n_seeds_mnist` seeds, ahead on
# every seed); ranking the weights only, the "SGD" net is nominally ahead on seed 0, within
# two test-set standard errors (section 3). On Fashion-MNIST the "SGD" net leads at 90 %
# under both rankings.
#
# In the ablations of {doc}`prunability`, what made a network prunable was a complexity cost
# acting in every training step: the best BBB rows have one, and so does the "SGD" net with
# an L1 penalty, which prunes at least as well at the fractions the search targeted
# (section 6). That search was unequal and its best rows were chosen on the test set, so it
# shows that being Bayesian is not necessary here, not that it cannot help; an equal-budget
# comparison is under way. No run reached the error rates of Blundell et al.'s Table 2
# (sections 6 and 7).
#
# The sections below give the evidence, one finding each; {doc}`fair_comparison` has the
# full tables and figures.
#
# ## What you will learn
#
# * how to turn single-run tables into a **paired comparison over seeds**, and what three
#   seeds can and cannot establish;
# * how to size a claim to its noise: the test set's standard error, and a protocol detail
#   (are the biases pruned?) that flips the sign of a headline;
# * what fine-tuning and the weighting of the complexity cost change, and what the search
#   for a prunable network does and does not show;
# * what this book leaves open, and the command that would settle each question.

# %% tags=["hide-cell"]
# Colab: install bnntut with the book's package and fetch the committed results (the URL is _config.yml's repository).
import importlib.util
import os
import subprocess
import sys

REPOSITORY = "https://github.com/bnntut/bnntut"
if "google.colab" in sys.modules and importlib.util.find_spec("bnntut") is None:
    subprocess.run(["git", "clone", "--depth=1", REPOSITORY, "bnntut-repo"], check=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "-e", "bnntut-repo[book]"], check=True)
    sys.path.insert(0, os.path.abspath("bnntut-repo"))
    os.chdir("bnntut-repo/book")

# %%
from bnnbook import book, claims, comparison, plots, prunability, report
from bnntut import study
from bnntut.methods import REGISTRY
from bnntut.presets import (
    BLUNDELL_TABLE2_ERROR,
    METHOD_LABELS,
    chapter_scope,
    lr_label,
)

PRESET = book.start()
# Everything for `paper`; in quick mode (CI) a labelled slice:
# MNIST, "SGD" and BBB.
DATASETS, METHODS, SEEDS = chapter_scope(PRESET, comparison.SEEDS)
# Seed 0 of each model: committed (paper),
# or trained on the spot in quick mode.
book.load_results(PRESET, DATASETS, METHODS)
# Every other arm is only loaded here (compute=False):
# what is not stored is left out.
seeds = comparison.seed_results(PRESET, DATASETS, METHODS, SEEDS,
                                compute=False)
ft = comparison.derived_results("finetune", PRESET, DATASETS, METHODS,
                                compute=False)
kl = comparison.kl_results(PRESET, DATASETS, SEEDS, compute=False)

# %% tags=["remove-cell"]
NAME = plots.DATASET_LABELS
TAG = {"mnist": "mnist", "fashion-mnist": "fmnist"}
glued = {"study_flat": 100 * study.STUDY_TABLES["mnist"]["bbb"][-1]}


def mean(values):
    values = list(values)
    return sum(values) / len(values) if values else float("nan")


def seed_mean(dataset, method, amount, criterion=None):
    """Mean accuracy over the stored seeds after removing ``amount``."""
    return mean(report.accuracy_at(r, amount, criterion)
                for r in seeds[dataset].get(method, {}).values())


def missing(what, command):
    return book.markdown(f"*Not stored for the `{PRESET}` preset: {what}* (`{command}`).")


# %% [markdown]
# ## 1. The study's flat row was a no-op
#
# The study's BBB rows barely move from 0 % to 90 % removed. {doc}`reproduction_notes` shows
# why: the pruning assigned new tensors that the forward pass never read, so every "pruned"
# network was the unpruned one. The published row next to our SNR pruning of the same
# protocol's model (seed 0, posterior mean):

# %% tags=["remove-input"]
rows = {}
for d in DATASETS:
    rows[f"{NAME[d]}, study"] = dict(zip(study.STUDY_AMOUNTS, study.STUDY_TABLES[d]["bbb"]))
    if 0 in seeds[d]["bbb"]:
        rows[f"{NAME[d]}, bnntut"] = {a: report.accuracy_at(seeds[d]["bbb"][0], a)
                                      for a in study.STUDY_AMOUNTS}
report.rows_table(rows, "Bayes by Backprop")

# %% [markdown]
# ## 2. BBB against the "SGD" net, over seeds
#
# One run per model cannot tell a difference between models from the luck of one
# initialisation. With seeds $s = 1, \dots, n$ for both models, the comparison is **paired**:
# seed $s$ of BBB and seed $s$ of the "SGD" net are scored on the same test set after
# removing the same fraction $a$, and the quantity of interest is the difference
#
# $$
# \Delta_s(a) = A^{\text{BBB}}_s(a) - A^{\text{SGD}}_s(a),
# \qquad \bar\Delta(a) = \frac{1}{n} \sum_{s=1}^{n} \Delta_s(a).
# $$
#
# Its **sign** says who wins on that seed, its **spread** over seeds how much of the mean is
# luck. How much do three seeds say? If the two models were equally prunable, each
# $\Delta_s$ would be positive or negative with probability $\tfrac12$, independently, so
#
# $$
# P(\text{all } n \text{ signs equal}) = P(\text{all} > 0) + P(\text{all} < 0)
#   = 2 \cdot 2^{-n} = 2^{1-n},
# $$
#
# the two-sided p-value of a sign test that finds every seed on one side. In a few lines:

# %%
def paired_gaps(by_method, amount, first="bbb", second="sgd"):
    """Δ_s: accuracy of `first` minus `second` per seed trained for both."""
    common = sorted(set(by_method[first]) & set(by_method[second]))
    return {s: report.accuracy_at(by_method[first][s], amount)
            - report.accuracy_at(by_method[second][s], amount)
            for s in common}


gaps = {(d, a): paired_gaps(seeds[d], a)
        for d in DATASETS for a in (0.5, 0.75, 0.9)}
for (d, a), by_seed in gaps.items():
    n = len(by_seed)
    same_sign = n > 0 and len({g > 0 for g in by_seed.values()}) == 1
    p = 2.0 ** (1 - n) if same_sign else float("nan")
    print(f"{d:13s} {a:.0%}: Δ = "
          + ", ".join(f"{g:+.4f}" for g in by_seed.values())
          + (f"; all one sign, p = {p:.3f}" if same_sign and n > 1 else ""))

# %% tags=["remove-input"]
assert all(g == comparison.paired_gaps(seeds[d], "bbb", "sgd", a)
           for (d, a), g in gaps.items())
n_needed = next(n for n in range(1, 64) if 2.0 ** (1 - n) < 0.05)
glued["seeds_needed"] = n_needed
table = {}
for (d, a), by_seed in gaps.items():
    if not by_seed:
        continue
    n_test = claims.n_test_images(seeds[d]["bbb"][next(iter(by_seed))])
    noise = claims.compare(seed_mean(d, "bbb", a), seed_mean(d, "sgd", a), n_test, n_test)
    row = {"BBB": report.number(seed_mean(d, "bbb", a)),
           "\"SGD\"": report.number(seed_mean(d, "sgd", a)),
           "mean Δ": report.number(mean(by_seed.values()), sign=True),
           "2 SE": report.number(noise["margin"]),
           "min Δ": report.number(min(by_seed.values()), sign=True),
           "max Δ": report.number(max(by_seed.values()), sign=True),
           "seeds BBB ahead": f"{sum(g > 0 for g in by_seed.values())} of {len(by_seed)}"}
    table[NAME[d], report.percent(a)] = row
    if a == 0.9:
        tag = TAG[d]
        glued.update({f"bbb_{tag}_90": seed_mean(d, "bbb", a),
                      f"sgd_{tag}_90": seed_mean(d, "sgd", a),
                      f"n_seeds_{tag}": len(by_seed),
                      f"gap_{tag}_90_low": min(by_seed.values()),
                      f"gap_{tag}_90_high": max(by_seed.values())})
dropout = [seed_mean("mnist", m, 0.9) for m in METHODS if m.startswith("dropout")]
glued["dropout_mnist_90"] = max(dropout) if dropout else float("nan")
report.frame(table, ["dataset", "removed"]) if table else missing(
    "paired seeds", f"python -m bnntut reproduce --preset {PRESET} --seeds 0 1 2")

# %% [markdown]
# Accuracy after pruning (means over the seeds stored; BBB by SNR, posterior mean; "SGD" by
# global L1, biases ranked with the weights; no fine-tuning), the margin of two test-set
# standard errors of their difference ({doc}`evaluation`), and the paired differences
# $\Delta_s$, whose smallest and largest values over the seeds are a range, not a
# confidence interval. At 90 % removed, $\Delta_s$ lies between
# {glue:text}`gap_mnist_90_low:+.4f` and {glue:text}`gap_mnist_90_high:+.4f` on MNIST, BBB
# ahead on every seed, and between {glue:text}`gap_fmnist_90_low:+.4f` and
# {glue:text}`gap_fmnist_90_high:+.4f` on Fashion-MNIST, the "SGD" net ahead on every seed.
#
# Three seeds on one side give $p = 2^{-2} = 0.25$: consistent, not significant; a sign test
# needs at least {glue:text}`seeds_needed` seeds on one side for $p < 0.05$. The nets that
# collapse at 90 % are the dropout nets (at most {glue:text}`dropout_mnist_90:.4f` on MNIST,
# mean of {glue:text}`n_seeds_mnist` seeds) — the input-dropout handicap of
# {doc}`reproduction_notes` — not the "SGD" net.

# %% tags=["remove-input"]
def gap_figure(by_dataset):
    """Δ_s(a) against the fraction removed: a thin line per seed, the mean thick."""
    fig, axes = plots.figure(1, len(by_dataset), height=2.9, sharey=True)
    markers = ("o", "s", "^", "D", "v")
    for ax, (d, by_method) in zip(axes[0], by_dataset.items()):
        common = sorted(set(by_method["bbb"]) & set(by_method["sgd"]))
        if not common:
            continue
        amounts = by_method["bbb"][common[0]]["prune"]["snr"]["amounts"]
        per_seed = [paired_gaps(by_method, a) for a in amounts]
        for k, s in enumerate(common):
            ax.plot(amounts, [g[s] for g in per_seed], "-", lw=1, alpha=0.8, ms=3,
                    marker=markers[k % len(markers)], color=plots.REFERENCE_COLOR,
                    label=f"seed {s}")
        ax.plot(amounts, [mean(g.values()) for g in per_seed], "-", lw=2.2,
                color=plots.METHOD_COLORS["bbb"], label="mean over seeds")
        ax.axhline(0, color=plots.REFERENCE_COLOR, lw=1, ls="--")
        ax.set_title(NAME[d])
        ax.set_xlabel("fraction of parameters removed")
        ax.set_ylabel("Δ accuracy, BBB − \"SGD\"")
        ax.tick_params(labelleft=True)
    plots.legend_below(fig, ncol=4)
    return fig


fig = gap_figure(seeds)

# %% [markdown]
# The spread over seeds grows with the fraction removed, so a single run, as in the study,
# cannot rank two models where their curves fall steeply.
#
# ## 3. The sign depends on how the biases are ranked
#
# The study ranks the biases together with the weights under one global threshold, and the
# "SGD" net's biases are small enough that nearly all of them go at 90 % removed
# ({doc}`pruning`). The criteria sweeps of {doc}`fair_comparison` also rank the weights
# only, keeping every bias. Each model by its own criterion (BBB by SNR, the "SGD" net by
# global L1), with the margin of two test-set standard errors of the difference
# (`claims.compare`, {doc}`evaluation`):

# %% tags=["remove-input"]
AMOUNTS = (0.5, 0.75, 0.9, 0.95, 0.98)
MODES = {"with_bias": "biases ranked too", "weights_only": "weights only"}
ranking, table = {}, {}
for d in DATASETS:
    ranking[d] = {a: claims.ranking_comparison(PRESET, d, a, compute=PRESET != "paper")
                  for a in AMOUNTS}
    for a, r in ranking[d].items():
        for mode, label in MODES.items() if r else ():
            table[NAME[d], report.percent(a), label] = {
                "BBB": report.number(r[mode]["first"]),
                "\"SGD\"": report.number(r[mode]["second"]),
                "Δ ± 2 SE": f"{report.number(r[mode]['difference'], sign=True)} ± "
                            f"{report.number(r[mode]['margin'])}",
                "BBB is": r[mode]["verdict"]}
    flips = [a for a, r in ranking[d].items() if r and claims.ranking_decides(r)]
    glued[f"flips_{TAG[d]}"] = " and ".join(report.percent(a) for a in flips) or "none"
    stored = next((r for r in ranking[d].values() if r), None)
    glued["ranking_basis"] = stored["basis"] if stored else "(not stored)"
report.frame(table, ["dataset", "removed", "ranking"]) if table else missing(
    "the criteria sweeps", f"python -m bnntut criteria --preset {PRESET}")

# %% [markdown]
# The verdict changes with the ranking of the biases at {glue:text}`flips_mnist` removed on
# MNIST and at {glue:text}`flips_fmnist` on Fashion-MNIST ({glue:text}`ranking_basis`, the
# only seed whose criteria sweeps are stored). So "BBB prunes better than the 'SGD' net"
# is a statement about one protocol: at the study's headline fraction it holds when the
# biases are pruned too, and when they are kept the two are within noise; at 75 % removed,
# with the biases kept, the "SGD" net is even ahead beyond noise. Beyond 90 % BBB is ahead
# on MNIST under both rankings — at accuracies no one would deploy.
#
# ## 4. Fine-tuning after pruning

# %% tags=["remove-input"]
table = {}
for d in DATASETS:
    for m in ("bbb", "sgd"):
        result = ft[d].get(m)
        if result is None:
            continue
        tuned = {r["amount"]: r for r in result["by_amount"]}
        table[NAME[d], METHOD_LABELS[m]] = {
            report.percent(a): f"{tuned[a]['before']['accuracy']:.4f} → "
                               f"{tuned[a]['after']['accuracy']:.4f}"
            for a in (0.9, 0.95, 0.98) if a in tuned}
        for a in (0.9, 0.95):
            if a in tuned:
                glued[f"ft_{m}_{TAG[d]}_{round(a * 100)}"] = tuned[a]["after"]["accuracy"]
if "sgd" in ft["mnist"] and 0 in seeds["mnist"]["sgd"]:
    schedule = claims.finetune_schedule(ft["mnist"]["sgd"])
    hardest = claims.finetune_recovery(
        ft["mnist"]["sgd"], 0.98, report.accuracy_at(seeds["mnist"]["sgd"][0], 0.0))
    glued.update(ft_epochs=schedule["epochs"], ft_lr=lr_label(schedule["lr"]),
                 ft_sgd_before_98=hardest["before"], ft_sgd_after_98=hardest["after"],
                 ft_sgd_recovered_98=100 * hardest["recovered"])
report.frame(table, ["dataset", "model"]) if table else missing(
    "the fine-tuning arm", f"python -m bnntut finetune --preset {PRESET}")

# %% [markdown]
# Seed 0, pruned only → after retraining the survivors with the mask held fixed (posterior
# mean for BBB). The retraining is short — {glue:text}`ft_epochs` epochs of Adam at a
# learning rate of {glue:text}`ft_lr` — and under-powered where pruning cut deepest. At
# 90 % removed it wins back most of what pruning lost for both models, and the two end
# within noise of each other. At 98 % it cannot: the MNIST "SGD" net goes only from
# {glue:text}`ft_sgd_before_98:.4f` to {glue:text}`ft_sgd_after_98:.4f`, recovering
# {glue:text}`ft_sgd_recovered_98:.0f` % of its loss.
#
# At 95 % removed, fine-tuned BBB is ahead beyond noise on both datasets (on MNIST
# {glue:text}`ft_bbb_mnist_95:.4f` against {glue:text}`ft_sgd_mnist_95:.4f`), but one seed and
# a short schedule cannot say whether a longer one would keep that order. A comparison
# without fine-tuning, as the study made, measures how a network survives an operation
# rarely deployed without retraining: a narrower question than it looks.
#
# ## 5. The weighting of the complexity cost

# %% tags=["remove-input"]
table = {}
for d in DATASETS:
    for weighting, by_seed in kl[d].items():
        at90 = comparison.interval([report.accuracy_at(r, 0.9) for r in by_seed.values()])
        table[NAME[d], comparison.KL_LABELS[weighting]] = {
            "seeds": len(by_seed),
            "median SNR (dB)": report.number(mean(comparison.histogram_median(
                r["weights"]["snr_db"]) for r in by_seed.values()), 1),
            "90 %, mean": report.number(at90["mean"]),
            "90 %, min – max": f"{report.number(at90['low'])} – {report.number(at90['high'])}"}
        glued[f"kl_{weighting}_{TAG[d]}_90"] = at90["mean"]
        glued[f"n_seeds_kl_{weighting}_{TAG[d]}"] = len(by_seed)
report.frame(table, ["dataset", "KL weighting"]) if any(len(v) > 1 for v in kl.values()) \
    else missing("the KL ablation", f"python -m bnntut reproduce --preset {PRESET} "
                                    "--methods bbb-kl-blundell bbb-kl-uniform")

# %% [markdown]
# BBB trained with each weighting of the complexity cost of minibatch $i$ of $M$, pruned by
# SNR (posterior mean). The study's and Blundell's weightings put the whole cost on the first
# few minibatches of each epoch; the uniform weighting $1/M$ applies it in every minibatch
# ({doc}`bayes_by_backprop` derives the three and their totals). On MNIST the uniform
# weighting keeps {glue:text}`kl_uniform_mnist_90:.4f` at 90 % removed against
# {glue:text}`kl_paper_mnist_90:.4f` with the study's (means of
# {glue:text}`n_seeds_kl_uniform_mnist` and {glue:text}`n_seeds_kl_paper_mnist` seeds): the
# weighting moves the accuracy of one model far more than the choice between BBB and the
# "SGD" net does. Whether the *spread* of the cost or its total matters is exercise 3.
#
# ## 6. What makes a network prunable
#
# {doc}`prunability` changes one factor of the study's protocol at a time, at the study's
# scale and schedule, for BBB and for the deterministic nets. The best row of each kind
# (chosen by test accuracy at the hardest fraction; means over the seeds listed; BBB by SNR,
# the deterministic nets by magnitude):

# %% tags=["remove-input"]
p_datasets, p_rows, p_seeds = prunability.scope(PRESET)
p_data = {d: prunability.rows(found) for d, found in comparison.seed_results(
    PRESET, p_datasets, p_rows, p_seeds, compute=False).items()}
table = {}
for d, summaries in p_data.items():
    if not summaries:
        continue
    best = {"BBB": prunability.best_bbb(summaries, d),
            "deterministic": prunability.best_deterministic(summaries, d)}
    for kind, method in best.items():
        if method is None:
            continue
        summary = summaries[method]
        sweep = prunability.own_sweep(summary)
        table[NAME[d], kind] = {
            "row": REGISTRY[method].label, "seeds": ", ".join(map(str, summary["seeds"])),
            "unpruned": report.number(summary["unpruned"]),
            **{report.percent(a): report.number(sweep[a]) for a in (0.9, 0.95, 0.98)}}
    if d == "mnist":
        sizes = claims.search_sizes(summaries)
        against = claims.table2_comparison(summaries[best["BBB"]])
        glued.update(n_bbb_rows=sizes["bayesian"], n_det_rows=sizes["deterministic"],
                     prunable_label=REGISTRY[best["BBB"]].label,
                     prunable_err_95=against[0.95]["error"],
                     prunable_err_98=against[0.98]["error"],
                     prunable_seeds=len(summaries[best["BBB"]]["seeds"]))
glued["table2_95"] = BLUNDELL_TABLE2_ERROR[0.95]
glued["table2_98"] = BLUNDELL_TABLE2_ERROR[0.98]
report.frame(table, ["dataset", "best"]) if table else missing(
    "the prunability rows", "python -m bnntut reproduce --preset paper --methods bbb-lr1e-3")

# %% [markdown]
# The best BBB rows combine a complexity cost in every minibatch with a step that lets the
# weights move; the best deterministic row is the "SGD" net with an L1 penalty in every step
# (MAP under a Laplace prior). At the two fractions the search targeted on each dataset
# ({doc}`prunability`) it prunes at least as well as the best BBB row; at 98 % on
# Fashion-MNIST, which the search did not target, it falls behind.
#
# On MNIST the best BBB row, *{glue:text}`prunable_label`*, errs
# {glue:text}`prunable_err_95:.2f` % at 95 % removed and {glue:text}`prunable_err_98:.2f` %
# at 98 % (mean of {glue:text}`prunable_seeds` seeds), well above the
# {glue:text}`table2_95:.2f` % and {glue:text}`table2_98:.2f` % of Blundell et al.'s
# Table 2 for a larger network trained far longer ({doc}`blundell_protocol` sets them side
# by side).
#
# How far does this go? The search tried {glue:text}`n_bbb_rows` BBB settings against
# {glue:text}`n_det_rows` deterministic ones, with different prior families (a scale
# mixture against a Laplace penalty), and the best rows above were picked on the test set.
# It shows that being Bayesian is **not necessary** for a prunable network here; it cannot
# show that being Bayesian does not help. An equal-budget comparison — BBB, MAP under the
# same scale-mixture prior and MAP under a Laplace prior, each searched over the same grid
# and chosen on held-out images — is under way (preset `budget`, command
# `python -m bnntut budget`); its results are not in yet. Sparse variational dropout
# {cite}`molchanov2017variational` is a Bayesian method built for sparsity and removes most
# of the weights of a similar network, while {cite:t}`gale2019state` found that careful
# magnitude pruning matches such methods at scale: the open question is the same there.
#
# ## 7. Blundell's scale
#
# {doc}`blundell_protocol` trains Blundell et al.'s 2 × 1200 network for 600 epochs and
# completes the choices their paper leaves open one way (the initialisation, a loss summed
# over the minibatch where their section 3.4 averages the gradient, 2 weight samples, one
# point of their prior grid). With that completion, their weighting
# $\pi_i = 2^{M-i}/(2^M-1)$ and plain SGD, the network does **not** prune like their
# Table 2: a statement about the book's completion, not about the choices they made, which
# are not known. The even split $1/M$ is another completion rather than the likely reading —
# of their own weighting they write that they "found the scheme … to work well" — and at
# their scale it prunes well but errs more than Table 2 already before pruning.
#
# ## 8. Elsewhere in the book
#
# What pruning does to calibration and to out-of-distribution detection is in
# {doc}`uncertainty`; what it saves in bytes and milliseconds, and why zeros save nothing
# until they are not stored, is in {doc}`compression`.
#
# ## What stays open

# %% tags=["remove-input"]
report.frame({
    "being Bayesian under an equal search": {
        "what would settle it": "BBB, MAP under the same prior and MAP under a Laplace "
                                "prior, each over the same grid, chosen on held-out images, "
                                "then more seeds (section 6)",
        "command": "python -m bnntut budget"},
    "Table 2 at Blundell et al.'s scale": {
        "what would settle it": "other completions of their protocol: the loss averaged "
                                "over the minibatch, their weight samples (1, 2, 5, 10), "
                                "the other points of their prior grid, more seeds",
        "command": "reproduce --preset blundell --methods <ablation> --device cuda "
                   "(new ablations in bnntut/presets.py)"},
    "a significant sign": {
        "what would settle it": f"at least {n_needed} seeds per model, all on one side",
        "command": f"reproduce --preset paper --seeds {' '.join(map(str, range(n_needed)))}"},
    "the ranking of the biases over seeds": {
        "what would settle it": "the criteria sweeps of seeds 1 and 2 (section 3)",
        "command": "criteria --preset paper --methods bbb sgd --seeds 1 2"},
    "fine-tuning that is not under-powered": {
        "what would settle it": "longer schedules over several seeds, for the study's models "
                                "and the most prunable rows alike (section 4)",
        "command": "finetune --preset paper (with more epochs in the preset)"},
    "real speed": {
        "what would settle it": "structured pruning, which dense kernels exploit",
        "command": "not implemented"},
}, "question")

# %% tags=["remove-cell"]
for name in ("bbb_mnist_90", "sgd_mnist_90", "n_seeds_mnist", "gap_mnist_90_low",
             "gap_mnist_90_high", "gap_fmnist_90_low", "gap_fmnist_90_high",
             "dropout_mnist_90", "flips_mnist", "flips_fmnist", "ft_epochs", "ft_lr",
             "ft_sgd_before_98", "ft_sgd_after_98", "ft_sgd_recovered_98",
             "ft_bbb_mnist_95", "ft_sgd_mnist_95", "kl_uniform_mnist_90",
             "kl_paper_mnist_90", "n_seeds_kl_uniform_mnist", "n_seeds_kl_paper_mnist",
             "prunable_label", "prunable_err_95", "prunable_err_98",
             "prunable_seeds", "n_bbb_rows", "n_det_rows"):
    glued.setdefault(name, float("nan"))       # quick mode: not stored
for name, value in glued.items():
    book.glue(name, value)

# %% [markdown]
# ## Key takeaways
#
# * The study's flat {glue:text}`study_flat:.1f` % was a pruning that never happened: test
#   that a pruning reaches the network before reading its accuracy.
# * Pruned correctly, whether BBB or the Adam + dropout 0.01 net looks more prunable depends
#   on the dataset, the fraction removed and whether the biases are ranked; a claim that one
#   "prunes better" must state its protocol.
# * A difference needs its noise: each accuracy has a test-set standard error, each model a
#   spread over seeds, and three seeds on one side give $p = 0.25$, not significance.
# * A complexity cost in every training step made networks prunable here, Bayesian or not;
#   whether being Bayesian adds anything under an equal search is still open.
# * Even a short retraining moves the pruned accuracies far more than the choice of model
#   does, but it cannot rescue the deepest cuts.
#
# ## Exercises
#
# 1. **How many seeds?** A sign test finds all $n$ seeds on one side with probability
#    $2^{1-n}$ when the models are equally good. How many seeds does $p < 0.01$ need? Write
#    the loop.

# %% tags=["hide-cell"]
n = 1
while 2.0 ** (1 - n) >= 0.01:
    n += 1
print(f"{n} seeds, all on one side: p = {2.0 ** (1 - n):.4f}")

# %% [markdown]
# 2. **How far can each model go?** For every stored seed, find the largest fraction at which
#    BBB (SNR) and the "SGD" net (L1) stay within one percentage point of their own unpruned
#    accuracy on MNIST. Is the answer the same for every seed?

# %% tags=["hide-cell"]
for method in ("bbb", "sgd"):
    for s, r in sorted(seeds["mnist"][method].items()):
        sweep = r["prune"]["snr" if method == "bbb" else "l1"]
        base, kept = sweep["accuracy"][0], 0.0
        for a, acc in zip(sweep["amounts"], sweep["accuracy"]):
            # The first fraction costing over a point.
            if base - acc > 0.01:
                break
            kept = a
        print(f"{method} seed {s}: within one point up to "
              f"{kept:.0%} removed"
              .replace("%", " %"))

# %% [markdown]
# 3. **More KL, or KL spread out?** The uniform weighting $1/M$ sums to 1 per epoch, the
#    study's $2^{1-i}$ to about 4 ({doc}`bayes_by_backprop`), yet the uniform one makes BBB
#    more prunable (section 5). Design the experiment that tells whether it is the *spread*
#    or the *amount* that matters.
#
# :::{admonition} Solution
# :class: dropdown
# Train BBB with a uniform weighting scaled to the study's total, $\kappa_i = 4/M$, and with
# the study's shape scaled to sum to one, $2^{-1-i}$ (Blundell's, already run). If $4/M$
# behaves like $1/M$, the spread is what matters; if it behaves like $2^{1-i}$, the amount.
# Compare the median SNR and the accuracy at 90 % over at least three seeds, since section 2
# shows the spread over seeds is of the same size as the effects. In `bnntut` this is a new
# entry of `bayes.KL_WEIGHTINGS` and one more ablation in the `paper` preset.
# :::
