"""The one-factor-at-a-time prunability study: rows, targets, table and figure."""

import math

import numpy as np
import pytest

from bnnbook import comparison, prunability, stats
from bnnbook.book import PRUNABILITY_SCOPES
from bnntut import collect, presets
from bnntut.methods import REGISTRY


def _histogram(counts, below=0, above=0):
    edges = [float(e) for e in range(len(counts) + 1)]
    return {"weights": {"snr_db": {"counts": counts, "edges": edges, "below": below,
                                   "above": above}}}


def test_median_snr_interpolates_within_the_bin():
    assert prunability.median_snr_db(_histogram([0, 4, 0])) == pytest.approx(1.5)
    assert prunability.median_snr_db(_histogram([2, 2])) == pytest.approx(1.0)
    # values below the range count towards the median
    assert prunability.median_snr_db(_histogram([0, 2, 2], below=4)) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="outside"):
        prunability.median_snr_db(_histogram([0, 1], above=5))


def test_every_row_is_a_registered_ablation_of_the_paper_preset():
    paper = {**presets.PAPER.methods, **presets.PAPER.ablations}
    for method in [*prunability.BBB_ROWS, *prunability.DETERMINISTIC_ROWS]:
        assert method in paper and method in REGISTRY, method
        assert REGISTRY[method].bayesian == method.startswith("bbb"), method
    colors = [REGISTRY[m].color for m in [*prunability.BBB_ROWS, *prunability.DETERMINISTIC_ROWS]]
    assert len(set(colors)) == len(colors)             # one colour per method
    for method in prunability.BBB_ROWS:                # each changes one thing of the study's
        changed = {k for k, v in presets.method_config("paper", "mnist", method).items()
                   if v != presets.method_config("paper", "mnist", "bbb")[k]} - {"method"}
        assert changed <= {"model", "train"}, method


def test_ablation_protocols_change_what_they_say():
    config = presets.method_config
    assert config("paper", "mnist", "bbb-lr1e-3")["train"]["lr"] == 1e-3
    assert config("paper", "mnist", "bbb-opt-sgd")["train"]["optimizer"] == "sgd"
    assert "optimizer" not in config("paper", "mnist", "bbb")["train"]   # hash unchanged
    assert config("paper", "mnist", "bbb-150ep")["train"]["epochs"] == 150
    assert config("paper", "mnist", "bbb-samples5")["train"]["n_samples"] == 5
    assert config("paper", "mnist", "bbb-rho-fixed")["model"]["rho_init"] == [-5.0, -5.0]
    both = config("paper", "mnist", "bbb-kl-uniform-lr1e-3")["train"]
    assert both["kl_weighting"] == "uniform" and both["lr"] == 1e-3
    narrow, sgd = (config("paper", "mnist", m) for m in ("bbb-opt-sgd-sigma1-e-2", "bbb-opt-sgd"))
    assert narrow["model"]["prior_sigma1"] == pytest.approx(math.exp(-2))
    assert narrow["train"] == sgd["train"]           # the prior is all that differs
    assert {k: v for k, v in narrow["model"].items() if k != "prior_sigma1"} == \
        {k: v for k, v in sgd["model"].items() if k != "prior_sigma1"}
    spread = config("paper", "mnist", "bbb-opt-sgd-kl-uniform-sigma1-e-2")
    assert spread["model"] == narrow["model"] and spread["train"] == {**narrow["train"],
                                                                      "kl_weighting": "uniform"}
    assert "bbb-opt-sgd-sigma1-e-2" not in prunability.SINGLE_FACTOR_ROWS
    at_scale = config("blundell", "mnist", "bbb-sgd-lr1e-3-kl-uniform-sigma1-e-2")
    assert at_scale["model"]["hidden"] == [1200, 1200]
    assert at_scale["model"]["prior_sigma1"] == pytest.approx(math.exp(-2))
    assert {k: at_scale["train"][k] for k in ("optimizer", "lr", "kl_weighting", "epochs")} == \
        {"optimizer": "sgd", "lr": 1e-3, "kl_weighting": "uniform", "epochs": 600}
    assert {"bbb-opt-sgd", "bbb-prior-wide"} <= set(prunability.SINGLE_FACTOR_ROWS)
    # a method's own epochs are its default: no "-epochs" suffix, which git ignores
    from bnntut import experiment

    path = experiment.Run(config("paper", "mnist", "bbb-150ep"), experiment.Path("r")).path()
    assert path.name == "bbb-150ep.json"


def test_rows_table_and_figure(tiny_preset, tmp_path, monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    monkeypatch.setattr(prunability, "AMOUNTS", (0.5, 0.9))
    methods = ["bbb", "bbb-lr1e-3", "sgd"]
    collected = collect.grid("tiny", ["mnist"], methods, [0, 1], compute=True,
                             results=tmp_path)["mnist"]
    summaries = prunability.rows(collected)
    assert set(summaries) == set(methods)
    bbb = summaries["bbb"]
    assert bbb["seeds"] == [0, 1] and set(bbb["snr"]) == {0.5, 0.9}
    expected = sum(r["prune"]["snr"]["accuracy"][1] for r in collected["bbb"].values()) / 2
    assert bbb["snr"][0.5] == pytest.approx(expected)
    assert bbb["mean_sigma"] > 0 and summaries["sgd"]["snr"] == {}
    assert summaries["sgd"]["median_snr_db"] is None
    table = prunability.table({"mnist": summaries}, ["mnist"])
    assert list(table.index) == [comparison.label(m) for m in methods]
    assert table.loc[comparison.label("bbb"), ("MNIST", "90 %")] == \
        f"{summaries['bbb']['snr'][0.9]:.4f}"
    assert table.loc[comparison.label("bbb"), ("MNIST", "95 %")] == ""   # not in AMOUNTS
    assert table.loc[comparison.label("sgd"), ("MNIST", "mean σ")] == ""
    fig = prunability.figure({"mnist": summaries}, ["mnist"])
    assert len(fig.axes[0].lines) == len(methods)          # one line per row, no markers
    with pytest.raises(ValueError, match="no stored result"):
        prunability.row({})


def test_every_pruning_grid_is_part_of_the_one_sweep():
    """The fractions each table, figure and arm reads are points of the one stored sweep
    (``evaluate.SWEEP_AMOUNTS``), so none is computed by a separate, inconsistent grid."""
    from bnnbook import interactive
    from bnntut import compression, evaluate, study

    sweep = set(evaluate.SWEEP_AMOUNTS)
    for name, grid in {"table": evaluate.TABLE_AMOUNTS, "study": study.STUDY_AMOUNTS,
                       "fine-tuning": presets.FINETUNE_AMOUNTS,
                       "uncertainty": presets.PAPER.uncertainty["amounts"],
                       "quick uncertainty": presets.QUICK.uncertainty["amounts"],
                       "compression": compression.AMOUNTS,
                       "explorer": interactive.EXPLORER_AMOUNTS,
                       "prunability": prunability.AMOUNTS,
                       "quick sweep": presets.QUICK.evaluation["amounts"]}.items():
        assert set(grid) <= sweep, (name, sorted(set(grid) - sweep))


def test_scope_is_every_row_for_paper_and_a_slice_for_quick():
    datasets, methods, seeds = prunability.scope("paper")
    assert datasets == ["mnist", "fashion-mnist"] and seeds == [0, 1, 2]
    assert methods == [*prunability.BBB_ROWS, *prunability.DETERMINISTIC_ROWS]
    quick = PRUNABILITY_SCOPES["quick"]
    expected = tuple(list(quick[key]) for key in ("datasets", "methods", "seeds"))
    assert prunability.scope("quick") == expected


def test_blundell_grid_table_reads_the_committed_gpu_runs():
    """The blundell preset's grid (committed, trained on a GPU): every grid point present,
    the choice made on validation, and the table's columns."""
    grid = comparison.blundell_grid()
    if not grid:
        pytest.skip("the blundell results need the MNIST files ($BNNTUT_DATA)")
    assert list(grid) == list(presets.BLUNDELL.selection["families"]["bbb"])
    chosen = comparison.blundell_choice(grid)
    validation = {m: r["history"][-1]["validation_accuracy"] for m, r in grid.items()}
    assert validation[chosen] == max(validation.values())
    for result in grid.values():
        assert result["config"]["train"]["epochs"] == 600 == len(result["history"])
        assert result["config"]["train"]["optimizer"] == "sgd"
    table = prunability.blundell_grid_table(grid, chosen)
    assert table["chosen"].tolist().count("✓") == 1
    assert table.loc[comparison.label(chosen), "chosen"] == "✓"
    assert list(table.columns) == ["learning rate", "validation", "chosen", "unpruned",
                                   "50 % removed", "mean SNR (dB)", "mean σ"]


def test_histogram_share_counts_bins_by_their_overlap():
    hist = {"edges": [0.0, 1.0, 2.0, 3.0], "counts": [2, 4, 2], "below": 1, "above": 1, "n": 10}
    share = stats.histogram_share
    assert share(hist, 1.0, 2.0) == pytest.approx(0.4)
    assert share(hist, 0.5, 1.5) == pytest.approx((1 + 2) / 10)
    assert share(hist, high=1.0) == pytest.approx(0.3)    # the values below count
    assert share(hist, low=2.5) == pytest.approx(0.2)     # the values above count
    assert share(hist) == pytest.approx(1.0)


def test_verdicts_need_more_than_twice_the_standard_error():
    """The book's rule (bnnbook.claims.compare): a published number is a fixed reference, two
    measured accuracies each carry a standard error."""
    from bnnbook import claims

    se = claims.standard_error(0.98)                                # √(0.98 · 0.02 / 10 000)
    assert se == pytest.approx(0.0014)
    assert prunability.verdict(0.9801, 0.980, reference=True) == "within noise"
    assert prunability.verdict(0.980 + 2.2 * se, 0.980, reference=True) == "ahead"
    assert prunability.verdict(0.980 - 2.2 * se, 0.980, reference=True) == "behind"
    assert prunability.verdict(0.98013, 0.98010) == "within noise"  # a 0.00003 "lead"
    assert prunability.verdict(0.9809, 0.9751) == "ahead"
    assert prunability.verdict(0.9788, 0.9812, reference=True) == "within noise"  # 2.12 / 1.88 %
    assert prunability.seed_leader({"a": [0.90, 0.91], "b": [0.80, 0.85]}) == "a"
    assert prunability.seed_leader({"a": [0.90, 0.91], "b": [0.80, 0.899]}) is None


def _stored_rows():
    datasets, methods, seeds = prunability.scope("paper")
    collected = collect.grid("paper", datasets, methods, seeds)
    if not collected["mnist"].get("bbb"):
        pytest.skip("the committed results need the MNIST files ($BNNTUT_DATA)")
    return collected, {d: prunability.rows(collected[d]) for d in datasets}


def test_the_chapters_decisions_hold_on_the_committed_results():
    """Every decision the prunability chapter states, on the stored full results: the BBB row
    with both changes is short of Table 2, each penalised row against it as the prose says,
    and no verdict hangs on a difference within noise."""
    collected, summaries = _stored_rows()
    claims = prunability.chapter_claims(summaries, collected)
    assert all(claims.values()), claims
    against = {d: {row: {a: c["verdict"] for a, c in by_amount.items()}
                   for row, by_amount in prunability.versus_penalties(collected[d]).items()}
               for d in ("mnist", "fashion-mnist")}
    weak, strong = prunability.PENALTY_ROWS
    assert against["mnist"] == {weak: {0.9: "within noise", 0.95: "within noise",
                                       0.98: "within noise"},
                                strong: {0.9: "within noise", 0.95: "within noise",
                                         0.98: "ahead"}}
    assert against["fashion-mnist"] == {weak: {0.9: "ahead", 0.95: "ahead", 0.98: "behind"},
                                        strong: {0.9: "within noise", 0.95: "ahead",
                                                 0.98: "ahead"}}
    values = prunability.chapter_values(summaries, collected)
    assert (values["combined_mnist_95"], values["study_mnist_95"]) == ("0.9801", "0.4400")
    assert prunability.MISSING not in values.values()
    table = prunability.table(summaries, ["mnist", "fashion-mnist"])
    assert table.loc[comparison.label("bbb"), ("", "seeds")] == "0, 1, 2"
    assert table.loc[comparison.label("sgd"), ("MNIST", "mean σ")] == ""
    assert table.loc[comparison.label("sgd"), ("MNIST", "95 %, |μ|")] == ""
    table = prunability.penalty_table(collected["mnist"])
    assert table.loc["98 %", ("L1 1e-4 (3 seeds)", "against BBB")] == "ahead"
    assert table.loc["98 %", ("BBB, both changes (3 seeds)", "SNR")] == "0.9751 ± 0.0016"
    split = prunability.sigma_split(collected["mnist"]["bbb-kl-uniform-lr1e-3"][0])
    assert split["narrow"] + split["broad"] < 1 and 0.002 < split["mode"] < 0.003
    inside = prunability.share_in_band(collected["mnist"]["bbb"][0])
    assert 0.8 < inside < 0.9      # the Weights chapter counts the exact share on the model


def test_chapter_values_fill_every_key_in_a_slice():
    """Quick mode's slice has no Fashion-MNIST and no 150-epoch row: every key is still
    glued, the missing ones as MISSING."""
    collected, summaries = _stored_rows()
    keep = ["bbb", "bbb-kl-uniform", "bbb-lr1e-3", "bbb-kl-uniform-lr1e-3", "sgd"]
    sliced = {"mnist": {m: {0: collected["mnist"][m][0]} for m in keep}}
    full = prunability.chapter_values(summaries, collected)
    values = prunability.chapter_values({"mnist": prunability.rows(sliced["mnist"])}, sliced)
    assert set(values) == set(full)
    assert values["ep150_inside"] == values["ep150_90_snr"] == prunability.MISSING
    assert prunability.auroc_table({"mnist": {}}) is None


def test_auroc_table_reads_seed_0_at_95_percent_removed():
    from bnntut import uncertainty

    rows = [prunability.COMBINED, *prunability.PENALTY_ROWS]
    measured = {"mnist": prunability.uncertainty_results("mnist", "paper", rows)}
    if prunability.COMBINED not in measured["mnist"]:
        pytest.skip("the committed results need the MNIST files ($BNNTUT_DATA)")
    assert set(measured["mnist"]) <= set(rows)
    table = prunability.auroc_table(measured)
    expected = uncertainty.record_at(measured["mnist"][prunability.COMBINED], 0.95)["auroc"]
    assert table.loc["MNIST", "BBB, both changes"] == f"{expected:.3f}"
    assert prunability.uncertainty_results("mnist", "paper", ["sgd"]) == {}


def test_probe_rows_bear_out_the_blundell_chapter():
    datasets = ["mnist", "fashion-mnist"]
    collected = collect.grid("paper", datasets, prunability.PROBE_ROWS, [0, 1, 2])
    if not collected["mnist"][prunability.PROBE_ROWS[2]]:
        pytest.skip("the committed results need the MNIST files ($BNNTUT_DATA)")
    summaries = {d: prunability.rows(collected[d]) for d in datasets}
    assert all(prunability.probe_claims(summaries).values())
    table = prunability.probe_table(summaries, collected)
    assert len(table) == 6 and table["μ within 0.006 of 0"].iloc[2] == "91 %"
    assert prunability.probe_values(summaries, collected)["probe_zero"] == "91 %"


def test_unneeded_weights_follow_the_shrinking_limit():
    """Far from the spike the wide component shrinks an unneeded μ by exp(−η E / σ1²): the
    weights of an epoch sum to 1 under Blundell's weighting."""
    grid = [(1e-2, 1.0, math.exp(-6)), (1e-3, math.exp(-1), math.exp(-6))]
    final = prunability.unneeded_weights(grid, epochs=20, n=32)
    assert final.shape == (32, 2)
    for column, (lr, s1, _) in enumerate(grid):
        expected = 0.1 * math.exp(-lr * 20 / s1**2)
        assert float(np.median(final[:, column])) == pytest.approx(expected, rel=0.03)
    toy = prunability.prior_grid_toy((1e-2,), (0, -1), (-6,), epochs=20, n=32)
    assert list(toy.index) == ["η = 0.01, σ1 = e⁰", "η = 0.01, σ1 = e⁻¹"]
    assert list(toy.columns) == ["σ2 = e⁻⁶"]
    assert toy.iloc[0, 0] == pytest.approx(float(np.median(final[:, 0])))


def test_auroc_order_ranks_and_refuses_a_near_tie():
    def measured(auroc):
        return {"config": {"amounts": [0.95]},
                "modes": {"deterministic": [{"amount": 0.95, "auroc": auroc}]}}

    weak, strong = prunability.PENALTY_ROWS
    found = {"mnist": {prunability.COMBINED: measured(0.89), strong: measured(0.92)}}
    assert prunability.auroc_order(found) == {"mnist": [strong, prunability.COMBINED]}
    found["mnist"][weak] = measured(0.915)
    with pytest.raises(ValueError, match="within 0.01 of each other"):
        prunability.auroc_order(found)
