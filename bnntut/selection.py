"""Which trained network a preset's protocol keeps: the grid point with the highest accuracy on
the held-out validation images (the test images only report).

A preset's ``selection`` rule (:class:`bnntut.presets.Preset`) names the grid and the score:

* ``among`` (one grid) or ``families`` (a grid per family, chosen one family at a time);
* ``by``, the epoch record read (``"validation_accuracy"``), at the end of training; or, with
  ``at_removed``, the validation accuracy after removing that fraction of the weights by the
  family's criterion (the validation sweep ``prune_validation`` of the result).

Ties go to the first point in grid order.  Blundell et al.'s learning-rate grid and the
calibration runs beside their Table 1 (the ``blundell`` families) and the equal-budget
comparison (``budget``) are all chosen here.
"""

from __future__ import annotations

from collections.abc import Mapping

from .methods import get as get_method
from .presets import BUDGET, Preset, resolve


def validation_accuracy_at(result: Mapping, amount: float) -> float:
    """Validation accuracy of a stored result after removing ``amount`` of its weights by its
    family's criterion (posterior mean / eval mode), from its validation sweep.

    Raises
    ------
    ValueError
        The result has no validation sweep, or ``amount`` is not on its grid.
    """
    if "prune_validation" not in result:
        raise ValueError(f"result {result['config']['method']!r} has no validation sweep; "
                         "it was not trained with held-out images")
    criterion = get_method(result["config"]["method"]).criterion
    sweep = result["prune_validation"][criterion]
    amounts = [round(a, 6) for a in sweep["amounts"]]
    if round(amount, 6) not in amounts:
        raise ValueError(f"removed fraction {amount} is not on the sweep grid; "
                         f"allowed: {', '.join(map(str, sweep['amounts']))}")
    return sweep["accuracy"][amounts.index(round(amount, 6))]


def score(result: Mapping, rule: Mapping) -> float:
    """The number ``rule`` ranks a result by: :func:`validation_accuracy_at` its
    ``at_removed`` when the rule has one, else the last epoch's ``rule["by"]``."""
    if "at_removed" in rule:
        return validation_accuracy_at(result, rule["at_removed"])
    return result["history"][-1][rule["by"]]


def grid(preset: Preset | str, family: str | None = None) -> list[str]:
    """The grid points of a preset's selection rule, in grid order: ``among``, or the
    ``family``'s of ``families``.

    Raises
    ------
    ValueError
        The preset has no selection rule, or ``family`` is missing, unknown or not expected.
    """
    spec = resolve(preset)
    rule = spec.selection
    if rule is None:
        raise ValueError(f"preset {spec.name!r} chooses no grid point (it has no selection "
                         "rule)")
    if "families" not in rule:
        if family is not None:
            raise ValueError(f"preset {spec.name!r} has one grid, not families; got family "
                             f"{family!r}")
        return list(rule["among"])
    if family not in rule["families"]:
        raise ValueError(f"unknown family {family!r}; allowed: {', '.join(rule['families'])}")
    return list(rule["families"][family])


def _train_command(spec: Preset, family: str | None, missing: list[str]) -> str:
    if spec.name == BUDGET.name:
        return f"python -m bnntut budget --families {family}"
    return f"python -m bnntut reproduce --preset {spec.name} --methods {' '.join(missing)}"


def choose(results: Mapping[str, Mapping], preset: Preset | str, family: str | None = None, *,
           complete: bool = True) -> str:
    """The grid point that a preset's selection rule keeps among ``results``.

    Parameters
    ----------
    results : mapping
        ``{method: result}`` of the grid points (the preset's seed); other methods are
        ignored.
    preset : Preset or str
        The preset whose ``selection`` rule decides.
    family : str, optional
        For a rule with ``families``: which family's grid.
    complete : bool
        Require every grid point (``True``); else choose among those in ``results``.

    Returns
    -------
    str
        The method with the highest :func:`score`, the first in grid order on a tie.

    Raises
    ------
    ValueError
        Grid points are missing (``complete``) or none is given; the message names the
        command that trains them.
    """
    spec = resolve(preset)
    points = grid(spec, family)
    missing = [m for m in points if m not in results]
    present = [m for m in points if m in results]
    what = f"family {family!r}" if family is not None else f"preset {spec.name!r}"
    if (missing and complete) or not present:
        raise ValueError(f"{what} is missing the grid points {', '.join(missing)}; "
                         f"train them first: {_train_command(spec, family, missing)}")
    scores = [score(results[m], spec.selection) for m in present]
    return present[scores.index(max(scores))]
