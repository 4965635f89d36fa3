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
# # Real compression
#
# **What you will learn**
#
# * why the zeros of a pruned dense matrix save neither bytes nor time, and how the
#   compressed sparse row (CSR) format stores only the nonzeros;
# * the break-even sparsity, derived: how much must be removed before CSR takes fewer bytes
#   than dense;
# * whether a sparse forward pass is faster than a dense one on this machine's CPU.

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
import math
import warnings

from bnnbook import book, compression_views, report
from bnntut import compression, experiment, prune

PRESET = book.start()
# torch marks its sparse CSR support as beta and says so at each conversion
warnings.filterwarnings("ignore", "Sparse CSR tensor support is in beta")

# %% [markdown]
# The study measures compression as the fraction of weights set to zero. But a zero in a
# dense float32 matrix still takes four bytes, and a dense product still multiplies it:
# pruned as in {doc}`pruning`, the networks are exactly as large and as slow as before.
# Pruning becomes compression only when the zeros are *not stored*, and speed only when a
# sparse kernel skips them {cite}`han2015learning,han2016deep`; reporting the fraction
# removed without either is one of the inconsistencies {cite:t}`blalock2020state` found in
# the pruning literature. Everything below is computed by
# `python -m bnntut compression --preset paper`.

# %% tags=["remove-input"]
result = compression.run(PRESET, device="cpu", progress=False)
for name, value in compression_views.highlights(result).items():
    book.glue(name, book.markdown(value) if isinstance(value, str) else value)
book.markdown(report.provenance(result["metadata"], "Measured"))

# %% [markdown]
# ## Bytes: CSR against dense
#
# A dense $R \times C$ float32 matrix takes $4RC$ bytes, zeros included. *Compressed sparse
# row* (CSR) stores only the $\mathit{nnz}$ nonzeros, as three arrays:
#
# * the nonzero **values**, row by row (float32, 4 bytes each): $4\,\mathit{nnz}$ bytes;
# * the **column index** of each value (int32, 4 bytes each): $4\,\mathit{nnz}$ bytes;
# * $R + 1$ **row pointers** (int32): row $r$'s values are entries
#   $\mathrm{ptr}_r, \dots, \mathrm{ptr}_{r+1} - 1$ of the first two arrays:
#   $4(R + 1)$ bytes.
#
# So a matrix in CSR takes $8\,\mathit{nnz} + 4(R + 1)$ bytes: every surviving weight now
# costs **two** numbers. The three arrays of the first layer of the MNIST BBB network (its
# posterior means μ) after SNR pruning removed 90 % of the network's parameters:

# %%
bbb = experiment.trained_model("mnist", "bbb", PRESET, device="cpu")
pruned = prune.snr(bbb, 0.9)
W, _ = compression.inference_layers(pruned)[0]    # μ of layer 1, (500, 784)
csr = W.to_sparse_csr()
values, columns = csr.values(), csr.col_indices()      # (nnz,) each
row_starts = csr.crow_indices()                        # (R + 1,)
R, C = W.shape
nnz = values.numel()


def array_bytes(*arrays):
    return sum(a.numel() * a.element_size() for a in arrays)


dense_bytes = 4 * R * C                       # float32, zeros included
formula = 4 * nnz + 4 * nnz + 4 * (R + 1)     # values, columns, pointers
as_built = array_bytes(values, columns, row_starts)   # torch's index type
as_int32 = array_bytes(values, columns.int(), row_starts.int())
print(f"{nnz} of {R * C} entries kept; dtypes: values {values.dtype}, "
      f"indices {columns.dtype}")

# %% tags=["remove-cell"]
# The written-out count against the package's constants and tested functions.
assert values.dtype.itemsize == compression.VALUE_BYTES == 4
assert columns.int().element_size() == row_starts.int().element_size() == compression.INDEX_BYTES
assert dense_bytes == compression.dense_bytes(R, C)
package_csr = compression.to_csr(W)                  # the CSR the package counts and times
assert formula == as_int32 == compression.csr_bytes(R, C, nnz)
assert formula == compression.stored_bytes(package_csr)
assert package_csr.to_dense().equal(W)
assert as_built == array_bytes(values) + columns.element_size() * nnz \
    + row_starts.element_size() * (R + 1)

# %% tags=["remove-input"]
rows = {"dense float32, 4RC": dense_bytes,
        "CSR, int32 indices, 8 nnz + 4(R + 1)": as_int32,
        f"CSR as torch builds it ({str(columns.dtype).removeprefix('torch.')} "
        "indices)": as_built}
report.frame({name: {"bytes": f"{b:,}".replace(",", " "),
                     "of dense": report.number(b / dense_bytes, 3)}
              for name, b in rows.items()}, f"layer 1 ({R} × {C}), 90 % of the net removed")

# %% [markdown]
# Torch builds CSR indices as 64-bit integers, making every kept weight cost 12 bytes;
# 32-bit indices suffice for this network, and they are what `bnntut.compression` stores,
# counts and times (`compression.to_csr`). A hidden cell checks these counts against
# `compression.csr_bytes` and `compression.stored_bytes`.
#
# ### Where CSR breaks even
#
# For a whole network with layers $\ell$ of shape $R_\ell \times C_\ell$, write
# $N = \sum_\ell R_\ell C_\ell$ for the number of weights, $P = \sum_\ell (R_\ell + 1)$ for
# the number of row pointers and $\mathit{nnz}$ for the nonzeros of all layers together.
# CSR is smaller than dense when
#
# $$\begin{aligned}
# 8\,\mathit{nnz} + 4P &< 4N \\
# \mathit{nnz} &< \frac{N - P}{2} \\
# s = 1 - \frac{\mathit{nnz}}{N} &> \frac{1}{2} + \frac{P}{2N},
# \end{aligned}$$
#
# where $s$ is the fraction of weights removed. Only the total of the nonzeros appears, not
# how they spread over the layers (biases stay dense in both formats and cancel).

# %%
layers = compression.inference_layers(pruned)       # [(W, b)] per layer
shapes = [tuple(w.shape) for w, _ in layers]         # (R, C) per layer
N = sum(r * c for r, c in shapes)
P = sum(r + 1 for r, _ in shapes)
break_even = 1 / 2 + P / (2 * N)
print(f"{shapes}: N = {N} weights, P = {P} row pointers, "
      f"CSR is smaller beyond {break_even:.2%} removed")

# %% tags=["remove-cell"]
assert math.isclose(break_even, compression.csr_break_even_sparsity(shapes), rel_tol=1e-12)
assert math.isclose(break_even, result["break_even_sparsity"], rel_tol=1e-12)

# %% [markdown]
# Every surviving weight costs two numbers, so CSR is smaller only once a little more than
# half of the weights are gone: at {glue:text}`break_even:.2%` removed for the study's
# network (`compression.csr_break_even_sparsity`). The megabytes of every pruned MNIST
# model, dense and in CSR, and how many times smaller CSR is (the Fashion-MNIST models
# differ by a few percent at most):

# %% tags=["remove-input"]
compression_views.bytes_table(result, "mnist")

# %%
ax = compression_views.bytes_figure(result, "mnist")

# %% [markdown]
# All models shrink alike: the format counts how many weights survive, not which; which
# decides the accuracy ({doc}`pruning`). (At scale, {cite:t}`gale2019state` found magnitude
# pruning applied gradually during training {cite}`zhu2017prune` as good as variational
# dropout {cite}`molchanov2017variational` and $L_0$ regularisation
# {cite}`louizos2018learning`.) At 90 % removed the CSR form of the BBB posterior mean is
# {glue:text}`bbb_ratio_90:.1f` times smaller than dense.
#
# **BBB has a second saving.** During training each weight has two parameters, μ and ρ, so
# the network holds {glue:text}`bbb_training_mb:.2f` MB. Inference with the posterior mean
# needs only the surviving μ: at 90 % removed the deployable network is
# {glue:text}`bbb_training_over_csr_90:.1f` times smaller than the one trained. (Sampling
# weights, for the Monte Carlo predictive of {doc}`uncertainty`, needs the surviving σ too.)
# Narrower indices and quantised values would shrink CSR further, as in Deep Compression
# {cite}`han2016deep` (Exercise 2).
#
# ## Latency: does skipping zeros make inference faster?
#
# The forward pass of the pruned MNIST BBB posterior mean, dense (`torch.nn.functional.linear`)
# against CSR (`torch.addmm`, sparse × dense); both give the same logits. Dense and sparse
# blocks of calls alternate, in rounds over all cases, and each number is the time per
# forward in the fastest block (the convention of `timeit`: other processes only add time).
# The speedup is dense time / CSR time. A dense product takes the same time whatever its
# zeros, so the dense column checks the machine: its slowest over its fastest time is
# {glue:text}`dense_spread_100:.2f` at batch 100, where 1 would be perfectly quiet.

# %% tags=["remove-input"]
compression_views.latency_table(result)

# %%
ax = compression_views.latency_figure(result)

# %% [markdown]
# On this machine ({glue:md}`machine`, torch {glue:md}`torch`) the sparse forward pays
# {glue:md}`pays_from_1` for a single image and {glue:md}`pays_from_100` for a batch of
# 100 (the smallest sparsity from which it stays faster), while the bytes break even at
# {glue:text}`break_even:.2%`. Time and bytes need not break even together: a CSR product
# reads an index for every value and gathers its inputs from scattered columns, whereas the
# dense kernel streams contiguous memory through vectorised code (Exercise 3).
#
# Latency is a property of the machine as much as of the network, and torch's CSR support is
# still marked beta. All of this chapter was measured on that CPU
# (`python -m bnntut compression --preset paper --remeasure`); a GPU was not measured.

# %% [markdown]
# ## Key takeaways
#
# * A zero in a dense matrix still costs its bytes. CSR drops it but stores every surviving
#   weight twice over (value and column index), so it saves bytes only once about half of
#   the weights are gone.
# * BBB saves twice: inference needs only the surviving posterior means, not the μ and ρ of
#   training.
# * Speed has its own break-even, found only by measuring: on this CPU the sparse forward
#   pays {glue:md}`pays_from_1` for one image and {glue:md}`pays_from_100` for a batch of 100.
#   Latency on a GPU was not measured.
#
# ## Exercises
#
# 1. **Torch's default indices.** `Tensor.to_sparse_csr()` stores its indices as int64.
#    Derive the break-even sparsity when every index takes 8 bytes, and compute it for the
#    study's network.
#
# :::{admonition} Solution
# :class: dropdown
# With 8-byte indices, $4\,\mathit{nnz} + 8\,\mathit{nnz} + 8P < 4N$ gives
# $\mathit{nnz} < (N - 2P)/3$, i.e. $s > \tfrac23 + \tfrac{2P}{3N}$: two thirds of the
# weights must go before the format saves anything. The cell below computes it, with a
# break-even written for any value, column-index and row-pointer sizes.
# :::

# %% tags=["hide-cell"]
def break_even_sparsity(shapes, value=4, column=4, pointer=4):
    """Fraction removed above which CSR with these sizes beats dense."""
    N = sum(r * c for r, c in shapes)
    P = sum(r + 1 for r, _ in shapes)
    return 1 - (4 * N - pointer * P) / ((value + column) * N)


print(f"int32 indices: {break_even_sparsity(shapes):.2%}")
int64 = break_even_sparsity(shapes, column=8, pointer=8)
print(f"int64 indices: {int64:.2%}")

# %% [markdown]
# 2. **Narrower indices.** A column index of this network never exceeds 783, so 16 bits
#    would do. Where does CSR break even with int16 column indices and int32 row pointers?
#    Why can the row pointers not be 16-bit too?
#
# :::{admonition} Solution
# :class: dropdown
# $4\,\mathit{nnz} + 2\,\mathit{nnz} + 4P < 4N$ gives $s > \tfrac13 + \tfrac{2P}{3N}$, about
# a third (cell below). The row pointers count nonzeros, up to $500 \times 784 = 392\,000$ in
# the first layer, more than the 65 535 a 16-bit integer holds. Deep Compression
# {cite}`han2016deep` goes further, storing relative indices in a few bits and quantising
# the values.
# :::

# %% tags=["hide-cell"]
int16 = break_even_sparsity(shapes, column=2)
print(f"int16 columns, int32 row pointers: {int16:.2%}")

# %% [markdown]
# 3. **The price of a kept weight.** From the stored latency measurements
#    (`result["latency"]`: per batch size the fastest `dense_s` and `sparse_s` per forward
#    pass, and the `measured_sparsity` of the weights), compute for a batch of 100 the time
#    per multiply-add of the dense forward pass and the time per *kept* weight of the CSR
#    one, at every sparsity. How many times more does a multiply-add cost in CSR, and why?

# %% tags=["hide-cell"]
lat = result["latency"]
batch = lat["batches"]["100"]
times = zip(lat["measured_sparsity"], batch["dense_s"], batch["sparse_s"])
for s, dense_s, sparse_s in times:
    per_dense = dense_s / (100 * N) * 1e12      # ps per multiply-add
    per_kept = sparse_s / (100 * (1 - s) * N) * 1e12
    print(f"{s:6.1%} removed: dense {per_dense:5.1f} ps, "
          f"CSR {per_kept:6.1f} ps per kept weight "
          f"({per_kept / per_dense:4.1f}×)")

# %% [markdown]
# :::{admonition} Solution
# :class: dropdown
# For every multiply-add the sparse kernel first reads a column index and then fetches the
# input at that index from a scattered place in memory; the dense kernel streams both
# operands from contiguous memory through vectorised, cache-blocked code that does many
# multiply-adds per byte loaded. So a kept weight costs the CSR product several times what
# a multiply-add costs the dense one, and the sparse pass wins only once the weights it
# skips outnumber that factor — which is why time breaks even later than bytes. Hardware and
# formats built for sparsity (block-sparse or 2:4 structured patterns on GPUs) narrow the
# gap.
# :::
