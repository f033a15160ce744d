"""The greedy elimination kernel against its Python reference."""

import numpy as np
from hypothesis import given, settings, strategies as st




@settings(max_examples=150, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(0, 25), st.floats(0.0, 0.6),
       st.sampled_from(["min_fill", "min_degree", "min_weight"]), st.booleans(), st.booleans())
def test_greedy_elimination_kernel_matches_the_python_reference(seed, n, p, heuristic, subset,
                                                               huge):
    # same order and same elimination cliques, step for step, on random graphs, cardinalities
    # (saturated weights included: cardinalities up to 2^20) and subsets of nodes to eliminate
    import networkx as nx
    from pgm.inference.orders import _elimination_order_ref, elimination_order
    rng = np.random.default_rng(seed)
    G = nx.gnp_random_graph(n, p, seed=int(rng.integers(2**31)))
    G = nx.relabel_nodes(G, {v: f"v{v}" for v in G.nodes})
    hi = 2**20 if huge else 5
    cards = {v: int(rng.integers(1, hi)) for v in G.nodes}
    todo = None
    if subset:
        todo = [v for v in rng.permutation(list(G.nodes)).tolist() if rng.random() < 0.7]
    got_c, want_c = [], []
    got = elimination_order(G, todo, heuristic, cards, _cliques=got_c)
    want = _elimination_order_ref({v: set(G.adj[v]) for v in G.nodes}, todo, heuristic, cards,
                                  _cliques=want_c)
    assert got == want
    assert [set(c) for c in got_c] == [set(c) for c in want_c]
    assert sorted(got) == sorted(G.nodes if todo is None else todo)
