"""Elimination orders: the reference path for large graphs."""






def test_large_graphs_use_the_python_reference(monkeypatch):
    # above the kernel's node limit elimination_order takes the reference: same answer
    import networkx as nx
    import pgm.inference.orders as inf
    G = nx.gnp_random_graph(30, 0.2, seed=3)
    want = inf.elimination_order(G, heuristic="min_fill")
    calls = []
    real = inf._elimination_order_ref
    monkeypatch.setattr(inf, "_KERNEL_MAX_NODES", 10)
    monkeypatch.setattr(inf, "_elimination_order_ref", lambda *a: calls.append(1) or real(*a))
    assert inf.elimination_order(G, heuristic="min_fill") == want
    assert calls == [1]
