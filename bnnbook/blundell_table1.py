"""The deterministic 2 × 1200 networks of the ``blundell`` preset set beside Blundell et al.'s
Table 1: does this pipeline, at their scale and with plain SGD, reach their baselines?

Each row of Table 1 that a calibration family stands beside is trained over their learning-rate
grid; the protocol keeps the learning rate with the highest accuracy on the held-out validation
images at the end of training (the test images only report), and a verdict against Table 1 is
given only once the whole grid is stored.
"""
from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from bnntut import collect, selection
from bnntut.methods import get as get_method
from bnntut.presets import BLUNDELL

from .comparison import BLUNDELL_TABLE1_ERROR
from .report import accuracy_at, frame, number
from .stats import TEST_IMAGES, compare

#: The ``blundell`` preset's selection family (:func:`bnntut.selection.choose`) per row of
#: their Table 1 that a calibration run stands beside.
CALIBRATION_FAMILIES = {"plain SGD": "plain-sgd", "SGD, dropout": "dropout50-sgd"}
#: The calibration runs per row, over the family's learning-rate grid in grid order (ties in
#: validation accuracy go to the first).
CALIBRATION_ROWS = {row: selection.grid(BLUNDELL, family)
                    for row, family in CALIBRATION_FAMILIES.items()}
#: A cell of a row without a stored run.
NOT_RUN = "—"


def calibration(results=None) -> dict[str, dict]:
    """Each calibration row's stored runs, the one its learning-rate grid keeps, and its test
    error beside Table 1's.

    Parameters
    ----------
    results : path-like, optional
        The results folder (default: the project's, as :func:`bnntut.collect.grid`).

    Returns
    -------
    dict
        ``{row: entry}`` per key of :data:`CALIBRATION_ROWS`, where ``entry`` has ``grid``
        (the row's methods), ``stored`` (those with a current result), ``complete`` (all are
        stored), ``table1`` (their test error, %) and, once one run is stored, ``chosen``
        (the stored run with the highest validation accuracy), ``error`` (its unpruned test
        error, %) and :func:`bnnbook.stats.compare` of its test accuracy against Table 1's
        (``difference``, ``se``, ``margin``, ``verdict``). Their number is one run scored on
        the same 10,000 test images, so it carries a test-set standard error as ours does.
    """
    methods = [m for row in CALIBRATION_ROWS.values() for m in row]
    stored = collect.grid(BLUNDELL, ["mnist"], methods, results=results)["mnist"]
    out = {}
    for row, grid in CALIBRATION_ROWS.items():
        found = {m: stored[m] for m in grid if m in stored}
        entry = {"grid": list(grid), "stored": list(found),
                 "complete": len(found) == len(grid), "table1": BLUNDELL_TABLE1_ERROR[row]}
        if found:
            chosen = selection.choose(found, BLUNDELL, CALIBRATION_FAMILIES[row],
                                      complete=False)
            accuracy = accuracy_at(found[chosen], 0.0)
            theirs = 1 - BLUNDELL_TABLE1_ERROR[row] / 100
            entry.update(chosen=chosen, error=100 * (1 - accuracy),
                         **compare(accuracy, theirs, TEST_IMAGES, TEST_IMAGES))
        out[row] = entry
    return out


def calibration_table(rows: Mapping[str, dict]) -> pd.DataFrame:
    """:func:`calibration` as the chapter shows it.

    Returns
    -------
    pandas.DataFrame
        Index ``Table 1 row``; columns ``Blundell et al., Table 1`` and ``ours`` (test
        error, two decimals with ``" %"``), ``learning rate`` (the chosen one), ``stored``
        (``"k of n"`` learning rates) and ``against Table 1`` (the verdict, or ``"open"``
        while the grid is incomplete); :data:`NOT_RUN` where no run is stored.
    """
    table = {}
    for row, entry in rows.items():
        chosen = entry.get("chosen")
        table[row] = {
            "Blundell et al., Table 1": number(entry["table1"], 2, unit=" %"),
            "ours": number(entry["error"], 2, unit=" %") if chosen else NOT_RUN,
            "learning rate": (f"{get_method(chosen).config['train']['lr']:g}" if chosen
                              else NOT_RUN),
            "stored": f"{len(entry['stored'])} of {len(entry['grid'])}",
            "against Table 1": entry["verdict"] if entry["complete"] else "open",
        }
    return frame(table, "Table 1 row", columns_name="test error")


def verdicts(rows: Mapping[str, dict]) -> dict[str, str]:
    """The verdict against Table 1 of each row whose whole learning-rate grid is stored.

    Returns
    -------
    dict
        ``{row: verdict}`` (:data:`bnnbook.stats.AHEAD`, :data:`~bnnbook.stats.BEHIND` or
        :data:`~bnnbook.stats.WITHIN_NOISE`, our test accuracy against theirs); rows still
        open are left out.
    """
    return {row: entry["verdict"] for row, entry in rows.items() if entry["complete"]}


def values(rows: Mapping[str, dict]) -> dict[str, str]:
    """What the chapter glues about each row with a stored run, as text.

    Returns
    -------
    dict
        Per row with a chosen run, under ``cal_<family>`` (its family in
        :data:`CALIBRATION_FAMILIES`, ``-`` as ``_``): ``_error`` (our
        unpruned test error, %, two decimals), ``_lr`` (the chosen learning rate),
        ``_gap`` (our error minus Table 1's, percentage points, signed) and ``_margin``
        (two test-set standard errors of that difference, points).
    """
    out = {}
    for row, entry in rows.items():
        if "chosen" not in entry:
            continue
        stem = "cal_" + CALIBRATION_FAMILIES[row].replace("-", "_")
        out |= {f"{stem}_error": number(entry["error"], 2),
                f"{stem}_lr": f"{get_method(entry['chosen']).config['train']['lr']:g}",
                f"{stem}_gap": number(entry["error"] - entry["table1"], 2, sign=True),
                f"{stem}_margin": number(100 * entry["margin"], 2)}
    return out
