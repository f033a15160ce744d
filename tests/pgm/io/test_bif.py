"""BIF reading and writing: round trips, files, malformed input."""

import os

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from pgm import BIFError, BayesianNetwork, TabularCPD, dumps_bif, loads_bif, read_bif, write_bif

from tests.pgm._bn_helpers import random_bn, sprinkler


@settings(max_examples=60, deadline=None)
@given(st.tuples(st.integers(0, 2**32 - 1), st.integers(1, 8)))
def test_bif_write_read_round_trips_exactly(p):
    bn = random_bn(*p, named_states=True)
    bn2 = loads_bif(dumps_bif(bn))
    assert bn2.nodes == bn.nodes
    assert set(bn2.edges) == set(bn.edges)
    for v in bn.nodes:
        assert bn2.get_cpd(v) == bn.get_cpd(v)  # bit-exact tables, same state names and parents


def test_bif_file_no_overwrite_and_atomic(tmp_path):
    bn = sprinkler()
    path = tmp_path / "sprinkler.bif"
    write_bif(bn, path)
    before = path.read_bytes()
    with pytest.raises(FileExistsError, match="overwrite=True"):
        write_bif(bn, path)
    assert path.read_bytes() == before
    write_bif(bn, path, overwrite=True)
    assert os.listdir(tmp_path) == ["sprinkler.bif"]  # no temporary left behind
    bn2 = read_bif(path)
    for v in bn.nodes:
        assert bn2.get_cpd(v) == bn.get_cpd(v)


def test_bif_writer_refuses_only_names_no_reader_accepts():
    bn = BayesianNetwork(nodes=['say "hi"'])
    bn.add_cpds(TabularCPD('say "hi"', 2, [0.5, 0.5]))
    with pytest.raises(ValueError, match="cannot be written to BIF"):
        dumps_bif(bn)


GOOD = """network test {
}
variable A {
  type discrete [ 2 ] { a0, a1 };
}
variable B {
  type discrete [ 2 ] { b0, b1 };
  property foo bar;
}
probability ( A ) {
  table 0.3, 0.7;
}
probability ( B | A ) {
  (a0) 0.9, 0.1;
  (a1) 0.2, 0.8;
}
"""


def test_bif_reads_the_good_file_with_comments():
    bn = loads_bif("// header\n/* block\ncomment */\n" + GOOD)
    assert bn.nodes == ("A", "B") and bn.name == "test"
    np.testing.assert_array_equal(bn.get_cpd("B").values, [[0.9, 0.2], [0.1, 0.8]])
    t = GOOD.replace("(a0) 0.9, 0.1;\n  (a1) 0.2, 0.8;", "table 0.9, 0.2, 0.1, 0.8;")
    np.testing.assert_array_equal(loads_bif(t).get_cpd("B").values, [[0.9, 0.2], [0.1, 0.8]])


@pytest.mark.parametrize("old, new, pat", [
    ("type discrete [ 2 ] { a0, a1 };", "type discrete [ 3 ] { a0, a1 };",
     r":4: variable 'A' declares \[ 3 \] states but lists 2"),
    ("(a1) 0.2, 0.8;", "(a2) 0.2, 0.8;", r":15: 'a2' is not a state of parent 'A'"),
    ("(a1) 0.2, 0.8;", "", r":13: probability block of 'B' has 1 of 2 parent configurations and no 'default'; missing e.g. \('a1',\)"),
    ("(a1) 0.2, 0.8;", "(a1) 0.2, 0.8, 0.0;", r":15: row \('a1',\) of 'B' has 3 probabilities, expected 2"),
    ("table 0.3, 0.7;", "table 0.3, 0.5;",
     r":10: probability block of 'A': the column \(no parents\) sums to 0.8, .*prints 1 decimals"),
    ("table 0.3, 0.7;", "table 0.3, x7;", r":11: expected a number, got 'x7'"),
    ("table 0.3, 0.7;", "table 0.3,, 0.7;", r":11: expected a number, got ','"),
    ("table 0.3, 0.7;", "table 0.3, 0.7}", r":11: expected ',', a number or ';' in a list of probabilities"),
    ("variable A {", 'variable "A {', r":3: unterminated quoted string"),
    ("variable A {", "/* open\nvariable A {", r":3: unterminated '/\*' comment"),
    ("variable A {", '/* open\nvariable "A" {', r":3: unterminated '/\*' comment"),
    ("probability ( B | A ) {", "probability ( B | C ) {", r":13: probability block uses 'C', which has no variable"),
    ("variable B {", "variable B ", r":7: expected '\{', got 'type'"),
    ("(a0) 0.9, 0.1;", "(a0) 0.9, nan;", r"finite"),
    ("(a0) 0.9, 0.1;", "(a1) 0.9, 0.1;", r":15: parent states \('a1',\) of 'B' given twice \(first on line 14\)"),
    ("probability ( A ) {\n  table 0.3, 0.7;\n}", "", r":3: variable 'A' has no probability block"),
    ("network test {", "netwerk test {", r":1: expected 'network', 'variable' or 'probability', got 'netwerk'"),
])
def test_malformed_bif_names_line_and_expectation(old, new, pat):
    assert old in GOOD
    with pytest.raises(BIFError, match=pat):
        loads_bif(GOOD.replace(old, new))


def test_bif_cycle_and_truncation():
    cyc = GOOD + "probability ( A | B ) {\n (b0) 0.5, 0.5;\n (b1) 0.5, 0.5;\n}\n"
    with pytest.raises(BIFError, match="second probability block for 'A'"):
        loads_bif(cyc)
    with pytest.raises(BIFError, match="end of file"):
        loads_bif(GOOD[:-3])


def test_read_bif_gzip(tmp_path):
    import gzip
    p = tmp_path / "g.bif.gz"
    p.write_bytes(gzip.compress(GOOD.encode()))
    assert read_bif(p).nodes == ("A", "B")
