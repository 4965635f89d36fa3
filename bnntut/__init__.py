"""bnntut — companion package of the book *Pruning Bayesian neural networks, checked*.

It reproduces and checks the study *Model compression using Bayesian Deep Learning*:
Bayes by Backprop against SGD and dropout baselines under unstructured pruning.
Modules, one concept each: :mod:`~bnntut.data`, :mod:`~bnntut.models`, :mod:`~bnntut.bayes`,
:mod:`~bnntut.train`, :mod:`~bnntut.prune`, :mod:`~bnntut.evaluate`, :mod:`~bnntut.presets`,
:mod:`~bnntut.experiment`, :mod:`~bnntut.study`, :mod:`~bnntut.plots`,
:mod:`~bnntut.uncertainty` (calibration and OOD detection under pruning),
:mod:`~bnntut.compression` (CSR bytes and sparse inference latency).
Importing the package has no side effects.
"""

__version__ = "0.1.0"
