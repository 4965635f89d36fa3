"""bnntut.selection: one choice of a grid point on validation images, for Blundell's grid (the
last epoch's validation accuracy) and the equal-budget families (validation accuracy at 95 %
removed); the test images never decide."""

import pytest

from bnntut import presets, selection


def _at_end(method, validation, test=0.5):
    return {"config": {"method": method},
            "history": [{"validation_accuracy": validation, "test_accuracy": test}]}


def test_blundells_choice_reads_the_last_epochs_validation_accuracy():
    grid = selection.grid("blundell")
    assert grid == list(presets.BLUNDELL.selection["among"])
    results = {grid[0]: _at_end(grid[0], 0.97, test=0.99), grid[1]: _at_end(grid[1], 0.98),
               grid[2]: _at_end(grid[2], 0.98)}
    assert selection.choose(results, "blundell") == grid[1]        # a tie: the first in order
    del results[grid[1]]
    with pytest.raises(ValueError, match="missing the grid points bbb-sgd-lr1e-4; train them "
                                         "first: python -m bnntut reproduce --preset blundell"):
        selection.choose(results, presets.BLUNDELL)
    assert selection.choose(results, "blundell", complete=False) == grid[2]
    with pytest.raises(ValueError, match="missing the grid points"):
        selection.choose({}, "blundell", complete=False)


def test_the_budget_families_are_chosen_by_the_same_function():
    grid = selection.grid("budget", "map-laplace")
    assert grid == list(presets.BUDGET.selection["families"]["map-laplace"])
    with pytest.raises(ValueError, match="unknown family 'sgd'; allowed: bbb, map-mixture"):
        selection.grid("budget", "sgd")
    with pytest.raises(ValueError, match="has one grid, not families"):
        selection.grid("blundell", "bbb")
    with pytest.raises(ValueError, match="'paper' chooses no grid point"):
        selection.choose({}, "paper")
