"""Read and write discrete Bayesian networks in the BIF format (bnlearn's repository format).

Supported grammar (the subset every network of the bnlearn repository uses)::

    network NAME { property ...; }
    variable NAME { type discrete [ N ] { s1, s2, ... }; property ...; }
    probability ( X ) { table p1, p2, ...; }
    probability ( X | A, B ) { (a1, b1) p1, p2, ...; (a1, b2) ...; ... }
    probability ( X | A, B ) { table ...; }      # X slowest, last parent fastest

``//`` and ``/* */`` comments are skipped. Every syntax or consistency error raises
:class:`BIFError` (a ``ValueError``) with the line number and what was expected. Probability
columns are validated by :class:`~pgm.cpd.TabularCPD` (within ``atol``); nothing is repaired.

Floats are written with ``repr`` (shortest round-trip form), so write → read gives back the
same tables bit for bit. The writer never overwrites a file unless ``overwrite=True`` and
writes atomically (a temporary file in the same directory, then a rename).

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
"""

from __future__ import annotations

import gzip
import os
import re
import tempfile

import numpy as np

from ..bayesnet import BayesianNetwork
from ..cpd import DEFAULT_ATOL, TabularCPD

__all__ = ["read_bif", "loads_bif", "write_bif", "dumps_bif", "BIFError"]


class BIFError(ValueError):
    """A malformed BIF file: the message gives the source, line number and what was expected."""


_COMMENT = re.compile(r"//[^\n]*|/\*.*?\*/", re.DOTALL)
_TOKEN = re.compile(r"[{}()\[\];,|]|[^\s{}()\[\];,|]+")
_PUNCT = frozenset("{}()[];,|")

_NAME_OK = re.compile(r"^[^\s{}()\[\];,|/*\"]+$")


def _blank(m):
    """A comment replaced by spaces of the same length (newlines kept: line numbers hold)."""
    return re.sub(r"[^\n]", " ", m.group())


class _Parser:
    def __init__(self, text, source):
        self.text = text
        self.source = source
        if "//" in text or "/*" in text:
            text = _COMMENT.sub(_blank, text)
        self._clean = text
        self.toks = _TOKEN.findall(text)  # token positions are found only for error messages
        self._pos = None
        self.i = 0

    def line(self, i=None):
        i = self.i if i is None else i
        if self._pos is None:
            self._pos = [m.start() for m in _TOKEN.finditer(self._clean)]
        p = self._pos[i] if i < len(self._pos) else len(self.text)
        return self.text.count("\n", 0, p) + 1

    def fail(self, expected, i=None):
        i = self.i if i is None else i
        got = repr(self.toks[i]) if i < len(self.toks) else "end of file"
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
        return t

    def skip_property(self):
        # 'property' already consumed: skip to the ';'
        while True:
            t = self.next("';' ending the property")
            if t == ";":
                return

    def number_list(self):
        """Numbers separated by ',' up to ';' (consumed); returns (values, index of the first)."""
        start = self.i
        toks = self.toks
        try:
            end = toks.index(";", start)
        except ValueError:
            end = len(toks)
        seps = toks[start + 1:end:2]
        if end < len(toks) and (end - start) % 2 == 1 and seps.count(",") == len(seps):
            try:  # the fast path: one conversion of the whole list
                vals = np.array(toks[start:end:2], dtype=np.float64)
                self.i = end + 1
                return vals.tolist(), start
            except ValueError:
                pass
        vals = []  # the slow path finds the offending token
        while True:
            t = self.next("a probability")
            try:
                vals.append(float(t))
            except ValueError:
                self.fail("a number", self.i - 1)
            t = self.next("',' or ';'")
            if t == ";":
                return vals, start
            if t != ",":
                self.fail("',' or ';' in a list of probabilities", self.i - 1)

    def name_list(self, close, what):
        start = self.i
        toks = self.toks
        try:
            end = toks.index(close, start)
        except ValueError:
            end = len(toks)
        names = toks[start:end:2]
        seps = toks[start + 1:end:2]
        if (end < len(toks) and (end - start) % 2 == 1 and seps.count(",") == len(seps)
                and _PUNCT.isdisjoint(names)):
            self.i = end + 1
            return names
        names = []
        while True:
            names.append(self.name(what))
            t = self.next(f"',' or {close!r}")
            if t == close:
                return names
            if t != ",":
                self.fail(f"',' or {close!r}", self.i - 1)

    def parse(self):
        variables = {}  # name -> (states, line)
        probs = []      # (child, parents, body, line)
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
                        self.skip_property()
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
                while self.peek() != "}":
                    t = self.next("'type', 'property' or '}'")
                    if t == "property":
                        self.skip_property()
                    elif t == "type":
                        if self.peek() != "discrete":
                            self.fail("'discrete' (only discrete variables are supported)")
                        self.i += 1
                        self.expect("[")
                        nt = self.next("the number of states")
                        if not nt.isdigit() or int(nt) < 1:
                            self.fail("a positive integer number of states", self.i - 1)
                        n = int(nt)
                        self.expect("]")
                        self.expect("{")
                        lst_i = self.i
                        states = self.name_list("}", "a state name")
                        self.expect(";")
                        if len(states) != n:
                            raise BIFError(f"{self.source}:{self.line(lst_i)}: variable {v!r} declares "
                                           f"[ {n} ] states but lists {len(states)}: {states}")
                        if len(set(states)) != len(states):
                            raise BIFError(f"{self.source}:{self.line(lst_i)}: variable {v!r} repeats "
                                           f"a state name: {states}")
                    else:
                        self.fail("'type', 'property' or '}' in a variable block", self.i - 1)
                if states is None:
                    self.fail(f"a 'type discrete [ n ] {{...}};' line for variable {v!r}")
                self.expect("}")
                variables[v] = (states, vline)
            elif kw == "probability":
                pline = self.i - 1
                self.expect("(")
                child = self.name("the variable of the probability block")
                parents = []
                t = self.next("'|' or ')'")
                if t == "|":
                    parents = self.name_list(")", "a parent name")
                elif t != ")":
                    self.fail("'|' or ')'", self.i - 1)
                self.expect("{")
                table = None
                rows = []
                while self.peek() != "}":
                    t = self.peek()
                    if t is None:
                        self.fail("'}' closing the probability block")
                    if t == "table":
                        self.i += 1
                        table = self.number_list()
                    elif t == "(":
                        self.i += 1
                        ri = self.i
                        cfg = self.name_list(")", "a parent state")
                        vals = self.number_list()
                        rows.append((cfg, vals, ri))
                    elif t == "property":
                        self.i += 1
                        self.skip_property()
                    elif t == "default":
                        self.fail("'table' or a '(parent states)' row ('default' rows are not supported)")
                    else:
                        self.fail("'table', '(parent states)' or '}' in a probability block")
                self.expect("}")
                probs.append((child, parents, table, rows, pline))
            else:
                self.fail("'network', 'variable' or 'probability'", self.i - 1)
        return name, variables, probs


def _build(name, variables, probs, p: _Parser, atol):
    seen = {}
    for child, parents, table, rows, pline in probs:
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
        seen[child] = pline
    for v, (_, vline) in variables.items():
        if v not in seen:
            raise BIFError(f"{p.source}:{p.line(vline)}: variable {v!r} has no probability block")
    edges = [(pa, child) for child, parents, *_ in probs for pa in parents]
    try:
        bn = BayesianNetwork(edges, nodes=list(variables))
    except ValueError as exc:
        raise BIFError(f"{p.source}: {exc}") from None
    cpds = []
    for child, parents, table, rows, pline in probs:
        states = variables[child][0]
        card = len(states)
        pcards = [len(variables[u][0]) for u in parents]
        ncols = int(np.prod(pcards, dtype=np.int64)) if parents else 1
        if table is not None and rows:
            raise BIFError(f"{p.source}:{p.line(pline)}: block for {child!r} mixes 'table' and rows")
        if table is not None:
            vals, ti = table
            if len(vals) != card * ncols:
                raise BIFError(f"{p.source}:{p.line(ti)}: table of {child!r} needs {card * ncols} "
                               f"numbers ({card} states x {ncols} parent configurations), got {len(vals)}")
            arr = np.array(vals).reshape([card] + pcards)
        else:
            if not parents:
                raise BIFError(f"{p.source}:{p.line(pline)}: expected 'table' for {child!r}, which "
                               "has no parents")
            arr = np.full([card] + pcards, np.nan)
            lut = [{s: i for i, s in enumerate(variables[u][0])} for u in parents]
            filled = {}
            for cfg, (vals, vi), ri in rows:
                if len(cfg) != len(parents):
                    raise BIFError(f"{p.source}:{p.line(ri)}: row of {child!r} gives {len(cfg)} parent "
                                   f"states, expected {len(parents)} ({', '.join(parents)})")
                idx = []
                for u, s, m in zip(parents, cfg, lut):
                    if s not in m:
                        raise BIFError(f"{p.source}:{p.line(ri)}: {s!r} is not a state of parent "
                                       f"{u!r} (states {list(m)})")
                    idx.append(m[s])
                idx = tuple(idx)
                if idx in filled:
                    raise BIFError(f"{p.source}:{p.line(ri)}: parent states {tuple(cfg)} of {child!r} "
                                   f"given twice (first on line {p.line(filled[idx])})")
                if len(vals) != card:
                    raise BIFError(f"{p.source}:{p.line(vi)}: row {tuple(cfg)} of {child!r} has "
                                   f"{len(vals)} probabilities, expected {card} (states {states})")
                filled[idx] = ri
                arr[(slice(None),) + idx] = vals
            if len(filled) != ncols:
                missing = None
                for cfg in np.ndindex(*pcards):
                    if cfg not in filled:
                        missing = cfg
                        break
                names = tuple(variables[u][0][i] for u, i in zip(parents, missing))
                raise BIFError(f"{p.source}:{p.line(pline)}: probability block of {child!r} has "
                               f"{len(filled)} of {ncols} parent configurations; missing e.g. {names}")
        sn = {child: states, **{u: variables[u][0] for u in parents}}
        try:
            cpds.append(TabularCPD(child, card, arr, parents, pcards, state_names=sn, atol=atol))
        except ValueError as exc:
            raise BIFError(f"{p.source}:{p.line(pline)}: {exc}") from None
    bn.add_cpds(*cpds)
    bn.check_model()
    bn.name = name
    return bn


def loads_bif(text, atol=DEFAULT_ATOL, source="<string>") -> BayesianNetwork:
    """Parse BIF text into a :class:`~pgm.bayesnet.BayesianNetwork` (state names are strings)."""
    if not isinstance(text, str):
        raise TypeError(f"text: expected str, got {type(text).__name__}")
    p = _Parser(text, source)
    name, variables, probs = p.parse()
    if not variables:
        raise BIFError(f"{source}:1: expected at least one 'variable' block, found none")
    return _build(name, variables, probs, p, atol)


def read_bif(path, atol=DEFAULT_ATOL) -> BayesianNetwork:
    """Read a ``.bif`` (or gzip-compressed ``.bif.gz``) file.

    Parameters
    ----------
    path : str or os.PathLike
    atol : float
        Tolerance of the CPD column sums (default 1e-8 absolute).

    Returns
    -------
    BayesianNetwork
        Nodes in declaration order; ``name`` attribute from the ``network`` block.
    """
    path = os.fspath(path)
    with open(path, "rb") as fh:
        raw = fh.read()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BIFError(f"{path}: not UTF-8 text ({exc})") from None
    return loads_bif(text, atol=atol, source=path)


def _fmt_name(x, what):
    s = str(x)
    if not _NAME_OK.match(s):
        raise ValueError(f"{what}: {s!r} cannot be written to BIF (no spaces, braces, commas, "
                         "';', '|', quotes or comment characters)")
    return s


def dumps_bif(model, name="unknown") -> str:
    """The BIF text of a :class:`~pgm.bayesnet.BayesianNetwork`."""
    if not isinstance(model, BayesianNetwork):
        raise TypeError(f"model: expected a BayesianNetwork, got {type(model).__name__}")
    model.check_model()
    out = [f"network {_fmt_name(name, 'name')} {{", "}"]
    for v in model.nodes:
        cpd = model.get_cpd(v)
        st = ", ".join(_fmt_name(s, f"state of {v!r}") for s in cpd.state_names[v])
        out.append(f"variable {_fmt_name(v, 'variable')} {{")
        out.append(f"  type discrete [ {cpd.cardinality} ] {{ {st} }};")
        out.append("}")
    for v in model.nodes:
        cpd = model.get_cpd(v)
        if not cpd.parents:
            out.append(f"probability ( {v} ) {{")
            out.append("  table " + ", ".join(repr(float(x)) for x in cpd.values[:, 0]) + ";")
        else:
            out.append(f"probability ( {v} | {', '.join(map(str, cpd.parents))} ) {{")
            tab = cpd.values
            pnames = [model.get_cpd(u).state_names[u] for u in cpd.parents]
            for j, cfg in enumerate(np.ndindex(*cpd.parents_card)):
                lab = ", ".join(str(pnames[k][i]) for k, i in enumerate(cfg))
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
    path = os.fspath(path)
    text = dumps_bif(model, name)
    if os.path.exists(path) and not overwrite:
        raise FileExistsError(f"path: {path!r} exists; pass overwrite=True to replace it")
    d = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".bif", dir=d)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        if overwrite:
            os.replace(tmp, path)
        else:
            os.link(tmp, path)  # fails if the file appeared meanwhile: never clobbers
            os.unlink(tmp)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
