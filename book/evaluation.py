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
# # Evaluation
#
# ## What you will learn
#
# * How a Bayesian network's accuracy is computed two ways, posterior mean and Monte Carlo
#   ensemble, checked against the package.
# * The study's Tables 1 and 2 beside ours.
# * When two test accuracies differ by more than chance.
# * What BBB costs to train, and whether it "needs fewer epochs to fit".

# %% tags=["hide-cell"]
# Colab: install bnntut with the book's package and fetch the committed results (from _config.yml's repository, or $BNNTUT_REPOSITORY).
import importlib.util
import os
import subprocess
import sys

REPOSITORY = os.environ.get("BNNTUT_REPOSITORY") or "https://github.com/bnntut/bnntut"
if "google.colab" in sys.modules and importlib.util.find_spec("bnntut") is None:
    subprocess.run(["git", "clone", "--depth=1", REPOSITORY, "bnntut-repo"], check=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "-e", "bnntut-repo[book]"], check=True)
    sys.path.insert(0, os.path.abspath("bnntut-repo"))
    os.chdir("bnntut-repo/book")

# %%
import torch
import torch.nn.functional as F

from bnnbook import book, claims, plots, report, style
from bnntut import bayes, collect, data, experiment, prune, study
from bnntut.noise import NoiseSource
from bnntut.presets import get_preset

PRESET = book.start()

# %% tags=["hide-cell"]
# Off by default. To retrain the whole study in this runtime and build
# this chapter from that run instead of the committed results, set
# RERUN = True (in Colab, first: Runtime → Change runtime type → GPU).
RERUN = book.rerun_requested()
if RERUN:
    book.rerun(PRESET)   # reproduce, then $BNNTUT_RESULTS points there

# %%
results = collect.grid(PRESET, compute=PRESET != "paper")

# %% [markdown]
# ## Accuracy, two ways
#
# A deterministic net in eval mode predicts the class with the largest
# $p(x) = \operatorname{softmax} f(x; W)$. BBB can predict with its **posterior mean**,
# $\operatorname{softmax} f(x; \mu)$, or with its **Monte Carlo ensemble**, which estimates
# the predictive distribution from $S$ weight samples:
#
# $$
# p(y \mid x) = \int \operatorname{softmax} f(x; w)_y \, q(w \mid \theta)\,\mathrm{d}w
# \approx \frac{1}{S} \sum_{s=1}^{S}
#   \operatorname{softmax} f\bigl(x; \mu + \sigma \odot \varepsilon^{(s)}\bigr)_y .
# $$
#
# Probabilities are averaged, then the argmax taken: not a majority vote, nor a softmax of
# averaged logits (Exercise 1). For the MNIST BBB net with 90 % removed by SNR
# ({doc}`pruning`), with the package's seeded noise:

# %%
mnist = data.load("mnist", subset=get_preset(PRESET).subset)
x, y = mnist.x_test, mnist.y_test               # (n, 784), (n,)


@torch.no_grad()
def accuracy_two_ways(net, S=10, seed=0):
    """Accuracy of a BBB net: posterior mean, and S-sample MC ensemble."""
    mu, rho = zip(*bayes.variational_pairs(net))    # W1, b1, ..., b3
    eps = bayes.draw_noise(net, S, NoiseSource(seed))   # (S, *μ.shape) each

    def probs(w):                              # softmax f(x; w): (n, 10)
        h = torch.relu(F.linear(x, w[0], w[1]))
        h = torch.relu(F.linear(h, w[2], w[3]))
        return torch.softmax(F.linear(h, w[4], w[5]), -1)

    p_mc = sum(probs([m + bayes.sigma(r) * e[s]    # μ + σ ε
                      for m, r, e in zip(mu, rho, eps)])
               for s in range(S)) / S
    return [(p.argmax(-1) == y).float().mean().item()
            for p in (probs(mu), p_mc)]


bbb = experiment.trained_model("mnist", "bbb", PRESET, device="cpu")
pruned = prune.snr(bbb, 0.9)
acc_mean, acc_mc = accuracy_two_ways(pruned)
print(f"posterior mean {acc_mean:.4f}, 10-sample ensemble {acc_mc:.4f}")

# %% tags=["remove-cell"]
# The package's tested function agrees (eager kernels; its fused kernel may differ from
# log1p(exp(ρ)) in the last bit, an image either way for the ensemble), and so does the
# stored sweep; mc_gap: the largest ensemble − mean difference over the tables.
from bnntut import evaluate, fastmath

fastmath.set_compile(False)
stored = report.accuracy_at(results["mnist"]["bbb"], 0.9)
assert acc_mean == evaluate.accuracy(pruned, x, y) == stored
assert abs(acc_mc - evaluate.accuracy(pruned, x, y, samples=10, seed=0)) <= 1 / len(y)
fastmath.set_compile(None)
book.glue("mc_gap", max(abs(report.accuracy_at(r["bbb"], a, ensemble=True)
                            - report.accuracy_at(r["bbb"], a))
                        for r in results.values() for a in evaluate.TABLE_AMOUNTS))

# %% [markdown]
# Over every fraction of the tables below, the ensemble moves BBB's accuracy by at most
# {glue:text}`mc_gap:.4f`: after 50 epochs the posterior is narrow ({doc}`weights`).
#
# ## Table 1 — MNIST
#
# Accuracy after removing 0 to 98 % of the parameters, no fine-tuning (baselines by global
# $|w|$, BBB by SNR): *ours* (seed 0), the study's, and the difference. "SGD" is the study's
# name for Adam + dropout 0.01 ({doc}`baselines`).

# %% tags=["remove-input"]
report.comparison_table(results["mnist"], "mnist")

# %% [markdown]
# ## Table 2 — Fashion-MNIST

# %% tags=["remove-input"]
report.comparison_table(results["fashion-mnist"], "fashion-mnist")

# %% tags=["remove-cell"]
# Unpruned, ours against the study's: both measured on a test set of n images.
unpruned = [claims.compare(report.accuracy_at(r[m], 0.0), study.STUDY_TABLES[d][m][0],
                           claims.n_test_images(r[m]), claims.n_test_images(r[m]))
            for d, r in results.items() for m in r]
book.glue("unpruned_gap", 100 * max(abs(c["difference"]) for c in unpruned))
within = all(c["verdict"] == claims.WITHIN_NOISE for c in unpruned)
book.glue("unpruned_noise", "all within noise" if within else "not all within noise")

# %% [markdown]
# Unpruned, every row is within {glue:text}`unpruned_gap:.2f` percentage points of the
# study's ({glue:text}`unpruned_noise` by the rule below): the training is reproduced.
# Pruned for real, BBB's accuracy falls; the study's flat BBB rows are the unpruned network
# evaluated again and again ({doc}`reproduction_notes`).
#
# ## When is a difference a difference?
#
# Another $n$ test images would give a slightly different accuracy: an accuracy $p$ carries
# the test set's **standard error** $\sqrt{p(1-p)/n}$. Two models differ only when their
# difference exceeds $2\sqrt{\mathrm{SE}_1^2 + \mathrm{SE}_2^2}$; within that margin the book
# gives no verdict. Means over seeds must also clear twice the standard error of their
# difference over the seeds, $2\sqrt{s_1^2/k_1 + s_2^2/k_2}$. The rule is
# `stats.compare_over_seeds`, here on the study's headline, BBB against the "SGD" net at
# 90 % removed on MNIST:

# %%
ranking = claims.ranking_comparison(PRESET, "mnist", 0.9,
                                    compute=PRESET != "paper")
for mode in claims.BIAS_MODES:
    r = ranking[mode]
    spread = r["seed_margin"]
    seeds = "" if spread is None else f", seeds {spread:.4f}"
    print(f"{mode:13s} Δ = {r['difference']:+.4f}, "
          f"2 SE: test set {r['margin']:.4f}{seeds}: BBB {r['verdict']}")

# %% tags=["remove-cell"]
book.glue("ranking_basis", ranking["basis"])
book.glue("ranking_effect", "changes" if claims.ranking_decides(ranking) else "stays")

# %% [markdown]
# The two lines differ only in whether the biases are ranked with the weights, as in the
# study ({doc}`pruning`), or kept. The verdict {glue:text}`ranking_effect` with that choice
# ({glue:text}`ranking_basis`); {doc}`conclusions` follows it over fractions and seeds.
#
# The whole curve, every 5 % (seed 0), on a log scale of the fraction kept. Crosses: the
# study's values; dashed with open markers: BBB's ensemble; dotted: BBB ranked by $|\mu|$.
# Blundell et al.'s larger, longer-trained net pruned better
# ({doc}`blundell_protocol`).

# %%
fig = plots.prune_figure(results, study.STUDY_TABLES)

# %% [markdown]
# ## Training cost
#
# The study: BBB "takes about 50 minutes to complete 50 epochs [...] while SGD and Dropout
# networks only take about 5 minutes". Ours (seed 0, test evaluation excluded):

# %% tags=["remove-input"]
ratios = {d: r["bbb"]["metadata"]["seconds"]["train_epochs"]
          / r["sgd"]["metadata"]["seconds"]["train_epochs"] for d, r in results.items()}
study_ratio = study.STUDY_TRAINING_MINUTES["bbb"] / study.STUDY_TRAINING_MINUTES["baseline"]
book.glue("ratio_mnist", ratios["mnist"])
book.glue("study_ratio", study_ratio)
report.frame({style.DATASET_LABELS[d]: {
    "ours": report.number(ratio, 1, unit="×"),
    "the study's": report.number(study_ratio, 0, unit="×"),
    "our device": results[d]["bbb"]["metadata"]["device_name"]} for d, ratio in ratios.items()},
    "Dataset", columns_name="BBB / SGD training time")

# %% [markdown]
# Two weight samples double the matrix products and the noise adds the rest; the study's
# larger ratio may come from a less optimised implementation (we have not run its code;
# `benchmarks/README.md` measures each optimisation). Parts of our run shared two cores with
# other work, so the times are rough; {doc}`gpu_study` repeats the study on a GPU.
#
# ## "Fewer epochs to fit"
#
# The study concludes that BBB "needs relatively fewer epochs to fit"; one run per model
# cannot show that. The epochs each model needs to come within 0.5 percentage points of its
# final test accuracy (`claims.epochs_to_fit`), smallest–largest over the committed seeds:

# %% tags=["remove-input"]
from bnntut.presets import METHOD_LABELS

datasets, methods, seeds = book.chapter_scope(PRESET)
runs = collect.grid(PRESET, datasets, methods, seeds, compute=PRESET != "paper")
fits = {(d, m): [claims.epochs_to_fit(r) for r in runs[d][m].values()]
        for d in datasets for m in runs[d]}


def span(v):
    return "(not run)" if not v else f"{min(v)}–{max(v)}" if min(v) < max(v) else str(v[0])


RELATION = {"fewer": "fewer epochs on every seed", "more": "more epochs on every seed",
            "overlap": "ranges that overlap"}
for d, tag in (("mnist", "mnist"), ("fashion-mnist", "fmnist")):
    bbb_fits, sgd_fits = fits.get((d, "bbb"), []), fits.get((d, "sgd"), [])
    book.glue(f"fit_{tag}", RELATION[claims.epochs_relation(bbb_fits, sgd_fits)]
              if bbb_fits and sgd_fits else "(not run)")
    book.glue(f"bbb_fit_{tag}", span(bbb_fits))
    book.glue(f"sgd_fit_{tag}", span(sgd_fits))
    book.glue(f"bbb_fit_seed0_{tag}", span(bbb_fits[:1]))
    book.glue(f"sgd_fit_seed0_{tag}", span(sgd_fits[:1]))
book.glue("n_seeds", len(seeds))
report.frame({METHOD_LABELS[m]: {style.DATASET_LABELS[d]: span(fits.get((d, m)))
                                 for d in datasets} for m in methods},
             "Model", columns_name="epochs to fit")

# %% [markdown]
# Against the "SGD" net, BBB has {glue:text}`fit_mnist` on MNIST and {glue:text}`fit_fmnist`
# on Fashion-MNIST; only "fewer epochs on every seed" would support the study's claim.
#
# ## Key takeaways
#
# * BBB's posterior mean and Monte Carlo ensemble barely differ: the trained posterior is
#   narrow.
# * Unpruned, the study's training is reproduced; pruned for real, BBB loses accuracy too.
# * A test accuracy carries a standard error; a difference within two is no ranking, and by
#   that rule the MNIST headline depends on how the biases are ranked.
# * BBB took {glue:text}`ratio_mnist:.1f` times as long to train as the "SGD" net on MNIST,
#   not the study's {glue:text}`study_ratio:.0f`; whether it fits in fewer epochs needs
#   several seeds.
#
# ## Exercises
#
# 1. **Average what?** Three networks give one image the probabilities $(0.99, 0.01)$,
#    $(0.2, 0.8)$ and $(0.2, 0.8)$. Which class do averaged probabilities, a majority vote
#    and the softmax of averaged logits predict? Which is the Monte Carlo estimate?

# %% [markdown]
# :::{admonition} Solution
# :class: dropdown
# Averaged probabilities: $(0.463, 0.537)$, class 2. Majority vote: the same. Averaged logits:
# the logit differences are $4.60$, $-1.39$ and $-1.39$, their mean $+0.61$,
# so class 1: one confident network outvotes two hesitant ones.
#
# Only the average of probabilities estimates $\int p(y \mid x, w)\, q(w \mid \theta)\,
# \mathrm{d}w$; it is what `accuracy_two_ways` and `bnntut.evaluate.predict_proba` compute.
# The cell below checks the numbers.
# :::

# %% tags=["hide-cell"]
p = torch.tensor([[0.99, 0.01], [0.2, 0.8], [0.2, 0.8]])
print("average of probabilities:", p.mean(0))
print("votes per class:", torch.bincount(p.argmax(-1), minlength=2))
print("softmax of averaged logits:", torch.softmax(p.log().mean(0), -1))

# %% [markdown]
# 2. **How many samples?** Evaluate the pruned BBB net's ensemble with $S = 1, 2, 5$
#    (`accuracy_two_ways`) against $S = 10$ and the posterior mean. Why can a few samples do
#    worse than the mean, and why do more catch up?

# %% tags=["hide-cell"]
for S in (1, 2, 5):
    print(f"S = {S:2d}: ensemble {accuracy_two_ways(pruned, S)[1]:.4f}")
print(f"S = 10: ensemble {acc_mc:.4f}; posterior mean {acc_mean:.4f}")

# %% [markdown]
# :::{admonition} Solution
# :class: dropdown
# One sample is one random network: the mean plus noise in every surviving weight, which
# costs accuracy. Averaging more samples cancels the noise, and the ensemble approaches the
# predictive distribution, here close to the posterior mean's prediction because σ is small.
# :::
#
# 3. **One seed or three?** With seed 0 alone, by the rule above, BBB fits Fashion-MNIST in
#    {glue:text}`bbb_fit_seed0_fmnist` epochs and the "SGD" net in
#    {glue:text}`sgd_fit_seed0_fmnist`. Would you report which fits faster?
#
# :::{admonition} Solution
# :class: dropdown
# No. Across the {glue:text}`n_seeds` seeds the epochs range over
# {glue:text}`bbb_fit_fmnist` for BBB and {glue:text}`sgd_fit_fmnist` for the "SGD" net: the
# difference of one run is within the spread between runs of the same model. A claim about
# a method needs the spread over seeds, as {doc}`fair_comparison` does for the pruned
# accuracies.
# :::
