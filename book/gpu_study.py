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
# # The study on a GPU
#
# **What you will learn**
#
# * how to compare the runs of two devices when each seed is a different draw on each;
# * what such a check with three seeds per device can and cannot see;
# * why a BBB step is launch-bound on a GPU, and what CUDA graphs change.

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
from bnnbook import book
from bnntut.presets import get_preset

PRESET = book.start()

# %% [markdown]
# Every other chapter reads models trained on this project's two CPU cores. The ten models of the
# `paper` preset, three seeds each, were trained a second time on a GPU
# ({glue:text}`gpu_name`), each training step replayed as a CUDA graph
# (`BNNTUT_CUDA_GRAPHS=1`) and several models side by side in worker processes. Those
# runs are stored apart, in `results/gpu/paper/`, and serve only this section. A GPU run of
# seed $k$ is not the CPU run of seed $k$ redone: its noise and dropout masks come from the
# GPU's random generator, and its kernels add in another order. So the two devices give two
# sets of draws of the same training procedure, and the question is whether their means
# differ by more than the spread between seeds explains. With $n$ seeds per device, means
# $\bar a$ and standard deviations $s$ over the seeds, a difference is **detected** when
#
# $$
# \left|\bar a_{\mathrm{GPU}} - \bar a_{\mathrm{CPU}}\right|
# > 2\sqrt{\frac{s_{\mathrm{GPU}}^2}{n_{\mathrm{GPU}}} + \frac{s_{\mathrm{CPU}}^2}{n_{\mathrm{CPU}}}},
# $$
#
# twice the standard error of the difference. Written out for one quantity, the MNIST BBB
# network's unpruned accuracy, and checked against the package's `device_check.agreement`:

# %% tags=["hide-cell"]
import math
import statistics

from bnnbook import device_check

spec = get_preset(PRESET)
cpu_runs, gpu_runs = device_check.load(PRESET, spec.datasets, spec.methods)


def final_accuracies(runs):
    """Unpruned test accuracy of MNIST BBB, one per stored seed."""
    return [r["history"][-1]["test_accuracy"]
            for r in runs["mnist"]["bbb"].values()]


on_cpu, on_gpu = final_accuracies(cpu_runs), final_accuracies(gpu_runs)
if len(on_cpu) >= 2 and len(on_gpu) >= 2:   # GPU runs: full protocol only
    gap = statistics.fmean(on_gpu) - statistics.fmean(on_cpu)
    se = math.sqrt(statistics.variance(on_gpu) / len(on_gpu)
                   + statistics.variance(on_cpu) / len(on_cpu))
    print(f"GPU − CPU = {gap:+.4f}, 2 SE = {2 * se:.4f}, "
          f"detected: {abs(gap) > 2 * se}")
    package = device_check.agreement(on_cpu, on_gpu)
    assert math.isclose(package["difference"], gap)
    assert math.isclose(package["se"], se)

# %% tags=["remove-input"]
compared = device_check.compare(cpu_runs, gpu_runs)
detected, total = device_check.verdict(compared)
gpu_names = sorted({r["metadata"]["device_name"]
                    for r in device_check.every_run(gpu_runs)})
book.glue("gpu_name", ", ".join(gpu_names) or "no GPU runs stored")
book.glue("gpu_detected", detected)
book.glue("gpu_total", total)
false_alarm = device_check.false_alarm_rate()
book.glue("gpu_false_alarm", false_alarm)
book.glue("gpu_by_chance", false_alarm * total)
if PRESET == "paper":  # the paragraph below: which comparison crosses, and that chance explains it
    assert device_check.detections(compared) == [("mnist", "sgd", 0.9)]
    assert device_check.chance_explains(detected, total, false_alarm)
for amount, tag in ((0.0, "0"), (0.9, "90")):
    book.glue(f"gpu_margin_{tag}", device_check.margins(compared, amount)[1]
              if compared else float("nan"))
timing = device_check.epoch_seconds() or {}
book.glue("gpu_minutes", statistics.median(
    r["metadata"]["seconds"]["train_epochs"] / 60
    for r in device_check.every_run(gpu_runs)) if compared else float("nan"))
for kind in ("bbb-graphed", "bbb-eager"):
    book.glue(kind.replace("-", "_"),
              timing[kind]["median"] if timing else float("nan"))
device_check.table(compared) if compared else book.markdown(
    f"*No GPU runs of the `{PRESET}` preset are stored* (they exist for the full "
    "protocol, `results/gpu/paper/`).")

# %% [markdown]
# Each row compares the mean over three seeds on the CPU (mean ± standard deviation) with
# that on the GPU, unpruned and with 90 % of the parameters removed (SNR for BBB, L1 for the
# others). {glue:text}`gpu_detected` of the {glue:text}`gpu_total` comparisons exceed their
# margin: the "SGD" net at 90 % removed on MNIST, where the CPU's mean is the lower. That is
# as many as chance gives. With three seeds per device the spread is itself a guess, so the
# rule flags two devices that train alike about {glue:text}`gpu_false_alarm:.0%` of the time
# (`device_check.false_alarm_rate` simulates it): some {glue:text}`gpu_by_chance:.0f` of the
# comparisons by chance.
#
# No detected difference is not a proof that the two devices train alike either. The check
# is blind to differences smaller than its margin, at most {glue:text}`gpu_margin_0:.4f`
# unpruned but up to {glue:text}`gpu_margin_90:.4f` at 90 % removed, where the seeds spread
# widely.
#
# On the GPU a model's 50 epochs took {glue:text}`gpu_minutes:.1f` min of wall time (the
# median over the runs), with 10 to 15 models sharing the one card. Trained alone there, a
# BBB epoch takes {glue:text}`bbb_graphed:.2f` s with CUDA graphs and
# {glue:text}`bbb_eager:.1f` s without: an eager step launches about a hundred small kernels
# one by one from Python, and the GPU waits for each launch (`benchmarks/README.md`).
#
# To run the study on your own GPU, set `RERUN = True` in the hidden cell at the top of
# {doc}`evaluation` and run that chapter: it retrains every model of the preset with
# `python -m bnntut reproduce` (CUDA graphs on, models side by side) and builds the tables
# from that run. `benchmarks/README.md` has the times measured on an H200; a Colab GPU with
# two CPU cores will be slower, and we have not measured one.
#
# ## Key takeaways
#
# * A seed on another device is another draw of the same procedure: compare means over
#   seeds, not runs.
# * With few seeds a "two standard errors" rule flags more often than one time in twenty;
#   count the flags against what chance gives before reading one.
# * Finding no difference is not showing equality: the check is blind below its margin,
#   which grows where the seeds spread.
# * A small network's step on a GPU is bound by kernel launches, not arithmetic; replaying
#   the step as a CUDA graph removes most of that cost.
#
# ## Exercises
#
# 1. **Same seed, another device.** Seed 0 of the BBB network reaches a different accuracy
#    at 90 % removed on the GPU than on the CPU. Is that a discrepancy? Which column of the
#    table above tells a device that trains differently apart from a
#    different draw, and why does the check see smaller differences with more seeds?
#
# :::{admonition} Solution
# :class: dropdown
# Not by itself: the seed fixes the starting point, but the GPU draws its noise and dropout
# masks from its own generator and adds in another order, so seed 0 there is another run of
# the same procedure. Compare means over seeds: the column `GPU − CPU` against `2 SE`. The
# standard error of the difference shrinks like $1/\sqrt{n}$, so with more seeds a smaller
# systematic gap between the devices would show up as `yes` in the column `detected`.
# :::
