"""``pgm-energy warmup [--list] [--only TEXT ...]``: compile every numba kernel up front.

Small problems run the numpy references and never wait for numba (see
:mod:`pgm.runtime.jit`); a big one compiles its kernels on first use, seconds each, once per
machine (numba caches the result on disk). This command pays that cost now: it runs each
registered kernel's warm-up (a small call of the public entry point with the kernels forced
on), printing one progress line per kernel and the total time to stderr. It then checks that
each listed kernel was compiled; exit status 1 if one was not. ``--list`` prints the kernels
(one ``module.kernel`` a line, on stdout) without compiling.
"""

from __future__ import annotations

import importlib
import sys
import time

from pgm.runtime.jit import warm_entries

# the packages whose imports register their kernels' warm-ups; neural is above energy in the
# layers, so the command line (the top of the stack, though it lives in energy/cli) names it
# by string; all three ship in this distribution, so a failing import is an error, not skipped
_PACKAGES = ("pgm", "energy", "neural")


def add_parser(sub) -> None:
    """Register ``warmup`` on the subparsers ``sub`` of the ``pgm-energy`` parser."""
    w = sub.add_parser("warmup", help="compile (and cache) every numba kernel now")
    w.add_argument("--list", action="store_true", help="print the kernels, compile nothing")
    w.add_argument("--only", action="append", metavar="TEXT", default=None,
                   help="only the kernels whose name contains TEXT (repeatable)")
    w.set_defaults(func=warmup_main)


def selected(only=None) -> list:
    """``(name, warm-up)`` of the registered kernels, those containing one of ``only``."""
    for pkg in _PACKAGES:
        importlib.import_module(pkg)
    entries = warm_entries()
    if only:
        entries = [(n, f) for n, f in entries if any(t in n for t in only)]
    return entries


def dispatcher(name: str):
    """The numba dispatcher ``module.kernel`` names (imports its module)."""
    module, _, kernel = name.rpartition(".")
    return getattr(importlib.import_module(module), kernel)


def warmup_main(args) -> int:
    entries = selected(args.only)
    if args.only and not entries:
        raise ValueError(f"--only: no kernel name contains any of {args.only}")
    if args.list:
        for name, _ in entries:
            print(name)
        return 0
    t0 = time.perf_counter()
    done = set()
    missing = []
    for k, (name, fn) in enumerate(entries, 1):
        t = time.perf_counter()
        if fn not in done:      # one warm-up may compile several kernels
            fn()
            done.add(fn)
        ok = bool(dispatcher(name).signatures)
        if not ok:
            missing.append(name)
        print(f"[{k}/{len(entries)}] {name}: {time.perf_counter() - t:.2f} s"
              + ("" if ok else " (NOT compiled)"), file=sys.stderr, flush=True)
    print(f"warmup: {len(entries)} kernels in {time.perf_counter() - t0:.1f} s",
          file=sys.stderr, flush=True)
    if missing:
        print(f"warmup: not compiled: {', '.join(missing)}", file=sys.stderr)
        return 1
    return 0
