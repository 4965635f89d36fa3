"""bnntut — the library behind the book *Pruning Bayesian neural networks, checked*.

It reproduces and checks the study *Model compression using Bayesian Deep Learning*:
Bayes by Backprop against SGD and dropout baselines under unstructured pruning.
Modules, one concept each: :mod:`~bnntut.data`, :mod:`~bnntut.models`,
:mod:`~bnntut.methods` (the method registry), :mod:`~bnntut.bayes`, :mod:`~bnntut.train`,
:mod:`~bnntut.prune`, :mod:`~bnntut.evaluate`, :mod:`~bnntut.presets`,
:mod:`~bnntut.experiment`, :mod:`~bnntut.store`, :mod:`~bnntut.study`,
:mod:`~bnntut.uncertainty` (calibration and OOD detection under pruning),
:mod:`~bnntut.compression` (CSR bytes and sparse inference latency), :mod:`~bnntut.criteria`,
:mod:`~bnntut.finetune`; speed-ups beside the plain path: :mod:`~bnntut.fastmath`,
:mod:`~bnntut.cudagraphs`, :mod:`~bnntut.batched` (many models as one stacked computation),
:mod:`~bnntut.cluster` (runs as Ray tasks).  It needs torch, torchvision, blitz, numpy
and tqdm only (Ray for :mod:`~bnntut.cluster`).  The book's figures, tables and sliders live
in the separate package :mod:`bnnbook`.  Importing the package has no side effects.
"""

__version__ = "0.1.0"
