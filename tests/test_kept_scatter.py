"""plots.kept_scatter: two prunings of a tiny Bayesian net compared point by point."""

import matplotlib
import pytest

matplotlib.use("Agg")
import torch  # noqa: E402

from bnnbook import plots  # noqa: E402
from bnntut import bayes, prune  # noqa: E402

pytestmark = pytest.mark.usefixtures("book_style")


def _posterior(bnn):
    pairs = bayes.variational_pairs(bnn)
    mu = torch.cat([m.detach().flatten() for m, _ in pairs])
    return mu.abs(), bayes.sigma(torch.cat([r.detach().flatten() for _, r in pairs]))


def test_groups_partition_the_parameters_and_carry_their_shares(bnn):
    magnitude, sd = _posterior(bnn)
    by_snr = prune.removed_mask(prune.snr(bnn, 0.7))
    by_mu = prune.removed_mask(prune.l1(bnn, 0.7))
    fig, axes = plots.figure()
    ax = plots.kept_scatter(magnitude, sd, by_snr, by_mu, ax=axes[0, 0],
                            max_points=magnitude.numel())
    collections = ax.collections
    assert len(collections) == 4
    drawn = sum(len(c.get_offsets()) for c in collections)
    assert drawn == magnitude.numel()          # max_points = n: every point drawn
    expected = {"removed by both": (by_snr & by_mu), "kept by both": (~by_snr & ~by_mu),
                "kept by SNR only": (~by_snr & by_mu), "kept by |μ| only": (by_snr & ~by_mu)}
    labels = [c.get_label() for c in collections]
    for (name, members), label, collection in zip(expected.items(), labels, collections):
        share = 100 * int(members.sum()) / members.numel()
        assert label == f"{name} ({share:.1f} %)"
        assert len(collection.get_offsets()) == int(members.sum())
    assert ax.get_xscale() == ax.get_yscale() == "log"
    plots.legend_below(fig)
    assert plots.smallest_display_font(fig) >= 9.0


def test_subsample_is_seeded_and_bounded(bnn):
    magnitude, sd = _posterior(bnn)
    removed = prune.removed_mask(prune.snr(bnn, 0.5))
    first = plots.kept_scatter(magnitude, sd, removed, removed, max_points=100, seed=3)
    second = plots.kept_scatter(magnitude, sd, removed, removed, max_points=100, seed=3)
    assert sum(len(c.get_offsets()) for c in first.collections) == 100
    for a, b in zip(first.collections, second.collections):
        assert (a.get_offsets() == b.get_offsets()).all()
