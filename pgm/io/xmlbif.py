"""Read and write discrete Bayesian networks in XMLBIF 0.3 (JavaBayes, Weka, pgmpy, pyAgrum).

::

    <BIF VERSION="0.3"><NETWORK><NAME>net</NAME>
      <VARIABLE TYPE="nature"><NAME>B</NAME><OUTCOME>b0</OUTCOME><OUTCOME>b1</OUTCOME></VARIABLE>
      <DEFINITION><FOR>B</FOR><GIVEN>A</GIVEN><TABLE>0.9 0.1 0.2 0.8</TABLE></DEFINITION>
    </NETWORK></BIF>

``TABLE`` lists the ``FOR`` variable fastest and the first ``GIVEN`` slowest (the transpose of
BIF's ``table``). Names and outcomes are stripped of surrounding white space. ``PROPERTY``
elements are skipped, except ``state_type = int`` in a ``VARIABLE``, which the writer records for
int states (they read back as ints). Tags are matched case-insensitively; ``PROBABILITY`` is
accepted for ``DEFINITION`` (the 0.3 draft).

Safety: the file is parsed by expat into :mod:`xml.etree.ElementTree` elements with no external
entity ever fetched; any ``<!ENTITY`` declaration and any DOCTYPE naming an external DTD is
refused (an inline element-only DTD, as JavaBayes and Weka write, is allowed). Errors raise
:class:`XMLBIFError` (a :class:`~pgm.io.bif.BIFError`) with the line, the element and the
expectation. Column sums use the same tolerance as :func:`pgm.io.bif.read_bif`: derived from the
printed decimals when ``atol=None``; values are kept as written.

Examples
--------
>>> from pgm.bayesnet import BayesianNetwork
>>> from pgm.cpd import TabularCPD
>>> bn = BayesianNetwork([("Rain", "Wet")])
>>> bn.add_cpds(TabularCPD("Rain", 2, [0.8, 0.2]),
...             TabularCPD("Wet", 2, [[0.9, 0.1], [0.1, 0.9]], ["Rain"], [2]))
>>> bn2 = loads_xmlbif(dumps_xmlbif(bn))
>>> bn2.get_cpd("Wet") == bn.get_cpd("Wet"), bn2.state_names["Rain"]
(True, (0, 1))
"""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET
from xml.parsers import expat

import numpy as np

from ..bayesnet import BayesianNetwork
from ..cpd import TabularCPD
from ._common import (DEFAULT_MAX_BYTES, INT_STATES, check_column_sums, int_states,
                      is_float, read_int_states, read_limited, table_size, unravel,
                      write_atomic)
from .bif import BIFError

__all__ = ["read_xmlbif", "loads_xmlbif", "write_xmlbif", "dumps_xmlbif", "XMLBIFError"]

_INT_PROPERTY = f"state_type = {INT_STATES}"
_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class XMLBIFError(BIFError):
    """A malformed XMLBIF file: the message gives the source, line, element and expectation."""


def _parse(text, source):
    """Elements (tags upper-cased) with a ``{id(element): line}`` map, via expat."""
    p = expat.ParserCreate()
    lines = {}
    stack = []
    root = []

    def fail(msg):
        raise XMLBIFError(f"{source}:{p.CurrentLineNumber}: {msg}")

    def start(tag, attrs):
        el = ET.Element(tag.upper(), attrs)
        lines[id(el)] = p.CurrentLineNumber
        if stack:
            stack[-1].append(el)
        else:
            root.append(el)
        stack.append(el)

    def end(tag):
        stack.pop()

    def chars(data):
        if stack:
            el = stack[-1]
            if len(el):
                el[-1].tail = (el[-1].tail or "") + data
            else:
                el.text = (el.text or "") + data

    def doctype(name, sysid, pubid, has_internal):
        if sysid or pubid:
            fail(f"a DOCTYPE without an external DTD, got SYSTEM {sysid!r}")

    def entity(*args):
        fail(f"no entity declarations (refused for safety), got <!ENTITY {args[0]} ...>")

    p.StartElementHandler = start
    p.EndElementHandler = end
    p.CharacterDataHandler = chars
    p.StartDoctypeDeclHandler = doctype
    p.EntityDeclHandler = entity
    try:
        p.Parse(text, True)
    except expat.ExpatError as exc:
        raise XMLBIFError(f"{source}:{exc.lineno}: malformed XML: {expat.ErrorString(exc.code)} "
                          f"(column {exc.offset + 1})") from None
    return root[0], lines


class _Reader:
    def __init__(self, root, lines, source):
        self.root, self.lines, self.source = root, lines, source

    def fail(self, el, msg):
        raise XMLBIFError(f"{self.source}:{self.lines.get(id(el), '?')}: <{el.tag}>: {msg}")

    def one(self, el, tag, required=True):
        found = [c for c in el if c.tag == tag]
        if len(found) > 1:
            self.fail(found[1], f"expected one <{tag}> in <{el.tag}>, got {len(found)}")
        if not found:
            if required:
                self.fail(el, f"expected a <{tag}> child")
            return None
        return found[0]

    def text(self, el, what):
        t = (el.text or "").strip()
        if not t:
            self.fail(el, f"expected {what} (non-empty text)")
        return t

    def read(self, atol):
        root = self.root
        if root.tag != "BIF":
            self.fail(root, "expected the root element <BIF>")
        net = self.one(root, "NETWORK")
        name_el = self.one(net, "NAME", required=False)
        variables = {}
        for el in net:
            if el.tag != "VARIABLE":
                continue
            kind = el.get("TYPE", el.get("type", "nature"))
            if kind != "nature":
                self.fail(el, f"expected TYPE=\"nature\" (discrete chance variables), got {kind!r}")
            v = self.text(self.one(el, "NAME"), "a variable name")
            if v in variables:
                self.fail(el, f"variable {v!r} declared twice (first on line "
                              f"{self.lines[id(variables[v][1])]})")
            outs = [self.text(o, "an outcome name") for o in el if o.tag == "OUTCOME"]
            if not outs:
                self.fail(el, f"expected at least one <OUTCOME> for variable {v!r}")
            if len(set(outs)) != len(outs):
                self.fail(el, f"variable {v!r} repeats an outcome: {outs}")
            if any((pr.text or "").strip() == _INT_PROPERTY for pr in el if pr.tag == "PROPERTY"):
                outs = read_int_states(outs, lambda e, el=el: self.fail(el, "expected " + e))
            variables[v] = (outs, el)
        if not variables:
            self.fail(net, "expected at least one <VARIABLE>")
        defs = {}
        for el in net:
            if el.tag not in ("DEFINITION", "PROBABILITY"):
                continue
            child = self.text(self.one(el, "FOR"), "the variable name in <FOR>")
            parents = [self.text(g, "a parent name in <GIVEN>") for g in el if g.tag == "GIVEN"]
            for u in [child] + parents:
                if u not in variables:
                    self.fail(el, f"{u!r} has no <VARIABLE> declaration")
            if child in defs:
                self.fail(el, f"second <{el.tag}> for {child!r} (first on line "
                              f"{self.lines[id(defs[child][1])]})")
            if len(set(parents)) != len(parents) or child in parents:
                self.fail(el, f"parents of {child!r} must be distinct and exclude it, got "
                              f"{parents}")
            defs[child] = (parents, el)
        for v, (_, el) in variables.items():
            if v not in defs:
                self.fail(el, f"variable {v!r} has no <DEFINITION>")
        edges = [(u, v) for v, (pa, _) in defs.items() for u in pa]
        try:
            bn = BayesianNetwork(edges, nodes=list(variables))
        except ValueError as exc:
            raise XMLBIFError(f"{self.source}: {exc}") from None
        bn.add_cpds(*[self.cpd(v, pa, el, variables, atol) for v, (pa, el) in defs.items()])
        bn.check_model()
        bn.name = None if name_el is None else (name_el.text or "").strip()
        return bn

    def cpd(self, child, parents, el, variables, atol):
        tab = self.one(el, "TABLE")
        lits = (tab.text or "").split()
        card = len(variables[child][0])
        pcards = [len(variables[u][0]) for u in parents]
        ncols = table_size(pcards)
        if len(lits) != card * ncols:
            self.fail(tab, f"the table of {child!r} needs {card * ncols} numbers ({card} outcomes "
                           f"x {ncols} parent configurations), got {len(lits)}")
        try:
            vals = np.array(lits, dtype=np.float64)
        except ValueError:
            bad = next(t for t in lits if not is_float(t))
            self.fail(tab, f"expected numbers in the table of {child!r}, got {bad!r}")
        arr = vals.reshape(ncols, card).T  # the FOR variable runs fastest
        sn = {child: variables[child][0], **{u: variables[u][0] for u in parents}}

        def describe(j):
            if not parents:
                return f"the table of {child!r} (no parents)"
            cfg = unravel(j, pcards)
            return (f"the table of {child!r}, column (" + ", ".join(
                f"{u}={variables[u][0][int(i)]}" for u, i in zip(parents, cfg)) + ")")
        try:
            tol = check_column_sums(arr, lambda j: lits[j * card:(j + 1) * card], atol, describe) \
                if np.isfinite(arr).all() else 0.0
            return TabularCPD(child, card, arr, parents, pcards, state_names=sn, atol=tol)
        except ValueError as exc:
            self.fail(tab, str(exc))


def loads_xmlbif(text, atol=None, source="<string>") -> BayesianNetwork:
    """Parse XMLBIF text into a :class:`~pgm.bayesnet.BayesianNetwork`.

    Parameters
    ----------
    text : str or bytes
        Bytes are decoded by the parser as the XML declaration says (UTF-8 by default).
    atol : float or None
        None (default): each column's tolerance is ``max(1e-8, n_values · 0.5·10^-decimals)``
        from the decimals it prints; a number fixes it.
    source : str
        The name used in error messages.

    Returns
    -------
    BayesianNetwork
        Nodes in declaration order; ``name`` from ``<NETWORK><NAME>``.
    """
    if not isinstance(text, (str, bytes)):
        raise TypeError(f"text: expected str or bytes, got {type(text).__name__}")
    if atol is not None and not (np.isfinite(atol) and atol >= 0):
        raise ValueError(f"atol: expected None or a finite number >= 0, got {atol!r}")
    if isinstance(text, str) and text.startswith("\ufeff"):
        text = text[1:]
    root, lines = _parse(text, source)
    return _Reader(root, lines, source).read(atol)


def read_xmlbif(path, atol=None, max_bytes=DEFAULT_MAX_BYTES) -> BayesianNetwork:
    """Read an XMLBIF file (``.xml``, ``.xmlbif``, or gzip-compressed); see :func:`loads_xmlbif`.

    At most ``max_bytes`` bytes are read, counted after gzip decompression (default 2**30);
    a larger file or a corrupt gzip stream raises :class:`XMLBIFError` naming the file.
    """
    path = os.fspath(path)
    raw = read_limited(path, max_bytes, XMLBIFError)
    return loads_xmlbif(raw, atol=atol, source=path)  # the XML declaration gives the encoding


def _check_name(x, what):
    s = str(x)
    if not s or s != s.strip() or _XML_BAD.search(s):
        raise ValueError(f"{what}: {s!r} cannot be written to XMLBIF (empty, surrounding white "
                         "space or a character XML cannot hold)")
    return s


def dumps_xmlbif(model, name="unknown") -> str:
    """The XMLBIF 0.3 text of a :class:`~pgm.bayesnet.BayesianNetwork`."""
    if not isinstance(model, BayesianNetwork):
        raise TypeError(f"model: expected a BayesianNetwork, got {type(model).__name__}")
    model.check_model()
    root = ET.Element("BIF", VERSION="0.3")
    net = ET.SubElement(root, "NETWORK")
    ET.SubElement(net, "NAME").text = _check_name(name, "name")
    names = {}
    for v in model.nodes:
        cpd = model.get_cpd(v)
        names[v] = _check_name(v, "variable")
        el = ET.SubElement(net, "VARIABLE", TYPE="nature")
        ET.SubElement(el, "NAME").text = names[v]
        outs = [_check_name(s, f"state of {v!r}") for s in cpd.state_names[v]]
        if len(set(outs)) != len(outs):
            raise ValueError(f"model: states {list(cpd.state_names[v])} of {v!r} are not distinct "
                             "once written")
        for s in outs:
            ET.SubElement(el, "OUTCOME").text = s
        if int_states(cpd.state_names[v]):
            ET.SubElement(el, "PROPERTY").text = _INT_PROPERTY
    if len(set(names.values())) != len(names):
        raise ValueError(f"model: variable names {list(model.nodes)} are not distinct once written")
    for v in model.nodes:
        cpd = model.get_cpd(v)
        el = ET.SubElement(net, "DEFINITION")
        ET.SubElement(el, "FOR").text = names[v]
        for u in cpd.parents:
            ET.SubElement(el, "GIVEN").text = names[u]
        ET.SubElement(el, "TABLE").text = " ".join(repr(float(x)) for x in cpd.values.T.ravel())
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def write_xmlbif(model, path, overwrite=False, name="unknown"):
    """Write ``model`` to ``path`` as XMLBIF, atomically (refuses to overwrite by default)."""
    write_atomic(path, dumps_xmlbif(model, name), overwrite, ".xml")
