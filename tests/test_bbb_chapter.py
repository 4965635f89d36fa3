"""The Bayes by Backprop chapter's hand-written code, in seconds: its functions compute
``bnntut``'s objective and pruning, its training loop stays short, and the ``train.fit`` call
it lists runs as printed."""

import ast
import math
import re
from pathlib import Path

import jupytext
import pytest
import torch
import torch.nn.functional as F
from conftest import make_dataset
from torch import nn

from bnntut import bayes, evaluate, fastmath, models, presets, prune
from bnntut.noise import NoiseSource

CHAPTER = Path(__file__).resolve().parents[1] / "book" / "bayes_by_backprop.py"
#: The chapter's functions and classes these tests use.
DEFINED = ("softplus", "log_normal", "log_mixture", "BayesLinear", "hand_objective",
           "accuracy", "prune_snr")
SPEC = presets.get_preset("quick").model_spec("bbb")


def _cells():
    return jupytext.read(CHAPTER).cells


@pytest.fixture(scope="module")
def chapter():
    """The chapter's definitions of :data:`DEFINED`, executed without the rest of it."""
    namespace = {"torch": torch, "F": F, "nn": nn, "math": math, "SPEC": SPEC,
                 "PRIOR": (SPEC["prior_pi"], SPEC["prior_sigma1"], SPEC["prior_sigma2"])}
    for cell in _cells():
        if cell.cell_type != "code" or "google.colab" in cell.source:
            continue
        tree = ast.parse(cell.source)
        nodes = [n for n in tree.body if isinstance(n, ast.FunctionDef | ast.ClassDef)
                 and n.name in DEFINED]
        exec(compile(ast.Module(body=nodes, type_ignores=[]), str(CHAPTER), "exec"), namespace)
    missing = [name for name in DEFINED if name not in namespace]
    assert not missing, f"the chapter no longer defines {missing}"
    return namespace


def _hand_and_package(chapter, hidden=7, dtype=torch.float64):
    """Two hand layers and a ``bnntut`` network with the same μ and ρ."""
    torch.manual_seed(0)
    layers = nn.ModuleList([chapter["BayesLinear"](784, hidden),
                            chapter["BayesLinear"](hidden, 10)]).to(dtype)
    net = models.build({**SPEC, "hidden": [hidden]}).to(dtype)
    with torch.no_grad():
        for layer, theirs in zip(layers, net.layers):
            ours = (layer.weight_mu, layer.weight_rho, layer.bias_mu, layer.bias_rho)
            for value, tensor in zip(ours, bayes.variational_tensors(theirs)):
                tensor.copy_(value)
    return layers, net


@pytest.mark.parametrize("weighting", ["uniform", "paper"])
def test_hand_objective_is_the_study_objective(chapter, weighting):
    layers, net = _hand_and_package(chapter)
    data = make_dataset(n_train=50)
    x, y = data.x_train.double(), data.y_train
    noises = bayes.draw_noise(net, 2, NoiseSource(0))
    kappa = bayes.kl_weight(weighting, 0, 20)
    mine = chapter["hand_objective"](layers, x, y, noises, kappa)
    theirs, _, _ = bayes.study_objective_reference(net, x, y, noises, kappa)
    assert math.isclose(mine.item(), theirs.item(), rel_tol=1e-12)


def test_prune_snr_is_bnntut_snr_pruning(chapter):
    layers, net = _hand_and_package(chapter, hidden=16, dtype=torch.float32)
    data = make_dataset()
    trained = {k: v.clone() for k, v in layers.state_dict().items()}
    for fraction in (0.0, 0.3, 0.9):
        layers.load_state_dict(trained)
        chapter["prune_snr"](layers, fraction)
        pruned = prune.snr(net, fraction)
        for layer, theirs in zip(layers, pruned.layers):
            mu, rho, bias_mu, bias_rho = bayes.variational_tensors(theirs)
            assert torch.equal(layer.weight_mu, mu) and torch.equal(layer.bias_mu, bias_mu)
            assert torch.equal(layer.weight_rho, rho) and torch.equal(layer.bias_rho, bias_rho)
        assert (chapter["accuracy"](layers, data.x_test, data.y_test)
                == evaluate.accuracy(pruned, data.x_test, data.y_test))


def test_training_loop_fits_in_40_lines():
    loops = [c.source for c in _cells() if "optimizer.step()" in c.source]
    assert len(loops) == 1 and len(loops[0].splitlines()) <= 40


def test_listed_fit_call_runs(tmp_path, monkeypatch):
    """The ``train.fit`` call the chapter prints (a Markdown listing, not a cell)."""
    text = "\n".join(c.source for c in _cells() if c.cell_type == "markdown")
    listing = [b for b in re.findall(r"```python\n(.*?)```", text, flags=re.S)
               if "train.fit(" in b]
    assert len(listing) == 1
    monkeypatch.chdir(tmp_path)
    namespace = {"SPEC": SPEC, "HIDDEN": 8, "EPOCHS": 1, "BATCH": 50, "LR": 1e-3,
                 "mnist": make_dataset()}
    fastmath.set_compile(False)   # eager: compiling would take longer than the run
    try:
        exec(listing[0], namespace)
    finally:
        fastmath.set_compile(None)
    assert len(namespace["history"]) == 1
    assert list(tmp_path.iterdir()), "no checkpoint written"
