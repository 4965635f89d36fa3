"""The GPU-against-CPU agreement check (bnnbook.device_check) and the committed GPU runs."""

import math

import pytest

from bnnbook import device_check
from bnntut.presets import get_preset


def _result(accuracies, criterion="l1"):
    kind = "bayesian" if criterion == "snr" else "mlp"
    return {"config": {"model": {"kind": kind}},
            "prune": {criterion: {"amounts": [0.0, 0.9], "accuracy": list(accuracies)}}}


def test_a_difference_is_detected_beyond_two_standard_errors_only():
    a = device_check.agreement([0.97, 0.98, 0.99], [0.98, 0.99, 1.00])
    assert a["difference"] == pytest.approx(0.01)
    assert a["se"] == pytest.approx(math.sqrt(2 * 0.01 ** 2 / 3))    # both sd 0.01
    assert a["margin"] == pytest.approx(2 * a["se"])
    assert not a["detected"]                                         # 0.01 <= 2 × 0.0082
    assert device_check.agreement([0.97, 0.98, 0.99], [0.90, 0.91, 0.92])["detected"]


def test_agreement_needs_two_seeds_per_device():
    with pytest.raises(ValueError, match="at least two seeds per device, got 1 on the CPU"):
        device_check.agreement([0.98], [0.97, 0.99])


def test_compare_uses_each_familys_criterion_and_skips_single_seeds():
    cpu = {"mnist": {"bbb": {0: _result([0.98, 0.80], "snr"), 1: _result([0.98, 0.82], "snr")},
                     "sgd": {0: _result([0.98, 0.7])}}}
    gpu = {"mnist": {"bbb": {0: _result([0.98, 0.81], "snr"), 1: _result([0.98, 0.83], "snr")},
                     "sgd": {0: _result([0.98, 0.7]), 1: _result([0.98, 0.7])}}}
    compared = device_check.compare(cpu, gpu)
    assert list(compared) == [("mnist", "bbb")]          # sgd: one CPU seed only
    assert compared["mnist", "bbb"][0.9]["difference"] == pytest.approx(0.01)
    assert device_check.verdict(compared) == (0, 2)                # none detected, of 2
    table = device_check.table(compared)
    row = table.loc[("MNIST", "Bayes by Backprop", "90 %")]
    assert row["CPU"] == "0.8100\u00a0±\u00a00.0141"
    assert (row["GPU − CPU"], row["2 SE"], row["detected"]) == ("+0.0100", "0.0283", "no")
    assert device_check.margins(compared, 0.9) == pytest.approx((0.02828, 0.02828), abs=1e-5)
    with pytest.raises(ValueError, match="no comparison at 50%"):
        device_check.margins(compared, 0.5)


def test_the_committed_gpu_runs_are_the_paper_preset_with_three_seeds():
    spec = get_preset("paper")
    cpu, gpu = device_check.load("paper", spec.datasets, spec.methods)
    for dataset in spec.datasets:
        for method in spec.methods:
            assert sorted(gpu[dataset][method]) == [0, 1, 2], (dataset, method)
            for result in gpu[dataset][method].values():
                assert result["metadata"]["device"] == "cuda"
    assert len(device_check.compare(cpu, gpu)) == len(spec.datasets) * len(spec.methods)
    assert len(list(device_check.every_run(gpu))) == 3 * len(spec.datasets) * len(spec.methods)


def test_the_committed_gpu_runs_show_no_detectable_difference_and_what_the_check_misses():
    """What the GPU chapter says of the stored runs: one comparison of twenty crosses its
    margin (the "SGD" net at 90 % removed on MNIST), as many as chance gives, with a margin
    of at most about a point unpruned but of several points at 90 % removed."""
    spec = get_preset("paper")
    compared = device_check.compare(*device_check.load("paper", spec.datasets, spec.methods))
    detected, total = device_check.verdict(compared)
    assert (detected, total) == (1, 2 * len(spec.datasets) * len(spec.methods))
    assert device_check.detections(compared) == [("mnist", "sgd", 0.9)]
    crossing = compared["mnist", "sgd"][0.9]
    assert crossing["difference"] > crossing["margin"]            # the CPU's mean is lower
    assert device_check.chance_explains(detected, total, device_check.false_alarm_rate())
    assert device_check.margins(compared, 0.0)[1] < 0.02
    assert device_check.margins(compared, 0.9)[1] > 0.05


def test_the_two_se_rule_with_three_seeds_flags_about_one_pair_in_nine():
    """Equal devices, three seeds each: |t| > 2 for Welch's statistic about 11 % of the time
    (well above the 5 % a normal reference suggests); the simulation is deterministic."""
    rate = device_check.false_alarm_rate()
    assert rate == device_check.false_alarm_rate()
    assert 0.10 < rate < 0.13
    assert 0.04 < device_check.false_alarm_rate(30, 30, draws=50_000) < 0.06
    with pytest.raises(ValueError, match="at least two seeds per device"):
        device_check.false_alarm_rate(1, 3)


def test_chance_explains_is_the_binomial_upper_tail():
    # P(X >= 1) for 20 flags at 1 % is 0.18; P(X >= 3) is 0.001.
    assert device_check.chance_explains(1, 20, 0.01)
    assert not device_check.chance_explains(3, 20, 0.01)
    assert device_check.chance_explains(0, 20, 0.5)
    assert not device_check.chance_explains(20, 20, 0.5)
    with pytest.raises(ValueError, match="between 0 and total"):
        device_check.chance_explains(21, 20, 0.1)


def test_detections_lists_the_crossing_comparisons_in_order():
    flag = {"detected": True}
    calm = {"detected": False}
    compared = {("mnist", "sgd"): {0.0: calm, 0.9: flag},
                ("fashion-mnist", "bbb"): {0.0: flag, 0.9: calm}}
    assert device_check.detections(compared) == [("mnist", "sgd", 0.9),
                                                  ("fashion-mnist", "bbb", 0.0)]
