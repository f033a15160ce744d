"""pgm.scale on a local Dask cluster: exact fit, chunking-free sampling, per-row inference."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import dask.array as da
import dask.dataframe as dd

from pgm import BayesianNetwork, DAG, JunctionTree, TabularCPD
from pgm import fit_mle as fit_in_memory
from pgm.scale import fit_mle, forward_sample, log_prob, posteriors


@pytest.fixture(scope="module")
def bn():
    net = BayesianNetwork([("Rain", "Wet"), ("Spr", "Wet"), ("Wet", "Slip")])
    net.add_cpds(
        TabularCPD("Rain", 2, [0.7, 0.3], state_names={"Rain": ["no", "yes"]}),
        TabularCPD("Spr", 3, [0.5, 0.3, 0.2]),
        TabularCPD("Wet", 2, [[0.9, 0.2, 0.4, 0.1, 0.6, 0.05],
                              [0.1, 0.8, 0.6, 0.9, 0.4, 0.95]], ["Rain", "Spr"], [2, 3]),
        TabularCPD("Slip", 2, [[0.95, 0.3], [0.05, 0.7]], ["Wet"], [2]))
    return net


def _same_tables(a, b):
    for v in b.nodes:
        assert a.get_cpd(v).state_names == b.get_cpd(v).state_names
        assert a.get_cpd(v).values.tobytes() == b.get_cpd(v).values.tobytes()


def test_fit_mle_equals_in_memory_bit_for_bit(client, bn):
    df = forward_sample(bn, 6000, rng=1, chunks=900, as_frame=True)
    assert df.npartitions == 7
    local = df.compute()
    _same_tables(fit_mle(bn, df), fit_in_memory(bn, local))
    dag = DAG(bn.edges, bn.nodes)          # labels without the network's names: sorted states
    _same_tables(fit_mle(dag, df), fit_in_memory(dag, local))
    _same_tables(fit_mle(dag, df, pseudo_count=1.5), fit_in_memory(dag, local, pseudo_count=1.5))
    X = forward_sample(bn, 5000, rng=2, chunks=700)
    _same_tables(fit_mle(dag, X), fit_in_memory(dag, X.compute()))


@pytest.mark.parametrize("as_frame", [False, True])
def test_sampled_rows_identical_for_1_3_7_partitions(client, bn, as_frame):
    n = 3001
    tables = [forward_sample(bn, n, rng=11, chunks=-(-n // p), as_frame=as_frame)
              for p in (1, 3, 7)]
    assert [t.npartitions if as_frame else t.numblocks[0] for t in tables] == [1, 3, 7]
    got = [t.compute() for t in tables]
    for g in got[1:]:
        if as_frame:
            pd.testing.assert_frame_equal(g, got[0])
        else:
            np.testing.assert_array_equal(g, got[0])
    other = forward_sample(bn, n, rng=12, chunks=1000, as_frame=as_frame).compute()
    assert not np.array_equal(np.asarray(other), np.asarray(got[0]))


def test_sampled_rows_follow_the_joint(client, bn):
    n = 40_000
    X = forward_sample(bn, n, rng=3, chunks=6000).compute()
    joint = bn.joint_factor().values.ravel()          # axes in bn.nodes order
    cards = [bn.get_cpd(v).cardinality for v in bn.nodes]
    counts = np.bincount(np.ravel_multi_index(X.T.astype(np.int64), cards), minlength=joint.size)
    keep = joint > 0
    assert counts[~keep].sum() == 0
    p = stats.chisquare(counts[keep], n * joint[keep] / joint[keep].sum()).pvalue
    assert p > 1e-3


def test_log_prob_per_row(client, bn):
    df = forward_sample(bn, 2000, rng=4, chunks=500, as_frame=True)
    X = forward_sample(bn, 2000, rng=4, chunks=500)
    want = bn.log_prob(X.compute())
    np.testing.assert_allclose(log_prob(bn, df).compute().to_numpy(), want, rtol=0, atol=0)
    np.testing.assert_allclose(log_prob(bn, X).compute(), want, rtol=0, atol=0)


def test_posteriors_per_row_match_the_junction_tree(client, bn):
    ev = forward_sample(bn, 600, rng=5, chunks=200, as_frame=True)[["Slip", "Spr"]]
    post = posteriors(bn, ev).compute()
    assert list(post.columns) == ["Rain=no", "Rain=yes", "Wet=0", "Wet=1"]
    local = ev.compute()
    jt = JunctionTree(bn)
    for r in (0, 1, 257, 599):
        m = jt.marginals({"Slip": local["Slip"].iloc[r], "Spr": local["Spr"].iloc[r]})
        np.testing.assert_allclose(post.iloc[r].to_numpy(), np.concatenate([m["Rain"], m["Wet"]]),
                                   rtol=1e-12)
    only = posteriors(bn, ev, variables=["Wet"]).compute()
    np.testing.assert_allclose(only.to_numpy(), post[["Wet=0", "Wet=1"]].to_numpy(), rtol=1e-12)


# ----------------------------------------------------------------------------- bad input
def _frame(rows, npartitions=2):
    return dd.from_pandas(pd.DataFrame(rows), npartitions=npartitions)


def test_unknown_label_names_the_partition_and_column(client, bn):
    df = _frame({"Rain": ["no", "yes", "no", "maybe"], "Spr": [0, 1, 2, 0], "Wet": [0, 1, 1, 0],
                 "Slip": [0, 1, 0, 0]})
    with pytest.raises(ValueError, match=r"partition 1, column 'Rain': value 'maybe'.*index 3"):
        fit_mle(bn, df)


def test_state_index_out_of_range_names_the_partition_and_column(client, bn):
    df = _frame({"Rain": ["no", "yes", "no", "no"], "Spr": [0, 1, 2, 0], "Wet": [0, 1, 1, 0],
                 "Slip": [0, 1, 0, 0]})
    with pytest.raises(ValueError, match=r"partition 1, column 'Spr': state index 2 at row 0 \(index 2\)"):
        fit_mle(bn, df, cardinality={"Spr": 2})


def test_unknown_and_missing_columns(client, bn):
    base = {"Rain": ["no", "yes"], "Spr": [0, 1], "Wet": [0, 1], "Slip": [0, 1]}
    with pytest.raises(ValueError, match=r"column\(s\) \['Snow'\] are not nodes"):
        fit_mle(bn, _frame({**base, "Snow": [0, 1]}, 1))
    with pytest.raises(ValueError, match=r"no column for node\(s\) \['Slip'\]"):
        fit_mle(bn, _frame({k: v for k, v in base.items() if k != "Slip"}, 1))
    with pytest.raises(TypeError, match="expected a dask DataFrame or a dask array"):
        fit_mle(bn, pd.DataFrame(base))
    with pytest.raises(ValueError, match=r"evidence: column\(s\) \['Snow'\]"):
        posteriors(bn, _frame({"Snow": [0, 1]}, 1))
    with pytest.raises(ValueError, match="also evidence columns"):
        posteriors(bn, _frame({"Wet": [0, 1]}, 1), variables=["Wet"])


def test_posterior_errors_name_the_partition_and_row(client, bn):
    ev = _frame({"Rain": ["no", "yes", "no", "wet"]})
    with pytest.raises(ValueError, match=r"partition 1, row 1 \(index 3\)"):
        posteriors(bn, ev).compute()


def test_chunks_and_dtype_checks(client, bn):
    with pytest.raises(ValueError, match="chunks"):
        forward_sample(bn, 100, chunks=(50, 40))
    with pytest.raises(ValueError, match="chunks"):
        forward_sample(bn, 100, chunks=0)
    with pytest.raises(TypeError, match="integer state indices"):
        fit_mle(DAG(bn.edges, bn.nodes), da.zeros((10, 4), chunks=5))


def test_a_partition_with_other_columns_is_named(client, bn):
    import dask
    good = pd.DataFrame({"Rain": ["no"], "Spr": [0], "Wet": [0], "Slip": [0]})
    odd = pd.DataFrame({"Rain": ["no"], "Spr": [0], "Wet": [0], "Slide": [0]})
    df = dd.from_delayed([dask.delayed(good), dask.delayed(odd)], meta=good, verify_meta=False)
    with pytest.raises(ValueError, match=r"partition 1 has columns .* \(column 'Slide'\)"):
        fit_mle(bn, df)


def test_counter_draw_kernel_matches_numpy(bn):
    from pgm._sampling_kernels import draw_node_counter, draw_node_counter_ref
    from pgm.sampling import _Plan
    plan = _Plan(bn)
    n_nodes = len(plan.nodes)
    for start in (0, 12345, 2**40 + 7):
        X = np.empty((500, n_nodes), dtype=plan.dtype)
        Y = np.empty_like(X)
        for k in plan.order:
            args = (plan.cols_arr[k], plan.strides[k], plan.thresholds[k], 2**62 + 99, start,
                    n_nodes)
            draw_node_counter(X, k, *args)
            draw_node_counter_ref(Y, k, *args)
        np.testing.assert_array_equal(X, Y)
    # a chunk starting at row 100 holds rows 100.. of the chunk starting at row 0
    A = np.empty((300, n_nodes), dtype=plan.dtype)
    B = np.empty((200, n_nodes), dtype=plan.dtype)
    for k in plan.order:
        a = (plan.cols_arr[k], plan.strides[k], plan.thresholds[k], 5)
        draw_node_counter(A, k, *a, 0, n_nodes)
        draw_node_counter(B, k, *a, 100, n_nodes)
    np.testing.assert_array_equal(A[100:], B)
