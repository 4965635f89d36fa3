"""The equal-budget comparison as the book shows it: choice on validation, progress, verdicts
only on complete evidence (synthetic results), and the stored MNIST results."""

import pytest

from bnnbook import budget_views as bv
from bnnbook import claims
from bnntut.methods import get as get_method
from bnntut.presets import BUDGET_GRID

AMOUNTS = [0.0, 0.9, 0.95, 0.98]


def _fake(method: str, test: float, validation: float, seed: int = 0) -> dict:
    criterion = get_method(method).criterion
    sweep = {"amounts": AMOUNTS, "accuracy": [0.99, test, test, test]}
    return {"config": {"method": method, "model": dict(get_method(method).config["model"]),
                       "subset": [50000, 10000], "train": {"seed": seed}},
            "prune": {criterion: sweep},
            "prune_validation": {criterion: {**sweep, "accuracy": [0.99] + [validation] * 3}}}


def _grid(family: str, tests, validations) -> dict:
    return {m: {0: _fake(m, t, v)} for m, t, v in zip(BUDGET_GRID[family], tests, validations)}


def _collected(**families) -> dict:
    runs = {}
    for grid in families.values():
        runs.update(grid)
    return {"mnist": runs}


def test_choice_is_made_on_validation_not_test():
    # the best test accuracy is the first point, the best validation accuracy the last
    grid = _grid("map-laplace", [0.99, 0.5, 0.5, 0.5, 0.5, 0.6], [0.1, 0.2, 0.2, 0.2, 0.2, 0.9])
    collected = _collected(laplace=grid)
    assert bv.choice(collected, "mnist", "map-laplace") == BUDGET_GRID["map-laplace"][-1]


def test_no_choice_while_a_grid_point_is_missing():
    grid = _grid("bbb", [0.9] * 5, [0.9] * 5)
    assert len(grid) == 5
    assert bv.choice(_collected(bbb=grid), "mnist", "bbb") is None
    assert bv.family_summary(_collected(bbb=grid), "mnist", "bbb") is None


def test_progress_counts_grid_points_and_chosen_seeds():
    grid = _grid("map-laplace", [0.9] * 6, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6])
    chosen = BUDGET_GRID["map-laplace"][-1]
    grid[chosen][1] = _fake(chosen, 0.9, 0.6, seed=1)
    done = bv.progress(_collected(laplace=grid), "mnist")
    assert done == {"stored": 7, "needed": 3 * (6 + 2)}


def _summary(values: list[float]) -> dict:
    import statistics

    return {"seeds": list(range(len(values))), "n": 10000, "mean": {0.95: statistics.fmean(values)},
            "sd": {0.95: statistics.stdev(values) if len(values) > 1 else None},
            "values": {0.95: values}}


def test_a_verdict_needs_every_seed_of_both():
    assert bv.compare_families(None, _summary([0.9, 0.9, 0.9]), 0.95)["verdict"] == bv.OPEN
    partial = bv.compare_families(_summary([0.98]), _summary([0.5, 0.5, 0.5]), 0.95)
    assert partial["verdict"] == bv.OPEN
    assert partial["difference"] == pytest.approx(0.48)


def test_a_clear_lead_over_both_noises_is_ahead():
    out = bv.compare_families(_summary([0.98, 0.981, 0.979]), _summary([0.90, 0.91, 0.89]), 0.95)
    assert out["verdict"] == claims.AHEAD
    assert out["difference"] == pytest.approx(0.08)


def test_seed_spread_can_keep_a_difference_within_noise():
    # the means differ by 0.02, beyond the test set's margin (~0.004) but not beyond the seeds'
    first, second = _summary([0.98, 0.90, 0.99]), _summary([0.93, 0.94, 0.92])
    out = bv.compare_families(first, second, 0.95)
    assert abs(out["difference"]) > out["test_margin"]
    assert out["seed_margin"] > abs(out["difference"])
    assert out["verdict"] == claims.WITHIN_NOISE


def test_setting_text_and_bad_method():
    assert bv.setting_text("map-laplace-lr1e-3-l1-3e-5") == "Adam 1e-3, λ = 3e-5"
    assert bv.setting_text("map-mixture-lr1e-4-sigma1-e0") == "Adam 1e-4, σ1 = e⁰"
    with pytest.raises(ValueError, match="not a grid point"):
        bv.setting_text("sgd")


def test_stored_mnist_laplace_choice_and_summary():
    collected = bv.collect(["mnist"])
    assert bv.choice(collected, "mnist", "map-laplace") == "map-laplace-lr1e-3-l1-3e-5"
    summary = bv.family_summary(collected, "mnist", "map-laplace")
    assert summary["seeds"] == [0, 1, 2]
    assert summary["basis"] == "mean of 3 seeds"
    assert 0.97 < summary["mean"][0.95] <= 1.0
    table = bv.grid_table(collected, "mnist")
    assert len(table) == sum(len(g) for g in BUDGET_GRID.values())
    assert list(table["chosen"]).count("✓") == sum(
        bv.choice(collected, "mnist", f) is not None for f in BUDGET_GRID)


def test_stored_verdicts_are_open_until_every_family_is_complete():
    collected = bv.collect(["mnist"])
    complete = {f: (s := bv.family_summary(collected, "mnist", f)) is not None
                and len(s["seeds"]) == len(bv.SEEDS) for f in BUDGET_GRID}
    for pair, verdict in bv.verdicts(collected, "mnist").items():
        first, second = pair.split("_vs_")
        assert (verdict == bv.OPEN) == (not (complete[first] and complete[second]))


def test_chapter_values_name_progress_and_verdicts_per_dataset():
    collected = {"mnist": {}, "fashion-mnist": {}}
    values = bv.chapter_values(collected, "fashion-mnist")
    assert values == {"budget_stored_fmnist": "0", "budget_needed_fmnist": "24",
                      **{f"budget_{pair}{part}_fmnist": bv.OPEN if part == "" else "—"
                         for pair in bv.PAIR_TAGS.values()
                         for part in ("", "_diff", "_margin")}}


def test_stored_mnist_verdicts_at_95_percent():
    """Prunability, section 4 and the README: on MNIST, with every run in, BBB is within noise
    of MAP under its own prior and behind MAP under a Laplace prior (by 0.0043 against a
    margin of 0.0040); the two MAP families are within noise of each other."""
    collected = bv.collect(["mnist"])
    assert bv.progress(collected, "mnist") == {"stored": 24, "needed": 24}
    assert bv.choice(collected, "mnist", "bbb") == "bbb-lr1e-3-sigma1-e0"
    found = bv.comparisons(collected, "mnist")
    assert {pair: c["verdict"] for pair, c in found.items()} == {
        "bbb_vs_map-mixture": "within noise", "bbb_vs_map-laplace": "behind",
        "map-mixture_vs_map-laplace": "within noise"}
    laplace = found["bbb_vs_map-laplace"]
    assert laplace["test_margin"] > laplace["seed_margin"]      # the test set is the noise
    assert abs(laplace["difference"]) == pytest.approx(0.0043, abs=5e-5)
    values = bv.chapter_values(collected, "mnist")
    assert (values["budget_bbb_vs_laplace_diff_mnist"],
            values["budget_bbb_vs_laplace_margin_mnist"]) == ("−0.0043", "0.0040")


def test_stored_mnist_verdicts_at_90_and_98_percent():
    """Prunability, section 4: all three within noise at 90 %; at 98 % MAP under the mixture
    prior behind both others, L1 still ahead of BBB."""
    collected = bv.collect(["mnist"])
    assert set(bv.verdicts(collected, "mnist", 0.9).values()) == {"within noise"}
    assert bv.verdicts(collected, "mnist", 0.98) == {
        "bbb_vs_map-mixture": "ahead", "bbb_vs_map-laplace": "behind",
        "map-mixture_vs_map-laplace": "behind"}


def test_stored_fashion_mnist_verdicts():
    """Prunability, section 4, Conclusions and the README: on Fashion-MNIST, with every run
    in, BBB is within noise of MAP under its own prior and behind MAP under a Laplace prior at
    95 % removed; L1 is ahead of both at 90 %; at 98 % the L1 setting chosen at 95 % collapses
    and MAP under the mixture prior keeps more than BBB."""
    collected = bv.collect(["fashion-mnist"])
    assert bv.progress(collected, "fashion-mnist") == {"stored": 24, "needed": 24}
    assert {f: bv.choice(collected, "fashion-mnist", f) for f in BUDGET_GRID} == {
        "bbb": "bbb-lr1e-3-sigma1-e0", "map-mixture": "map-mixture-lr1e-3-sigma1-e-2",
        "map-laplace": "map-laplace-lr1e-3-l1-1e-5"}
    pairs = ("bbb_vs_map-mixture", "bbb_vs_map-laplace", "map-mixture_vs_map-laplace")
    expected = {0.9: ("within noise", "behind", "behind"),
                0.95: ("within noise", "behind", "behind"),
                0.98: ("behind", "ahead", "ahead")}
    for amount, verdicts in expected.items():
        assert bv.verdicts(collected, "fashion-mnist", amount) == dict(zip(pairs, verdicts))
    laplace = bv.comparisons(collected, "fashion-mnist")["bbb_vs_map-laplace"]
    assert 150 <= -laplace["difference"] * 10_000 <= 250          # "about 200" test images
    assert bv.family_summary(collected, "fashion-mnist", "map-laplace")["mean"][0.98] < 0.75
