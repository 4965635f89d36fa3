"""On/off switches read from environment variables: unset or ``0`` is off, ``1`` is on."""

from __future__ import annotations

import os


def env_switch(name: str, off: str, on: str) -> bool:
    """Whether the switch ``$name`` is on (``1``); unset or ``0`` is off.

    Parameters
    ----------
    name : str
        The environment variable, e.g. ``"BNNTUT_CUDA_GRAPHS"``.
    off, on : str
        What ``0`` and ``1`` mean, for the error message.

    Raises
    ------
    ValueError
        ``$name`` is set to something other than ``0`` or ``1``; the message names both values
        and what each means.
    """
    value = os.environ.get(name, "0")
    if value not in ("0", "1"):
        raise ValueError(f"${name} must be 0 ({off}, the default) or 1 ({on}), got {value!r}; "
                         "set one of those or unset it")
    return value == "1"
