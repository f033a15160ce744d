"""Read and write discrete graphical models in the UAI format (the UAI inference competitions';
pgmpy and pyAgrum read it), and its ``.evid`` evidence files.

::

    MARKOV          <- or BAYES
    3               <- number of variables
    2 2 3           <- their cardinalities
    2               <- number of functions
    2 0 1           <- scope of each function: its size, then variable indices
    2 1 2

    4               <- each table: its number of entries, then the entries,
     0.1 0.9           the last variable of the scope fastest
     0.3 0.7
    6
     1.0 2.0 3.0
     4.0 5.0 6.0

Tokens are separated by any white space; a line starting with ``c`` is a comment (UAI 2016)
and so is the rest of a line after ``#`` (pyAgrum writes them). ``MARKOV`` reads as a
:class:`~pgm.markov.MarkovNetwork` with one :class:`~pgm.factor.DiscreteFactor` per function
(a variable in no function gets a factor of ones, so no variable is lost). ``BAYES`` reads as a
:class:`~pgm.bayesnet.BayesianNetwork`: the last variable of each scope is the child, the
others its parents in the order written; every variable must be the child of exactly one
function. UAI names neither variables nor states: variables are named ``0..n-1`` (ints) unless
``names=`` is given, states are ``0..card-1``. Column sums of a ``BAYES`` table follow the BIF
tolerance (derived from the printed decimals; :mod:`pgm.io._common`); values are kept as
written.

Hostile files: the declared size of each table must equal the product of its scope's
cardinalities, and the tables together may hold at most ``max_entries`` numbers; both are
checked on the preamble, before any table is filled. Files are read like
:func:`~pgm.io.bif.read_bif` (gzip, ``max_bytes``). Every error raises :class:`UAIError` (a
``ValueError``) naming the source, the line and what was expected.

Writing uses ``repr`` floats, so write → read gives the same model bit for bit (variable names
given back through ``names=``; state names are not stored).

Evidence files (``.evid``): ``n v1 s1 ... vn sn`` (the number of observed variables, then
variable-index / state-index pairs; written so) or the UAI 2014 form with a leading sample
count of 1 (``1 n v1 s1 ...``).

Examples
--------
>>> mn = loads_uai("MARKOV 2  2 3  1  2 0 1   6  1 2 3 4 5 6")
>>> list(mn.variables), mn.factors[0].values.tolist()
([0, 1], [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
>>> bn = loads_uai("BAYES 2 2 2 2 1 0 2 0 1  2 0.4 0.6  4 0.9 0.1 0.2 0.8", names=["A", "B"])
>>> bn.get_cpd("B").values.tolist()      # rows: B's states, columns: A's states
[[0.9, 0.2], [0.1, 0.8]]
>>> loads_uai(dumps_uai(bn), names=["A", "B"]).get_cpd("B") == bn.get_cpd("B")
True
>>> loads_evid("1 1 0", bn)
{'B': 0}
"""

from __future__ import annotations

import os
import re

import numpy as np

from ..bayesnet import BayesianNetwork
from ..cpd import MAX_PARENTS, TabularCPD
from ..factor import DiscreteFactor
from ..markov import MarkovNetwork
from ._common import (DEFAULT_MAX_BYTES, DEFAULT_MAX_ENTRIES, check_column_sums, check_limit,
                      is_float, read_limited, table_size, unravel, write_atomic)

__all__ = ["UAIError", "read_uai", "loads_uai", "write_uai", "dumps_uai",
           "read_evid", "loads_evid", "write_evid", "dumps_evid"]

_NONSPACE = re.compile(r"\S+")
_COMMENT = re.compile(r"#[^\n]*|^[ \t]*c[^\n]*", re.MULTILINE)
_MAX_AXES = MAX_PARENTS + 1


class UAIError(ValueError):
    """A malformed UAI or evidence file: the message gives the source, line and expectation."""


class _Tokens:
    """White-space separated tokens; the line of a token is found only for an error message."""

    def __init__(self, text, source):
        if not isinstance(text, str):
            raise TypeError(f"text: expected str, got {type(text).__name__}")
        if text.startswith("\ufeff"):
            text = text[1:]
        if "#" in text or "c" in text:  # comments (newlines kept: line numbers hold)
            text = _COMMENT.sub("", text)
        self.text, self.source = text, source
        self.toks = text.split()
        self.i = 0
        self._pos = None

    def line(self, i=None):
        i = self.i if i is None else i
        if self._pos is None:
            self._pos = [m.start() for m in _NONSPACE.finditer(self.text)]
        p = self._pos[i] if i < len(self._pos) else len(self.text)
        return self.text.count("\n", 0, p) + 1

    def error(self, msg, i=None):
        return UAIError(f"{self.source}:{self.line(i)}: {msg}")

    def fail(self, expected, i=None):
        i = self.i if i is None else i
        got = repr(self.toks[i]) if i < len(self.toks) else "end of file"
        raise self.error(f"expected {expected}, got {got}", i)

    def int(self, what, lo=0, hi=None):
        """The next token as an int in [lo, hi) (plain ASCII digits only)."""
        t = self.toks[self.i] if self.i < len(self.toks) else None
        if t is None or not (t.isascii() and t.isdigit() and len(t) <= 18):
            self.fail(what)
        v = int(t)
        if v < lo or (hi is not None and v >= hi):
            rng = f">= {lo}" if hi is None else f"in 0..{hi - 1}"
            self.fail(f"{what} {rng}")
        self.i += 1
        return v

    def floats(self, count, what):
        """The next ``count`` tokens as float64 (and their literals)."""
        start = self.i
        seg = self.toks[start:start + count]
        if len(seg) < count:
            self.i = len(self.toks)
            self.fail(f"{count} numbers for {what} (the file ends after {len(seg)})")
        try:
            vals = np.array(seg, dtype=np.float64)
        except ValueError:
            k = next(k for k, t in enumerate(seg) if not is_float(t))
            self.fail(f"a number in {what}", start + k)
        self.i += count
        return vals, seg, start


def _names(names, n):
    if names is None:
        return list(range(n))
    names = list(names)
    if len(names) != n:
        raise ValueError(f"names: expected {n} names (the file declares {n} variables), got "
                         f"{len(names)}")
    try:
        distinct = len(set(names)) == n
    except TypeError:
        raise TypeError("names: expected hashable names") from None
    if not distinct:
        raise ValueError(f"names: expected distinct names, got {names}")
    return names


def _preamble(tk, max_entries):
    """Kind, cardinalities, scopes (with the token index of each) and declared sizes checked."""
    kind = tk.toks[0].upper() if tk.toks else None
    if kind not in ("MARKOV", "BAYES"):
        tk.fail("'MARKOV' or 'BAYES' (the UAI preamble)")
    tk.i = 1
    n = tk.int("the number of variables")
    cards = [tk.int(f"the cardinality of variable {k} of {n}", lo=1) for k in range(n)]
    m = tk.int("the number of functions")
    scopes = []
    total = 0
    for f in range(m):
        at = tk.i
        s = tk.int(f"the scope size of function {f}", lo=1 if kind == "BAYES" else 0)
        if s > _MAX_AXES:
            raise tk.error(f"function {f} has {s} variables; a table holds at most {_MAX_AXES} "
                           "(one numpy axis each)", at)
        scope = [tk.int(f"a variable index (function {f})", hi=n) for _ in range(s)]
        if len(set(scope)) != s:
            raise tk.error(f"function {f} repeats a variable in its scope {scope}", at)
        size = table_size([cards[v] for v in scope])
        total += size
        if total > max_entries:  # checked before any table is read or allocated
            raise tk.error(f"function {f} has {size} entries, which brings the model to {total} "
                           f"> max_entries={max_entries}; pass a larger max_entries to read it", at)
        scopes.append((scope, at))
    return kind, cards, scopes


def _tables(tk, cards, scopes):
    out = []
    for f, (scope, _) in enumerate(scopes):
        want = table_size([cards[v] for v in scope])
        at = tk.i
        size = tk.int(f"the number of entries of function {f}")
        if size != want:
            raise tk.error(f"function {f} declares {size} entries but its scope {scope} with "
                           f"cardinalities {[cards[v] for v in scope]} has {want}", at)
        out.append(tk.floats(size, f"the table of function {f}"))
    if tk.i < len(tk.toks):
        tk.fail(f"end of file after the {len(scopes)} tables")
    return out


def _markov(tk, cards, scopes, tables, names):
    factors = []
    for f, ((scope, at), (vals, _, vi)) in enumerate(zip(scopes, tables)):
        try:
            factors.append(DiscreteFactor([names[v] for v in scope],
                                          vals.reshape([cards[v] for v in scope])))
        except ValueError as exc:
            raise tk.error(f"the table of function {f}: {exc}", vi) from None
    used = {v for scope, _ in scopes for v in scope}
    factors += [DiscreteFactor([names[v]], np.ones(cards[v])) for v in range(len(cards))
                if v not in used]
    try:
        return MarkovNetwork(factors)
    except ValueError as exc:
        raise UAIError(f"{tk.source}: {exc}") from None


def _bayes(tk, cards, scopes, tables, names, atol):
    n = len(cards)
    child_of = {}
    for f, (scope, at) in enumerate(scopes):
        c = scope[-1]
        if c in child_of:
            raise tk.error(f"variable {c} is the child (last in scope) of functions "
                           f"{child_of[c]} and {f}; a BAYES file gives each variable one", at)
        child_of[c] = f
    if len(child_of) != n:
        v = next(v for v in range(n) if v not in child_of)
        raise tk.error(f"variable {v} is the child (last in scope) of no function; a BAYES file "
                       f"gives each of its {n} variables one", tk.i)
    edges = [(names[u], names[s[-1]]) for s, _ in scopes for u in s[:-1]]
    try:
        bn = BayesianNetwork(edges, nodes=names)
    except ValueError as exc:
        raise UAIError(f"{tk.source}: {exc}") from None
    cpds = []
    for v in range(n):
        f = child_of[v]
        (scope, at), (vals, lits, vi) = scopes[f], tables[f]
        card, pa = cards[v], scope[:-1]
        pcards = [cards[u] for u in pa]
        arr = vals.reshape(-1, card).T  # (child states, parent configurations)

        def describe(j, f=f, v=v, pa=pa, pcards=pcards):
            cfg = ", ".join(f"{names[u]}={i}" for u, i in zip(pa, unravel(j, pcards)))
            return f"function {f} (child {names[v]!r}): the column ({cfg or 'no parents'})"
        try:
            tol = check_column_sums(arr, lambda j, card=card, lits=lits:
                                    lits[j * card:(j + 1) * card], atol, describe) \
                if np.isfinite(arr).all() else 0.0
            cpds.append(TabularCPD(names[v], card, arr, [names[u] for u in pa], pcards, atol=tol))
        except ValueError as exc:
            raise tk.error(str(exc), vi) from None
    bn.add_cpds(*cpds)
    bn.check_model()
    return bn


def loads_uai(text, names=None, atol=None, source="<string>", max_entries=DEFAULT_MAX_ENTRIES):
    """Parse UAI text into a MarkovNetwork (``MARKOV``) or a BayesianNetwork (``BAYES``).

    Parameters
    ----------
    text : str
    names : sequence of hashable, optional
        Names of the variables ``0..n-1`` (default: the ints themselves).
    atol : float or None
        Column-sum tolerance of ``BAYES`` tables: None (default) follows the printed decimals
        as in :func:`~pgm.io.bif.loads_bif`; a number fixes it.
    source : str
        The name used in error messages.
    max_entries : int
        Most numbers the tables may hold together (default 2**27), checked on the preamble.

    Returns
    -------
    MarkovNetwork or BayesianNetwork
    """
    if atol is not None and not (np.isfinite(atol) and atol >= 0):
        raise ValueError(f"atol: expected None or a finite number >= 0, got {atol!r}")
    max_entries = check_limit(max_entries, "max_entries")
    tk = _Tokens(text, source)
    kind, cards, scopes = _preamble(tk, max_entries)
    names = _names(names, len(cards))
    tables = _tables(tk, cards, scopes)
    if kind == "MARKOV":
        return _markov(tk, cards, scopes, tables, names)
    return _bayes(tk, cards, scopes, tables, names, atol)


def _read_text(path, max_bytes):
    path = os.fspath(path)
    raw = read_limited(path, max_bytes, UAIError)
    try:
        return path, raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UAIError(f"{path}: not UTF-8 text ({exc})") from None


def read_uai(path, names=None, atol=None, max_bytes=DEFAULT_MAX_BYTES,
             max_entries=DEFAULT_MAX_ENTRIES):
    """Read a ``.uai`` file (or gzip-compressed ``.uai.gz``); see :func:`loads_uai`.

    At most ``max_bytes`` bytes are read, counted after gzip decompression (default 2**30);
    a larger file or a corrupt gzip stream raises :class:`UAIError` naming the file.
    """
    path, text = _read_text(path, max_bytes)
    return loads_uai(text, names=names, atol=atol, source=path, max_entries=max_entries)


def _order(model):
    """(kind, variables in index order, cardinalities) of a model to write."""
    if isinstance(model, BayesianNetwork):
        model.check_model()
        return "BAYES", list(model.nodes), model.cardinality
    if isinstance(model, MarkovNetwork):
        return "MARKOV", list(model.variables), dict(model.cardinality)
    raise TypeError(f"model: expected a BayesianNetwork or a MarkovNetwork, got "
                    f"{type(model).__name__}")


def _fmt(values, row):
    flat = np.asarray(values, dtype=np.float64).ravel()
    return "\n".join(" " + " ".join(repr(float(x)) for x in flat[k:k + row])
                     for k in range(0, flat.size, row))


def dumps_uai(model) -> str:
    """The UAI text of a BayesianNetwork (``BAYES``) or a MarkovNetwork (``MARKOV``).

    Variables are numbered in ``model.nodes`` (``model.variables``) order; a CPD is written
    with its parents in CPD order and the child last. Names and state names are not stored.
    """
    kind, order, card = _order(model)
    index = {v: k for k, v in enumerate(order)}
    if kind == "BAYES":
        funcs = []
        for v in order:
            cpd = model.get_cpd(v)
            funcs.append(([index[u] for u in cpd.parents] + [index[v]],
                          np.moveaxis(cpd.table, 0, -1)))  # child fastest
    else:
        funcs = [([index[u] for u in f.variables], f.values) for f in model.factors]
    out = [kind, str(len(order)), " ".join(str(card[v]) for v in order), str(len(funcs))]
    out += [" ".join(map(str, [len(s)] + s)) for s, _ in funcs]
    out.append("")
    for s, vals in funcs:
        row = card[order[s[-1]]] if s else 1
        out += [str(int(np.size(vals))), _fmt(vals, row), ""]
    return "\n".join(out)


def write_uai(model, path, overwrite=False):
    """Write ``model`` to ``path`` in the UAI format, atomically (refuses to overwrite by
    default)."""
    write_atomic(path, dumps_uai(model), overwrite, ".uai")


def _evid_space(model):
    kind, order, card = _order(model)
    names = model.state_names if kind == "BAYES" else None
    return order, card, names


def loads_evid(text, model, source="<string>") -> dict:
    """Parse ``.evid`` text into ``{variable: state}`` for ``model`` (as read from the UAI file).

    Variable ``k`` of the file is the ``k``-th of ``model.nodes`` (``model.variables``); a state
    is given back as the model's state name (for a model read from UAI, the index itself).
    """
    order, card, state_names = _evid_space(model)
    tk = _Tokens(text, source)
    t = tk.toks
    if not t:
        return {}
    first = tk.int("the number of observed variables")
    if len(t) != 1 + 2 * first:  # else the UAI 2014 form: a sample count of 1 comes first
        if first == 1 and len(t) >= 2:
            first = tk.int("the number of observed variables")
        if len(t) != tk.i + 2 * first:
            raise tk.error(f"expected 'n' and n (variable, state) pairs, or '1 n' and n pairs "
                           f"(one evidence sample); the file holds {len(t)} numbers", 0)
    out = {}
    for _ in range(first):
        at = tk.i
        v = order[tk.int("a variable index", hi=len(order))]
        s = tk.int(f"a state index of variable {v!r}", hi=card[v])
        if v in out:
            raise tk.error(f"variable {v!r} observed twice", at)
        out[v] = state_names[v][s] if state_names is not None else s
    return out


def read_evid(path, model, max_bytes=DEFAULT_MAX_BYTES) -> dict:
    """Read a ``.evid`` file; see :func:`loads_evid`."""
    path, text = _read_text(path, max_bytes)
    return loads_evid(text, model, source=path)


def dumps_evid(evidence, model) -> str:
    """``{variable: state}`` as ``.evid`` text (``n v1 s1 ... vn sn``, indices per ``model``)."""
    order, card, state_names = _evid_space(model)
    if not isinstance(evidence, dict):
        raise TypeError(f"evidence: expected a dict {{variable: state}}, got "
                        f"{type(evidence).__name__}")
    index = {v: k for k, v in enumerate(order)}
    pairs = []
    for v, s in evidence.items():
        if v not in index:
            raise ValueError(f"evidence: {v!r} is not a variable of the model")
        if state_names is not None:
            k = model.state_index(v, s)
        elif isinstance(s, (int, np.integer)) and not isinstance(s, bool) and 0 <= s < card[v]:
            k = int(s)
        else:
            raise ValueError(f"evidence: state of {v!r} must be an int in 0..{card[v] - 1}, "
                             f"got {s!r}")
        pairs.append(f"{index[v]} {k}")
    return " ".join([str(len(pairs))] + pairs) + "\n"


def write_evid(evidence, model, path, overwrite=False):
    """Write ``evidence`` as a ``.evid`` file for ``model``, atomically."""
    write_atomic(path, dumps_evid(evidence, model), overwrite, ".evid")
