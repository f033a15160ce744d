"""Bayesian networks from the shell: ``query``, ``sample``, ``fit`` and ``info``.

::

    pgm-energy query NET.bif --evidence A=x B=y [--target C ...] [--map]
    pgm-energy sample NET.bif -n N -o rows.csv [--seed S]
    pgm-energy fit NET.bif rows.csv -o fitted.bif [--pseudocount a]
    pgm-energy info NET.bif

A network file is BIF (``.bif``, ``.bif.gz``) or XMLBIF (``.xml``, ``.xmlbif``, also
gzip-compressed). States are given and printed by their names. Bad input (an evidence string
that does not parse, an unknown variable or state, a CSV that does not match the network)
ends in a one-line message naming it and exit status 2; an input file is never overwritten.
``sample`` and ``fit`` (the CSV side) and the network reader are in
:mod:`energy.cli.bayes_data`.
"""

from __future__ import annotations

import math

from energy.cli import bayes_data
from energy.cli.bayes_data import read_network
from pgm import JunctionTree, VariableElimination
from pgm.inference.orders import elimination_cliques, elimination_order, moral_adjacency

def add_parser(sub) -> None:
    """Register ``query``, ``sample``, ``fit`` and ``info`` on the subparsers ``sub``."""
    net_help = "the network: .bif, .bif.gz, .xml or .xmlbif"
    q = sub.add_parser("query", help="posterior marginals (or the MAP assignment) of a Bayesian "
                                     "network given evidence",
                       description="Posterior marginals P(target | evidence) by junction tree "
                                   "(every non-evidence variable unless --target names some), "
                                   "or with --map the most probable joint assignment of the "
                                   "non-evidence variables and its probability.")
    q.add_argument("network", help=net_help)
    q.add_argument("--evidence", nargs="+", action="extend", default=[], metavar="VAR=STATE",
                   help="observed states, e.g. --evidence WetGrass=T Cloudy=F")
    q.add_argument("--target", nargs="+", action="extend", default=None, metavar="VAR",
                   help="the variables to report (default every non-evidence variable)")
    q.add_argument("--map", action="store_true",
                   help="the most probable joint assignment instead of the marginals")
    q.set_defaults(func=query_main)

    bayes_data.add_parsers(sub, net_help)

    i = sub.add_parser("info", help="nodes, edges, states and the treewidth bound of a network",
                       description="The variables with their states and parents, the edges, "
                                   "the number of free parameters, and the width of the "
                                   "min-fill triangulation of the moral graph with its largest "
                                   "clique (what exact inference has to store).")
    i.add_argument("network", help=net_help)
    i.set_defaults(func=info_main)


def state_of(bn, var, text, what):
    """The state of ``var`` whose name prints as ``text`` (names are compared as text, so
    integer-valued states are given as digits)."""
    names = bn.state_names[var]
    for s in names:
        if str(s) == text:
            return s
    raise ValueError(f"{what}: {text!r} is not a state of {var!r} "
                     f"(its states are {[str(s) for s in names]})")


def check_variable(bn, var, what):
    if var not in bn:
        raise ValueError(f"{what}: {var!r} is not a variable of the network "
                         f"(its variables are {list(bn.nodes)})")


def parse_evidence(bn, items) -> dict:
    """``["A=x", "B=y"]`` → ``{"A": state, "B": state}``, every name and state checked."""
    ev = {}
    for item in items:
        var, eq, state = item.partition("=")
        var, state = var.strip(), state.strip()
        if not eq or not var or not state:
            raise ValueError(f"--evidence: expected VARIABLE=STATE, got {item!r}")
        check_variable(bn, var, "--evidence")
        if var in ev:
            raise ValueError(f"--evidence: {var!r} is given twice")
        ev[var] = state_of(bn, var, state, f"--evidence {var}")
    return ev


def _fmt_evidence(ev):
    return ", ".join(f"{v}={s}" for v, s in ev.items())


def query_main(a) -> int:
    bn = read_network(a.network)
    ev = parse_evidence(bn, a.evidence)
    given = f" | {_fmt_evidence(ev)}" if ev else ""
    if a.map:
        if a.target:
            raise ValueError("--target: --map gives the joint assignment of every non-evidence "
                             "variable; leave out --target")
        assign, p_joint = VariableElimination(bn).map_query(ev, return_probability=True)
        p_ev = math.exp(JunctionTree(bn).log_evidence(ev)) if ev else 1.0
        print(f"# MAP assignment{given}")
        for v in bn.nodes:
            if v in assign:
                print(f"{v}\t{assign[v]}")
        print(f"# P(assignment{', evidence' if ev else ''}) = {p_joint:.6g}")
        if ev:
            print(f"# P(assignment | evidence) = {p_joint / p_ev:.6g}")
        return 0
    targets = a.target
    if targets is None:
        targets = [v for v in bn.nodes if v not in ev]
    seen = set()
    for v in targets:
        check_variable(bn, v, "--target")
        if v in ev:
            raise ValueError(f"--target: {v!r} is also given as evidence")
        if v in seen:
            raise ValueError(f"--target: {v!r} is given twice")
        seen.add(v)
    if not targets:
        raise ValueError("--target: every variable is evidence; nothing to query")
    marg = JunctionTree(bn).marginals(ev, targets)
    print(f"# P(variable{given})")
    print("variable\tstate\tprobability")
    for v in targets:
        for s, p in zip(bn.state_names[v], marg[v]):
            print(f"{v}\t{s}\t{p:.6f}")
    return 0


def network_summary(bn) -> dict:
    """Counts, free parameters and the min-fill triangulation's width and largest clique."""
    cards = bn.cardinality
    adj = moral_adjacency({v: bn.parents(v) for v in bn.nodes})
    order = elimination_order(adj, heuristic="min_fill", cards=cards)
    cliques = elimination_cliques(adj, order)
    big = max(cliques, key=lambda c: (len(c), math.prod(cards[u] for u in c)), default=set())
    big = [v for v in bn.nodes if v in big]
    free = sum((cards[v] - 1) * math.prod(cards[p] for p in bn.parents(v)) for v in bn.nodes)
    return {"nodes": len(bn.nodes), "edges": len(bn.edges), "free_parameters": free,
            "treewidth": max(len(big) - 1, 0), "largest_clique": big,
            "largest_clique_entries": math.prod(cards[v] for v in big)}


def info_main(a) -> int:
    bn = read_network(a.network)
    s = network_summary(bn)
    print(f"network: {a.network}")
    print(f"nodes: {s['nodes']}, edges: {s['edges']}, free parameters: {s['free_parameters']}")
    print(f"treewidth (min-fill triangulation): {s['treewidth']}; largest clique: "
          f"{len(s['largest_clique'])} variables [{', '.join(map(str, s['largest_clique']))}], "
          f"{s['largest_clique_entries']} table entries")
    print("variable\tstates\tparents")
    for v in bn.nodes:
        states = ",".join(map(str, bn.state_names[v]))
        print(f"{v}\t{states}\t{','.join(map(str, bn.parents(v))) or '-'}")
    print("edges:")
    for u, v in bn.edges:
        print(f"{u} -> {v}")
    return 0
