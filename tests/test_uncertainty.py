"""Calibration, OOD detection and the stored uncertainty sweep (tiny synthetic data, seconds)."""

import hashlib
import itertools
import json
import math

import pytest
import torch

from bnnbook import uncertainty_views
from bnntut import cli, collect, methods, presets, uncertainty


def _two_class(confidences, predicted_correct):
    """Probabilities [c, 1 - c] (class 0 predicted) and labels 0 (correct) or 1 (wrong)."""
    probs = torch.tensor([[c, 1 - c] for c in confidences], dtype=torch.float64)
    labels = torch.tensor([0 if ok else 1 for ok in predicted_correct])
    return probs, labels


def test_ece_of_a_hand_made_example():
    # bin (13/15, 14/15]: confidence 0.9, accuracy 1/2; bin (10/15, 11/15]: 0.7, accuracy 1.
    probs, labels = _two_class([0.9, 0.9, 0.7, 0.7], [True, False, True, True])
    expected = 2 / 4 * abs(0.5 - 0.9) + 2 / 4 * abs(1.0 - 0.7)
    assert uncertainty.expected_calibration_error(probs, labels) == pytest.approx(expected)
    diagram = uncertainty.reliability(probs, labels)
    assert diagram["count"][13] == 2 and diagram["count"][10] == 2 and sum(diagram["count"]) == 4
    assert diagram["accuracy"][13] == pytest.approx(0.5)
    assert diagram["confidence"][10] == pytest.approx(0.7)
    assert diagram["accuracy"][0] is None and diagram["confidence"][0] is None   # empty bin
    assert len(diagram["edges"]) == uncertainty.ECE_BINS + 1 == 16


def test_perfect_calibration_gives_zero():
    # 10 predictions at 0.8 with 8 right, 5 at 0.6 with 3 right, 4 at 1.0 all right.
    probs, labels = _two_class([0.8] * 10 + [0.6] * 5 + [1.0] * 4,
                               [True] * 8 + [False] * 2 + [True] * 3 + [False] * 2 + [True] * 4)
    assert uncertainty.expected_calibration_error(probs, labels) == pytest.approx(0, abs=1e-12)


def test_ece_is_the_gap_for_one_bin_and_depends_on_the_binning():
    probs, labels = _two_class([0.95] * 4, [True, True, False, False])
    assert uncertainty.expected_calibration_error(probs, labels) == pytest.approx(0.45)
    # two confidences in one bin of a coarse binning cancel; 15 bins separate them
    probs, labels = _two_class([0.55, 0.95], [True, False])
    assert uncertainty.expected_calibration_error(probs, labels, bins=1) == pytest.approx(0.25)
    assert uncertainty.expected_calibration_error(probs, labels) == pytest.approx(0.7)


def _pairwise_auroc(neg, pos):
    wins = sum((p > n) + 0.5 * (p == n) for p, n in itertools.product(pos.tolist(), neg.tolist()))
    return wins / (len(pos) * len(neg))


def test_auroc_equals_the_pairwise_probability_with_ties():
    g = torch.Generator().manual_seed(0)
    for n_neg, n_pos in ((7, 5), (30, 40), (1, 3)):
        neg = torch.randint(0, 5, (n_neg,), generator=g).double()     # many ties
        pos = torch.randint(1, 7, (n_pos,), generator=g).double()
        assert uncertainty.auroc(neg, pos) == pytest.approx(_pairwise_auroc(neg, pos), abs=1e-12)
    neg, pos = torch.rand(50, generator=g), torch.rand(60, generator=g) + 0.3
    assert uncertainty.auroc(neg, pos) == pytest.approx(_pairwise_auroc(neg, pos), abs=1e-12)


def test_auroc_extremes():
    low, high = torch.tensor([0.1, 0.2, 0.3]), torch.tensor([0.5, 0.9])
    assert uncertainty.auroc(low, high) == 1.0
    assert uncertainty.auroc(high, low) == 0.0
    same = torch.full((4,), 0.7)
    assert uncertainty.auroc(same, same[:3]) == 0.5


def test_entropy_bounds_and_histogram():
    k = 10
    one_hot = torch.eye(k)
    uniform = torch.full((3, k), 1 / k)
    random = torch.softmax(torch.randn(100, k, generator=torch.Generator().manual_seed(1)), -1)
    assert torch.equal(uncertainty.entropy(one_hot), torch.zeros(k, dtype=torch.float64))
    assert uncertainty.entropy(uniform) == pytest.approx([math.log(k)] * 3)
    h = uncertainty.entropy(random)
    assert ((h > 0) & (h < math.log(k))).all()
    hist = uncertainty.entropy_histogram(torch.cat([h, uncertainty.entropy(one_hot),
                                                    uncertainty.entropy(uniform)]))
    assert sum(hist["counts"]) == 113                        # every value is counted
    assert hist["counts"][0] >= k and hist["counts"][-1] >= 3
    assert hist["edges"][0] == 0 and hist["edges"][-1] == pytest.approx(math.log(k))
    assert len(hist["counts"]) == uncertainty.ENTROPY_BINS


def test_analyse_separates_confident_in_distribution_from_uniform_ood():
    probs_in = torch.eye(10)[torch.arange(20) % 10] * 0.91 + 0.009    # confident, right
    labels = torch.arange(20) % 10
    probs_ood = torch.full((15, 10), 0.1)
    record = uncertainty.analyse(probs_in, labels, probs_ood)
    assert record["accuracy"] == 1.0 and record["auroc"] == 1.0
    assert record["ece"] == pytest.approx(1 - 0.919)
    assert record["entropy"]["mean_ood"] == pytest.approx(math.log(10))
    assert sum(record["entropy"]["in"]) == 20 and sum(record["entropy"]["ood"]) == 15
    json.dumps(record, allow_nan=False)                     # storable as is


def test_bad_inputs_raise_and_name_what_is_allowed():
    probs, labels = _two_class([0.9, 0.6], [True, False])
    with pytest.raises(ValueError, match="every row of probs must sum to 1"):
        uncertainty.expected_calibration_error(probs * 2, labels)
    with pytest.raises(ValueError, match=r"shape \(n, classes\)"):
        uncertainty.expected_calibration_error(probs[0], labels)
    with pytest.raises(ValueError, match=r"class indices in \[0, 2\)"):
        uncertainty.expected_calibration_error(probs, torch.tensor([0, 2]))
    with pytest.raises(ValueError, match="bins must be a positive integer"):
        uncertainty.expected_calibration_error(probs, labels, bins=0)
    with pytest.raises(ValueError, match="non-empty 1-D"):
        uncertainty.auroc(torch.tensor([]), torch.tensor([1.0]))
    with pytest.raises(ValueError, match="finite"):
        uncertainty.auroc(torch.tensor([float("nan")]), torch.tensor([1.0]))
    with pytest.raises(ValueError, match="allowed: paper, quick"):
        uncertainty.run("mnist", "sgd", "huge")
    with pytest.raises(ValueError, match="sgd, dropout50, dropout75, dropout90, bbb"):
        uncertainty.run("mnist", "adam", "quick")
    with pytest.raises(ValueError, match="allowed: mnist, fashion-mnist"):
        uncertainty.run("kmnist", "sgd", "quick")


def test_modes_and_criteria_per_method():
    assert uncertainty.modes_for("sgd") == {"deterministic": 0}
    for method in ("dropout50", "dropout75", "dropout90", "bbb"):
        assert uncertainty.modes_for(method) == {"deterministic": 0, "mc": 10}
    assert uncertainty.config_for("mnist", "bbb")["criterion"] == "snr"
    assert uncertainty.config_for("mnist", "sgd")["criterion"] == "l1"


# ---------------------------------------------------------------- stored sweeps (tiny preset)


@pytest.fixture
def results(tmp_path, tiny_preset):
    return tmp_path / "results"


def test_run_writes_a_complete_result(results):
    result = uncertainty.run("mnist", "bbb", "tiny", results=results, progress=False)
    path = results / "tiny" / "mnist" / "bbb.uncertainty.json"
    stored = json.loads(path.read_text())
    assert stored == result
    training = json.loads((results / "tiny" / "mnist" / "bbb.json").read_text())
    weights = (results / "tiny" / "mnist" / "bbb.weights.pt").read_bytes()
    assert stored["inputs"]["training"] == training["config_hash"]
    assert stored["inputs"]["weights_sha256"] == hashlib.sha256(weights).hexdigest()
    assert training["weights_sha256"] == hashlib.sha256(weights).hexdigest()
    assert stored["config"]["ece_bins"] == 15 and stored["config"]["ood_dataset"] == "fashion-mnist"
    assert set(stored["modes"]) == {"deterministic", "mc"}
    assert [r["amount"] for r in stored["modes"]["mc"]] == [0.0, 0.5, 0.9]
    assert stored["sparsity"] == pytest.approx([0.0, 0.5, 0.9], abs=1e-3)
    assert all(0 <= v <= 1 for v in uncertainty.series(result, "auroc", "mc"))
    assert stored["metadata"]["seconds"] > 0 and "git_commit" in stored["metadata"]
    record = uncertainty.record_at(result, 0.5, "deterministic")
    assert sum(record["reliability"]["count"]) == stored["n_in"]
    assert sum(record["entropy"]["ood"]) == stored["n_ood"]
    with pytest.raises(ValueError, match="allowed: deterministic, mc"):
        uncertainty.series(result, "ece", "ensemble")


def test_a_preset_can_set_coarser_fractions(results, tiny_preset):
    tiny_preset.change(uncertainty={**tiny_preset.spec.uncertainty, "amounts": [0.0, 0.9]})
    assert uncertainty.config_for("mnist", "sgd", "tiny")["amounts"] == [0.0, 0.9]
    result = uncertainty.run("mnist", "sgd", "tiny", results=results, progress=False)
    assert [r["amount"] for r in result["modes"]["deterministic"]] == [0.0, 0.9]
    assert uncertainty.config_for("mnist", "sgd", "paper")["amounts"] == list(
        presets.PAPER.uncertainty["amounts"])


def test_current_result_is_reused(results, monkeypatch):
    first = uncertainty.run("mnist", "sgd", "tiny", results=results, progress=False)
    monkeypatch.setattr(uncertainty, "diagnose", lambda *a, **k: pytest.fail("recomputed"))
    assert uncertainty.run("mnist", "sgd", "tiny", results=results, progress=False) == first


@pytest.mark.filterwarnings("ignore::bnntut.experiment.StaleResultWarning")
def test_stale_result_is_recomputed(results, monkeypatch, tiny_preset, retrain_in_place):
    first = uncertainty.run("mnist", "sgd", "tiny", results=results, progress=False)
    retrain_in_place(results, "sgd")
    with pytest.warns(uncertainty.StaleUncertaintyWarning, match="other trained weights"):
        second = uncertainty.run("mnist", "sgd", "tiny", results=results, progress=False)
    assert second["inputs"]["weights_sha256"] != first["inputs"]["weights_sha256"]
    assert second["inputs"]["training"] == first["inputs"]["training"]
    # another uncertainty configuration
    tiny_preset.change(uncertainty={**tiny_preset.spec.uncertainty, "amounts": [0.0, 0.9]})
    with pytest.warns(uncertainty.StaleUncertaintyWarning, match="another configuration"):
        third = uncertainty.run("mnist", "sgd", "tiny", results=results, progress=False)
    assert [r["amount"] for r in third["modes"]["deterministic"]] == [0.0, 0.9]
    # another training configuration: the model is retrained, then the sweep recomputed
    tiny_preset.change(train={**tiny_preset.spec.train, "lr": 5e-4})
    with pytest.warns(uncertainty.StaleUncertaintyWarning):
        fourth = uncertainty.run("mnist", "sgd", "tiny", results=results, progress=False)
    assert fourth["inputs"]["training"] != third["inputs"]["training"]


def test_cli_and_figures(results, capsys):
    import matplotlib

    matplotlib.use("Agg")
    assert cli.main(["uncertainty", "--preset", "tiny", "--datasets", "mnist", "--methods",
                     "sgd", "bbb", "--out", str(results)]) == 0
    assert "ECE" in capsys.readouterr().out
    both = collect.grid("tiny", ["mnist"], ["sgd", "bbb"], kind="uncertainty", results=results)
    fig = uncertainty_views.degradation_figure(both)
    assert len(fig.axes) == 4       # ECE and AUROC of the one dataset, deterministic and MC
    assert max(len(ax.lines) for ax in fig.axes) <= 3   # one line per method (+ chance)
    record = uncertainty.record_at(both["mnist"]["bbb"], 0.9, "mc")
    fig = uncertainty_views.diagnostic_figure(record)
    assert len(fig.axes) == 3                      # reliability (+ its share axis), entropy
    table = uncertainty_views.table(both["mnist"], (0.0, 0.9))
    assert ("Bayes by Backprop", "posterior mean") in table.index
    best_ece = table[table.columns[0]].min()          # the best of each column in bold
    styled = uncertainty_views.styled_table(table).set_uuid("u").to_html()
    bold_rule = styled.split("{")[0]
    for i, value in enumerate(table[table.columns[0]]):
        assert (f"#T_u_row{i}_col0" in bold_rule) == (value == best_ece)


def _record(amount, auroc, ece=0.05, gap=0.0):
    """A stored-record stand-in: one reliability bin whose mean confidence is ``gap`` above
    its accuracy."""
    return {"amount": amount, "auroc": auroc, "ece": ece,
            "reliability": {"count": [10], "accuracy": [0.8], "confidence": [0.8 + gap]}}


def _result(det, mc=None, samples=10):
    """A stored result's parts the views read: its modes' records and their configuration."""
    modes = {"deterministic": det}
    if mc is not None:
        modes["mc"] = mc
    return {"config": {"modes": {"deterministic": 0, **({"mc": samples} if mc else {})}},
            "modes": modes}


def test_below_chance_from_is_the_first_fraction_under_one_half():
    result = _result([_record(0.0, 0.9), _record(0.5, 0.49), _record(0.9, 0.3)])
    assert uncertainty_views.below_chance_from(result) == 0.5
    assert uncertainty_views.below_chance_from(_result([_record(0.0, 0.5)])) is None


def test_below_chance_sentence_counts_predictors_and_names_bbb():
    above, below = [_record(0.0, 0.9)], [_record(0.0, 0.9), _record(0.9, 0.4)]
    results = {"mnist": {"sgd": _result(below), "bbb": _result(above, above)},
               "fashion-mnist": {"sgd": _result(above), "bbb": _result(above, below)}}
    sentence = uncertainty_views.below_chance_sentence(results)
    assert "1 of the 3 MNIST predictors and 1 of the 3 Fashion-MNIST predictors" in sentence
    assert sentence.endswith("BBB's are among them on Fashion-MNIST.")
    results["fashion-mnist"]["bbb"] = _result(above, above)
    assert uncertainty_views.below_chance_sentence(results).endswith(
        "BBB's predictors are not among them.")


def test_mc_dropout_sentence_explains_only_what_holds():
    def net(gap, rise):
        return _result([_record(0.0, 0.9, 0.05, gap)], [_record(0.0, 0.9, 0.05 + rise)])

    results = {"mnist": {"sgd": _result([_record(0.0, 0.9)]), "dropout50": net(-0.1, 0.03),
                         "dropout90": net(-0.2, 0.08), "bbb": net(0.1, -0.5)}}
    effect = uncertainty_views.mc_dropout_effect(results)
    assert effect["mnist"]["gap"] == pytest.approx([-0.1, -0.2])     # BBB and "SGD" left out
    assert effect["mnist"]["rise"] == pytest.approx([0.03, 0.08])
    sentence = uncertainty_views.mc_dropout_sentence(results)
    assert "under-confident" in sentence and "0.100–0.200 below" in sentence
    assert "(by 0.030–0.080)" in sentence
    results["mnist"]["dropout50"] = net(0.1, -0.02)                   # over-confident
    sentence = uncertainty_views.mc_dropout_sentence(results)
    assert "under-confident" not in sentence and "−0.020 to +0.080" in sentence
    assert uncertainty_views.mc_dropout_sentence({"mnist": {"sgd": results["mnist"]["sgd"]}}) == ""


def test_show_table_displays_html_and_the_plain_table(monkeypatch):
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda obj, raw=False: shown.append(obj))
    records = [_record(0.0, 0.9), _record(0.9, 0.6)]
    table = uncertainty_views.table({"sgd": _result(records)}, (0.0, 0.9))
    uncertainty_views.show_table(table)
    (bundle,) = shown
    assert "font-weight: bold" in bundle["text/html"]
    assert bundle["text/plain"] == table.to_string() and "at 0x" not in bundle["text/plain"]


def test_robustness_table_and_highlights_name_what_the_prose_glues():
    def records(aurocs, eces):
        return [dict(_record(a, auroc, ece), accuracy=0.9 - a)
                for a, auroc, ece in zip((0.0, 0.5, 0.9), aurocs, eces)]

    results = {"mnist": {
        "sgd": _result(records((0.9, 0.85, 0.4), (0.01, 0.02, 0.2))),
        "bbb": _result(records((0.9, 0.89, 0.7), (0.01, 0.02, 0.025)),
                       records((0.9, 0.9, 0.6), (0.005, 0.01, 0.1)))}}
    table = uncertainty_views.robustness_table(results)
    sgd = table.loc[(methods.get("sgd").label, "eval mode")]
    assert list(sgd) == ["50 %", "0 %", "90 %"]          # ECE kept, AUROC kept, below 0.5
    bbb = table.loc[("Bayes by Backprop", "posterior mean")]
    assert list(bbb) == ["90 %", "50 %", "never"]
    assert table.columns.names == ["trained on", ""]
    glued = uncertainty_views.highlights(results, (0.0, 0.9))
    assert glued["best_ece_mnist_90"] == "Bayes by Backprop (posterior mean)"
    assert glued["best_ece_accuracy_mnist_90"] == pytest.approx(0.9 - 0.9)
    assert glued["below_chance"].startswith("Pruned far enough, 1 of the 3 MNIST predictors")
    assert glued["mc_dropout_effect"] == ""              # no dropout net with an MC mode


def test_live_view_recomputes_a_pruned_model_and_falls_back_to_eval_mode(
        tiny_preset, tmp_path, monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    monkeypatch.setenv("BNNTUT_RESULTS", str(tmp_path / "results"))
    show = uncertainty_views.live_diagnostic("tiny")
    fig = show("mnist", "bbb", 0.5, "mc")
    assert len(fig.axes) == 3 and "10-sample predictive" in fig._suptitle.get_text()
    fig = show("mnist", "sgd", 0.5, "mc")                  # "SGD" has no Monte Carlo mode
    assert "eval mode" in fig._suptitle.get_text()
    assert set(uncertainty_views.live_controls()) == {"dataset", "method", "amount", "mode"}


def test_labels_name_the_sample_count_the_result_was_computed_with():
    records = [_record(0.0, 0.9), _record(0.9, 0.6)]
    table = uncertainty_views.table({"bbb": _result(records, records, samples=4)}, (0.0,))
    assert ("Bayes by Backprop", "4-sample predictive") in table.index
    assert uncertainty_views.mode_title("mc", 4) == "Monte Carlo (4 samples)"
