"""bnntut.selection: one choice of a grid point on validation images, for Blundell's grid (the
last epoch's validation accuracy) and the equal-budget families (validation accuracy at 95 %
removed); the test images never decide."""

import pytest

from bnntut import presets, selection


def _at_end(method, validation, test=0.5):
    return {"config": {"method": method},
            "history": [{"validation_accuracy": validation, "test_accuracy": test}]}


def test_blundells_choice_reads_the_last_epochs_validation_accuracy():
    grid = selection.grid("blundell", "bbb")
    assert grid == [presets.blundell_method(lr) for lr in presets.BLUNDELL_LEARNING_RATES]
    results = {grid[0]: _at_end(grid[0], 0.97, test=0.99), grid[1]: _at_end(grid[1], 0.98),
               grid[2]: _at_end(grid[2], 0.98)}
    assert selection.choose(results, "blundell", "bbb") == grid[1]  # a tie: the first in order
    del results[grid[1]]
    with pytest.raises(ValueError, match="missing the grid points bbb-sgd-lr1e-4; train them "
                                         "first: python -m bnntut reproduce --preset blundell "
                                         "--methods bbb-sgd-lr1e-4$"):
        selection.choose(results, presets.BLUNDELL, "bbb")
    assert selection.choose(results, "blundell", "bbb", complete=False) == grid[2]
    with pytest.raises(ValueError, match="missing the grid points"):
        selection.choose({}, "blundell", "bbb", complete=False)


def test_the_calibration_runs_are_families_of_the_same_rule():
    families = presets.BLUNDELL.selection["families"]
    assert list(families) == ["bbb", "plain-sgd", "dropout50-sgd"]
    for family in ("plain-sgd", "dropout50-sgd"):
        grid = selection.grid("blundell", family)
        assert grid == [f"{family}-lr{presets.lr_label(lr)}"
                        for lr in presets.CALIBRATION_LEARNING_RATES]
        assert set(grid) <= set(presets.BLUNDELL.ablations)
        results = {m: _at_end(m, v, test=t) for m, v, t in zip(grid, (0.98, 0.99, 0.97),
                                                               (0.99, 0.97, 0.96))}
        assert selection.choose(results, "blundell", family) == grid[1]   # not the test's
    with pytest.raises(ValueError, match="unknown family 'sgd'; allowed: bbb, plain-sgd, "
                                         "dropout50-sgd"):
        selection.grid("blundell", "sgd")


def test_the_budget_families_are_chosen_by_the_same_function():
    grid = selection.grid("budget", "map-laplace")
    assert grid == list(presets.BUDGET.selection["families"]["map-laplace"])
    with pytest.raises(ValueError, match="unknown family 'sgd'; allowed: bbb, map-mixture"):
        selection.grid("budget", "sgd")
    with pytest.raises(ValueError, match="has one grid, not families"):
        selection.grid("blundell-grid", "bbb")
    with pytest.raises(ValueError, match="'paper' chooses no grid point"):
        selection.choose({}, "paper")
