"""argparse value types shared by the ``pgm-energy`` subcommands."""

from __future__ import annotations

import argparse


def positive_int(text):
    """argparse type: an int >= 1 (argparse names the option in its error)."""
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {n}")
    return n


def threshold(text):
    """argparse type: 'otsu' or a grey level in [0, 1]."""
    if text == "otsu":
        return text
    try:
        t = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected 'otsu' or a number in [0, 1], got {text!r}") \
            from None
    if not 0 <= t <= 1:
        raise argparse.ArgumentTypeError(f"expected 'otsu' or a number in [0, 1], got {t}")
    return t
