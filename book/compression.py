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
# # Real compression

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

from bnntut import book, compression, plots

PRESET = book.start()

# %% [markdown]
# The study is called *Model compression using Bayesian Deep Learning*, and it measures
# compression as the fraction of weights set to zero. But a zero stored in a dense float32
# matrix still takes four bytes, and a dense matrix product still multiplies it: pruned as
# in {doc}`pruning`, the networks are exactly as large and exactly as slow as before. Pruning
# only becomes compression when the zeros are *not stored* — in a sparse format — and only
# becomes speed when a sparse kernel skips them {cite}`han2015learning,han2016deep`.
#
# This chapter counts the bytes of the pruned networks in the most common sparse format and
# times a sparse forward pass against the dense one, on the trained models of the earlier
# chapters. Everything is computed by `python -m bnntut compression --preset paper` and stored
# in `results/paper/compression-cpu.json`.

# %% tags=["remove-input"]
from bnntut import report

result = compression.run(PRESET, device="cpu", progress=False)
for name, value in compression.highlights(result).items():
    book.glue(name, book.markdown(value) if isinstance(value, str) else value)
book.markdown(report.provenance(result["metadata"], "Measured"))

# %% [markdown]
# ## Bytes: CSR against dense
#
# *Compressed sparse row* (CSR) stores a matrix with $R$ rows and $\mathit{nnz}$ nonzeros as
# three arrays: the nonzero values (float32, 4 bytes each), their column indices (int32,
# 4 bytes each) and $R + 1$ row pointers (int32) saying where each row starts. That is
# $8\,\mathit{nnz} + 4(R + 1)$ bytes against $4RC$ for the dense $R \times C$ matrix. Every surviving weight now costs **two**
# numbers, so CSR is smaller only once more than about half the weights are gone: for the
# study's 784-500-500-10 network the break-even is at {glue:text}`break_even:.2%` removed
# (`bnntut.compression.csr_break_even_sparsity`; it depends only on the total number of
# nonzeros). Biases are kept dense in both formats.
#
# MNIST models (per model: megabytes, dense and in CSR at each fraction removed, and how many
# times smaller than dense the CSR form is):

# %% tags=["remove-input"]
compression.bytes_table(result, "mnist")

# %% [markdown]
# Fashion-MNIST models:

# %% tags=["remove-input"]
compression.bytes_table(result, "fashion-mnist")

# %%
fig, axes = plots.figure(2, 1, height=6.4, sharex=True)
for ax, dataset in zip(axes[:, 0], ("mnist", "fashion-mnist")):
    compression.bytes_figure(result, dataset, ax, legend=False)
    ax.tick_params(labelbottom=True)
plots.legend_below(fig)

# %% [markdown]
# All models shrink alike — the format does not care which weights survive, only how many.
# The dense network is {glue:text}`dense_mb:.2f` MB; at 90 % removed the CSR form of the
# BBB posterior mean is {glue:text}`bbb_csr_mb_90:.3f` MB ({glue:text}`bbb_ratio_90:.1f`×
# smaller), at 98 % {glue:text}`bbb_csr_mb_98:.3f` MB ({glue:text}`bbb_ratio_98:.1f`×).
#
# **BBB has a second saving.** During training each weight is a Gaussian with two
# parameters, μ and ρ, so the network holds {glue:text}`bbb_training_mb:.2f` MB (the
# committed weights file, which keeps both, is {glue:text}`bbb_weights_file_mb:.2f` MB on
# disk). Inference with the posterior mean needs μ alone, and after SNR pruning only the
# surviving μ: at 90 % removed the deployable BBB network is
# {glue:text}`bbb_training_over_csr_90:.1f` times smaller than the one that was trained, at
# 98 % {glue:text}`bbb_training_over_csr_98:.1f` times. (Sampling weights at test time, for
# the Monte Carlo predictive of {doc}`uncertainty`, needs the surviving σ too: about twice
# the values.)
#
# Narrower indices would shrink CSR further — 16-bit column indices suffice for 784 inputs,
# and Deep Compression {cite}`han2016deep` stores relative indices in a few bits and
# quantises the values — but that is beyond the plain CSR counted here.
#
# ## Latency: does skipping zeros make inference faster?
#
# The forward pass of the whole pruned network (the MNIST BBB posterior mean, pruned by SNR
# at each fraction), dense — three `torch.nn.functional.linear` calls — against CSR — the
# same weights converted with `Tensor.to_sparse_csr()` and multiplied by `torch.addmm`
# (sparse × dense), with the activations kept transposed. Both give the same logits (the
# largest difference is stored with each measurement). Blocks of calls are timed, dense and
# sparse alternating, for a second per kind and case, split into five rounds that sweep over
# all sparsities and batch sizes in turn (so that a busy moment of the machine spoils one
# round, not a whole case); each number is the time per forward in the fastest block (the
# convention of Python's `timeit`: other processes can only add time; medians are stored
# too). The speedup is dense time / CSR time, above 1 when sparse is faster.
# A dense product takes the same time whatever its zeros, so the dense column doubles as a
# check on the measurement: its slowest over its fastest time is
# {glue:text}`dense_spread_1:.2f` (batch 1) and {glue:text}`dense_spread_100:.2f`
# (batch 100), where 1 would be a perfectly quiet machine.

# %% tags=["remove-input"]
compression.latency_table(result)

# %%
ax = compression.latency_figure(result)

# %% [markdown]
# On this machine ({glue:md}`machine`, torch {glue:md}`torch`) the sparse forward pays
# {glue:md}`pays_from_1` for a single image and {glue:md}`pays_from_100` for a batch of
# 100 (the smallest measured sparsity from which it stays faster at every larger one), while
# the bytes break even at {glue:text}`break_even:.2%`. Unpruned, the CSR forward runs at
# {glue:text}`speedup_1_0:.2f`× (batch 1) and {glue:text}`speedup_100_0:.2f`× (batch 100)
# the speed of the dense one; at 99 % removed at {glue:text}`speedup_1_99:.2f`× and
# {glue:text}`speedup_100_99:.2f`×.
#
# Time and bytes need not break even together: a CSR product reads an index for every value
# it multiplies and gathers its inputs from scattered columns, whereas the dense kernel
# streams contiguous memory through vectorised, cache-blocked code, so a surviving weight
# costs the sparse product more than a multiply-add costs the dense one.
#
# ## Reproducing the measurements
#
# ```bash
# # this chapter's numbers
# python -m bnntut compression --preset paper --remeasure
# # on a GPU: compression-cuda.json
# python -m bnntut compression --preset paper --device cuda
# # random weights, same kernels
# python benchmarks/sparse_latency.py [--quick]
# ```
#
# Latency is a property of the machine as much as of the network: the numbers above hold for
# the processor, thread count and torch version named at the top, and torch's CSR support
# is still marked beta. No GPU was available for this book, so there is no GPU measurement.
