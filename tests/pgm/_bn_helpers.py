"""Random networks and an independent brute-force enumerator, used only by the tests."""

import numpy as np
from scipy import stats
from hypothesis import strategies as st

from pgm import BayesianNetwork, TabularCPD


def random_bn(seed, n_nodes, max_parents=3, max_card=4, alpha=1.0, named_states=False):
    """A random DAG (parents drawn among earlier nodes), cardinalities 2..max_card,
    Dirichlet(alpha) columns. Node names are shuffled so insertion order != topological order."""
    rng = np.random.default_rng(seed)
    names = [f"X{i}" for i in range(n_nodes)]
    order = list(rng.permutation(n_nodes))  # topological position -> name index
    cards = {names[i]: int(rng.integers(2, max_card + 1)) for i in range(n_nodes)}
    parents = {}
    edges = []
    for pos, i in enumerate(order):
        k = int(rng.integers(0, min(max_parents, pos) + 1))
        pa = [names[order[j]] for j in sorted(rng.choice(pos, size=k, replace=False))] if k else []
        parents[names[i]] = pa
        edges += [(p, names[i]) for p in pa]
    bn = BayesianNetwork(edges, nodes=names)
    cpds = []
    for v in names:
        pa = parents[v]
        pc = [cards[p] for p in pa]
        ncols = int(np.prod(pc)) if pa else 1
        vals = rng.dirichlet(np.full(cards[v], alpha), size=ncols).T
        sn = None
        if named_states:
            sn = {u: [f"{u}_s{j}" for j in range(cards[u])] for u in [v] + pa}
        cpds.append(TabularCPD(v, cards[v], vals, pa, pc, state_names=sn))
    bn.add_cpds(*cpds)
    return bn


def brute_joint(bn):
    """The joint table, axes in bn.nodes order, by fancy indexing over a full index grid
    (independent of the einsum factor code)."""
    nodes = list(bn.nodes)
    shape = tuple(bn.get_cpd(v).cardinality for v in nodes)
    grid = np.indices(shape)
    pos = {v: i for i, v in enumerate(nodes)}
    p = np.ones(shape)
    for v in nodes:
        cpd = bn.get_cpd(v)
        idx = (grid[pos[v]],) + tuple(grid[pos[u]] for u in cpd.parents)
        p = p * cpd.table[idx]
    return p


def brute_conditional(bn, query, evidence_idx):
    """P(query | evidence) from the brute joint; axes in query order."""
    J = brute_joint(bn)
    nodes = list(bn.nodes)
    idx = tuple(evidence_idx.get(v, slice(None)) for v in nodes)
    J = J[idx]
    rest = [v for v in nodes if v not in evidence_idx]
    J = J.sum(axis=tuple(i for i, v in enumerate(rest) if v not in query))
    kept = [v for v in rest if v in query]
    J = np.transpose(J, [kept.index(q) for q in query])
    return J / J.sum()


networks = st.tuples(st.integers(0, 2**32 - 1), st.integers(1, 8))
small_networks = st.tuples(st.integers(0, 2**32 - 1), st.integers(1, 6))


def sprinkler():
    bn = BayesianNetwork([("Cloudy", "Sprinkler"), ("Cloudy", "Rain"),
                          ("Sprinkler", "WetGrass"), ("Rain", "WetGrass")])
    tf = ["F", "T"]
    bn.add_cpds(
        TabularCPD("Cloudy", 2, [0.5, 0.5], state_names={"Cloudy": tf}),
        TabularCPD("Sprinkler", 2, [[0.5, 0.9], [0.5, 0.1]], ["Cloudy"], [2],
                   state_names={"Sprinkler": tf, "Cloudy": tf}),
        TabularCPD("Rain", 2, [[0.8, 0.2], [0.2, 0.8]], ["Cloudy"], [2],
                   state_names={"Rain": tf, "Cloudy": tf}),
        TabularCPD("WetGrass", 2, [[1.0, 0.1, 0.1, 0.01], [0.0, 0.9, 0.9, 0.99]],
                   ["Sprinkler", "Rain"], [2, 2],
                   state_names={"WetGrass": tf, "Sprinkler": tf, "Rain": tf}),
    )
    return bn


def random_query(bn, seed):
    """Random query variables (1 to 3) and evidence of positive probability."""
    rng = np.random.default_rng(seed)
    nodes = list(bn.nodes)
    k_ev = int(rng.integers(0, len(nodes)))
    ev_vars = list(rng.choice(nodes, size=k_ev, replace=False)) if k_ev else []
    rest = [v for v in nodes if v not in ev_vars]
    q = list(rng.choice(rest, size=int(rng.integers(1, min(3, len(rest)) + 1)), replace=False))
    x = bn.sample(1, rng=rng)[0]  # a state of positive probability
    ev = {v: int(x[nodes.index(v)]) for v in ev_vars}
    return q, ev


def dense_bn(seed, n, card=3):
    """A dense network: every node has min(3, i) parents among the earlier ones."""
    rng = np.random.default_rng(seed)
    names = [f"X{i}" for i in range(n)]
    edges, cpds = [], []
    for i, v in enumerate(names):
        pa = [names[j] for j in sorted(rng.choice(i, size=min(3, i), replace=False))] if i else []
        edges += [(p, v) for p in pa]
        cpds.append(TabularCPD(v, card, rng.dirichlet(np.ones(card), size=card ** len(pa)).T,
                               pa, [card] * len(pa)))
    bn = BayesianNetwork(edges, nodes=names)
    bn.add_cpds(*cpds)
    return bn


def with_zeros(bn0, rng, keep=0.6):
    """The same DAG with many zero-probability CPD entries (every column still sums to 1)."""
    bn = BayesianNetwork(bn0.edges, bn0.nodes)
    cpds = []
    for v in bn0.nodes:
        c = bn0.get_cpd(v)
        t = c.values * (rng.random(c.values.shape) < keep)
        t[0, t.sum(axis=0) == 0] = 1.0
        cpds.append(TabularCPD(v, c.cardinality, t / t.sum(axis=0), c.parents, c.parents_card))
    bn.add_cpds(*cpds)
    return bn


def chi2_p(counts, probs):
    counts = np.asarray(counts, dtype=float)
    probs = np.asarray(probs, dtype=float).ravel()
    counts = counts.ravel()
    n = counts.sum()
    assert np.all(counts[probs == 0] == 0), "a zero-probability state was drawn"
    exp = probs / probs.sum() * n
    # pool the cells expected to hold < 5 counts into one (the chi-square approximation needs it)
    small = exp < 5
    obs_b, exp_b = list(counts[~small]), list(exp[~small])
    if small.any():
        if exp[small].sum() >= 5 or not exp_b:
            obs_b.append(counts[small].sum())
            exp_b.append(exp[small].sum())
        else:
            j = int(np.argmin(exp_b))
            obs_b[j] += counts[small].sum()
            exp_b[j] += exp[small].sum()
    if len(exp_b) < 2:
        return 1.0
    return stats.chisquare(obs_b, exp_b).pvalue
