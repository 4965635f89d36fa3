import matplotlib
import pytest

from bnnbook import comparison, stats
from bnntut import collect

matplotlib.use("Agg")


def _result(accuracies, seed=0, bayesian=False):
    amounts = [0.0, 0.5, 0.9]
    sweep = {"amounts": amounts, "accuracy": accuracies, "sparsity": amounts}
    prune = {"l1": dict(sweep)}
    if bayesian:
        prune["snr"] = {**sweep, "accuracy_mc": [a - 0.01 for a in accuracies]}
    kind = "bayesian" if bayesian else "mlp"
    return {"prune": prune, "config": {"train": {"seed": seed}, "model": {"kind": kind}}}


def test_seed_table_and_figure():
    by_method = {"sgd": {0: _result([0.9, 0.8, 0.5]), 1: _result([0.92, 0.7, 0.3], 1)},
                 "bbb": {0: _result([0.95, 0.9, 0.6], bayesian=True)}}
    table = comparison.seed_table(by_method, (0.0, 0.9))
    assert list(table.columns) == ["0 %", "90 %"]
    sgd = comparison.label("sgd")                                 # mean, then min and max
    assert [table.loc[(sgd, "0, 1", stat), "0 %"] for stat in ("mean", "min", "max")] == [
        "0.9100", "0.9000", "0.9200"]
    ensemble = "Bayes by Backprop, ensemble"                      # one seed: the mean only
    assert [key for key in table.index if key[0] == ensemble] == [(ensemble, "0", "mean")]
    assert table.loc[(ensemble, "0", "mean")].tolist() == ["0.9400", "0.5900"]
    fig = comparison.seed_figure({"mnist": by_method})
    assert len(fig.axes[0].lines) == 2


def test_grid_without_compute_loads_only(tiny_preset, tmp_path):
    found = collect.grid("tiny", ["mnist"], ["sgd"], (0, 1), results=tmp_path)
    assert found == {"mnist": {"sgd": {}}}
    computed = collect.grid("tiny", ["mnist"], ["sgd"], (0, 1), compute=True, results=tmp_path)
    assert sorted(computed["mnist"]["sgd"]) == [0, 1]
    again = collect.grid("tiny", ["mnist"], ["sgd"], (0, 1, 2), results=tmp_path)
    assert sorted(again["mnist"]["sgd"]) == [0, 1]


def test_derived_tables(tiny_preset, tmp_path):
    crit = collect.grid("tiny", ["mnist"], ["sgd", "bbb"], kind="criteria", results=tmp_path)
    assert crit == {"mnist": {}}     # nothing stored, nothing computed
    crit = collect.grid("tiny", ["mnist"], ["sgd", "bbb"], kind="criteria", compute=True,
                        results=tmp_path)
    table = comparison.criteria_table(crit["mnist"], 0.9)
    assert (comparison.label("sgd"), "per-layer L1") in table.index
    assert (comparison.label("bbb"), "SNR |μ|/σ") in table.index      # | kept in the label
    assert list(table.columns) == ["biases ranked too", "weights only"]
    comparison.criteria_figure(crit["mnist"], "mnist")
    ft = collect.grid("tiny", ["mnist"], ["sgd", "bbb"], kind="finetune", compute=True,
                      results=tmp_path)
    table = comparison.finetune_table(ft["mnist"])                  # pruned only → fine-tuned
    for method, result in ft["mnist"].items():
        for stage, row in (("before", "pruned only"), ("after", "fine-tuned")):
            assert table.loc[(comparison.label(method), row)].tolist() == [
                f"{lv[stage]['accuracy']:.4f}" for lv in result["by_amount"]]
    assert (comparison.label("bbb"), "ensemble, fine-tuned") in table.index
    comparison.finetune_figure(ft)
    kl = comparison.kl_results("tiny", ["mnist"], (0, 1), compute=True, results=tmp_path)
    assert set(kl["mnist"]) == {"paper", "blundell", "uniform"}
    assert all(sorted(by_seed) == [0, 1] for by_seed in kl["mnist"].values())
    table = comparison.kl_table(kl["mnist"], (0.0, 0.5))
    assert set(table.index.get_level_values("KL weighting")) == {"paper", "blundell", "uniform"}
    comparison.kl_figure(kl)


def test_paired_gaps_and_kl_findings():
    by_method = {"bbb": {0: _result([0.9, 0.8, 0.7], bayesian=True),
                         1: _result([0.9, 0.8, 0.4], 1, bayesian=True)},
                 "sgd": {0: _result([0.9, 0.8, 0.5]), 2: _result([0.9, 0.8, 0.5], 2)}}
    assert stats.paired_gaps(by_method, "bbb", "sgd", 0.9) == {0: pytest.approx(0.2)}
    result = _result([0.9, 0.8, 0.7], bayesian=True)
    result["weights"] = {"mean_sigma": 0.01, "snr_db": {"edges": [0.0, 10.0], "counts": [4],
                                                          "below": 0, "above": 0, "n": 4}}
    (line,) = comparison.kl_findings({"paper": {0: result}}, (0.9,))
    assert line == ("- **paper** (seeds 0): median SNR 5.0 dB, mean σ 0.0100; "
                    "accuracy 0.7000 at 90%.")
    other = _result([0.9, 0.8, 0.5], 1, bayesian=True)
    other["weights"] = {**result["weights"], "mean_sigma": 0.03}
    (line,) = comparison.kl_findings({"uniform": {0: result, 1: other}}, (0.9,))
    assert line == ("- **uniform** (seeds 0, 1): median SNR 5.0 [min-max 5.0 – 5.0] dB, mean σ "
                    "0.0200 [min-max 0.0100 – 0.0300]; accuracy 0.6000 [min-max 0.5000 – "
                    "0.7000] at 90%.")
    table = comparison.kl_table({"uniform": {0: result, 1: other}}, (0.9,))
    assert [table.loc[("uniform", "0, 1", stat), "mean σ"] for stat in ("mean", "min", "max")
            ] == ["0.0200", "0.0100", "0.0300"]


def _store(tmp_path, preset, accuracies, method="bbb", validation=0.0):
    from bnntut import experiment, presets, store

    config = presets.method_config(preset, "mnist", method)
    amounts = [0.0, 0.5, 0.75, 0.95, 0.98]
    result = {"config": config, "config_hash": store.config_hash(config),
              "history": [{"epoch": 600, "validation_accuracy": validation}],
              "prune": {"snr": {"amounts": amounts, "accuracy": accuracies,
                                "accuracy_mc": [a + 0.001 for a in accuracies]}}}
    path = experiment.Run(config, tmp_path).path()
    path.parent.mkdir(parents=True, exist_ok=True)
    store.write_json(path, result)


def test_blundell_result_prefers_the_full_schedule(tmp_path):
    assert comparison.blundell_result(tmp_path) is None
    _store(tmp_path, "blundell-cpu", [0.98, 0.98, 0.97, 0.9, 0.8])
    preset, short = comparison.blundell_result(tmp_path)
    assert preset == "blundell-cpu" and short["config"]["train"]["epochs"] < 600
    _store(tmp_path, "blundell", [0.99, 0.99, 0.99, 0.98, 0.97], "bbb-sgd-lr1e-3", 0.985)
    assert comparison.blundell_result(tmp_path)[0] == "blundell"
    # The grid point with the higher validation accuracy is chosen, not the higher test one.
    _store(tmp_path, "blundell", [0.995, 0.99, 0.99, 0.99, 0.99], "bbb-sgd-lr1e-4", 0.980)
    assert list(comparison.blundell_grid(tmp_path)) == ["bbb-sgd-lr1e-3", "bbb-sgd-lr1e-4"]
    assert comparison.blundell_choice(comparison.blundell_grid(tmp_path)) == "bbb-sgd-lr1e-3"
    table = comparison.blundell_table(comparison.blundell_result(tmp_path)[1])
    assert table.loc["95 %"].tolist() == ["1.29 %", "2.00 %", "1.90 %"]   # 1 − accuracy, %
    assert len(table) == len(comparison.BLUNDELL_TABLE2_ERROR)


def test_blundell_prediction_is_read_apart_from_the_grid(tmp_path):
    assert comparison.blundell_prediction(tmp_path) is None
    assert comparison.blundell_prediction_phrase(None) == "still to be run at their scale"
    _store(tmp_path, "blundell", [0.99, 0.99, 0.99, 0.98, 0.97], "bbb-sgd-lr1e-4", 0.980)
    # Stored with a higher validation accuracy than the grid point, the prediction is still
    # not a grid point: the protocol's choice on validation never sees it.
    _store(tmp_path, "blundell", [0.988, 0.988, 0.987, 0.9857, 0.98],
           comparison.BLUNDELL_PREDICTION, 0.999)
    assert list(comparison.blundell_grid(tmp_path)) == ["bbb-sgd-lr1e-4"]
    assert comparison.blundell_result(tmp_path)[1]["config"]["method"] == "bbb-sgd-lr1e-4"
    prediction = comparison.blundell_prediction(tmp_path)
    assert prediction["config"]["method"] == comparison.BLUNDELL_PREDICTION
    assert prediction["config"]["train"]["kl_weighting"] == "uniform"
    assert comparison.blundell_prediction_phrase(prediction) == (
        "run at their scale: it errs 1.20 % unpruned and 1.43 % at 95 % removed "
        "(Table 2: 1.24 % and 1.29 %)")
    ours, theirs, as_table2 = comparison.blundell_pruning_cost(prediction)
    assert (round(ours, 2), round(theirs, 2), as_table2) == (0.8, 0.15, False)  # 2.00 − 1.20
    assert comparison.blundell_pruning_sentence(prediction) == (
        "Removing 98 % of its weights changes its error by +0.80 points, against +0.15 in "
        "Table 2: pruning costs it more than it cost theirs.")


def test_labels_name_the_sgd_net_for_what_it_is():
    assert comparison.label("sgd") == '"SGD" (Adam, dropout 0.01)'
    assert comparison.label("sgd-l1-1e-4-lr1e-3").startswith('"SGD" (Adam, dropout 0.01)')
    assert comparison.label("bbb-opt-sgd") == "BBB, plain SGD lr 1e-3"
    assert comparison.label("bbb-sgd-lr1e-3") == "BBB 2×1200, SGD lr 1e-3"


def test_paired_table_shows_the_gap_seed_by_seed():
    by_method = {"bbb": {0: _result([0.9, 0.8, 0.7], bayesian=True),
                         1: _result([0.9, 0.8, 0.5001], 1, bayesian=True)},
                 "sgd": {0: _result([0.9, 0.8, 0.5]), 1: _result([0.9, 0.8, 0.5], 1)}}
    table = comparison.paired_table({"mnist": by_method}, (0.9,))
    assert table.loc[("MNIST", "90 %")].tolist() == ["+0.2000", "+0.0001"]


def test_open_blundell_runs_and_their_commands(tmp_path):
    assert comparison.blundell_open_runs(tmp_path) == comparison.BLUNDELL_OPEN_RUNS
    text = comparison.blundell_open_commands(tmp_path)
    for methods in comparison.BLUNDELL_OPEN_RUNS.values():
        assert all(m in text for m in methods)
    assert text.count(comparison.BLUNDELL_GPU_COMMAND) == len(comparison.BLUNDELL_OPEN_RUNS)
    assert set(comparison.BLUNDELL_OPEN_RUNS["averaged-gradient BBB over their "
                                             "learning-rate grid"]) == {
        "bbb-sgd-lr1e-3-mean", "bbb-sgd-lr1e-4-mean", "bbb-sgd-lr1e-5-mean"}


def test_blundell_chapter_decisions_hold_on_the_committed_runs():
    grid, prediction = comparison.blundell_grid(), comparison.blundell_prediction()
    if not grid or prediction is None:
        pytest.skip("the blundell results need the MNIST files ($BNNTUT_DATA)")
    from bnnbook import prunability

    claims = prunability.blundell_claims(grid, prediction)
    assert all(claims.values()), claims
    values = comparison.blundell_values(grid, prediction)
    assert (values["bl_error_0"], values["pred_error_0"], values["t1_sgd"]) == (
        "2.25", "2.12", "1.88")
    assert values["grid_snr_low"].startswith("+") and values["bl_growth"] == "1.8"
    table = comparison.blundell_comparison_table({"chosen": grid[comparison.blundell_choice(
        grid)], "even split": prediction})
    assert table.loc["95 %"].tolist() == ["1.29 %", "87.74 %", "2.07 %"]
    empty = comparison.blundell_values({}, None)
    assert empty["bl_chosen"] == empty["pred_zero"] == "n/a (quick mode)"


def test_fair_comparison_decisions_hold_on_the_committed_results():
    from bnnbook import prunability
    from bnnbook.book import chapter_scope

    datasets, methods, seeds = chapter_scope("paper", comparison.SEEDS)
    by_seed = collect.grid("paper", datasets, methods, seeds)
    if not by_seed["mnist"]["bbb"]:
        pytest.skip("the committed results need the MNIST files ($BNNTUT_DATA)")
    crit = collect.grid("paper", datasets, methods, kind="criteria")
    ft = collect.grid("paper", datasets, methods, kind="finetune")
    kl = comparison.kl_results("paper", datasets, seeds)
    claims = prunability.fair_claims(by_seed, crit, ft, kl)
    assert all(claims.values()), claims
    values = comparison.fair_values(by_seed, crit, ft, kl)
    # fine-tuning closes the gap at 90 % but not at 95 % (seed 0)
    assert (values["ft_bbb_mnist_90"], values["ft_sgd_mnist_90"]) == ("0.9613", "0.9586")
    assert (values["ft_bbb_mnist_95"], values["ft_sgd_mnist_95"]) == ("0.9145", "0.7392")
    assert (values["pruned_sgd_mnist_98"], values["ft_sgd_mnist_98"]) == ("0.1825", "0.2563")
    table = comparison.best_criteria_table(crit, 0.9)
    assert table.loc[(comparison.label("bbb"), "biases ranked too"), "MNIST"].startswith("|μ|")
    costs = comparison.cost_table(by_seed, crit, ft, kl)
    assert list(costs.index) == ["extra seeds", "criteria", "fine-tuning", "KL ablation"]


def test_fair_values_fill_every_key_from_a_slice():
    """Quick mode fine-tunes at 50 % and 90 % only and trains MNIST only: the keys the page
    glues at 95 % and 98 %, and for Fashion-MNIST, read MISSING instead of failing."""
    level = {"amount": 0.9, "before": {"accuracy": 0.5}, "after": {"accuracy": 0.6}}
    values = comparison.fair_values({}, {}, {"mnist": {"bbb": {"by_amount": [level]}}}, {})
    assert values["ft_bbb_mnist_90"] == "0.6000"
    assert values["ft_bbb_mnist_95"] == values["pruned_bbb_mnist_98"] == comparison.MISSING
    assert values["ft_sgd_fmnist_90"] == values["n_seeds"] == comparison.MISSING
