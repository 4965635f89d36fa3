"""The deterministic 2 × 1200 runs beside Blundell et al.'s Table 1: the choice on validation
images, verdicts only on a complete grid."""
import pytest

from bnnbook import blundell_table1 as bc
from bnnbook import comparison


def _run(test_accuracy: float, validation_accuracy: float) -> dict:
    sweep = {"amounts": [0.0, 0.5], "accuracy": [test_accuracy, 0.5], "sparsity": [0.0, 0.5]}
    return {"prune": {"l1": sweep}, "config": {"model": {"kind": "mlp"}},
            "history": [{"epoch": 1, "validation_accuracy": validation_accuracy - 0.01},
                        {"epoch": 2, "validation_accuracy": validation_accuracy}]}


@pytest.fixture
def stored(monkeypatch):
    """Replace the results store with ``runs`` (``{method: result}``)."""
    runs = {}

    def grid(preset, datasets, methods, results=None):
        assert preset.name == "blundell" and datasets == ["mnist"]
        return {"mnist": {m: runs[m] for m in methods if m in runs}}

    monkeypatch.setattr(bc.collect, "grid", grid)
    return runs


def test_the_rows_are_their_learning_rate_grids():
    assert bc.CALIBRATION_ROWS == {
        "plain SGD": ["plain-sgd-lr1e-1", "plain-sgd-lr1e-2", "plain-sgd-lr1e-3"],
        "SGD, dropout": ["dropout50-sgd-lr1e-1", "dropout50-sgd-lr1e-2",
                         "dropout50-sgd-lr1e-3"]}
    assert set(bc.CALIBRATION_ROWS) <= set(comparison.BLUNDELL_TABLE1_ERROR)
    calibration_runs = comparison.BLUNDELL_OPEN_RUNS[
        "calibration: the 2 × 1200 MLP, plain SGD, without and with dropout 0.5"]
    assert sorted(m for row in bc.CALIBRATION_ROWS.values() for m in row) == sorted(
        calibration_runs)


def test_nothing_stored_is_open_everywhere(stored):
    rows = bc.calibration()
    assert bc.verdicts(rows) == {}
    assert all(entry["stored"] == [] and "chosen" not in entry for entry in rows.values())
    table = bc.calibration_table(rows)
    assert table.loc["plain SGD"].tolist() == ["1.88 %", bc.NOT_RUN, bc.NOT_RUN,
                                               "0 of 3", "open"]


def test_a_partial_grid_shows_its_choice_but_no_verdict(stored):
    stored["plain-sgd-lr1e-1"] = _run(0.9800, 0.979)
    stored["plain-sgd-lr1e-2"] = _run(0.9900, 0.970)        # better on test, worse on validation
    rows = bc.calibration()
    assert rows["plain SGD"]["chosen"] == "plain-sgd-lr1e-1"   # the test images only report
    assert rows["plain SGD"]["error"] == pytest.approx(2.0)
    assert not rows["plain SGD"]["complete"]
    table = bc.calibration_table(rows)
    assert table.loc["plain SGD"].tolist() == ["1.88 %", "2.00 %", "0.1", "2 of 3", "open"]
    assert table.loc["SGD, dropout"].tolist()[-2:] == ["0 of 3", "open"]
    assert bc.verdicts(rows) == {}                          # no verdict on a partial grid
    assert bc.values(rows) == {"cal_plain_sgd_error": "2.00", "cal_plain_sgd_lr": "0.1",
                               "cal_plain_sgd_gap": "+0.12", "cal_plain_sgd_margin": "0.39"}


def test_a_complete_grid_gets_a_verdict_against_table_1(stored):
    for method, test in zip(bc.CALIBRATION_ROWS["plain SGD"], (0.9812, 0.9700, 0.9600)):
        stored[method] = _run(test, 0.98 if test > 0.98 else 0.96)
    for method in bc.CALIBRATION_ROWS["SGD, dropout"]:
        stored[method] = _run(0.9700, 0.97)                  # a tie: the first in grid order
    rows = bc.calibration()
    plain, dropout = rows["plain SGD"], rows["SGD, dropout"]
    assert (plain["chosen"], plain["verdict"]) == ("plain-sgd-lr1e-1", "within noise")
    assert plain["difference"] == pytest.approx(0.9812 - 0.9812)
    assert dropout["chosen"] == "dropout50-sgd-lr1e-1"
    assert dropout["verdict"] == "behind"                    # 3.00 % against 1.36 %
    assert dropout["margin"] == pytest.approx(
        2 * ((0.97 * 0.03 + 0.9864 * 0.0136) / 10_000) ** 0.5)
    assert bc.calibration_table(rows).loc["SGD, dropout", "against Table 1"] == "behind"
    assert bc.verdicts(rows) == {"plain SGD": "within noise", "SGD, dropout": "behind"}
    assert bc.values(rows)["cal_dropout50_sgd_gap"] == "+1.64"


def test_the_calibration_holds_on_the_committed_results():
    """Blundell et al.'s protocol, section 6: each row chosen on validation is within noise
    of Table 1 (plain SGD 1.88 %, SGD with dropout 1.36 %)."""
    rows = bc.calibration()
    if not rows["plain SGD"]["stored"]:
        pytest.skip("the committed results need the MNIST files ($BNNTUT_DATA)")
    assert bc.verdicts(rows) == {"plain SGD": "within noise", "SGD, dropout": "within noise"}
    values = bc.values(rows)
    assert rows["plain SGD"]["chosen"] == "plain-sgd-lr1e-1"
    assert values["cal_plain_sgd_error"] == "1.84"
    assert rows["SGD, dropout"]["chosen"] == "dropout50-sgd-lr1e-1"
    assert values["cal_dropout50_sgd_error"] == "1.24"
    assert all(abs(row["difference"]) <= row["margin"] for row in rows.values())
