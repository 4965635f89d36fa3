"""``python -m bnntut``: see :mod:`bnntut.cli`."""

from .cli import main

raise SystemExit(main())
