"""bnnbook — the book's side of bnntut: what the chapters show, not what they compute.

Figures (:mod:`~bnnbook.plots`), tables as pandas DataFrames (:mod:`~bnnbook.report`),
kernel-free plotly sliders for the static pages (:mod:`~bnnbook.interactive`), the 1-D
regression toy (:mod:`~bnnbook.toy`), the chapters' shared set-up (:mod:`~bnnbook.book`), and
the views of the fair comparison, the prunability rows, the uncertainty and the compression
results (:mod:`~bnnbook.comparison`, :mod:`~bnnbook.prunability`,
:mod:`~bnnbook.uncertainty_views`, :mod:`~bnnbook.compression_views`).  Every number it shows
comes from :mod:`bnntut`; it needs the ``book`` extra (matplotlib, pandas, plotly, ipywidgets).
Importing the package has no side effects.
"""
