"""bnnbook.stats: the book's statistics — intervals over seeds, the test set's standard error
and the noise rule, paired gaps and differences of means, numbers read off stored histograms."""

import math
import statistics

import pytest

from bnnbook import claims, stats


def _result(accuracies, seed=0):
    amounts = [0.0, 0.5, 0.9]
    return {"prune": {"l1": {"amounts": amounts, "accuracy": accuracies}},
            "config": {"train": {"seed": seed}, "model": {"kind": "mlp"}}}


# ------------------------------------------------------------------ intervals over seeds


def test_interval_kinds():
    assert stats.interval([0.5]) == {"mean": 0.5, "low": 0.5, "high": 0.5, "n": 1,
                                     "kind": "single"}
    small = stats.interval([0.1, 0.3, 0.2])
    assert small["kind"] == "min-max" and (small["low"], small["high"]) == (0.1, 0.3)
    assert small["mean"] == pytest.approx(0.2)
    values = [0.1, 0.2, 0.3, 0.4, 0.5]
    big = stats.interval(values)
    half = 2.776 * math.sqrt(0.025) / math.sqrt(5)      # t(0.975, 4) · s / √n
    assert big["kind"] == "95% t"
    assert (big["low"], big["high"]) == pytest.approx((0.3 - half, 0.3 + half))
    with pytest.raises(ValueError):
        stats.interval([])
    assert stats.interval_kind(stats.T_INTERVAL_MIN_N) == "95% t"


def test_t_quantile_is_conservative_between_table_entries():
    assert stats.t_quantile(2) == 4.303
    assert stats.t_quantile(12) == stats.T_975[10]      # the next smaller df tabulated
    assert stats.t_quantile(31) == 1.96
    with pytest.raises(ValueError, match="degrees of freedom must be >= 1"):
        stats.t_quantile(0)


def test_prediction_interval_is_twice_the_confidence_interval_at_three_seeds():
    both = stats.prediction_interval([0.1, 0.2, 0.3])
    assert both["confidence"] == pytest.approx(4.303 * 0.1 / math.sqrt(3))
    assert both["prediction"] / both["confidence"] == pytest.approx(2.0)
    with pytest.raises(ValueError):
        stats.prediction_interval([0.5])


def test_seed_intervals_and_paired_gaps():
    by_seed = {0: _result([0.9, 0.8, 0.5]), 1: _result([0.92, 0.7, 0.3], 1)}
    at = stats.seed_intervals(by_seed, (0.0, 0.9))
    assert at[0.9]["kind"] == "min-max" and (at[0.9]["low"], at[0.9]["high"]) == (0.3, 0.5)
    by_method = {"a": by_seed, "b": {1: _result([0.9, 0.8, 0.1], 1), 2: _result([0.9] * 3, 2)}}
    assert stats.paired_gaps(by_method, "a", "b", 0.9) == {1: pytest.approx(0.2)}
    assert stats.paired_gaps(by_method, "a", "c", 0.9) == {}


def test_difference_of_means_and_its_standard_error():
    first, second = [0.90, 0.92, 0.94], [0.95, 0.96, 0.97, 0.98]
    both = stats.difference_of_means(first, second)
    assert both["difference"] == pytest.approx(0.965 - 0.92)
    assert both["first_sd"] == pytest.approx(statistics.stdev(first))
    se = math.sqrt(statistics.variance(first) / 3 + statistics.variance(second) / 4)
    assert both["se"] == pytest.approx(se)
    with pytest.raises(ValueError, match="at least two values on each side"):
        stats.difference_of_means([0.9], second)


# ---------------------------------------------------------- the test set's standard error


def test_standard_error_of_an_accuracy():
    assert stats.standard_error(0.5, 10_000) == pytest.approx(0.005)
    assert stats.standard_error(1.0) == 0.0
    assert stats.standard_error(0.98, 10_000) == pytest.approx(math.sqrt(0.98 * 0.02) / 100)
    with pytest.raises(ValueError):
        stats.standard_error(1.2)
    with pytest.raises(ValueError):
        stats.standard_error(0.5, 0)


def test_compare_gives_no_verdict_within_two_standard_errors():
    se = math.hypot(stats.standard_error(0.80), stats.standard_error(0.79))
    inside = stats.compare(0.80, 0.79)                   # 0.01 < 2 × 0.0058
    assert inside["verdict"] == stats.WITHIN_NOISE
    assert inside["se"] == pytest.approx(se) and inside["margin"] == pytest.approx(2 * se)
    assert stats.compare(0.80, 0.78)["verdict"] == stats.AHEAD       # 0.02 > 0.0116
    assert stats.compare(0.78, 0.80)["verdict"] == stats.BEHIND
    assert stats.compare(0.5, 0.5)["verdict"] == stats.WITHIN_NOISE


def test_compare_with_a_fixed_reference_counts_our_error_only():
    ref = stats.compare(0.98, 0.9871, n_second=None)    # Table 2's 1.29 % error
    assert ref["se"] == pytest.approx(stats.standard_error(0.98))
    assert ref["verdict"] == stats.BEHIND                # 0.0071 > 2 × 0.0014
    assert stats.compare(0.986, 0.9871, n_second=None)["verdict"] == stats.WITHIN_NOISE
    assert stats.compare(0.8, 0.79, 1000, 1000)["verdict"] == stats.WITHIN_NOISE


def test_the_claims_read_the_same_rule():
    assert claims.compare is stats.compare and claims.standard_error is stats.standard_error
    assert claims.NOISE_SE == stats.NOISE_SE and claims.n_test_images is stats.n_test_images
    assert stats.n_test_images({"config": {"subset": [2000, 1000]}}) == 1000
    assert stats.n_test_images({"config": {"training": {"subset": None}}}) == stats.TEST_IMAGES


# ------------------------------------------------------------------- stored histograms


def test_histogram_median_and_share():
    h = {"edges": [0.0, 1.0, 2.0, 3.0], "counts": [1, 2, 1], "below": 0, "above": 0, "n": 4}
    assert stats.histogram_median(h) == pytest.approx(1.5)
    assert stats.histogram_median({**h, "below": 10, "n": 14}) == 0.0
    assert stats.histogram_share(h, 1.0, 2.0) == pytest.approx(0.5)
    assert stats.histogram_share(h, 0.5, 1.5) == pytest.approx((0.5 + 1) / 4)
    assert stats.near_zero({"weights": {"mu": {**h, "edges": [-0.006, 0.0, 0.006, 1.0]}}}) \
        == pytest.approx(0.75)


def test_compare_over_seeds_needs_both_margins():
    # a 0.01 lead, 2 test-set SE ≈ 0.0054 at n = 10 000; seeds that agree: ahead
    out = stats.compare_over_seeds([0.95, 0.951, 0.949], [0.94, 0.941, 0.939])
    assert out["verdict"] == stats.AHEAD and out["difference"] == pytest.approx(0.01)
    assert out["seed_margin"] == pytest.approx(2 * math.sqrt(2 * 0.001 ** 2 / 3))
    # the same means with seeds spread wider than the lead: within noise
    wide = stats.compare_over_seeds([0.93, 0.95, 0.97], [0.92, 0.94, 0.96])
    assert wide["seed_margin"] > 0.01 and wide["verdict"] == stats.WITHIN_NOISE
    # one seed on a side: the test set alone decides, and says so
    single = stats.compare_over_seeds([0.95], [0.94, 0.941, 0.939])
    assert single["seed_margin"] is None and single["verdict"] == stats.AHEAD
    assert stats.compare_over_seeds([0.9400], [0.9401])["verdict"] == stats.WITHIN_NOISE
    with pytest.raises(ValueError, match="at least one accuracy on each side"):
        stats.compare_over_seeds([], [0.9])
