"""A 1-D regression toy that makes weight uncertainty visible, in seconds on a CPU.

Inputs in two clusters with a gap between them and nothing beyond (:func:`make_data`), and
three small ReLU nets fitted to them: a point estimate and an MC-dropout net
(:func:`mlp`, :func:`fit_net`) and a Bayes-by-Backprop net (:func:`bayesian_mlp`,
:func:`fit_bbb`).  :func:`predictive` gives the mean and standard deviation of each net's
predictive distribution.

:func:`covariance_figure` draws the exact posterior of a linear model beside its mean-field
fit (computed by :mod:`bnntut.exact`).

The Bayesian net is a :class:`bnntut.models.BayesianMLP` of other widths (1 input, 1
output), so :mod:`bnntut.bayes` samples it and :mod:`bnntut.prune` prunes it unchanged.
Regression needs a Gaussian likelihood in place of the study's softmax:
:func:`regression_objective` puts it on top of :func:`bnntut.bayes.complexity_cost` (the same
prior and the same Monte Carlo estimate as the study's objective).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from bnntut import bayes, models
from bnntut.devices import single_thread
from bnntut.models import BayesianMLP
from bnntut.noise import NoiseSource

from .style import CRITERION_COLORS, EXACT_COLOR, METHOD_COLORS, REFERENCE_COLOR, REMOVED_COLOR

#: Intervals of the training inputs: two clusters with a gap between them.
TRAIN_INTERVALS = ((-3.5, -1.0), (1.0, 3.5))
#: Range of x on which the figures show predictions.
DOMAIN = (-6.0, 6.0)
#: Standard deviation of the observation noise.
NOISE_SD = 0.2
#: Layer widths of every toy net: 1 input, two hidden layers of 50, 1 output.
WIDTHS = (1, 50, 50, 1)
#: Pruning criteria of the toy and their titles.
CRITERIA = {"snr": "SNR |μ|/σ", "l1": "|μ|"}


def true_function(x: torch.Tensor) -> torch.Tensor:
    """f(x) = x sin x, elementwise."""
    return x * torch.sin(x)


@dataclass(frozen=True)
class ToyData:
    """Training data of the toy.

    Attributes
    ----------
    x, y : torch.Tensor
        Inputs and noisy targets, shape ``(n, 1)``.
    noise_sd : float
        Standard deviation of the noise on ``y``.
    intervals : tuple of (float, float)
        Where the inputs were drawn.
    """

    x: torch.Tensor
    y: torch.Tensor
    noise_sd: float
    intervals: tuple[tuple[float, float], ...]


def make_data(n_per_interval: int = 150, noise_sd: float = NOISE_SD,
              intervals=TRAIN_INTERVALS, seed: int = 0) -> ToyData:
    """``n_per_interval`` inputs uniform in each interval, y = f(x) + noise_sd · ε.

    Uses its own generator: the global random state is untouched.
    """
    generator = torch.Generator().manual_seed(seed)
    x = torch.cat([low + (high - low) * torch.rand(n_per_interval, 1, generator=generator)
                   for low, high in intervals])
    y = true_function(x) + noise_sd * torch.randn(x.shape, generator=generator)
    return ToyData(x, y, float(noise_sd), tuple(tuple(map(float, i)) for i in intervals))


def regions(x: torch.Tensor, intervals) -> dict[str, torch.Tensor]:
    """Boolean masks (shape of ``x``) of where ``x`` lies relative to the training inputs.

    ``"data"``: inside an interval; ``"gap"``: between the intervals; ``"outside"``: beyond
    all of them.
    """
    inside = torch.zeros_like(x, dtype=torch.bool)
    for low, high in intervals:
        inside |= (x >= low) & (x <= high)
    low, high = min(i[0] for i in intervals), max(i[1] for i in intervals)
    hull = (x >= low) & (x <= high)
    return {"data": inside, "gap": hull & ~inside, "outside": ~hull}


def mlp(widths=WIDTHS, dropout: float = 0.0, seed: int = 0) -> nn.Sequential:
    """A ReLU MLP ``Linear, ReLU, [Dropout(p)], ...`` (dropout after every hidden ReLU).

    Input ``(n, widths[0])``, output ``(n, widths[-1])``.  Initialised from ``seed`` (PyTorch's
    default initialisation) without touching the global random state.
    """
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be in [0, 1), got {dropout}")
    layers: list[nn.Module] = []
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        for i, (n_in, n_out) in enumerate(zip(widths[:-1], widths[1:])):
            layers.append(nn.Linear(n_in, n_out))
            if i < len(widths) - 2:
                layers.append(nn.ReLU())
                if dropout > 0:
                    layers.append(nn.Dropout(dropout))
    return nn.Sequential(*layers)


def bayesian_mlp(widths=WIDTHS, prior_pi: float = 0.5, prior_sigma1: float = 1.0,
                 prior_sigma2: float = math.exp(-6), mu_init=(-0.2, 0.2),
                 rho_init=(-5.0, -4.0), seed: int = 0) -> BayesianMLP:
    """The toy's Bayes-by-Backprop net; defaults are the study's prior and initialisation.

    Parameters
    ----------
    widths : sequence of int
        Layer widths, input to output.
    prior_pi, prior_sigma1, prior_sigma2 : float
        Scale-mixture prior π N(0, σ1²) + (1 − π) N(0, σ2²).
    mu_init, rho_init : (float, float)
        Uniform ranges of the initial μ and ρ (σ = log(1 + e^ρ)).
    seed : int
        Seed of the initialisation (the global random state is untouched).
    """
    if not 0.0 <= prior_pi <= 1.0:
        raise ValueError(f"prior_pi must be in [0, 1], got {prior_pi}")
    if prior_sigma1 <= 0 or prior_sigma2 <= 0:
        raise ValueError("prior_sigma1 and prior_sigma2 must be positive")
    spec = {"kind": "bayesian", "inputs": widths[0], "hidden": list(widths[1:-1]),
            "outputs": widths[-1], "prior_pi": prior_pi,
            "prior_sigma1": prior_sigma1, "prior_sigma2": prior_sigma2,
            "mu_init": list(mu_init), "rho_init": list(rho_init)}
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return models.build(spec)


def gaussian_nll(y: torch.Tensor, predictions: torch.Tensor, noise_sd: float) -> torch.Tensor:
    """−Σ_n log N(y_n | f_n, noise_sd²), averaged over the leading sample axis.

    Parameters
    ----------
    y : torch.Tensor
        Targets ``(n, 1)``.
    predictions : torch.Tensor
        ``(S, n, 1)``: the net's outputs for S weight samples.

    Returns
    -------
    torch.Tensor
        Scalar.
    """
    return -bayes.log_gaussian(y, predictions, noise_sd).sum() / predictions.shape[0]


def regression_objective(model: BayesianMLP, x: torch.Tensor, y: torch.Tensor,
                         noises: list[torch.Tensor], noise_sd: float, weight: float
                         ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The BBB minibatch loss with a Gaussian likelihood of fixed ``noise_sd``.

    ``loss = Σ_n −mean_s log N(y_n | f(x_n; w_s), noise_sd²)
    + weight · mean_s [log q(w_s | θ) − log P(w_s)]``, with w_s = μ + σ ε_s: the study's
    objective (:func:`bnntut.bayes.study_objective`) with the softmax likelihood swapped.

    Parameters
    ----------
    model : BayesianMLP
    x, y : torch.Tensor
        ``(n, 1)`` each.
    noises : list of torch.Tensor
        ε for S weight samples, from :func:`bnntut.bayes.draw_noise`.
    noise_sd : float
        Standard deviation of the likelihood.
    weight : float
        Weight κ of the complexity cost (:func:`bnntut.bayes.kl_weight`).

    Returns
    -------
    loss, nll, weighted_complexity : torch.Tensor
        Scalars.
    """
    weights, sigmas = bayes.sample_weights(model, noises)
    nll = gaussian_nll(y, bayes.forward_with(weights, x), noise_sd)
    weighted = weight * bayes.complexity_cost(model, weights, noises, sigmas)
    return nll + weighted, nll, weighted


def fit_bbb(model: BayesianMLP, data: ToyData, steps: int = 1000, lr: float = 0.03,
            samples: int = 2, seed: int = 0) -> dict[str, list[float]]:
    """Full-batch Adam on :func:`regression_objective`, in place.

    One minibatch per epoch (M = 1), so the uniform complexity weight 1/M is 1: the
    complexity cost is counted once per pass over the data, as in the ELBO.

    Returns
    -------
    dict
        Per step: ``"loss"``, ``"nll"``, ``"complexity"`` (the weighted complexity cost).
    """
    optimizer = torch.optim.Adam(bayes.variational_parameters(model), lr=lr)
    source = NoiseSource(seed)
    kappa = bayes.kl_weight("uniform", 0, 1)
    history: dict[str, list[float]] = {"loss": [], "nll": [], "complexity": []}
    model.train()
    with single_thread():
        for _ in range(steps):
            noises = bayes.draw_noise(model, samples, source)
            loss, nll, weighted = regression_objective(model, data.x, data.y, noises,
                                                       data.noise_sd, kappa)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            for key, value in zip(history, (loss, nll, weighted)):
                history[key].append(value.item())
    return history


def fit_net(net: nn.Module, data: ToyData, steps: int = 2000, lr: float = 0.01,
            weight_decay: float = 0.0, seed: int = 0) -> list[float]:
    """Full-batch Adam on the mean squared error, in place (dropout active if the net has it).

    With a Gaussian likelihood of fixed σ the negative log-likelihood is the squared error up
    to constants, so this is maximum likelihood (with ``weight_decay``: MAP under a Gaussian
    prior).  Dropout masks come from ``seed``; the global random state is untouched.

    Returns
    -------
    list of float
        The loss per step.
    """
    optimizer = torch.optim.Adam(net.parameters(), lr=lr, weight_decay=weight_decay)
    losses = []
    net.train()
    with torch.random.fork_rng(devices=[]), single_thread():
        torch.manual_seed(seed)
        for _ in range(steps):
            loss = torch.mean((net(data.x) - data.y) ** 2)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    return losses


def has_dropout(net: nn.Module) -> bool:
    """True if ``net`` contains a ``Dropout`` layer with p > 0."""
    return any(isinstance(m, nn.Dropout) and m.p > 0 for m in net.modules())


@torch.no_grad()
def function_samples(model: nn.Module, x: torch.Tensor, samples: int = 100,
                     seed: int = 0) -> torch.Tensor:
    """Outputs f(x; w_s) of ``samples`` draws of the weights, shape ``(S, n)``.

    BBB nets: w_s ~ q(w | θ) (:func:`bnntut.bayes.sampled_logits`); nets with dropout: one
    dropout mask per draw (MC dropout); nets without: the single output, S = 1.  ``x`` has shape
    ``(n, 1)``.  Seeded; the global random state is untouched.
    """
    with single_thread():
        if models.is_bayesian(model):
            return bayes.sampled_logits(model, x, samples, NoiseSource(seed))[..., 0]
        if not has_dropout(model):
            return model.eval()(x).T
        model.train()
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            return torch.stack([model(x)[:, 0] for _ in range(samples)])


def predictive(model: nn.Module, x: torch.Tensor, noise_sd: float, samples: int = 100,
               seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and standard deviation of the predictive distribution p(y | x).

    p(y | x) ≈ (1/S) Σ_s N(y | f(x; w_s), noise_sd²), a mixture; by the law of total variance
    its variance is noise_sd² + (1/S) Σ_s (f_s − mean)².

    Returns
    -------
    mean, sd : torch.Tensor
        Shape ``(n,)`` each.
    """
    f = function_samples(model, x, samples, seed)
    mean = f.mean(0)
    return mean, torch.sqrt(noise_sd**2 + f.var(0, unbiased=False))


@torch.no_grad()
def active_units(model: nn.Module, x: torch.Tensor) -> list[int]:
    """Hidden units of each layer that are > 0 for at least one input of ``x`` ``(n, 1)``.

    BBB nets are run with their posterior means μ; deterministic nets (:func:`mlp`) with
    their weights, dropout off.

    Returns
    -------
    list of int
        One count per hidden layer.
    """
    counts, h = [], x
    for weight, bias in models.posterior_means(model)[:-1]:
        h = torch.relu(h @ weight.T + bias)
        counts.append(int((h > 0).any(0).sum()))
    return counts


def region_means(values: torch.Tensor, x: torch.Tensor, intervals) -> dict[str, float]:
    """Mean of ``values`` ``(n,)`` over the points of ``x`` ``(n, 1)`` in each of
    :func:`regions`."""
    return {name: float(values[mask[:, 0]].mean())
            for name, mask in regions(x, intervals).items()}


def region_rmse(mean: torch.Tensor, x: torch.Tensor, intervals) -> dict[str, float]:
    """Root mean squared error of a predictive mean ``(n,)`` against :func:`true_function`
    over the points of ``x`` ``(n, 1)`` in each of :func:`regions`."""
    error = (mean - true_function(x[:, 0])) ** 2
    return {name: float(torch.sqrt(error[mask[:, 0]].mean()))
            for name, mask in regions(x, intervals).items()}


# ----------------------------------------------------------------------------- figures


def draw_data(ax, data: ToyData, grid: torch.Tensor) -> None:
    """Shade where there are no training inputs, and draw the data and the true function."""

    masks = regions(grid, data.intervals)
    x = grid[:, 0].numpy()
    ax.fill_between(x, 0, 1, where=~masks["data"][:, 0].numpy(), color="#000000", alpha=0.06,
                    lw=0, transform=ax.get_xaxis_transform())
    ax.plot(x, true_function(grid[:, 0]).numpy(), color=REFERENCE_COLOR, ls="--", lw=1.2,
            label="true f(x)")
    ax.plot(data.x[:, 0].numpy(), data.y[:, 0].numpy(), "o", color="#444444", ms=2.5,
            label="training data")


def draw_band(ax, grid: torch.Tensor, mean: torch.Tensor, sd: torch.Tensor, color: str,
              label: str | None = None) -> None:
    """Predictive mean (line) and mean ± 2 sd (shaded) over ``grid`` ``(n, 1)``."""
    x = grid[:, 0].numpy()
    ax.fill_between(x, (mean - 2 * sd).numpy(), (mean + 2 * sd).numpy(), color=color,
                    alpha=0.25, lw=0, label=None if label is None else "mean ± 2 sd")
    ax.plot(x, mean.numpy(), color=color, lw=1.8, label=label)


def bands_figure(data: ToyData, grid: torch.Tensor, panels: list[list[dict]],
                 height: float = 3.3, ylim=(-11.0, 5.0)):
    """Rows × columns of predictive bands over the data.

    Parameters
    ----------
    panels : list of list of tuple
        One ``(title, (mean, sd), color)`` per panel, ``mean`` and ``sd`` of shape ``(n,)``
        over ``grid`` (as :func:`predictive` returns them).
    """
    from .plots import figure, legend_below

    nrows, ncols = len(panels), len(panels[0])
    fig, axes = figure(nrows, ncols, height=height, sharex=True, sharey=True)
    for row, specs in zip(axes, panels):
        for ax, (title, (mean, sd), color) in zip(row, specs):
            draw_data(ax, data, grid)
            draw_band(ax, grid, mean, sd, color, "predictive mean")
            ax.set_title(title)
            ax.set_ylim(*ylim)
    for ax in axes[-1]:
        ax.set_xlabel("x")
    for ax in axes[:, 0]:
        ax.set_ylabel("y")
    legend_below(fig, *neutral_legend(axes[0, 0]), ncol=4)
    return fig


def neutral_legend(ax) -> tuple[list, list[str]]:
    """Legend entries of ``ax`` with the band and mean drawn in grey (panels differ in colour)."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles, labels = ax.get_legend_handles_labels()
    grey = {"predictive mean": Line2D([], [], color="#555555", lw=1.8),
            "mean ± 2 sd": Patch(color="#555555", alpha=0.25, lw=0)}
    return [grey.get(label, handle) for handle, label in zip(handles, labels)], labels


def mean_and_sd(model) -> tuple[torch.Tensor, torch.Tensor]:
    """Posterior means μ and standard deviations σ of every variational parameter of a
    Bayesian net, flattened in sampling order (W1, b1, W2, b2, ...), shape ``(n,)`` each."""
    pairs = bayes.variational_pairs(model)
    mu = torch.cat([m.detach().flatten() for m, _ in pairs])
    sd = torch.cat([bayes.sigma(r.detach()).flatten() for _, r in pairs])
    return mu, sd


def kept_removed_figure(model, removed: dict[str, torch.Tensor], height: float = 3.2):
    """|μ| against σ of every parameter of ``model`` (log–log), one panel per criterion.

    Parameters
    ----------
    model : BayesianMLP
        The unpruned net.
    removed : dict
        Criterion (a key of :data:`CRITERIA`, ``"snr"`` or ``"l1"``) to the bool mask ``(n,)``
        of the parameters it removes (as :func:`bnntut.prune.removed_mask`).  Each panel draws
        the boundary of the removed set: a line of constant |μ|/σ (a diagonal) or of constant
        |μ| (vertical).
    """
    from .plots import figure, legend_below

    panels = [{"title": CRITERIA[c], "removed": mask, "color": CRITERION_COLORS[c],
               "criterion": c} for c, mask in removed.items()]
    mu, sd = mean_and_sd(model)
    size = mu.abs().numpy(), sd.numpy()
    fig, axes = figure(1, len(panels), height=height, sharex=True, sharey=True)
    for ax, spec in zip(axes[0], panels):
        removed = spec["removed"].numpy()
        # grey means removed on every page (style.KEPT_COLORS); kept takes the criterion's
        ax.scatter(size[0][removed], size[1][removed], s=3, color=REMOVED_COLOR, lw=0,
                   label="removed", rasterized=True)
        ax.scatter(size[0][~removed], size[1][~removed], s=3, color=spec["color"], lw=0,
                   label="kept", rasterized=True)
        if spec["criterion"] == "snr":
            threshold = float((mu.abs() / sd)[spec["removed"]].max())
            ends = torch.tensor([float(sd.min()) * threshold, float(sd.max()) * threshold])
            ax.plot(ends.numpy(), (ends / threshold).numpy(), color=REFERENCE_COLOR, lw=1,
                    ls="--", label="boundary")
        else:
            ax.axvline(float(mu.abs()[spec["removed"]].max()), color=REFERENCE_COLOR, lw=1,
                       ls="--", label="boundary")
        ax.set(xscale="log", yscale="log", title=spec["title"], xlabel="|μ| (log scale)")
    axes[0, 0].set_ylabel("σ (log scale)")
    handles, labels = [], []
    for ax in axes[0]:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            label = f"kept by {ax.get_title()}" if label == "kept" else label
            if label not in labels:
                handles.append(handle)
                labels.append(label)
    legend_below(fig, handles, labels, ncol=4, markerscale=3)
    return fig


def _ellipse(mean: torch.Tensor, cov: torch.Tensor, radius: float = 2.0, points: int = 200):
    """Points ``(points, 2)`` of the contour at ``radius`` sd of N(mean, cov), ``cov`` 2 × 2."""
    angle = torch.linspace(0, 2 * math.pi, points, dtype=torch.float64)
    circle = torch.stack([torch.cos(angle), torch.sin(angle)], 1)
    return (mean + radius * circle @ torch.linalg.cholesky(cov).T).numpy()


def correlation(cov: torch.Tensor) -> torch.Tensor:
    """Correlation matrix ``(d, d)`` of a covariance matrix ``cov`` ``(d, d)``."""
    sd = torch.sqrt(torch.diagonal(cov))
    return cov / torch.outer(sd, sd)


def most_correlated(cov: torch.Tensor) -> tuple[int, int]:
    """Indices ``(i, j)``, ``i < j``, of the two variables of ``cov`` ``(d, d)`` with the
    largest absolute correlation."""
    corr = correlation(cov).abs() - torch.eye(len(cov), dtype=cov.dtype)
    i, j = divmod(int(corr.argmax()), len(cov))
    return min(i, j), max(i, j)


def covariance_figure(mean: torch.Tensor, cov: torch.Tensor, mf_mean: torch.Tensor,
                      mf_sd: torch.Tensor, pair: tuple[int, int] | None = None,
                      names: tuple[str, str] | None = None, height: float = 3.3):
    """An exact Gaussian posterior against a factorised (mean-field) fit, in two panels.

    Left: the 2-sd ellipses of both over the two weights of ``pair`` (the exact one tilted by
    their correlation, the mean-field one axis-aligned).  Right: every weight's mean-field sd
    against its exact marginal sd √Σ_jj (log–log), with the line where they are equal.

    Parameters
    ----------
    mean, cov : torch.Tensor
        Exact posterior, ``(d,)`` and ``(d, d)``.
    mf_mean, mf_sd : torch.Tensor
        Mean-field means and sds, ``(d,)`` each.
    pair : (int, int), optional
        Indices of the two weights of the left panel; default :func:`most_correlated`.
    names : (str, str), optional
        Their axis labels; default ``$w_i$`` and ``$w_j$``.
    """
    from .plots import figure, legend_below, plain_log_ticks

    i, j = pair or most_correlated(cov)
    names = names or (f"$w_{{{i}}}$", f"$w_{{{j}}}$")
    index = torch.tensor([i, j])
    fig, axes = figure(1, 2, height=height)
    left, right = axes[0]
    exact = _ellipse(mean[index], cov[index][:, index])
    mf = _ellipse(mf_mean[index], torch.diag(mf_sd[index] ** 2))
    left.fill(exact[:, 0], exact[:, 1], color=EXACT_COLOR, alpha=0.3, lw=0)
    left.plot(exact[:, 0], exact[:, 1], color=EXACT_COLOR, lw=1.8, label="exact posterior")
    left.plot(mf[:, 0], mf[:, 1], color=METHOD_COLORS["bbb"], lw=1.8,
              label="mean-field fit (BBB)")
    left.set(xlabel=names[0], ylabel=names[1], title="2-sd ellipses of two weights")
    marginal = torch.sqrt(torch.diagonal(cov)).numpy()
    right.scatter(marginal, mf_sd.numpy(), s=14, color=METHOD_COLORS["bbb"], lw=0)
    ends = [float(min(marginal.min(), mf_sd.min())) / 1.3,
            float(max(marginal.max(), mf_sd.max())) * 1.3]
    right.plot(ends, ends, color=REFERENCE_COLOR, ls="--", lw=1, label="equal sds")
    right.set(xscale="log", yscale="log", xlabel="exact marginal sd",
              ylabel="mean-field sd", title="every weight's sd")
    plain_log_ticks(right, axis="x")
    plain_log_ticks(right, axis="y")
    legend_below(fig, ncol=3)
    return fig
