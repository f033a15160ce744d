"""Command line ``pgm-energy``: one subcommand per module of this package.

``pgm-energy denoise IN.png -o OUT.png --method icm|graphcut|gibbs|anneal|meanfield``
``pgm-energy warmup [--list] [--only TEXT]`` (compile every numba kernel now)

Each subcommand module has ``add_parser(sub)``, which registers its parser with
``set_defaults(func=...)``; ``func(args) -> int`` is the exit status. Expected errors (bad
values, missing, unreadable or oversized files, a folder without write permission, a full
disk, no memory) end in a one-line message naming the file and exit status 2, never a
traceback.
"""

from __future__ import annotations

import argparse
import sys

from energy.cli import bayes, denoise, warmup

#: the subcommand modules, in the order ``--help`` lists them
COMMANDS = (denoise, bayes, warmup)


def build_parser() -> argparse.ArgumentParser:
    """The ``pgm-energy`` argument parser with every subcommand registered."""
    p = argparse.ArgumentParser(prog="pgm-energy", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)
    for module in COMMANDS:
        module.add_parser(sub)
    return p


def main(argv=None) -> int:
    """Run ``pgm-energy`` with ``argv`` (default ``sys.argv[1:]``); return the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, TypeError, OSError) as exc:    # OSError: no file, no permission, disk full
        print(f"pgm-energy: error: {exc}", file=sys.stderr)
        return 2
    except MemoryError as exc:
        print(f"pgm-energy: error: out of memory ({exc or 'MemoryError'}); try a smaller image",
              file=sys.stderr)
        return 2
