"""The regression toy: data, the Gaussian BBB objective, training, predictive moments, and
the package's pruning applied to a toy-sized Bayesian net (tiny nets, a few steps)."""

import math

import matplotlib
import matplotlib.pyplot
import pytest
import torch

from bnnbook import style, toy
from bnntut import bayes, models, prune
from bnntut.noise import NoiseSource

matplotlib.use("Agg")

WIDTHS = (1, 8, 8, 1)


@pytest.fixture
def data():
    return toy.make_data(n_per_interval=10, seed=0)


@pytest.fixture
def bbb():
    return toy.bayesian_mlp(widths=WIDTHS, seed=0)


def test_make_data_is_seeded_and_stays_in_its_intervals(data):
    again = toy.make_data(n_per_interval=10, seed=0)
    assert torch.equal(data.x, again.x) and torch.equal(data.y, again.y)
    assert data.x.shape == data.y.shape == (20, 1)
    assert bool(toy.regions(data.x, data.intervals)["data"].all())
    assert not torch.equal(data.x, toy.make_data(n_per_interval=10, seed=1).x)


def test_regions_split_the_line():
    x = torch.tensor([[-5.0], [-2.0], [0.0], [2.0], [5.0]])
    masks = toy.regions(x, toy.TRAIN_INTERVALS)
    assert masks["data"][:, 0].tolist() == [False, True, False, True, False]
    assert masks["gap"][:, 0].tolist() == [False, False, True, False, False]
    assert masks["outside"][:, 0].tolist() == [True, False, False, False, True]


def test_bayesian_mlp_has_the_widths_the_prior_and_is_seeded(bbb):
    shapes = [tuple(s) for s in bayes.tensor_shapes(bbb)]
    assert shapes == [(8, 1), (8,), (8, 8), (8,), (1, 8), (1,)]
    assert models.is_bayesian(bbb) and bbb.spec["prior_pi"] == 0.5
    again = toy.bayesian_mlp(widths=WIDTHS, seed=0)
    assert all(torch.equal(a, b) for a, b in zip(bayes.variational_parameters(bbb),
                                                   bayes.variational_parameters(again)))
    with pytest.raises(ValueError, match="prior_pi"):
        toy.bayesian_mlp(prior_pi=2.0)


def test_clone_rebuilds_the_toy_net_with_tied_parameters(bbb):
    copy = models.clone(bbb)
    assert type(copy) is models.BayesianMLP and copy.spec == bbb.spec
    layer = copy.layers[0]
    assert layer.weight_mu.data_ptr() == layer.weight_sampler.mu.data_ptr()
    assert torch.equal(layer.weight_sampler.mu, bbb.layers[0].weight_sampler.mu)


def test_regression_objective_matches_a_direct_computation(bbb, data):
    noises = bayes.draw_noise(bbb, 3, NoiseSource(0))
    loss, nll, weighted = toy.regression_objective(bbb, data.x, data.y, noises, 0.2, 0.5)
    expected_nll = 0.0
    expected_cost = 0.0
    pairs = bayes.variational_pairs(bbb)
    for s in range(3):
        h = data.x
        for k in range(3):
            (w_mu, w_rho), (b_mu, b_rho) = pairs[2 * k], pairs[2 * k + 1]
            w = w_mu + bayes.sigma(w_rho) * noises[2 * k][s]
            b = b_mu + bayes.sigma(b_rho) * noises[2 * k + 1][s]
            for value, mu, rho in ((w, w_mu, w_rho), (b, b_mu, b_rho)):
                expected_cost += (bayes.log_gaussian(value, mu, bayes.sigma(rho)).sum()
                                  - bayes.log_mixture_prior(value, 0.5, 1.0, math.exp(-6)).sum())
            h = h @ w.T + b
            h = torch.relu(h) if k < 2 else h
        expected_nll += torch.sum((data.y - h) ** 2 / (2 * 0.04) + math.log(0.2)
                                  + 0.5 * math.log(2 * math.pi))
    assert math.isclose(nll.item(), expected_nll.item() / 3, rel_tol=1e-5)
    assert math.isclose(weighted.item(), 0.5 * expected_cost.item() / 3, rel_tol=1e-4)
    assert math.isclose(loss.item(), (nll + weighted).item(), rel_tol=1e-6)


def test_fit_bbb_lowers_the_loss_and_is_reproducible(data):
    runs = []
    for _ in range(2):
        model = toy.bayesian_mlp(widths=WIDTHS, seed=0)
        history = toy.fit_bbb(model, data, steps=60, samples=2, seed=0)
        runs.append((model, history))
    (model, history), (other, again) = runs
    assert history == again
    assert sum(history["loss"][-10:]) < sum(history["loss"][:10])
    assert set(history) == {"loss", "nll", "complexity"} and len(history["nll"]) == 60


def test_fit_net_lowers_the_loss_and_leaves_the_global_state(data):
    state = torch.random.get_rng_state()
    net = toy.mlp(WIDTHS, dropout=0.1, seed=0)
    losses = toy.fit_net(net, data, steps=60)
    assert torch.equal(state, torch.random.get_rng_state())
    assert sum(losses[-10:]) < sum(losses[:10])
    with pytest.raises(ValueError, match="dropout"):
        toy.mlp(dropout=1.0)


@pytest.mark.parametrize("kind", ["point", "dropout", "bbb"])
def test_predictive_moments_follow_the_law_of_total_variance(kind, bbb):
    model = {"point": toy.mlp(WIDTHS, seed=0), "dropout": toy.mlp(WIDTHS, 0.3, seed=0),
             "bbb": bbb}[kind]
    x = torch.linspace(-4, 4, 9)[:, None]
    f = toy.function_samples(model, x, samples=50, seed=3)
    assert f.shape == ((1, 9) if kind == "point" else (50, 9))
    assert torch.equal(f, toy.function_samples(model, x, samples=50, seed=3))
    mean, sd = toy.predictive(model, x, 0.2, samples=50, seed=3)
    assert torch.allclose(mean, f.mean(0))
    mixture_second_moment = (0.2**2 + f**2).mean(0)
    assert torch.allclose(sd**2, mixture_second_moment - mean**2, atol=1e-5)
    if kind == "point":
        assert torch.allclose(sd, torch.full_like(sd, 0.2))
    else:
        assert bool((sd > 0.2).all())


@pytest.mark.parametrize("criterion", ["snr", "l1"])
def test_package_pruning_applies_to_the_toy_net(bbb, criterion):
    pruned = prune.get_criterion(criterion)(bbb, 0.5)
    assert type(pruned) is models.BayesianMLP and pruned.spec == bbb.spec
    n = sum(mu.numel() for mu, _ in bayes.variational_pairs(bbb))
    assert int(prune.removed_mask(pruned).sum()) == round(0.5 * n)
    # pruned entries are 0 in every sampled forward, so sampling still works
    f = toy.function_samples(pruned, torch.zeros(3, 1), samples=4)
    assert f.shape == (4, 3) and bool(torch.isfinite(f).all())
    mu, sd = toy.mean_and_sd(pruned)
    removed = prune.removed_mask(pruned)
    assert bool((mu[removed] == 0).all()) and bool((sd[removed] == 0).all())


def test_region_means_and_rmse():
    x = torch.tensor([[-2.0], [0.0], [2.0], [5.0]])
    values = torch.tensor([1.0, 2.0, 3.0, 4.0])
    assert toy.region_means(values, x, toy.TRAIN_INTERVALS) == {
        "data": 2.0, "gap": 2.0, "outside": 4.0}
    exact = toy.true_function(x[:, 0])
    assert toy.region_rmse(exact, x, toy.TRAIN_INTERVALS) == {
        "data": 0.0, "gap": 0.0, "outside": 0.0}
    shifted = exact + torch.tensor([0.5, 1.0, 0.5, 2.0])
    rmse = toy.region_rmse(shifted, x, toy.TRAIN_INTERVALS)
    assert [round(rmse[k], 6) for k in ("data", "gap", "outside")] == [0.5, 1.0, 2.0]


def test_figures_draw_and_are_legible_in_the_column(bbb, data, book_style):
    from bnnbook import plots

    grid = torch.linspace(-6, 6, 50)[:, None]
    mean, sd = toy.predictive(bbb, grid, 0.2, samples=5)
    panel = ("SNR |μ|/σ, 90 %", (mean, sd), "k")
    fig = toy.bands_figure(data, grid, [[panel] * 3] * 2, height=5.0)
    assert len(fig.axes) == 6
    assert plots.smallest_display_font(fig) >= 9
    fig = toy.kept_removed_figure(bbb, {
        c: prune.removed_mask(prune.get_criterion(c)(bbb, 0.5)) for c in toy.CRITERIA})
    assert len(fig.axes) == 2
    assert plots.smallest_display_font(fig) >= 9


def test_covariance_figure_draws_both_posteriors_legibly(book_style):
    from bnnbook import plots

    mean = torch.tensor([0.5, -1.0, 2.0], dtype=torch.float64)
    cov = torch.tensor([[1.0, -0.9, 0.0], [-0.9, 1.0, 0.0], [0.0, 0.0, 0.5]],
                       dtype=torch.float64)
    sd = torch.tensor([0.4, 0.4, 0.7], dtype=torch.float64)
    assert toy.most_correlated(cov) == (0, 1)
    assert toy.correlation(cov)[0, 1] == pytest.approx(-0.9)
    fig = toy.covariance_figure(mean, cov, mean, sd)
    left, right = fig.axes[:2]
    assert (left.get_xlabel(), left.get_ylabel()) == ("$w_{0}$", "$w_{1}$")
    exact, mf = (line.get_xydata() for line in left.get_lines())
    # Each 2-sd ellipse is centred on its mean, the mean-field one is axis-aligned.
    assert exact.mean(0) == pytest.approx([0.5, -1.0], abs=0.02)
    assert mf[:, 0].max() - 0.5 == pytest.approx(0.8, rel=1e-3)
    assert mf[:, 1].max() + 1.0 == pytest.approx(0.8, rel=1e-3)
    assert exact[:, 0].max() - 0.5 == pytest.approx(2.0, rel=1e-3)
    assert len(right.collections[0].get_offsets()) == 3
    assert toy.EXACT_COLOR not in {style.METHOD_COLORS[m] for m in ("sgd", "dropout50", "bbb")}
    assert plots.smallest_display_font(fig) >= 9


def test_active_units_counts_hidden_units_that_fire(data, bbb):
    net = toy.mlp(widths=WIDTHS, dropout=0.5, seed=0)
    counts = toy.active_units(net, data.x)
    assert len(counts) == 2 and all(0 <= c <= 8 for c in counts)
    # A unit with weight 0 and bias -1 never fires; bias +1 always does.
    linears = [m for m in net if isinstance(m, torch.nn.Linear)]
    with torch.no_grad():
        linears[0].weight.zero_()
        linears[0].bias.fill_(-1.0)
        linears[0].bias[:3] = 1.0
    assert toy.active_units(net, data.x)[0] == 3
    # BBB nets are read at their posterior means.
    with torch.no_grad():
        bbb.layers[0].weight_sampler.mu.zero_()
        bbb.layers[0].bias_sampler.mu.fill_(1.0)
    assert toy.active_units(bbb, data.x)[0] == 8
