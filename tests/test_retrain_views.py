"""What retraining with the mask fixed recovers, as the book shows it: curves over seeds, the
plateau and comparison rules on constructed numbers, the table and the figure (synthetic
results), and one end-to-end run on tiny real results."""

import math

import pytest

from bnnbook import plots
from bnnbook import retrain_views as rv
from bnnbook.stats import AHEAD, BEHIND, WITHIN_NOISE
from bnntut.methods import get as get_method


def _retrained(levels: dict[float, tuple[float, list[float]]], subset=None) -> dict:
    """A retraining result: per amount ``(before, [test accuracy after each epoch])``."""
    epochs = {len(history) for _, history in levels.values()}
    return {"config": {"training": {"subset": subset, "train": {"lr": 1e-3, "seed": 0}},
                       "retrain": {"amounts": list(levels), "epochs": max(epochs),
                                   "lr_factor": 1.0}},
            "by_amount": [{"amount": a, "sparsity": a, "before": {"accuracy": before},
                           "after": {"accuracy": history[-1]},
                           "history": [{"epoch": i + 1, "test_accuracy": v}
                                       for i, v in enumerate(history)]}
                          for a, (before, history) in levels.items()]}


def _trained(method: str, unpruned: float, seed: int = 0) -> dict:
    """A training result with its unpruned accuracy (and a pruned one at 90 %)."""
    criterion = get_method(method).criterion
    return {"config": {"method": method, "model": dict(get_method(method).config["model"]),
                       "subset": None, "train": {"seed": seed}},
            "prune": {criterion: {"amounts": [0.0, 0.9], "accuracy": [unpruned, 0.5]}}}


# ------------------------------------------------------------------------------- curves


def test_curves_start_at_the_pruned_net_and_average_over_seeds():
    by_seed = {1: _retrained({0.9: (0.40, [0.80, 0.90]), 0.95: (0.20, [0.60, 0.70])}),
               0: _retrained({0.9: (0.60, [0.82, 0.92]), 0.95: (0.30, [0.62, 0.72])})}
    found = rv.curves(by_seed)
    assert list(found) == [0.9, 0.95]
    curve = found[0.9]
    assert curve["epochs"] == [0, 1, 2]
    assert list(curve["per_seed"]) == [0, 1]                        # seeds sorted
    assert curve["per_seed"][0] == [0.60, 0.82, 0.92]
    for seed, result in by_seed.items():
        level = result["by_amount"][0]
        assert found[0.9]["per_seed"][seed][0] == level["before"]["accuracy"]
        assert found[0.9]["per_seed"][seed][-1] == level["after"]["accuracy"]
    assert curve["mean"] == pytest.approx([0.50, 0.81, 0.91])
    assert found[0.95]["mean"] == pytest.approx([0.25, 0.61, 0.71])


def test_seeds_that_disagree_raise_a_clear_error():
    amounts = {0: _retrained({0.9: (0.5, [0.9, 0.9])}),
               1: _retrained({0.9: (0.5, [0.9, 0.9]), 0.95: (0.3, [0.8, 0.8])})}
    with pytest.raises(ValueError, match=r"seeds disagree on the amounts removed: seed 0 has "
                                         r"0\.9, seed 1 has 0\.9, 0\.95"):
        rv.curves(amounts)
    epochs = {0: _retrained({0.9: (0.5, [0.9, 0.9, 0.9])}),
              1: _retrained({0.9: (0.5, [0.9, 0.9])})}
    with pytest.raises(ValueError, match="disagree on the epochs .* seed 0 has 3, seed 1 has 2"):
        rv.curves(epochs)
    with pytest.raises(ValueError, match="no seed"):
        rv.curves({})


# ------------------------------------------------------------------------------ plateau


def test_plateau_by_the_test_sets_noise():
    rising = {0: _retrained({0.9: (0.5, [0.90, 0.92, 0.94, 0.95, 0.96])})}
    found = rv.plateau(rising, 0.9)
    assert found["gain"] == pytest.approx(0.96 - 0.5)               # over epochs 0..5
    assert found["margin"] == pytest.approx(2 * math.sqrt(0.96 * 0.04 / 10_000))
    assert found["stopped"] is False
    assert rv.plateau(rising, 0.9, last=2)["gain"] == pytest.approx(0.02)
    assert rv.plateau(rising, 0.9, last=2)["stopped"] is False      # 0.02 > 0.0039

    flat = {0: _retrained({0.9: (0.5, [0.957, 0.958, 0.959, 0.96, 0.96, 0.96])})}
    found = rv.plateau(flat, 0.9)
    assert found["gain"] == pytest.approx(0.003) and found["final"] == 0.96
    assert found["stopped"] is True                                 # 0.003 <= 0.0039


def test_plateau_counts_the_results_test_images():
    # a gain of 0.01 is noise on 1000 test images (margin 0.0124), not on 10 000 (0.0039)
    curve = (0.5, [0.95, 0.95, 0.95, 0.95, 0.955, 0.96])
    assert rv.plateau({0: _retrained({0.9: curve})}, 0.9, last=5)["stopped"] is False
    few = rv.plateau({0: _retrained({0.9: curve}, subset=[50000, 1000])}, 0.9, last=5)
    assert few["margin"] == pytest.approx(2 * math.sqrt(0.96 * 0.04 / 1000))
    assert few["gain"] == pytest.approx(0.01) and few["stopped"] is True


def test_plateau_needs_enough_epochs_and_a_removed_amount():
    short = {0: _retrained({0.9: (0.5, [0.9, 0.95])})}
    with pytest.raises(ValueError, match="needs at least 6 points .* has 3"):
        rv.plateau(short, 0.9)
    assert rv.plateau(short, 0.9, last=2)["gain"] == pytest.approx(0.45)
    with pytest.raises(ValueError, match="allowed: 0.9"):
        rv.plateau(short, 0.95, last=1)
    with pytest.raises(ValueError, match="last must be"):
        rv.plateau(short, 0.9, last=0)


# ------------------------------------------------------------------------------ summary


def test_summary_recovered_share_and_nothing_lost():
    training = {0: _trained("sgd", 0.98), 1: _trained("sgd", 0.98, seed=1)}
    retrained = {0: _retrained({0.9: (0.50, [0.74])}),     # won back half of 0.48
                 1: _retrained({0.9: (0.98, [0.98])})}     # lost nothing: recovered 1.0
    found = rv.summary(training, retrained, 0.9)
    assert found["seeds"] == [0, 1] and found["basis"] == "mean of 2 seeds"
    assert found["unpruned"] == pytest.approx(0.98)
    assert found["before"] == pytest.approx(0.74) and found["after"] == pytest.approx(0.86)
    assert found["values_after"] == [0.74, 0.98]
    assert found["recovered"] == pytest.approx((0.5 + 1.0) / 2)
    assert found["n"] == 10_000
    alone = rv.summary(training, {1: retrained[1]}, 0.9)
    assert alone["recovered"] == 1.0 and alone["basis"] == "seed 1"
    assert alone["sd_after"] is None


def test_summary_uses_the_seeds_present_in_both():
    training = {0: _trained("bbb", 0.97), 1: _trained("bbb", 0.97, seed=1)}
    retrained = {0: _retrained({0.9: (0.57, [0.77])}), 2: _retrained({0.9: (0.1, [0.2])})}
    found = rv.summary(training, retrained, 0.9)
    assert found["seeds"] == [0] and found["recovered"] == pytest.approx(0.5)
    with pytest.raises(ValueError, match="no seed has both .* training has seeds 1, "
                                         "retraining has 2"):
        rv.summary({1: training[1]}, {2: retrained[2]}, 0.9)
    with pytest.raises(ValueError, match="not an amount seed 0 removed; allowed: 0.9"):
        rv.summary(training, retrained, 0.95)


# ------------------------------------------------------------------------- compare_after


def _by_method(after: dict[str, list[float]], unpruned: float = 0.98):
    training = {m: {s: _trained(m, unpruned, s) for s in range(len(v))} for m, v in after.items()}
    retrained = {m: {s: _retrained({0.9: (0.5, [0.8, a])}) for s, a in enumerate(v)}
                 for m, v in after.items()}
    return training, retrained


def test_compare_after_ahead_behind_and_within_noise():
    training, retrained = _by_method({"bbb": [0.970, 0.971, 0.969],
                                      "sgd": [0.950, 0.951, 0.949]})
    found = rv.compare_after(training, retrained, amount=0.9)
    assert found["verdict"] == AHEAD and found["difference"] == pytest.approx(0.02)
    assert found["seeds"] == {"bbb": [0, 1, 2], "sgd": [0, 1, 2]}
    assert found["seed_margin"] is not None
    assert rv.compare_after(training, retrained, "sgd", "bbb", amount=0.9)["verdict"] == BEHIND

    training, retrained = _by_method({"bbb": [0.960, 0.961, 0.959],
                                      "sgd": [0.959, 0.960, 0.958]})
    found = rv.compare_after(training, retrained, amount=0.9)
    assert found["difference"] == pytest.approx(0.001)
    assert found["verdict"] == WITHIN_NOISE          # 0.001 < 2 test-set SEs (~0.0039)


def test_compare_after_spread_over_seeds_can_hide_a_difference():
    # 0.01 apart clears the test set's margin (~0.006) but not the seeds' (~0.04)
    training, retrained = _by_method({"bbb": [0.93, 0.99, 0.96], "sgd": [0.92, 0.98, 0.95]})
    found = rv.compare_after(training, retrained, amount=0.9)
    assert found["difference"] == pytest.approx(0.01)
    assert found["test_margin"] < 0.01 < found["seed_margin"]
    assert found["verdict"] == WITHIN_NOISE


def test_compare_after_names_the_methods_it_has():
    training, retrained = _by_method({"bbb": [0.97], "sgd": [0.95]})
    with pytest.raises(ValueError, match="no training results of 'map'; allowed: bbb, sgd"):
        rv.compare_after(training, retrained, "map", amount=0.9)


# --------------------------------------------------------------------------------- table


def test_table_columns_and_cells():
    training = {"sgd": {0: _trained("sgd", 0.98), 1: _trained("sgd", 0.98, 1)},
                "bbb": {0: _trained("bbb", 0.98)}}
    retrained = {
        "sgd": {0: _retrained({0.9: (0.50, [0.70, 0.73])}),
                1: _retrained({0.9: (0.50, [0.70, 0.75])})},
        "bbb": {0: _retrained({0.9: (0.57, [0.957, 0.958, 0.959, 0.96, 0.96, 0.96])})}}
    table = rv.table(training, retrained)
    assert list(table.columns) == ["seeds", "unpruned", "pruned", "after fine-tuning",
                                   "recovered", "stopped rising"]
    assert list(table.index.names) == ["Model", "removed"]
    sgd = table.loc[(rv.label("sgd"), "90 %")]
    assert sgd["seeds"] == "0, 1"
    assert sgd["unpruned"] == "0.9800" and sgd["pruned"] == "0.5000"
    assert sgd["after fine-tuning"] == "0.7400 ± 0.0141"
    assert sgd["recovered"] == "50 %"                   # (0.74 − 0.5) / (0.98 − 0.5)
    assert sgd["stopped rising"] == "—"                 # 3 points: too few for 5 epochs
    bbb = table.loc[("Bayes by Backprop", "90 %")]
    assert bbb["after fine-tuning"] == "0.9600"         # one seed: no spread
    assert bbb["recovered"] == "95 %" and bbb["stopped rising"] == "yes"   # 0.39 / 0.41
    assert list(table.index.get_level_values(0)) == [rv.label("sgd"), "Bayes by Backprop"]
    assert rv.table(training, retrained, methods=("bbb", "dropout50")).shape[0] == 1  # no results
    with pytest.raises(ValueError, match="unknown method 'nope'"):
        rv.table(training, retrained, methods=("nope",))


# -------------------------------------------------------------------------------- figure


def test_figure_one_line_per_method_and_amount_plus_unpruned(book_style):
    levels = {0.9: (0.5, [0.8, 0.9]), 0.95: (0.3, [0.6, 0.7]), 0.98: (0.1, [0.3, 0.4])}
    retrained = {d: {m: {0: _retrained(levels)} for m in ("sgd", "bbb")}
                 for d in ("mnist", "fashion-mnist")}
    training = {d: {m: {0: _trained(m, 0.97)} for m in ("sgd", "bbb")} for d in retrained}
    fig = rv.figure(training, retrained)
    panels = [ax for ax in fig.axes if ax.get_title()]
    assert [ax.get_title() for ax in panels] == ["MNIST", "Fashion-MNIST"]
    for ax in panels:
        lines = ax.get_lines()
        assert len(lines) == 2 * 3 + 2
        curves = [ln for ln in lines if "removed" in ln.get_label()]
        assert {ln.get_linestyle() for ln in curves} == {"-", "--", ":"}
        assert {ln.get_color() for ln in curves} == {get_method(m).color for m in ("sgd", "bbb")}
        assert all(list(ln.get_xdata()) == [0, 1, 2] for ln in curves)
        flat = [ln for ln in lines if ln.get_label().endswith("unpruned")]
        assert len(flat) == 2 and all(set(ln.get_ydata()) == {0.97} for ln in flat)
    assert len(fig.legends) == 1
    assert plots.smallest_display_font(fig) >= 9


def test_figure_draws_at_most_four_amounts(book_style):
    levels = {a: (0.5, [0.8]) for a in (0.5, 0.8, 0.9, 0.95, 0.98)}
    with pytest.raises(ValueError, match="at most 4 fractions"):
        rv.figure({"mnist": {"sgd": {0: _trained("sgd", 0.97)}}},
                  {"mnist": {"sgd": {0: _retrained(levels)}}})


# ------------------------------------------------------------------- tiny real results


def test_tiny_real_results_end_to_end(tiny_preset, tmp_path, book_style):
    from bnntut import collect

    methods, seeds = ["sgd", "bbb"], [0, 1]
    retrained = collect.grid("tiny", ["mnist"], methods, seeds, kind="retrain", compute=True,
                             results=tmp_path, device="cpu")
    training = collect.grid("tiny", ["mnist"], methods, seeds, results=tmp_path)
    epochs = tiny_preset.spec.retrain["epochs"]
    for method in methods:
        by_seed = retrained["mnist"][method]
        found = rv.curves(by_seed)
        assert list(found) == list(tiny_preset.spec.retrain["amounts"])
        for amount, curve in found.items():
            assert curve["epochs"] == list(range(epochs + 1))
            for seed, values in curve["per_seed"].items():
                level = next(lv for lv in by_seed[seed]["by_amount"] if lv["amount"] == amount)
                assert values[0] == level["before"]["accuracy"]
                assert values[-1] == level["after"]["accuracy"]
    table = rv.table(training["mnist"], retrained["mnist"])
    assert table.shape == (len(methods) * len(found), 6)
    assert set(table["seeds"]) == {"0, 1"}
    assert set(table["stopped rising"]) == {"—"}           # 2 epochs: too few to decide
    assert rv.compare_after(training["mnist"], retrained["mnist"],
                            amount=0.9)["verdict"] in (AHEAD, BEHIND, WITHIN_NOISE)
    fig = rv.figure(training, retrained)
    assert len(fig.axes[0].get_lines()) == len(methods) * (len(found) + 1)


# ------------------------------------------------------------------ chapter values, claims


def _flat(final: float, epochs: int = 8) -> list[float]:
    return [final] * epochs


def _rising(final: float, epochs: int = 8) -> list[float]:
    return [final - 0.01 * (epochs - 1 - i) for i in range(epochs)]


def _chapter_inputs(bbb_at_98: float = 0.90, flat_at_98: bool = False):
    """Both datasets, the "SGD" net and BBB, seed 0: near-full recovery at 90 and 95 %, BBB
    ahead at 95 % on MNIST only."""
    shape = _flat if flat_at_98 else _rising
    training = {d: {"sgd": {0: _trained("sgd", 0.98)}, "bbb": {0: _trained("bbb", 0.98)}}
                for d in ("mnist", "fashion-mnist")}
    bbb_at_95 = {"mnist": 0.98, "fashion-mnist": 0.97}
    retrained = {d: {"sgd": {0: _retrained({0.9: (0.7, _flat(0.975)), 0.95: (0.4, _flat(0.97)),
                                            0.98: (0.2, shape(0.80))})},
                     "bbb": {0: _retrained({0.9: (0.7, _flat(0.976)),
                                            0.95: (0.4, _flat(bbb_at_95[d])),
                                            0.98: (0.2, shape(bbb_at_98))})}}
                 for d in ("mnist", "fashion-mnist")}
    return training, retrained


def test_chapter_values_glue_means_with_their_basis_and_mark_what_is_missing():
    training, retrained = _chapter_inputs()
    values = rv.chapter_values(training, retrained)
    assert values["rt_bbb_mnist_98"] == "0.9000" and values["rt_sgd_fmnist_90"] == "0.9750"
    assert values["rt_basis_mnist"] == "seed 0"
    from bnnbook.comparison import MISSING

    del retrained["fashion-mnist"]
    values = rv.chapter_values(training, retrained)
    assert values["rt_bbb_fmnist_95"] == values["rt_basis_fmnist"] == MISSING
    assert values["rt_sgd_mnist_95"] == "0.9700"


def test_chapter_claims_follow_the_numbers():
    training, retrained = _chapter_inputs()
    assert all(rv.chapter_claims(training, retrained).values())
    training, retrained = _chapter_inputs(bbb_at_98=0.80)       # a tie at 98 %
    assert not rv.chapter_claims(training, retrained)["98 %: BBB ahead on both datasets"]
    training, retrained = _chapter_inputs(flat_at_98=True)
    found = rv.chapter_claims(training, retrained)
    assert not found["98 %: the \"SGD\" net's accuracy has not stopped rising on either dataset"]
    with pytest.raises(ValueError, match="no retraining results of 'bbb'"):
        del retrained["mnist"]["bbb"]
        rv.chapter_claims(training, retrained)


def test_longer_values_glue_the_longer_schedule_per_method_and_basis():
    from bnnbook.comparison import MISSING

    training, _ = _chapter_inputs()
    training["mnist"]["sgd"][1] = _trained("sgd", 0.98, seed=1)
    longer = {"mnist": {"sgd": {0: _retrained({0.98: (0.2, _rising(0.90))}),
                                1: _retrained({0.98: (0.2, _rising(0.92))})},
                        "bbb": {0: _retrained({0.98: (0.2, _flat(0.95))})}}}
    values = rv.longer_values(training, longer)
    assert values["rtl_sgd_mnist"] == "0.9100"
    assert values["rtl_basis_sgd_mnist"] == "mean of 2 seeds"
    assert values["rtl_gain_sgd_mnist"] == "+0.0500"              # 5 epochs × 0.01
    assert (values["rtl_bbb_mnist"], values["rtl_basis_bbb_mnist"],
            values["rtl_gain_bbb_mnist"]) == ("0.9500", "seed 0", "+0.0000")
    assert {values[f"rtl_{part}fmnist"] for part in ("sgd_", "bbb_", "basis_sgd_",
                                                      "gain_bbb_")} == {MISSING}
    assert rv.longer_values(training, longer, amount=0.9)["rtl_sgd_mnist"] == MISSING


def test_the_chapters_retraining_decisions_hold_on_the_committed_results():
    """A fair comparison, section 3: the literature's schedule on the stored results of the
    "SGD" net and BBB (every seed stored), as the two paragraphs state it."""
    from bnntut import collect
    from bnntut.finetune import schedule_of

    datasets, methods = ["mnist", "fashion-mnist"], ["sgd", "bbb"]
    training = collect.grid("paper", datasets, methods, [0, 1, 2])
    retrained = collect.grid("paper", datasets, methods, [0, 1, 2], kind="retrain")
    if not retrained["mnist"]["bbb"]:
        pytest.skip("the committed results need the MNIST files ($BNNTUT_DATA)")
    for dataset, by_method in retrained.items():
        for method, by_seed in by_method.items():
            for seed, result in by_seed.items():
                trained_at = training[dataset][method][seed]["config"]["train"]["lr"]
                assert schedule_of(result) == {"schedule": "literature",
                                               "amounts": [0.9, 0.95, 0.98], "epochs": 20,
                                               "lr": pytest.approx(trained_at)}
    found = rv.chapter_claims(training, retrained)
    assert all(found.values()), found
    values = rv.chapter_values(training, retrained)
    assert values["rt_basis_mnist"] == values["rt_basis_fmnist"]


def test_compare_on_common_seeds_uses_only_the_shared_seeds():
    training = {"sgd": {s: _trained("sgd", 0.98, seed=s) for s in (0, 1)},
                "bbb": {0: _trained("bbb", 0.98)}}
    sgd = {0: _retrained({0.98: (0.2, _flat(0.90))}), 1: _retrained({0.98: (0.2, _flat(0.99))})}
    bbb = {0: _retrained({0.98: (0.2, _flat(0.95))})}
    found = rv.compare_on_common_seeds(training, ("bbb", bbb), ("sgd", sgd), amount=0.98)
    assert found["seeds"] == [0]
    assert found["difference"] == pytest.approx(0.05)               # seed 1 left out
    assert found["verdict"] == AHEAD and found["seed_margin"] is None
    with pytest.raises(ValueError, match="bbb and sgd share no seed: 0 against 1"):
        rv.compare_on_common_seeds(training, ("bbb", bbb), ("sgd", {1: sgd[1]}), amount=0.98)


def test_shared_seeds_keeps_the_seeds_every_method_has():
    a, b = _retrained({0.98: (0.2, _flat(0.9))}), _retrained({0.98: (0.2, _flat(0.8))})
    assert rv.shared_seeds({"sgd": {0: a, 1: a, 2: a}, "bbb": {2: b, 0: b}, "x": {}}) == {
        "sgd": {0: a, 2: a}, "bbb": {0: b, 2: b}}
    assert rv.shared_seeds({"sgd": {0: a}, "bbb": {1: b}}) == {"sgd": {}, "bbb": {}}
    assert rv.shared_seeds({"sgd": {}}) == {}


def test_longer_claims_follow_the_numbers():
    training, retrained = _chapter_inputs()                   # 20 epochs: BBB 0.90, SGD 0.80
    sgd_longer = {"mnist": 0.80, "fashion-mnist": 0.90}
    longer = {d: {"sgd": {0: _retrained({0.98: (0.2, _flat(sgd_longer[d]))})},
                  "bbb": {0: _retrained({0.98: (0.2, _flat(0.95))})}}
              for d in ("mnist", "fashion-mnist")}
    assert all(rv.longer_claims(training, retrained, longer).values())
    longer["mnist"]["bbb"][0] = _retrained({0.98: (0.2, _rising(0.90))})
    longer["mnist"]["sgd"][0] = _retrained({0.98: (0.2, _flat(0.90))})
    found = rv.longer_claims(training, retrained, longer)
    assert not found["longer: both nets' accuracy has stopped rising on both datasets"]
    assert not found["longer: BBB ahead on both datasets"]
    longer["fashion-mnist"]["sgd"][0] = _retrained({0.98: (0.2, _flat(0.80))})
    found = rv.longer_claims(training, retrained, longer)
    assert not found["MNIST: the \"SGD\" net's longer schedule still ends behind BBB's "
                     "shorter one"]
    assert not found["Fashion-MNIST: the \"SGD\" net's longer schedule reaches BBB's "
                     "shorter one within noise"]
    with pytest.raises(ValueError, match="no retraining results of 'bbb'"):
        del longer["mnist"]["bbb"]
        rv.longer_claims(training, retrained, longer)


def test_the_longer_retraining_decisions_hold_on_the_committed_results():
    """A fair comparison, section 3, "Longer at 98 % removed" (seeds 0, 1 and 2 of both
    nets)."""
    from bnntut import collect

    datasets, methods = ["mnist", "fashion-mnist"], ["sgd", "bbb"]
    training = collect.grid("paper", datasets, methods, [0, 1, 2])
    retrained = collect.grid("paper", datasets, methods, [0, 1, 2], kind="retrain")
    longer = collect.grid("paper", datasets, methods, [0, 1, 2], kind="retrain-long")
    if not longer["mnist"].get("bbb"):
        pytest.skip("the committed results need the MNIST files ($BNNTUT_DATA)")
    longer = {d: rv.shared_seeds(by_method) for d, by_method in longer.items()}
    assert all(list(found) == [0, 1, 2] for by_method in longer.values()
               for found in by_method.values())
    assert all(rv.longer_claims(training, retrained, longer).values())
    values = rv.longer_values(training, longer)
    assert (values["rtl_bbb_mnist"], values["rtl_sgd_mnist"]) == ("0.9701", "0.9376")
