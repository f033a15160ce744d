"""Read and write discrete Bayesian networks in the BIF format.

Three dialects are read, in any mixture:

* bnlearn's (and pgmpy's): bare names, comma-separated lists::

    network NAME { property ...; }
    variable NAME { type discrete [ N ] { s1, s2, ... }; property ...; }
    probability ( X | A, B ) { (a1, b1) p1, p2, ...; ... }

* the format's original one (JavaBayes, the BIF 0.15 specification): quoted names,
  space-separated lists, the parents after the child without ``|``::

    variable "light-on" { type discrete[2] { "true" "false" }; property "position = (1, 2)" ; }
    probability ( "light-on" "family-out" ) { table 0.6 0.05 0.4 0.95 ; }

* pyAgrum's: probabilities separated by spaces (``table 0.25 0.75;``), ``default`` lines.

``table`` lists the child's states slowest and the last parent fastest; ``default p...;`` gives
the distribution of every parent configuration without a row of its own. ``//`` and ``/* */``
comments are skipped outside quoted strings only (a URL in a ``property`` stays whole); a
leading UTF-8 byte-order mark is skipped. Every syntax or consistency error raises
:class:`BIFError` (a ``ValueError``) with the line number and what was expected.

Column sums: with ``atol=None`` (the default) each column must sum to 1 within the rounding of
the decimals it prints, ``max(1e-8, n_values · 0.5·10^-decimals)`` (see :mod:`pgm.io._common`):
bnlearn's files, which print 7 decimals (columns summing to 0.9999999), load; a column off by
more is refused with the variable, the parent states and the sum. The values are kept as
written; nothing is repaired.

Writing: floats with ``repr`` (write → read gives the tables bit for bit); a name that is not a
plain token (spaces, punctuation, a keyword, ``Asy/Patch`` is plain) is written in double quotes,
so every name the reader accepts is written (a name containing ``"`` cannot be). A variable
whose states are all ints gets ``property state_type = int;`` and reads back with int states,
so evidence ``{"B": 1}`` works after a round trip. The writer never overwrites a file unless
``overwrite=True`` and writes atomically.

Examples
--------
>>> from pgm.bayesnet import BayesianNetwork
>>> from pgm.cpd import TabularCPD
>>> bn = BayesianNetwork([("Rain", "Wet")])
>>> bn.add_cpds(TabularCPD("Rain", 2, [0.8, 0.2], state_names={"Rain": ["no", "yes"]}),
...             TabularCPD("Wet", 2, [[0.9, 0.1], [0.1, 0.9]], ["Rain"], [2],
...                        state_names={"Wet": ["no", "yes"], "Rain": ["no", "yes"]}))
>>> bn2 = loads_bif(dumps_bif(bn))
>>> bn2.get_cpd("Wet") == bn.get_cpd("Wet")
True
>>> loads_bif('variable "a b" { type discrete [2] { "x" "y" }; }'
...           'probability ( "a b" ) { table 0.3333333 0.6666666; }').state_names
{'a b': ('x', 'y')}
"""

from __future__ import annotations

import os
import re

import numpy as np

from ..bayesnet import BayesianNetwork
from ..cpd import MAX_PARENTS, TabularCPD
from ._common import (DEFAULT_MAX_BYTES, DEFAULT_MAX_ENTRIES, INT_STATES, check_column_sums,
                      check_limit, int_states, read_int_states, read_limited, strip_comments,
                      table_size, unravel, write_atomic)

__all__ = ["read_bif", "loads_bif", "write_bif", "dumps_bif", "BIFError"]


class BIFError(ValueError):
    """A malformed BIF file: the message gives the source, line number and what was expected."""


_WORD = r"(?:[^\s{}()\[\];,|\"/]|/(?![/*]))+"
_TOKEN = re.compile(r'(?P<c>//[^\n]*|/\*.*?\*/)|"(?P<q>[^"\n]*)"|(?P<p>[{}()\[\];,|])'
                    r'|(?P<w>' + _WORD + r')|(?P<bad>["/])', re.DOTALL)
_PUNCT = frozenset("{}()[];,|")
_BARE = re.compile(_WORD)
_KEYWORDS = frozenset({"network", "variable", "probability", "property", "type", "discrete",
                       "table", "default"})


class _Q(str):
    """A quoted token: a name, never equal to punctuation or a keyword."""

    __slots__ = ()

    def __eq__(self, other):
        return isinstance(other, _Q) and str.__eq__(self, other)

    def __ne__(self, other):
        return not self.__eq__(other)

    def __hash__(self):
        return hash(("quoted", str.__str__(self)))


_plain = str.__str__  # a token (quoted or not) as a plain str


_FAST = re.compile(r"[{}()\[\];,|]|[^\s{}()\[\];,|]+")


class _Parser:
    def __init__(self, text, source):
        self.text = text
        self.source = source
        self._clean = None
        if '"' not in text:  # no quoted strings: comments go first, then one findall (fast)
            clean = strip_comments(text, source, BIFError) if "/" in text else text
            self._clean = clean
            self.toks = _FAST.findall(clean)
            self._pos = None  # token positions are found only for error messages
            self.i = 0
            return
        toks, pos = [], []
        for m in _TOKEN.finditer(text):
            kind = m.lastgroup
            if kind == "w" or kind == "p":
                toks.append(m.group())
            elif kind == "q":
                toks.append(_Q(m.group("q")))
            elif kind == "bad":
                what = "quoted string" if m.group() == '"' else "'/*' comment"
                ln = text.count("\n", 0, m.start()) + 1
                raise BIFError(f"{source}:{ln}: unterminated {what} (no closing "
                               f"{chr(34) if what[0] == 'q' else '*/'!r})")
            else:
                continue
            pos.append(m.start())
        self.toks = toks
        self._pos = pos
        self.i = 0

    def line(self, i=None):
        i = self.i if i is None else i
        if self._pos is None:
            self._pos = [m.start() for m in _FAST.finditer(self._clean)]
        p = self._pos[i] if i < len(self._pos) else len(self.text)
        return self.text.count("\n", 0, p) + 1

    def fail(self, expected, i=None):
        i = self.i if i is None else i
        got = repr(_plain(self.toks[i])) if i < len(self.toks) else "end of file"
        raise BIFError(f"{self.source}:{self.line(i)}: expected {expected}, got {got}")

    def peek(self):
        return self.toks[self.i] if self.i < len(self.toks) else None

    def next(self, expected="a token"):
        if self.i >= len(self.toks):
            self.fail(expected)
        t = self.toks[self.i]
        self.i += 1
        return t

    def expect(self, tok):
        if self.peek() != tok:
            self.fail(repr(tok))
        self.i += 1

    def name(self, what):
        t = self.peek()
        if t is None or t in _PUNCT:
            self.fail(what)
        self.i += 1
        return _plain(t)

    def property(self):
        """'property' already consumed: its tokens up to the ';' (consumed)."""
        out = []
        while True:
            t = self.next("';' ending the property")
            if t == ";":
                return out
            out.append(t)

    def number_list(self):
        """Numbers separated by ',' or spaces up to ';' (consumed): (values, literals, index)."""
        start = self.i
        toks = self.toks
        try:
            end = toks.index(";", start)
        except ValueError:
            end = len(toks)
        seg = toks[start:end]
        if end < len(toks) and seg:
            nums, ok = seg, True
            if "," in seg:  # comma-separated: numbers at the even positions
                nums, seps = seg[0::2], seg[1::2]
                ok = len(seg) % 2 == 1 and seps.count(",") == len(seps)
            if ok:
                try:  # the fast path: one conversion of the whole list
                    vals = np.array(nums, dtype=np.float64)
                    self.i = end + 1
                    return vals, nums, start
                except ValueError:
                    pass
        vals, lits = [], []  # the slow path finds the offending token
        while True:
            t = self.next("a probability")
            try:
                vals.append(float(t))
            except ValueError:
                self.fail("a number", self.i - 1)
            lits.append(t)
            t = self.peek()
            if t == ";":
                self.i += 1
                return np.array(vals), lits, start
            if t == ",":
                self.i += 1
            elif t is None or t in _PUNCT:
                self.fail("',', a number or ';' in a list of probabilities")

    def name_list(self, close, what):
        """Names separated by ',' or spaces up to ``close`` (consumed); at least one."""
        start = self.i
        toks = self.toks
        try:
            end = toks.index(close, start)
        except ValueError:
            end = len(toks)
        seg = toks[start:end]
        if end < len(toks) and seg:
            names, ok = seg, True
            if "," in seg:
                names, seps = seg[0::2], seg[1::2]
                ok = len(seg) % 2 == 1 and seps.count(",") == len(seps)
            if ok and _PUNCT.isdisjoint(names):
                self.i = end + 1
                return [_plain(t) for t in names]
        names = [self.name(what)]
        while True:
            t = self.peek()
            if t == close:
                self.i += 1
                return names
            if t == ",":
                self.i += 1
                names.append(self.name(what))
            else:
                names.append(self.name(f"',', {what} or {close!r}"))

    def parse(self):
        variables = {}  # name -> (states, line)
        probs = []      # (child, parents, table, rows, default, line)
        name = None
        while self.peek() is not None:
            kw = self.next()
            if kw == "network":
                name = self.name("a network name")
                self.expect("{")
                while self.peek() != "}":
                    if self.peek() is None:
                        self.fail("'}' closing the network block")
                    t = self.next()
                    if t == "property":
                        self.property()
                    else:
                        self.fail("'property' or '}' in the network block", self.i - 1)
                self.expect("}")
            elif kw == "variable":
                vline = self.i - 1
                v = self.name("a variable name")
                if v in variables:
                    self.fail(f"a new variable name ({v!r} was declared on line "
                              f"{self.line(variables[v][1])})", self.i - 1)
                self.expect("{")
                states = None
                ints = False
                while self.peek() != "}":
                    t = self.next("'type', 'property' or '}'")
                    if t == "property":
                        pi = self.i
                        if self.property() == ["state_type", "=", INT_STATES]:
                            ints = pi
                    elif t == "type":
                        if self.peek() != "discrete":
                            self.fail("'discrete' (only discrete variables are supported)")
                        self.i += 1
                        self.expect("[")
                        nt = self.next("the number of states")
                        if not (nt.isascii() and nt.isdigit()) or len(nt) > 18 or int(nt) < 1:
                            self.fail("a positive integer number of states", self.i - 1)
                        n = int(nt)
                        self.expect("]")
                        self.expect("{")
                        lst_i = self.i
                        states = self.name_list("}", "a state name")
                        self.expect(";")
                        if len(states) != n:
                            raise BIFError(f"{self.source}:{self.line(lst_i)}: variable {v!r} "
                                           f"declares [ {n} ] states but lists {len(states)}: "
                                           f"{states}")
                        if len(set(states)) != len(states):
                            raise BIFError(f"{self.source}:{self.line(lst_i)}: variable {v!r} "
                                           f"repeats a state name: {states}")
                    else:
                        self.fail("'type', 'property' or '}' in a variable block", self.i - 1)
                if states is None:
                    self.fail(f"a 'type discrete [ n ] {{...}};' line for variable {v!r}")
                if ints is not False:
                    states = read_int_states(states, lambda e, i=ints: self.fail(e, i))
                self.expect("}")
                variables[v] = (states, vline)
            elif kw == "probability":
                pline = self.i - 1
                self.expect("(")
                child = self.name("the variable of the probability block")
                parents = []
                t = self.peek()
                if t == "|" or t == ",":  # bnlearn: ( X | A, B ); original: ( "X" "A" "B" )
                    self.i += 1
                    parents = self.name_list(")", "a parent name")
                elif t == ")":
                    self.i += 1
                else:
                    parents = self.name_list(")", "'|', a parent name or ')'")
                self.expect("{")
                table = default = None
                rows = []
                while self.peek() != "}":
                    t = self.peek()
                    if t is None:
                        self.fail("'}' closing the probability block")
                    if t == "table":
                        self.i += 1
                        table = self.number_list()
                    elif t == "default":
                        self.i += 1
                        default = self.number_list()
                    elif t == "(":
                        self.i += 1
                        ri = self.i
                        cfg = self.name_list(")", "a parent state")
                        rows.append((cfg, self.number_list(), ri))
                    elif t == "property":
                        self.i += 1
                        self.property()
                    else:
                        self.fail("'table', 'default', '(parent states)' or '}' in a "
                                  "probability block")
                self.expect("}")
                probs.append((child, parents, table, rows, default, pline))
            else:
                self.fail("'network', 'variable' or 'probability'", self.i - 1)
        return name, variables, probs


def _build(name, variables, probs, p: _Parser, atol, max_entries):
    seen = {}
    total = 0
    for child, parents, _t, _r, _d, pline in probs:
        for v in [child] + parents:
            if v not in variables:
                raise BIFError(f"{p.source}:{p.line(pline)}: probability block uses {v!r}, "
                               "which has no variable declaration")
        if child in seen:
            raise BIFError(f"{p.source}:{p.line(pline)}: second probability block for {child!r} "
                           f"(first on line {p.line(seen[child])})")
        if len(set(parents)) != len(parents) or child in parents:
            raise BIFError(f"{p.source}:{p.line(pline)}: parents of {child!r} must be distinct "
                           f"and exclude it, got {parents}")
        if len(parents) > MAX_PARENTS:
            raise BIFError(f"{p.source}:{p.line(pline)}: {child!r} has {len(parents)} parents; "
                           f"a table holds at most {MAX_PARENTS} (one numpy axis each)")
        size = table_size([len(variables[v][0]) for v in [child] + parents])
        total += size
        if total > max_entries:  # checked before any table is allocated
            raise BIFError(f"{p.source}:{p.line(pline)}: the table of {child!r} has {size} "
                           f"entries, which brings the network to {total} > max_entries="
                           f"{max_entries}; pass a larger max_entries to read it")
        seen[child] = pline
    for v, (_, vline) in variables.items():
        if v not in seen:
            raise BIFError(f"{p.source}:{p.line(vline)}: variable {v!r} has no probability block")
    edges = [(pa, child) for child, parents, *_ in probs for pa in parents]
    try:
        bn = BayesianNetwork(edges, nodes=list(variables))
    except ValueError as exc:
        raise BIFError(f"{p.source}: {exc}") from None
    cpds = [_cpd(child, parents, table, rows, default, pline, variables, p, atol)
            for child, parents, table, rows, default, pline in probs]
    bn.add_cpds(*cpds)
    bn.check_model()
    bn.name = name
    return bn


def _cpd(child, parents, table, rows, default, pline, variables, p, atol):
    src = p.source
    states = variables[child][0]
    card = len(states)
    pcards = [len(variables[u][0]) for u in parents]
    ncols = table_size(pcards)
    if table is not None and (rows or default is not None):
        raise BIFError(f"{src}:{p.line(pline)}: block for {child!r} mixes 'table' with rows or "
                       "'default'")
    if table is None and not rows and default is not None and not parents:
        table = default
    if table is not None:
        vals, lits, ti = table
        if len(vals) != card * ncols:
            raise BIFError(f"{src}:{p.line(ti)}: table of {child!r} needs {card * ncols} numbers "
                           f"({card} states x {ncols} parent configurations), got {len(vals)}")
        arr = np.asarray(vals, dtype=np.float64).reshape(card, ncols)

        def texts(j):
            return lits[j::ncols]
    else:
        if not parents:
            raise BIFError(f"{src}:{p.line(pline)}: expected 'table' for {child!r}, which has no "
                           "parents")
        col_lits = {}
        lut = [{s: i for i, s in enumerate(map(str, variables[u][0]))} for u in parents]
        strides = [table_size(pcards[k + 1:]) for k in range(len(pcards))]
        for cfg, (vals, lits, vi), ri in rows:
            if len(cfg) != len(parents):
                raise BIFError(f"{src}:{p.line(ri)}: row of {child!r} gives {len(cfg)} parent "
                               f"states, expected {len(parents)} ({', '.join(parents)})")
            j = 0
            for u, s, m, st in zip(parents, cfg, lut, strides):
                if s not in m:
                    raise BIFError(f"{src}:{p.line(ri)}: {s!r} is not a state of parent {u!r} "
                                   f"(states {list(m)})")
                j += m[s] * st
            if j in col_lits:
                raise BIFError(f"{src}:{p.line(ri)}: parent states {tuple(cfg)} of {child!r} given "
                               f"twice (first on line {p.line(col_lits[j][1])})")
            if len(vals) != card:
                raise BIFError(f"{src}:{p.line(vi)}: row {tuple(cfg)} of {child!r} has {len(vals)} "
                               f"probabilities, expected {card} (states {states})")
            col_lits[j] = (lits, ri, vals)
        if len(col_lits) != ncols and default is None:  # before allocating the table
            cfg = unravel(next(j for j in range(ncols) if j not in col_lits), pcards)
            names = tuple(variables[u][0][i] for u, i in zip(parents, cfg))
            raise BIFError(f"{src}:{p.line(pline)}: probability block of {child!r} has "
                           f"{len(col_lits)} of {ncols} parent configurations and no "
                           f"'default'; missing e.g. {names}")
        arr = np.full((card, ncols), np.nan)
        for j, (_, _, vals) in col_lits.items():
            arr[:, j] = vals
        dlits = None
        if len(col_lits) != ncols:
            vals, dlits, vi = default
            if len(vals) != card:
                raise BIFError(f"{src}:{p.line(vi)}: 'default' of {child!r} has {len(vals)} "
                               f"probabilities, expected {card} (states {states})")
            missing = np.ones(ncols, dtype=bool)
            missing[list(col_lits)] = False
            arr[:, missing] = np.asarray(vals, dtype=np.float64)[:, None]

        def texts(j):
            return col_lits[j][0] if j in col_lits else dlits
    sn = {child: states, **{u: variables[u][0] for u in parents}}

    def describe(j):
        if not parents:
            return f"probability block of {child!r}: the column (no parents)"
        cfg = unravel(j, pcards)
        return (f"probability block of {child!r}: the column " + "(" +
                ", ".join(f"{u}={variables[u][0][int(i)]}" for u, i in zip(parents, cfg)) + ")")
    try:
        if np.isfinite(arr).all():
            cpd_atol = check_column_sums(arr, texts, atol, describe)
        else:
            cpd_atol = 0.0  # TabularCPD names the non-finite entry
        return TabularCPD(child, card, arr, parents, pcards, state_names=sn, atol=cpd_atol)
    except ValueError as exc:
        raise BIFError(f"{src}:{p.line(pline)}: {exc}") from None


def loads_bif(text, atol=None, source="<string>", max_entries=DEFAULT_MAX_ENTRIES
              ) -> BayesianNetwork:
    """Parse BIF text into a :class:`~pgm.bayesnet.BayesianNetwork`.

    Parameters
    ----------
    text : str
    atol : float or None
        Tolerance of the column sums: None (default) derives it from the decimals each column
        prints, ``max(1e-8, n_values · 0.5·10^-decimals)``; a number fixes it for all columns.
    source : str
        The name used in error messages.
    max_entries : int
        Most numbers all tables may hold together (default 2**27), checked before any is built.

    Returns
    -------
    BayesianNetwork
        Nodes in declaration order, state names as strings (ints for a variable marked
        ``property state_type = int;``), ``name`` from the ``network`` block.
    """
    if not isinstance(text, str):
        raise TypeError(f"text: expected str, got {type(text).__name__}")
    if atol is not None and not (np.isfinite(atol) and atol >= 0):
        raise ValueError(f"atol: expected None or a finite number >= 0, got {atol!r}")
    max_entries = check_limit(max_entries, "max_entries")
    if text.startswith("\ufeff"):
        text = text[1:]
    p = _Parser(text, source)
    name, variables, probs = p.parse()
    if not variables:
        raise BIFError(f"{source}:1: expected at least one 'variable' block, found none")
    return _build(name, variables, probs, p, atol, max_entries)


def read_bif(path, atol=None, max_bytes=DEFAULT_MAX_BYTES, max_entries=DEFAULT_MAX_ENTRIES
             ) -> BayesianNetwork:
    """Read a ``.bif`` (or gzip-compressed ``.bif.gz``) file; see :func:`loads_bif`.

    Parameters
    ----------
    path : str or os.PathLike
    atol : float or None
        None (default): the tolerance of each column follows the decimals it prints.
    max_bytes : int
        Most bytes read, after gzip decompression (default 2**30): more raises :class:`BIFError`.
    max_entries : int
        Most numbers all the tables may hold together (default 2**27); see :func:`loads_bif`.

    Returns
    -------
    BayesianNetwork
    """
    path = os.fspath(path)
    raw = read_limited(path, max_bytes, BIFError)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BIFError(f"{path}: not UTF-8 text ({exc})") from None
    return loads_bif(text, atol=atol, source=path, max_entries=max_entries)


def _fmt_name(x, what):
    s = str(x)
    if '"' in s or "\n" in s:
        raise ValueError(f"{what}: {s!r} cannot be written to BIF (a name cannot hold '\"' or "
                         "a line break)")
    if _BARE.fullmatch(s) and s not in _KEYWORDS:
        return s
    return f'"{s}"'


def dumps_bif(model, name="unknown") -> str:
    """The BIF text of a :class:`~pgm.bayesnet.BayesianNetwork` (bnlearn's dialect, names
    quoted where needed)."""
    if not isinstance(model, BayesianNetwork):
        raise TypeError(f"model: expected a BayesianNetwork, got {type(model).__name__}")
    model.check_model()
    out = [f"network {_fmt_name(name, 'name')} {{", "}"]
    written = {}
    seen_vars = {}
    for v in model.nodes:
        cpd = model.get_cpd(v)
        fv = _fmt_name(v, "variable")
        if fv in seen_vars:
            raise ValueError(f"model: variables {seen_vars[fv]!r} and {v!r} are both written {fv}")
        seen_vars[fv] = v
        sts = [_fmt_name(s, f"state of {v!r}") for s in cpd.state_names[v]]
        if len(set(sts)) != len(sts):
            raise ValueError(f"model: states {list(cpd.state_names[v])} of {v!r} are not distinct "
                             "once written")
        written[v] = (fv, sts)
        out.append(f"variable {fv} {{")
        out.append(f"  type discrete [ {cpd.cardinality} ] {{ {', '.join(sts)} }};")
        if int_states(cpd.state_names[v]):
            out.append(f"  property state_type = {INT_STATES};")
        out.append("}")
    for v in model.nodes:
        cpd = model.get_cpd(v)
        fv = written[v][0]
        if not cpd.parents:
            out.append(f"probability ( {fv} ) {{")
            out.append("  table " + ", ".join(repr(float(x)) for x in cpd.values[:, 0]) + ";")
        else:
            out.append(f"probability ( {fv} | {', '.join(written[u][0] for u in cpd.parents)} ) {{")
            tab = cpd.values
            pnames = [written[u][1] for u in cpd.parents]
            for j, cfg in enumerate(np.ndindex(*cpd.parents_card)):
                lab = ", ".join(pnames[k][i] for k, i in enumerate(cfg))
                out.append(f"  ({lab}) " + ", ".join(repr(float(x)) for x in tab[:, j]) + ";")
        out.append("}")
    return "\n".join(out) + "\n"


def write_bif(model, path, overwrite=False, name="unknown"):
    """Write ``model`` to ``path`` atomically.

    Parameters
    ----------
    model : BayesianNetwork
    path : str or os.PathLike
    overwrite : bool
        Replace an existing file (default: refuse with ``FileExistsError``).
    name : str
        The network name written in the ``network`` block.
    """
    write_atomic(path, dumps_bif(model, name), overwrite, ".bif")
