"""BIF dialects (original/JavaBayes, pyAgrum, bnlearn), printed-precision tolerance, quoting."""

import re

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from pgm import BayesianNetwork, BIFError, TabularCPD, VariableElimination, dumps_bif, loads_bif

from tests.pgm._bn_helpers import random_bn

_NUM = re.compile(r"\d+\.\d+(?:e-?\d+)?|\d+e-?\d+")


def _rounded(text, decimals=7):
    """The BIF text with every probability printed like bnlearn: a fixed number of decimals."""
    out = []
    for line in text.splitlines():
        if line.startswith("  table"):
            line = _NUM.sub(lambda m: f"{float(m.group()):.{decimals}f}", line)
        elif line.startswith("  ("):
            head, _, rest = line.partition(") ")
            line = head + ") " + _NUM.sub(lambda m: f"{float(m.group()):.{decimals}f}", rest)
        out.append(line)
    return "\n".join(out) + "\n"


def _net7():
    bn = random_bn(4, 6, max_parents=2, max_card=4, named_states=True)
    assert sum(len(bn.parents(v)) > 0 for v in bn.nodes) >= 3
    assert sum(bn.get_cpd(v).cardinality >= 3 for v in bn.nodes) >= 3
    return bn, _rounded(dumps_bif(bn))


def test_bnlearn_precision_loads_with_defaults_and_keeps_values_as_written():
    bn, text = _net7()
    bn2 = loads_bif(text)
    worst = 0.0
    for v in bn.nodes:
        want = np.vectorize(lambda x: float(f"{x:.7f}"))(bn.get_cpd(v).values)
        np.testing.assert_array_equal(bn2.get_cpd(v).values, want)  # nothing renormalised
        worst = max(worst, np.abs(want.sum(axis=0) - 1).max())
    assert worst > 1e-8  # the file really is off 1 by more than the old fixed tolerance
    with pytest.raises(BIFError, match="within|atol=1e-08"):
        loads_bif(text, atol=1e-8)


def test_a_column_off_by_more_than_its_printed_precision_is_refused():
    bn, text = _net7()
    v = next(v for v in bn.nodes if bn.parents(v))
    lines = text.splitlines()
    k = lines.index(next(ln for ln in lines if ln.startswith(f"probability ( {v} |"))) + 1
    head, _, rest = lines[k].partition(") ")
    nums = [float(x) for x in rest.rstrip(";").split(", ")]
    nums[0] += 0.01
    lines[k] = head + ") " + ", ".join(f"{x:.7f}" for x in nums) + ";"
    cfg = head.strip().lstrip("(")
    pa = bn.get_cpd(v).parents
    want = ", ".join(f"{u}={s}" for u, s in zip(pa, cfg.split(", ")))
    with pytest.raises(BIFError, match=rf"block of '{v}': the column \({want}\) sums to 1\.01"):
        loads_bif("\n".join(lines))


ORIGINAL = '''// Bayesian network, in the format's original dialect
network "Dog-Problem" { //5 variables and 5 probability distributions
  property "credal-set constant-density-bounded 1.1" ;
  property "source http://www.cs.cmu.edu/~javabayes/ ; see /* there */" ;
}
variable  "light-on" { //2 values
  type discrete[2] {  "true"  "false" };
  property "position = (218, 195)" ;
}
variable  "family-out" {
  type discrete[2] {  "true"  "false" };
}
probability (  "family-out" ) {
  table 0.15 0.85 ;
}
probability (  "light-on"  "family-out" ) { //2 variable(s) and 4 values
  table 0.6 0.05 0.4 0.95 ;
}
'''


def test_original_dialect_quoted_names_space_lists_no_bar_and_urls_in_strings():
    bn = loads_bif("\ufeff" + ORIGINAL)
    assert bn.name == "Dog-Problem" and bn.nodes == ("light-on", "family-out")
    assert bn.state_names["light-on"] == ("true", "false")
    assert bn.parents("light-on") == ["family-out"] or tuple(bn.parents("light-on")) == ("family-out",)
    np.testing.assert_array_equal(bn.get_cpd("light-on").values, [[0.6, 0.05], [0.4, 0.95]])
    with pytest.raises(BIFError, match=r":8: unterminated quoted string"):
        loads_bif(ORIGINAL.replace('"position = (218, 195)"', '"position = (218, 195)'))


PYAGRUM = '''network "unnamedBN" {
// written by aGrUM 1.14.1
}

variable a {
   type discrete[2] {0, 1};
}

variable b {
   type discrete[3] {lo, mid, hi};
}

probability (a) {
   default 0.25 0.75;
}
probability (b | a) {
   (0) 0.2 0.3 0.5;
   (1) 0.6 0.3 0.1;
}
'''


def test_pyagrum_dialect_space_separated_and_default():
    bn = loads_bif(PYAGRUM)
    np.testing.assert_array_equal(bn.get_cpd("a").values[:, 0], [0.25, 0.75])
    np.testing.assert_array_equal(bn.get_cpd("b").values, [[0.2, 0.6], [0.3, 0.3], [0.5, 0.1]])
    assert loads_bif(PYAGRUM.replace("default", "table")).get_cpd("a") == bn.get_cpd("a")
    # 'default' fills the parent configurations without a row of their own
    bn2 = loads_bif(PYAGRUM.replace("(1) 0.6 0.3 0.1;", "default 0.6 0.3 0.1;"))
    assert bn2.get_cpd("b") == bn.get_cpd("b")


AWKWARD = ["Asy/Patch", "has space", "table", "a,b", "x{y}", "//not a comment", "/*no*/",
           "p|q", "Düsseldorf", "semi;colon", "(paren)", "1.5"]


def test_awkward_names_round_trip_identically():
    bn = BayesianNetwork([(AWKWARD[1], AWKWARD[0])], nodes=[AWKWARD[2]])
    sn = {AWKWARD[1]: AWKWARD[3:6], AWKWARD[0]: AWKWARD[6:9], AWKWARD[2]: AWKWARD[9:12]}
    bn.add_cpds(TabularCPD(AWKWARD[1], 3, [0.2, 0.3, 0.5], state_names={AWKWARD[1]: sn[AWKWARD[1]]}),
                TabularCPD(AWKWARD[0], 3, np.full((3, 3), 1 / 3), [AWKWARD[1]], [3],
                           state_names={u: sn[u] for u in AWKWARD[:2]}),
                TabularCPD(AWKWARD[2], 3, [0.1, 0.1, 0.8], state_names={AWKWARD[2]: sn[AWKWARD[2]]}))
    text = dumps_bif(bn, name="odd name")
    assert "Asy/Patch" in text and '"has space"' in text and '"table"' in text
    bn2 = loads_bif(text)
    assert bn2.nodes == bn.nodes and bn2.name == "odd name"
    for v in bn.nodes:
        assert bn2.get_cpd(v) == bn.get_cpd(v)
    assert dumps_bif(bn2, name="odd name") == text


@settings(max_examples=25, deadline=None)
@given(st.tuples(st.integers(0, 2**32 - 1), st.integers(1, 6)))
def test_integer_states_survive_write_read(p):
    bn = random_bn(*p)  # states are the ints 0..card-1
    bn2 = loads_bif(dumps_bif(bn))
    for v in bn.nodes:
        assert bn2.get_cpd(v) == bn.get_cpd(v)
        assert all(type(s) is int for s in bn2.state_names[v])


def test_integer_state_evidence_after_round_trip():
    bn = BayesianNetwork([("A", "B")])
    bn.add_cpds(TabularCPD("A", 2, [0.8, 0.2]),
                TabularCPD("B", 2, [[0.9, 0.1], [0.1, 0.9]], ["A"], [2]))
    text = dumps_bif(bn)
    assert "property state_type = int;" in text
    bn2 = loads_bif(text)
    q = VariableElimination(bn2).query("A", {"B": 1}).values
    np.testing.assert_allclose(q, VariableElimination(bn).query("A", {"B": 1}).values)
    with pytest.raises(BIFError, match=r"integer state names .* got 'x'"):
        loads_bif(text.replace("{ 0, 1 }", "{ x, 1 }", 1))


_name = st.text(st.characters(blacklist_characters='"\n', blacklist_categories=("Cs",)), max_size=6)


@settings(max_examples=60, deadline=None)
@given(st.lists(_name, min_size=5, max_size=5, unique=True))
def test_any_name_the_reader_accepts_is_written_and_read_back(names):
    a, b, s0, s1, s2 = names
    bn = BayesianNetwork([(a, b)])
    bn.add_cpds(TabularCPD(a, 3, [0.2, 0.3, 0.5], state_names={a: [s0, s1, s2]}),
                TabularCPD(b, 2, [[0.5, 0.1, 0.7], [0.5, 0.9, 0.3]], [a], [3],
                           state_names={a: [s0, s1, s2], b: [s1, s0]}))
    text = dumps_bif(bn, name=s2)
    bn2 = loads_bif(text)
    assert bn2.nodes == bn.nodes and bn2.name == s2
    for v in bn.nodes:
        assert bn2.get_cpd(v) == bn.get_cpd(v)
