# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # A fair comparison

# %% tags=["hide-cell"]
# Colab: install bnntut and fetch the committed results (the URL is _config.yml's repository).
import importlib.util
import os
import subprocess
import sys

REPOSITORY = "https://github.com/bnntut/bnntut"
if "google.colab" in sys.modules and importlib.util.find_spec("bnntut") is None:
    subprocess.run(["git", "clone", "--depth=1", REPOSITORY, "bnntut-repo"], check=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "-e", "bnntut-repo"], check=True)
    sys.path.insert(0, os.path.abspath("bnntut-repo"))
    os.chdir("bnntut-repo/book")

# %%
from bnntut import book, comparison, plots
from bnntut.evaluate import TABLE_AMOUNTS
from bnntut.presets import (
    BLUNDELL_TABLE2_ERROR,
    METHOD_LABELS,
    chapter_scope,
    get_preset,
    method_config,
)

PRESET = book.start()
QUICK = PRESET != "paper"   # quick mode computes what is missing; the book only loads
spec = get_preset(PRESET)
# What this page shows: everything for `paper`; a labelled slice in quick mode (CI).
DATASETS, METHODS, SEEDS = chapter_scope(PRESET, comparison.SEEDS)

# %% [markdown]
# The study promised "a fair comparison" of Bayes by Backprop and its baselines, but trained
# one network per method (one seed), never retrained after pruning, and gave each family one
# pruning criterion. Pruning papers are known to be hard to compare for exactly these
# reasons {cite}`blalock2020state`. This chapter adds what a reviewer would ask for, through
# the same `bnntut` API and CLI as the reproduction:
#
# 1. **Seeds** — the same models trained from other random seeds, with the spread over seeds;
# 2. **criteria on equal terms** — every family with its natural criterion, a magnitude
#    criterion and a random one, with and without the biases in the ranking;
# 3. **fine-tuning** — retraining the survivors with the mask held fixed
#    {cite}`han2015learning`;
# 4. **the KL schedule** — BBB trained with the study's, Blundell's and a uniform weighting of
#    the complexity cost;
# 5. **Blundell's scale** — the 2 × 1200 network trained for 600 epochs
#    {cite}`blundell2015weight`.
#
# Every number below is read from results committed to the repository (or, in quick mode,
# computed on the spot); the text around them is generated from the same results.

# %% [markdown]
# ## 1. Seeds
#
# The study's numbers are single runs. How much does a different random seed (initial
# weights, data order, dropout masks, weight noise) move them?

# %%
seeds = comparison.seed_results(PRESET, DATASETS, METHODS, SEEDS, compute=QUICK)

# %% tags=["remove-input"]
from IPython.display import display

from bnntut import report

counts = {(d, m): sorted(by_seed) for d in DATASETS for m, by_seed in seeds[d].items()}
kinds = sorted({comparison.interval_kind(len(s)) for s in counts.values() if s})
devices = sorted({r["metadata"]["device_name"] for d in DATASETS for m in METHODS
                  for r in seeds[d][m].values()})
display(book.markdown(
    "Trained and committed so far (the rest is one command away: `python -m bnntut "
    f"reproduce --preset {PRESET} --seeds {' '.join(map(str, comparison.SEEDS))}`):"))
display(report.frame({METHOD_LABELS[m]: {plots.DATASET_LABELS[d]: ", ".join(map(str, counts[d, m]))
                                         for d in DATASETS}
                      for m in METHODS}, "Model", columns_name="seeds"))
display(book.markdown(
    f"In the tables below, each mean over the seeds is followed by its interval (here "
    f"**{' / '.join(kinds)}**): the smallest and largest value for fewer than "
    f"{comparison.T_INTERVAL_MIN_N} seeds, the bounds of a 95 % Student-t interval of the "
    f"mean from {comparison.T_INTERVAL_MIN_N} on. Trained on: {'; '.join(devices)}."))

# %%
fig = comparison.seed_figure(seeds)

# %% tags=["remove-input"]
for dataset in DATASETS:
    display(book.markdown(f"**{plots.DATASET_LABELS[dataset]}** — test accuracy over seeds, "
                          "BBB pruned by SNR, baselines by global L1, no fine-tuning:"))
    display(comparison.seed_table(seeds[dataset], TABLE_AMOUNTS))

# %% tags=["remove-input"]
gap_lines = []
for dataset in DATASETS:
    for amount in (0.75, 0.9):
        gaps = comparison.paired_gaps(seeds[dataset], "bbb", "sgd", amount)
        if len(gaps) > 1:
            values = ", ".join(f"{g:+.4f} (seed {s})" for s, g in gaps.items())
            same = "the same sign for every seed" if len({g > 0 for g in gaps.values()}) == 1 \
                else "**the sign changes with the seed**"
            gap_lines.append(f"- {plots.DATASET_LABELS[dataset]}, {amount:.0%} removed: "
                             f"BBB (SNR) − \"SGD\" (L1) = {values}: {same}.")
book.markdown("Does the ranking of BBB and the \"SGD\" net survive a change of seed?\n\n"
              + "\n".join(gap_lines) if gap_lines else
              "Only one seed is committed for BBB and the \"SGD\" net so far.")

# %% [markdown]
# ## 2. Pruning criteria on equal terms
#
# Is SNR the right criterion for BBB, and is global L1 fair to the baselines? Each model is
# pruned with every criterion of its family — for BBB: SNR $|\mu|/\sigma$, $|\mu|$ alone, and a seeded
# random choice; for the deterministic nets: global L1, the same fraction of every layer by
# L1 (per-layer L1), and random. Each criterion ranks either weights and biases together (the
# study's choice, solid lines) or weights only, leaving every bias in place (dashed). All
# curves use the same test set and the same prediction (BBB: posterior mean).
#
# This arm and the next use the seed-0 models only. Criteria compared on one trained model are
# a paired comparison (same weights, different ranking), so the seed-to-seed spread of
# section 1 does not enter the differences between criteria of one model; it does enter any
# comparison *across* models, which section 1 measures.

# %%
crit = comparison.derived_results("criteria", PRESET, DATASETS, METHODS, compute=QUICK)
for dataset in DATASETS:
    if crit[dataset]:
        comparison.criteria_figure(crit[dataset], dataset)

# %% tags=["remove-input"]
for dataset in DATASETS:
    if crit[dataset]:
        display(book.markdown(f"**{plots.DATASET_LABELS[dataset]}** (BBB: posterior mean / "
                              "10-sample ensemble):"))
        display(comparison.criteria_table(crit[dataset], 0.9))

# %% tags=["remove-input"]
findings = []
for dataset in DATASETS:
    for method, result in crit[dataset].items():
        names = comparison.criteria.CRITERION_MARKDOWN[result["family"]]
        best, accuracy = comparison.best_criterion(result, 0.9)
        best_weights_only, _ = comparison.best_criterion(result, 0.9, "weights_only")
        findings.append(f"- {plots.DATASET_LABELS[dataset]}, {comparison.label(method)}: best "
                        f"at 90 % removed is **{names[best]}** ({accuracy:.4f}); ranking "
                        f"weights only, **{names[best_weights_only]}**.")
book.markdown("\n".join(findings) if findings else
              "No criteria results are committed yet: `python -m bnntut criteria --preset "
              f"{PRESET}`.")

# %% [markdown]
# ## 3. Fine-tuning with the mask held fixed
#
# The study pruned and stopped. {cite:t}`han2015learning` retrain the surviving
# weights after pruning, with the pruned ones held at zero. `bnntut.finetune` does this at
# each fraction below, at a tenth of the training learning rate: the deterministic nets with
# `torch.nn.utils.prune.custom_from_mask` (forward multiplies by the mask); BBB by training
# μ and ρ of the survivors — the pruned entries keep $\mu = 0$ and $\sigma = 0$ because their
# gradients are masked, and they leave the complexity cost, where a point mass at zero has no density.
# Tests check that the removed set is identical before and after, and zero in every sampled
# forward.

# %%
ft = comparison.derived_results("finetune", PRESET, DATASETS, METHODS, compute=QUICK)

# %% tags=["remove-input"]
settings = spec["finetune"]
book.markdown(f"Settings: fractions {', '.join(f'{a:.0%}' for a in settings['amounts'])}; "
              f"{settings['epochs']} epochs each at {settings['lr_factor']} × the training "
              "learning rate; same batches, optimiser, dropout and BBB objective as training. "
              "Models: seed 0.")

# %%
if any(ft.values()):
    comparison.finetune_figure({d: r for d, r in ft.items() if r})

# %% tags=["remove-input"]
for dataset in DATASETS:
    if ft[dataset]:
        display(book.markdown(f"**{plots.DATASET_LABELS[dataset]}** — pruned only and "
                              "fine-tuned:"))
        display(comparison.finetune_table(ft[dataset]))

# %% tags=["remove-input"]
book.markdown("\n\n".join(
    f"**{plots.DATASET_LABELS[d]}**\n\n" + "\n".join(
        comparison.finetune_findings(ft[d], [a for a in settings["amounts"] if a >= 0.9]))
    for d in DATASETS if ft[d]) or "No fine-tuning results are committed yet.")

# %% [markdown]
# ## 4. The KL schedule
#
# The study weighted the complexity cost of minibatch $i$ by $2^{1-i}$ — four times
# Blundell's normalised $2^{M-i}/(2^M-1)$, and both put almost all of it on the first few
# minibatches of every epoch (see {doc}`bayes_by_backprop`). A uniform weighting $1/M$ spreads
# the same total evenly. How does the schedule shape the posterior's signal-to-noise ratios — the quantity
# SNR pruning ranks by — and how prunable is the result?

# %%
kl = comparison.kl_results(PRESET, DATASETS, SEEDS, compute=QUICK)
if any(len(v) > 1 for v in kl.values()):
    comparison.kl_figure({d: v for d, v in kl.items() if v})

# %% tags=["remove-input"]
for dataset in DATASETS:
    if kl[dataset]:
        display(book.markdown(f"**{plots.DATASET_LABELS[dataset]}** — mean σ, median SNR and "
                              "accuracy after SNR pruning (posterior mean) at each fraction "
                              "removed; per weighting the mean over the seeds, then their "
                              "interval:"))
        display(comparison.kl_table(kl[dataset], TABLE_AMOUNTS))

# %% [markdown]
# How to read this: the complexity cost is what pulls σ up (towards the prior) and μ of
# useless weights towards zero, so it is what creates the low-SNR weights that SNR pruning can
# remove. Under $2^{1-i}$ and Blundell's schedule, the first few minibatches of every epoch
# carry essentially all of it and the next few hundred none; under the uniform schedule every
# minibatch carries $1/M$ of it. The lines below give, per schedule, the median SNR, the mean σ
# and the accuracy after SNR pruning: the mean over the seeds trained, with the range over
# seeds in brackets.

# %% tags=["remove-input"]
book.markdown("\n\n".join(
    f"**{plots.DATASET_LABELS[d]}**\n\n" + "\n".join(comparison.kl_findings(kl[d], (0.75, 0.9)))
    for d in DATASETS if len(kl[d]) > 1)
    or "The ablation models are not committed yet: `python -m bnntut reproduce --preset "
       f"{PRESET} --methods bbb-kl-blundell bbb-kl-uniform`.")

# %% [markdown]
# ## 5. Blundell's scale
#
# Blundell et al. pruned a much larger network, trained much longer, and reported that it
# lost almost nothing {cite}`blundell2015weight` (their Table 2). The `blundell` preset
# describes that experiment as data:

# %% tags=["remove-input"]
blundell = get_preset("blundell")
config = method_config("blundell", "mnist", "bbb")
display(book.markdown(
    f"{blundell['description']}\n\n"
    f"Hidden layers {config['model']['hidden']}, {config['train']['epochs']} epochs, "
    f"minibatch {config['train']['batch_size']}, weighting "
    f"`{config['train']['kl_weighting']}`. Their Table 2:"))
display(report.frame({report.percent(a): {"test error": report.number(e, 2, unit=" %")}
                      for a, e in BLUNDELL_TABLE2_ERROR.items()},
                     "removed", columns_name="Blundell et al., Table 2"))


# %% tags=["remove-input"]
def admonition(kind: str, title: str, body: str):
    """A MyST admonition with a title, as Markdown output (``{admonition}`` takes the
    title; ``:class:`` gives it the look of a note or warning)."""
    return book.markdown(f":::{{admonition}} {title}\n:class: {kind}\n{body}\n:::")


blundell_run = comparison.blundell_result()
full_run = "```bash\npython -m bnntut reproduce --preset blundell --device cuda\n```"
full_epochs = config["train"]["epochs"]
if blundell_run is None:
    display(admonition(
        "note", "Not run yet",
        "The full schedule needs a GPU (on two CPU cores it would take many hours). It is "
        f"one command:\n\n{full_run}\n\nand this section shows its result once it is "
        "committed."))
else:
    run_preset, result = blundell_run
    meta = result["metadata"]
    epochs = result["config"]["train"]["epochs"]
    if run_preset != "blundell":
        display(admonition(
            "warning", "Shorter CPU schedule, not Blundell's",
            f"The result below is the `{run_preset}` preset: Blundell's network, data and "
            f"weighting, trained for {epochs} of the {full_epochs} epochs so that it fits on "
            "two CPU cores. No GPU was available for the full schedule; it is one "
            f"command,\n\n{full_run}\n\nand this section shows that run once it is "
            "committed."))
    display(comparison.blundell_table(result))
    display(book.markdown(
        f"Trained for {epochs} epochs on {meta['device_name']} in "
        f"{meta['seconds']['train_epochs'] / 60:.0f} min (commit "
        f"`{meta['git_commit'][:12]}`)."))

# %% [markdown]
# ## What each arm costs
#
# Wall time of each arm as recorded in the results' metadata, on the device named in each
# result (on the two-core CPU, other work shared the cores during parts of some runs, so
# these are upper bounds):

# %% tags=["remove-input"]
def _seconds(results, key):
    return sum(r["metadata"]["seconds"][key] for r in results)


cost_lines = []
extra = [r for d in DATASETS for m in METHODS for s, r in seeds[d][m].items() if s != 0]
if extra:
    cost_lines.append(f"- extra seeds: {len(extra)} trainings, "
                      f"{_seconds(extra, 'train_epochs') / 60:.1f} min of training")
for name, found, key in (("criteria", crit, "sweeps"), ("fine-tuning", ft, "fine_tune")):
    results = [r for d in DATASETS for r in found[d].values()]
    if results:
        cost_lines.append(f"- {name}: {len(results)} models, "
                          f"{_seconds(results, key) / 60:.1f} min")
ablation = [r for d in DATASETS for w, by_seed in kl[d].items() if w != "paper"
            for r in by_seed.values()]
if ablation:
    cost_lines.append(f"- KL ablation: {len(ablation)} trainings, "
                      f"{_seconds(ablation, 'train_epochs') / 60:.1f} min of training")
if blundell_run is not None:
    run_preset, result = blundell_run
    cost_lines.append(f"- Blundell's experiment (`{run_preset}` preset, "
                      f"{result['config']['train']['epochs']} epochs): 1 training, "
                      f"{_seconds([result], 'train_epochs') / 60:.1f} min")
book.markdown("\n".join(cost_lines) or "Nothing beyond the study has been run yet.")
