"""UAI model and evidence files: the format's own examples, write → read identity on random
networks, and malformed or hostile files."""

import gzip
import itertools

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from pgm import JunctionTree
from pgm.factor import DiscreteFactor
from pgm.io import (UAIError, dumps_evid, dumps_uai, loads_evid, loads_uai, read_evid, read_uai,
                    write_evid, write_uai)
from pgm.markov import MarkovNetwork

from tests.pgm._bn_helpers import random_bn

# the BAYES example of the format's description: A, B | A, C | A, D | B, C
BAYES4 = """BAYES
4
2 2 2 2
4
1 0
2 0 1
2 0 2
3 1 2 3

2
0.2 0.8
4
0.6 0.4 0.3 0.7
4
0.25 0.75 0.75 0.25
8
1.0 0.0 0.35 0.65 0.8 0.2 0.0 1.0
"""

MARKOV3 = """MARKOV
3
2 2 3
2
2 0 1
3 0 1 2

4
 4.000 2.400
 1.000 0.000

12
 2.2500 3.2500 3.7500
 0.0000 0.0000 10.0000
 1.8750 4.0000 3.3330
 2.0000 2.0000 3.4000
"""


def test_bayes_example_tables_last_variable_fastest():
    bn = loads_uai(BAYES4, names="ABCD")
    assert bn.nodes == ("A", "B", "C", "D")
    assert set(bn.edges) == {("A", "B"), ("A", "C"), ("B", "D"), ("C", "D")}
    np.testing.assert_array_equal(bn.get_cpd("B").values, [[0.6, 0.3], [0.4, 0.7]])
    d = bn.get_cpd("D")
    assert d.parents == ("B", "C")
    np.testing.assert_array_equal(d.table[:, 0, 1], [0.35, 0.65])  # B=0, C=1
    np.testing.assert_array_equal(d.table[:, 1, 0], [0.8, 0.2])    # B=1, C=0
    # P(D) by enumeration over the file's numbers, independent of the CPD layout
    pa, pb, pc = [0.2, 0.8], [[0.6, 0.4], [0.3, 0.7]], [[0.25, 0.75], [0.75, 0.25]]
    pd = {(0, 0): 1.0, (0, 1): 0.35, (1, 0): 0.8, (1, 1): 0.0}  # P(D=0 | B, C)
    p0 = sum(pa[a] * pb[a][b] * pc[a][c] * pd[b, c]
             for a, b, c in itertools.product(range(2), repeat=3))
    np.testing.assert_allclose(JunctionTree(bn).marginals()["D"], [p0, 1 - p0], rtol=1e-12)


def test_markov_example_is_a_markov_network_of_factors():
    mn = loads_uai(MARKOV3)
    assert isinstance(mn, MarkovNetwork)
    assert list(mn.variables) == [0, 1, 2] and mn.cardinality == {0: 2, 1: 2, 2: 3}
    f0, f1 = mn.factors
    assert f0.variables == (0, 1) and f0.values.tolist() == [[4.0, 2.4], [1.0, 0.0]]
    assert f1.variables == (0, 1, 2) and f1.values[1, 0].tolist() == [1.875, 4.0, 3.333]
    # a variable in no function keeps a factor of ones
    mn2 = loads_uai("MARKOV 3  2 2 3  1  2 0 1  4 1 2 3 4")
    assert mn2.cardinality == {0: 2, 1: 2, 2: 3}
    assert mn2.factors[1].variables == (2,) and mn2.factors[1].values.tolist() == [1, 1, 1]


def test_comments_bom_case_and_gzip(tmp_path):
    text = "\ufeffc a comment line\nmarkov # pyAgrum style\n" + MARKOV3.split("\n", 1)[1]
    assert loads_uai(text).cardinality == {0: 2, 1: 2, 2: 3}
    p = tmp_path / "m.uai.gz"
    p.write_bytes(gzip.compress(MARKOV3.encode() + b" " * 5000))
    assert read_uai(p).factors[1].values.shape == (2, 2, 3)
    with pytest.raises(UAIError, match=r"m.uai.gz: the gzip data decompresses to more than "
                                       r"max_bytes=1000 bytes"):
        read_uai(p, max_bytes=1000)
    p.write_bytes(gzip.compress(MARKOV3.encode())[:-9])
    with pytest.raises(UAIError, match=r"m.uai.gz: not a valid gzip file"):
        read_uai(p)


def _random_markov(seed, n, m):
    rng = np.random.default_rng(seed)
    names = [f"V{i}" for i in rng.permutation(n)]
    cards = {v: int(rng.integers(1, 4)) for v in names}
    factors = []
    for _ in range(m):
        k = int(rng.integers(1, min(3, n) + 1))    # MarkovNetwork refuses constant factors
        scope = [names[i] for i in rng.choice(n, size=k, replace=False)]
        shape = [cards[v] for v in scope]
        vals = rng.exponential(size=shape) * (rng.random(shape) > 0.2)  # some zeros
        vals.flat[int(rng.integers(vals.size))] = 1.0               # but never all zero
        factors.append(DiscreteFactor(scope, vals))
    return MarkovNetwork(factors)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 6), st.integers(1, 6))
def test_markov_write_read_is_the_identity(seed, n, m):
    mn = _random_markov(seed, n, m)
    mn2 = loads_uai(dumps_uai(mn), names=list(mn.variables))
    assert mn2.cardinality == mn.cardinality
    assert len(mn2.factors) == len(mn.factors)
    for f, g in zip(mn.factors, mn2.factors):
        assert g.variables == f.variables
        assert np.array_equal(g.values, f.values)  # bit for bit (repr floats)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 7))
def test_bayes_write_read_is_the_identity(seed, n):
    bn = random_bn(seed, n)  # int states 0..card-1: UAI stores no state names
    bn2 = loads_uai(dumps_uai(bn), names=list(bn.nodes))
    assert bn2.nodes == bn.nodes and set(bn2.edges) == set(bn.edges)
    for v in bn.nodes:
        assert bn2.get_cpd(v) == bn.get_cpd(v)  # same parents in the same order, same table


def test_file_round_trip_no_overwrite_and_int_names(tmp_path):
    bn = loads_uai(BAYES4)
    p = tmp_path / "n.uai"
    write_uai(bn, p)
    with pytest.raises(FileExistsError):
        write_uai(bn, p)
    bn2 = read_uai(p)
    assert bn2.nodes == (0, 1, 2, 3)
    assert all(bn2.get_cpd(v) == bn.get_cpd(v) for v in bn.nodes)
    with pytest.raises(TypeError, match="model: expected a BayesianNetwork or a MarkovNetwork"):
        dumps_uai("x")


H = "MARKOV 2  2 3  1  2 0 1\n"


@pytest.mark.parametrize("text, pat", [
    ("", r"<string>:1: expected 'MARKOV' or 'BAYES' \(the UAI preamble\), got end of file"),
    ("MARKOF 1 2 0", r"<string>:1: expected 'MARKOV' or 'BAYES'"),
    ("MARKOV\n-1", r":2: expected the number of variables, got '-1'"),
    ("MARKOV 2\n2 ²", r":2: expected the cardinality of variable 1 of 2, got '²'"),
    ("MARKOV 2 2 2 1 2 0 2", r":1: expected a variable index \(function 0\) in 0..1, got '2'"),
    ("MARKOV 2 2 2 1 2 0 0", r":1: function 0 repeats a variable in its scope \[0, 0\]"),
    (H + "5 1 2 3 4 5 6", r":2: function 0 declares 5 entries but its scope \[0, 1\] with "
                          r"cardinalities \[2, 3\] has 6"),
    (H + "6 1 2 3 4 5", r":2: expected 6 numbers for the table of function 0 \(the file ends "
                        r"after 5\), got end of file"),
    (H + "6 1 2 x 4 5 6", r":2: expected a number in the table of function 0, got 'x'"),
    (H + "6 1 2 3 4 5 -6", r":2: the table of function 0: values: must be >= 0"),
    (H + "6 1 2 3 4 5 nan", r":2: the table of function 0: values: must be finite"),
    (H + "6 1 2 3 4 5 6 7", r":2: expected end of file after the 1 tables, got '7'"),
    ("MARKOV 1 2 1 65 " + "0 " * 65, r":1: function 0 has 65 variables; a table holds at most 64"),
    ("BAYES 2 2 2 2 1 0 1 0 2 0.5 0.5 2 0.5 0.5",
     r":1: variable 0 is the child \(last in scope\) of functions 0 and 1"),
    ("BAYES 2 2 2 1 1 0 2 0.5 0.5", r"variable 1 is the child \(last in scope\) of no function"),
    ("BAYES 2 2 2 2 2 1 0 2 0 1 4 .5 .5 .5 .5 4 .5 .5 .5 .5", r"<string>: .*cycle"),
    ("BAYES 2 2 2 2 1 0 2 0 1 2 0.5 0.5 4 0.9 0.1 0.25 0.7",
     r":1: function 1 \(child 1\): the column \(0=1\) sums to 0.95, .* 2 decimals"),
    ("BAYES 1 2 1 0", r":1: expected the scope size of function 0 >= 1, got '0'"),
])
def test_malformed_uai_names_line_and_expectation(text, pat):
    with pytest.raises(UAIError, match=pat):
        loads_uai(text)


def test_declared_sizes_are_bounded_before_any_table_is_filled():
    # 40 binary variables in one scope: 2**40 entries, refused on the preamble
    text = "MARKOV 40\n" + "2 " * 40 + "\n1\n40 " + " ".join(map(str, range(40))) + "\n2 1 1\n"
    with pytest.raises(UAIError, match=r":4: function 0 has 1099511627776 entries.*"
                                       r"max_entries=134217728"):
        loads_uai(text)
    with pytest.raises(UAIError, match=r":5: function 0 declares 2 entries but its scope"):
        loads_uai(text, max_entries=2**41)
    with pytest.raises(UAIError, match=r":1: function 1 has 6 entries, which brings the model to "
                                       r"12 > max_entries=9"):
        loads_uai(H.replace("1  2 0 1", "2  2 0 1  2 0 1"), max_entries=9)
    with pytest.raises(ValueError, match=r"names: expected 2 names \(the file declares 2 "):
        loads_uai(H + "6 1 2 3 4 5 6", names=["a"])


def test_evidence_files(tmp_path):
    bn = loads_uai(BAYES4)
    assert loads_evid("2 3 0 1 1", bn) == {3: 0, 1: 1}
    assert loads_evid("1\n2 3 0 1 1\n", bn) == {3: 0, 1: 1}  # the UAI 2014 form
    assert loads_evid("", bn) == {} and loads_evid("0", bn) == {}
    p = tmp_path / "e.evid"
    write_evid({1: 1, 3: 0}, bn, p)
    assert p.read_text() == "2 1 1 3 0\n"
    assert read_evid(p, bn) == {1: 1, 3: 0}
    named = loads_uai(BAYES4, names="ABCD")
    assert loads_evid("1 3 1", named) == {"D": 1}
    mn = loads_uai(MARKOV3)
    assert loads_evid(dumps_evid({2: 2}, mn), mn) == {2: 2}
    with pytest.raises(UAIError, match=r"<string>:1: expected a state index of variable 3 in "
                                       r"0..1, got '2'"):
        loads_evid("1 3 2", bn)
    with pytest.raises(UAIError, match=r"expected a variable index in 0..3, got '4'"):
        loads_evid("1 4 0", bn)
    with pytest.raises(UAIError, match=r"variable 1 observed twice"):
        loads_evid("2 1 0 1 1", bn)
    with pytest.raises(UAIError, match=r"the file holds 4 numbers"):
        loads_evid("2 1 0 1", bn)
    with pytest.raises(ValueError, match=r"evidence: 7 is not a variable of the model"):
        dumps_evid({7: 0}, bn)
    with pytest.raises(ValueError, match=r"evidence: state of 2 must be an int in 0..2"):
        dumps_evid({2: 3}, mn)
