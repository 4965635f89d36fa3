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
# # What makes a network prunable

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
import numpy as np
import torch
from IPython.display import display

from bnnbook import (
    book,
    comparison,
    plots,
    prunability,
    report,
    uncertainty_views,
)

PRESET = book.start()
# Quick mode trains its rows on the spot; the book only loads.
QUICK = PRESET != "paper"
# Every row, both datasets and three seeds for `paper`;
# a labelled slice in quick mode (CI).
DATASETS, ROWS, SEEDS = prunability.scope(PRESET)
collected = comparison.seed_results(PRESET, DATASETS, ROWS, SEEDS,
                                    compute=QUICK)
summaries = {d: prunability.rows(collected[d]) for d in DATASETS}

# %% tags=["remove-cell"]
for key, text in prunability.chapter_values(summaries, collected).items():
    book.glue(key, text)
if not QUICK:  # the prose states these decisions: a rerun that changes one stops here
    assert all(prunability.chapter_claims(summaries, collected).values())

# %% [markdown]
# **Trained as the study trained it, the Bayes-by-Backprop network prunes badly by its
# signal-to-noise ratio (SNR) $|\mu|/\sigma$, because its σ hardly leave their random initial
# values ({doc}`weights`): ranking by $|\mu|/\sigma$ ranks by $|\mu|$ scrambled with noise.**
# Two changes together let σ move and make the network prunable by SNR: the complexity cost
# in every minibatch (the uniform weighting, which is the ELBO itself) and Adam at a ten
# times larger learning rate. With both, it keeps {glue:text}`best_mnist_95` of the MNIST test
# images with 95 % of its weights removed, against {glue:text}`study_mnist_95` for the study's
# protocol (means of {glue:text}`best_mnist_nseeds` seeds). That is still
# {glue:text}`best_mnist_err_95` % error where Blundell et al.'s Table 2 reports
# {glue:text}`table2_95` % for their larger, longer-trained network. A deterministic net with an L1 penalty, MAP under a Laplace prior,
# prunes at least as well after a smaller search, so being Bayesian is not necessary here.
#
# ## What you will learn
#
# * why Adam at the study's learning rate keeps σ near its initial value — a bound you can
#   compute in one line, and check against `torch.optim.Adam`;
# * which single change to the study's protocol — complexity weighting, optimiser, learning
#   rate, initialisation of ρ, prior, epochs, weight samples — changes prunability most,
#   measured on both datasets;
# * how far the best rows are from Blundell et al.'s Table 2, and how a deterministic net
#   with an L1 penalty compares;
# * what the prunable network costs in unpruned accuracy and in uncertainty.
#
# Blundell et al.'s own network, trained at their scale, has a chapter of its own:
# {doc}`blundell_protocol`.
#
# ## 1. A budget for σ
#
# Adam {cite}`kingma2015adam` moves parameter $\theta$ by
# $\Delta\theta_t = -\eta\,\hat m_t / (\sqrt{\hat v_t} + \epsilon)$, where $\hat m_t$ and
# $\hat v_t$ are bias-corrected running means of the gradient and of its square. When the
# gradient keeps its sign and size $g$, both estimates settle at $g$ and $g^2$, and
#
# $$
# |\Delta\theta_t| = \eta \, \frac{|g|}{|g| + \epsilon} \approx \eta ,
# $$
#
# *whatever the size of $g$*. Over $T$ steps a parameter moves at most about $\eta T$. Here is
# Adam written out for one parameter, checked against PyTorch's:

# %%
def adam_by_hand(grads, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    """Positions of one parameter, starting at 0, under Adam with the
    given gradients."""
    theta, m, v, path = 0.0, 0.0, 0.0, []
    for t, g in enumerate(grads, start=1):
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        theta -= (lr * (m / (1 - beta1**t))
                  / ((v / (1 - beta2**t)) ** 0.5 + eps))
        path.append(theta)
    return np.array(path)


grads = np.full(1000, -37.0)                     # a strong, steady push
by_hand = adam_by_hand(grads, lr=1e-4)
p = torch.zeros(1, dtype=torch.float64, requires_grad=True)
opt = torch.optim.Adam([p], lr=1e-4)
reference = []
for g in grads:
    p.grad = torch.tensor([g], dtype=torch.float64)
    opt.step()
    reference.append(p.item())
print(f"after 1000 steps: by hand {by_hand[-1]:.6f}, "
      f"torch {reference[-1]:.6f}, "
      f"bound lr * T = {1e-4 * 1000:.6f}")
assert np.allclose(by_hand, reference, rtol=1e-10, atol=1e-12)

# %% [markdown]
# The study trains for 50 epochs of 600 minibatches, $T = 30\,000$ steps, so at
# $\eta = 10^{-4}$ no $\rho$ can move by more than about {glue:text}`rho_budget_1e4` — and
# only if its gradient pushes the same way in every step. With $\sigma = \log(1 + e^{\rho})$
# and $\rho$ drawn from $U(-5, -4)$, σ starts between {glue:text}`band_low` and
# {glue:text}`band_high`.
#
# The complexity cost is what pulls σ towards the prior's scales, and the study's weighting
# $2^{1-i}$ applies it in only the first few minibatches of each epoch: in the other steps
# the likelihood alone pushes σ *down*. A learning rate of $10^{-3}$ raises the budget to
# {glue:text}`rho_budget_1e3`; the uniform weighting $1/M$ applies the pull in every step.
#
# **A toy: a weight the data do not need.** Take one weight with no likelihood term at all:
# only the complexity cost $\kappa_i\,\mathrm{KL}(q \,\|\, P)$ acts on it. Its best
# posterior is the prior's narrow component — $\mu = 0$, $\sigma = \sigma_2$ — which is where
# a network's unneeded weights should go. Train its $(\mu, \rho)$ for the study's 50 epochs of
# 600 steps, from $\mu = 0.1$, $\rho = -4.5$, with the package's weighting
# (`bayes.kl_weight`) and mixture prior (`bayes.log_mixture_prior`):

# %%
def free_weight(lrs=(1e-4, 1e-3), weightings=("paper", "uniform"),
                epochs=50, m=600, samples=4, seed=0):
    """Final (μ, σ) of a weight trained on the complexity cost alone, one
    per (learning rate, weighting); Adam, the study's prior,
    reparameterised samples."""
    from bnntut import bayes

    torch.manual_seed(seed)
    kappa = torch.tensor([[bayes.kl_weight(w, i, m) for w in weightings]
                          for i in range(m)])
    shape = (len(weightings),)
    mu = [torch.full(shape, 0.1, requires_grad=True) for _ in lrs]
    rho = [torch.full(shape, -4.5, requires_grad=True) for _ in lrs]
    opt = torch.optim.Adam([{"params": [a, b], "lr": lr}
                            for a, b, lr in zip(mu, rho, lrs)])
    prior = (0.5, 1.0, float(np.exp(-6)))
    for step in range(epochs * m):
        loss = 0.0
        for a, b in zip(mu, rho):
            sd = torch.nn.functional.softplus(b)
            w = a + sd * torch.randn(samples, *shape)
            kl = (bayes.log_gaussian(w, a, sd)
                  - bayes.log_mixture_prior(w, *prior)).mean(0)
            loss = loss + (kappa[step % m] * kl).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
    return {(lr, w): (a[j].item(),
                      torch.nn.functional.softplus(b.detach()[j]).item())
            for a, b, lr in zip(mu, rho, lrs)
            for j, w in enumerate(weightings)}


# Quick mode (CI): 5 epochs, labelled below.
TOY_EPOCHS = 50 if not QUICK else 5
toy = free_weight(epochs=TOY_EPOCHS)
for (lr, weighting), (mu_end, sd_end) in toy.items():
    print(f"Adam {lr:g}, weighting {weighting:7s}: mu = {mu_end:+.4f}, "
          f"sigma = {sd_end:.4f}")
if QUICK:
    print("QUICK MODE: 5 epochs, not the study's 50")

# %% tags=["remove-cell"]
for key, (lr, weighting) in {"toy_paper": (1e-4, "paper"), "toy_uniform": (1e-4, "uniform"),
                             "toy_paper_fast": (1e-3, "paper")}.items():
    book.glue(key, f"{toy[(lr, weighting)][1]:.4f}")
book.glue("toy_start", f"{np.log1p(np.exp(-4.5)):.4f}")
book.glue("sigma2", f"{np.exp(-6):.4f}")

# %% [markdown]
# Under the study's weighting the unneeded weight stays far from where the prior would put
# it: σ starts at {glue:text}`toy_start` and ends at {glue:text}`toy_paper` with Adam at
# $10^{-4}$ ({glue:text}`toy_paper_fast` at $10^{-3}$), against
# $\sigma_2 = e^{-6} \approx$ {glue:text}`sigma2`. The complexity cost acts in only the first
# few of each epoch's 600 steps, and between those bursts Adam's running means decay. Under
# the uniform weighting σ reaches {glue:text}`toy_uniform` even at $10^{-4}$: pulled a little
# in every step, it settles where the prior puts it.
#
# In a real network the likelihood pulls too, so the learning rate matters as well. The
# histograms of σ after training show what each change does (the shaded band is the initial
# range):

# %% tags=["remove-input"]
plots.use_style()
fig = prunability.sigma_figure(
    collected[DATASETS[0]], ("bbb", "bbb-kl-uniform", "bbb-lr1e-3",
                             "bbb-kl-uniform-lr1e-3"), DATASETS[0])

# %% [markdown]
# Either change alone moves σ on average (mean σ {glue:text}`lr_sigma` with Adam at $10^{-3}$,
# {glue:text}`uniform_sigma` with the uniform weighting, {glue:text}`study_sigma` for the
# study's protocol; MNIST, means over seeds). Together they split the weights in two, one
# group for each component of the prior (seed 0): {glue:text}`split_narrow` end with σ below
# 0.005, most near {glue:text}`split_mode`, the width of the prior's narrow component
# $\sigma_2 = e^{-6}$, and {glue:text}`split_broad` with σ of 0.1 or more, towards the broad
# component $\sigma_1 = 1$. The study's σ stayed between the two groups:
# {glue:text}`study_narrow` below 0.005 and {glue:text}`study_broad` at 0.1 or more.
#
# Of the combined row's means, {glue:text}`split_zero` lie within 0.006 of zero, against
# {glue:text}`study_zero` for the study's network (seed 0): the prior's spike has switched
# these weights off — what variational training with such priors is known to do, at times to
# excess {cite}`trippe2018overpruning`. Among the weights with a broad σ, the few whose mean
# stands out against it are the weights SNR keeps. Learned variances that switch weights off
# are also what sparse variational dropout {cite}`molchanov2017variational` and Bayesian
# compression {cite}`louizos2017bayesian` prune by.
#
# ## 2. One factor at a time
#
# Each row below is the study's protocol — 784-500-500-10, batch 100, 50 epochs, the
# study's prior, initialisation and two weight samples — with **one** thing changed, and a
# few combinations. Every row is an ablation of the `paper` preset, so it is one command to
# regenerate:
#
# ```bash
# python -m bnntut reproduce --preset paper --datasets mnist fashion-mnist \
#     --methods bbb-lr1e-3 --seeds 0 1
# ```
#
# What each row changes (the study's "SGD" net is Adam with dropout 0.01, and its rows are
# named so; "plain SGD" is plain SGD):

# %% tags=["remove-input"]
prunability.settings(ROWS)

# %% [markdown]
# The BBB rows are pruned by SNR (posterior mean, no fine-tuning), the deterministic rows by
# global magnitude; each cell is the mean over the seeds listed. Median SNR is
# $10\log_{10}(|\mu|/\sigma)$ over all weights and biases; training time is the median
# epoch's wall time times the number of epochs, on the shared two-core machine that trained
# the rows (the median leaves out epochs slowed by other work).

# %% tags=["remove-input"]
for dataset in DATASETS:
    display(book.markdown(f"**{plots.DATASET_LABELS[dataset]}**, pruned by "
                          "each network's own criterion"))
    display(prunability.table(summaries[dataset], "own"))

# %% [markdown]
# **The budget of section 1, spent.** Training three times as long (`bbb-150ep`) changes
# nothing but the number of Adam steps, so ρ may travel up to {glue:text}`rho_budget_150ep`
# instead of {glue:text}`rho_budget_1e4`.
#
# The extra steps went mostly into μ. On MNIST, with 90 % removed, SNR keeps
# {glue:text}`ep150_90_snr` (the study's 50 epochs: {glue:text}`study_mnist_90`) and $|\mu|$
# alone {glue:text}`ep150_90_mu` (means of seeds {glue:text}`ep150_seeds`). Yet
# {glue:text}`ep150_inside` of the σ of the first seed are still inside their initial band,
# estimated from the stored histogram of $\log_{10}\sigma$ ({doc}`weights` counts them for
# the study's network).

# %% tags=["remove-input"]
plots.use_style()
fig = prunability.figure(summaries, DATASETS)

# %% [markdown]
# The stars are this chapter's thresholds (section 3). The same BBB networks pruned by
# $|\mu|$ alone:

# %% tags=["remove-input"]
for dataset in DATASETS:
    display(book.markdown(f"**{plots.DATASET_LABELS[dataset]}**, BBB rows "
                          "pruned by |μ|"))
    display(prunability.table({m: s for m, s in summaries[dataset].items()
                               if s["snr"]}, "l1", details=False))

# %% [markdown]
# ## 3. Against Table 2, and against a penalty
#
# Blundell et al. {cite}`blundell2015weight` report {glue:text}`table2_95` % and
# {glue:text}`table2_98` % test error with 95 % and 98 % of their weights removed (Table 2).
# The best row here, *{glue:text}`best_mnist`*, errs {glue:text}`best_mnist_err_95` %
# and {glue:text}`best_mnist_err_98` % (MNIST, means of {glue:text}`best_mnist_nseeds` seeds):
# further from Table 2 than two standard errors of a test accuracy, $2\sqrt{p(1-p)/n}$ with
# $n = 10\,000$ test images. {doc}`blundell_protocol` trains their larger network.
#
# This chapter also set itself thresholds for the study's network, below Table 2's levels:
# on MNIST {glue:text}`thr_mnist_95` with 95 % removed and {glue:text}`thr_mnist_98` with
# 98 %, on Fashion-MNIST {glue:text}`thr_fmnist_90` with 90 % and {glue:text}`thr_fmnist_95`
# with 95 %. The tables give the best BBB row (SNR) and the best deterministic row
# (magnitude) at each; a verdict or a leader is named only where the difference exceeds
# twice its standard error (`claims.compare`; a threshold is a fixed number):

# %% tags=["remove-input"]
for dataset in DATASETS:
    if summaries[dataset]:
        best, det = (f(summaries[dataset], dataset) for f in (
            prunability.best_bbb, prunability.best_deterministic))
        display(book.markdown(
            f"**{plots.DATASET_LABELS[dataset]}**: *{comparison.label(best)}* "
            f"against *{comparison.label(det) if det else 'none stored'}*"))
        display(prunability.targets_table(summaries[dataset],
                                          collected[dataset], dataset))

# %% [markdown]
# **The deterministic nets' search.** They keep their best criterion, global magnitude, and
# get Adam at $10^{-3}$. Their counterpart of the complexity cost is a penalty on the
# weights, which magnitude pruning is known to like {cite}`han2015learning`: an L1 penalty is
# the negative log of a Laplace prior, so training with it finds the MAP weights under that
# prior {cite}`williams1995bayesian`. On the scale of the mean cross-entropy of a minibatch
# ($N$ training images), spread uniformly over the minibatches as the uniform weighting
# spreads the KL,
#
# $$
# -\frac{1}{N}\log P(w) \;=\; \lambda \sum_j |w_j| + \text{const}
# \quad\text{for a Laplace prior of scale } b = \frac{1}{N\lambda}.
# $$
#
# The rows `sgd-l1-1e-5-lr1e-3` and `sgd-l1-1e-4-lr1e-3` train the "SGD" net (Adam, dropout
# 0.01) at $10^{-3}$ with $\lambda = 10^{-5}$ and $10^{-4}$. The identity, checked against the
# package's penalty (`train.weight_l1`) on a network's weights:

# %%
from bnntut import models, train

N, lam = 60_000, 1e-4
net = models.mlp(dropout=0.01)
prior = torch.distributions.Laplace(0.0, 1.0 / (N * lam))
weights = torch.cat([m.weight.detach().flatten() for m in net.modules()
                     if isinstance(m, torch.nn.Linear)])
by_prior = -prior.log_prob(weights).sum() / N  # −log P(w) / N
# The part without w.
constant = -prior.log_prob(torch.zeros(())) * len(weights) / N
package = lam * train.weight_l1(net).detach()
print(f"-log P(w)/N minus its constant: {float(by_prior - constant):.6f}; "
      f"lambda * sum|w|: {float(package):.6f}")
assert torch.allclose(by_prior - constant, package, rtol=1e-4)

# %% [markdown]
# The best penalised row, *{glue:text}`det_mnist`* on MNIST and *{glue:text}`det_fmnist`* on
# Fashion-MNIST, keeps more than the best BBB row at {glue:text}`det_leads` of the
# {glue:text}`n_fractions` threshold fractions and is within noise of it at the others (the
# tables above). A deterministic net is therefore at least as prunable here: being Bayesian is
# not necessary. That is all these rows show. The search was not even-handed:
# {glue:text}`n_bbb_rows` BBB settings against {glue:text}`n_det_rows` deterministic ones,
# the best of each picked on the test images, and different prior families (a scale mixture
# against a Laplace). At scale, magnitude pruning matched sparse variational dropout
# {cite}`molchanov2017variational` and $L_0$ regularisation {cite}`louizos2018learning` in
# {cite:t}`gale2019state`.
#
# An equal-budget comparison is under way: the preset `budget` searches BBB, MAP under the
# same scale-mixture prior and MAP under a Laplace prior over the same grid, chooses each on
# 10 000 held-out images, then trains the choice with more seeds
# (`python -m bnntut budget`). Its results are not in yet.
#
# ## 4. What it costs
#
# A prunable configuration is worth having only if the unpruned network stays as good. On
# MNIST the best BBB row starts at {glue:text}`best_mnist_unpruned` unpruned, against
# {glue:text}`study_mnist_unpruned` for the study's protocol: within noise. On Fashion-MNIST
# the best row, *{glue:text}`best_fmnist`*, starts at {glue:text}`best_fmnist_unpruned`
# against {glue:text}`study_fmnist_unpruned` (means over seeds). A complexity cost that acts
# in every step also regularises the unpruned network, and the data set decides how much that
# costs.
#
# ## 5. Uncertainty of the prunable network
#
# Does the network that prunes well still know when it does not know? The calibration error
# (ECE, 15 bins) and the out-of-distribution AUROC of the predictive entropy (MNIST models
# shown Fashion-MNIST and vice versa), as {doc}`uncertainty` measures them, for the best BBB
# row and the best deterministic row beside the study's BBB and "SGD" nets (seed 0):

# %% tags=["remove-input"]
measured = {}
for dataset in DATASETS:
    if summaries[dataset]:
        measured[dataset] = prunability.uncertainty_results(
            summaries[dataset], dataset, PRESET, compute=QUICK)
        display(book.markdown(f"**{plots.DATASET_LABELS[dataset]}**"))
        display(uncertainty_views.styled_table(
            uncertainty_views.table(measured[dataset])))
for key, text in prunability.uncertainty_values(summaries, measured).items():
    book.glue(key, text)
if not QUICK:  # the text says the two data sets rank the two rows differently
    ranked = [prunability.auroc_at_hardest(summaries[d], measured[d], d)
              for d in DATASETS]
    assert len({max(r, key=r.get) for r in ranked}) == 2, ranked

# %% [markdown]
# With 98 % removed on MNIST, the best BBB row (posterior mean) reaches an AUROC of
# {glue:text}`auroc_bbb_mnist` and the best deterministic row {glue:text}`auroc_det_mnist`;
# with 95 % removed on Fashion-MNIST, {glue:text}`auroc_bbb_fmnist` and
# {glue:text}`auroc_det_fmnist` (seed 0). Which prunable network tells unfamiliar images
# apart better depends on the data set, on one seed each.
#
# ## Key takeaways
#
# * Adam moves a parameter by at most about its learning rate per step: at the study's
#   settings ρ can travel about {glue:text}`rho_budget_1e4` in all of training, so σ stays
#   near its random start and SNR pruning ranks weights partly at random.
# * σ is learned, and SNR becomes a good criterion, when the complexity cost acts in every
#   step and the step size lets σ travel; either change alone is not enough on MNIST
#   ({glue:text}`lr_mnist_95` and {glue:text}`uniform_mnist_95` kept at 95 % removed).
# * Which criterion is right depends on whether σ was learned: with σ learned, ranking by
#   $|\mu|$ destroys the network ({glue:text}`best_mnist_95_mu` at 95 % removed); with σ
#   stuck, $|\mu|$ is the better of the two.
# * Longer training at the study's settings helps through μ, not through σ.
# * Being Bayesian is not necessary for prunability here: a deterministic net with an L1
#   penalty, MAP under a Laplace prior, prunes at least as well. Whether BBB helps under an
#   equal search is the open `budget` comparison.
# * Even the best rows stay further from Blundell et al.'s Table 2 than test-set noise allows.
#
# ## Exercises
#
# 1. **The budget at other settings.** How far can ρ move in the `bbb-150ep` row, and in a
#    run at $10^{-3}$ for 150 epochs? Which of the two should let σ move more, and what do
#    the tables say?

# %% tags=["hide-cell"]
for name, lr, epochs in (("bbb-150ep", 1e-4, 150),
                         ("lr 1e-3, 150 epochs", 1e-3, 150)):
    print(f"{name}: at most about {lr * 600 * epochs:.0f} in rho")

# %% [markdown]
# 2. **How far does the best row go?** For the best BBB row on MNIST, find the largest
#    fraction removed (by SNR and by |μ|) at which the accuracy stays within one point of the
#    unpruned network, for each stored seed.

# %% tags=["hide-cell"]
b = prunability.best_bbb(summaries[DATASETS[0]], DATASETS[0])
for seed, result in sorted(collected[DATASETS[0]][b].items()):
    for criterion in ("snr", "l1"):
        sweep = result["prune"][criterion]
        base, kept = sweep["accuracy"][0], 0.0
        for amount, accuracy in zip(sweep["amounts"], sweep["accuracy"]):
            if base - accuracy > 0.01:
                break
            kept = amount
        print(f"{b} seed {seed}, {criterion}: within one point up to "
              f"{report.percent(kept)} removed")

# %% [markdown]
# 3. **Step size or number of steps?** Section 1 cannot tell whether a larger learning rate
#    helps because it lets σ travel further or because it trains μ faster. Design the run
#    that separates the two.
#
# :::{admonition} Solution
# :class: dropdown
# Give σ its own learning rate: two parameter groups in the optimiser, ρ at $10^{-3}$ and μ
# at $10^{-4}$ (and the reverse). If the first behaves like `bbb-lr1e-3` and the second like
# `bbb`, it is σ's budget that matters. In `bnntut` the optimiser is built in one place,
# `train._optimizer`, from `bayes.variational_parameters`, which returns the μ and ρ
# tensors — split that list by name.
# :::
