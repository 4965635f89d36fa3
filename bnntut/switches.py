"""The one place environment variables are read: on/off switches (``0`` or ``1``, checked) and
values such as folders (unset and empty mean the same: not set).

The variables (the README's "Environment variables" lists them with their meaning):
``BNNTUT_DATA``, ``BNNTUT_RESULTS``, ``BNNTUT_CHECKPOINTS``, ``BNNTUT_GIT_COMMIT``,
``BNNTUT_COMPILE``, ``BNNTUT_CUDA_GRAPHS`` and, for the book, ``BNNTUT_PRESET``,
``BNNTUT_RERUN``, ``BNNTUT_BOOK_BUILD``."""

from __future__ import annotations

import os


def env_value(name: str, default: str | None = None) -> str | None:
    """The value of ``$name``, or ``default`` when it is unset or empty.

    Parameters
    ----------
    name : str
        The environment variable, e.g. ``"BNNTUT_RESULTS"``.
    default : str, optional
        What an unset or empty variable stands for.
    """
    return os.environ.get(name) or default


def env_switch(name: str, off: str, on: str, default: bool = False) -> bool:
    """Whether the switch ``$name`` is on (``1``) or off (``0``); unset or empty: ``default``.

    Parameters
    ----------
    name : str
        The environment variable, e.g. ``"BNNTUT_CUDA_GRAPHS"``.
    off, on : str
        What ``0`` and ``1`` mean, for the error message.
    default : bool
        The state of an unset switch (off unless given).

    Raises
    ------
    ValueError
        ``$name`` is set to something other than ``0`` or ``1``; the message names both values,
        what each means and which is the default.
    """
    value = env_value(name, "1" if default else "0")
    if value not in ("0", "1"):
        mark = ", the default"
        raise ValueError(f"${name} must be 0 ({off}{'' if default else mark}) or 1 "
                         f"({on}{mark if default else ''}), got {value!r}; set one of those "
                         "or unset it")
    return value == "1"
