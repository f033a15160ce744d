"""What both exact engines share: evidence and variable checks, impossible evidence, revalidation
after edits."""

import numpy as np
import pytest
from pgm import ImpossibleEvidenceError, JunctionTree, TabularCPD, VariableElimination

from tests.pgm._bn_helpers import sprinkler


def test_evidence_errors():
    bn = sprinkler()
    ve = VariableElimination(bn)
    with pytest.raises(ValueError, match="'Snow' is not a variable"):
        ve.query("Rain", {"Snow": "T"})
    with pytest.raises(ValueError, match=r"'maybe' is not a state of 'WetGrass' \(its states are \['F', 'T'\]\)"):
        ve.query("Rain", {"WetGrass": "maybe"})
    with pytest.raises(ValueError, match=r"\['Rain'\] are also evidence variables"):
        ve.query("Rain", {"Rain": "T"})
    with pytest.raises(ValueError, match="'Hail' is not a variable"):
        ve.query("Hail")
    with pytest.raises(ValueError, match="is not a state"):
        ve.query("Rain", {"WetGrass": 1})  # named states: indices are not accepted
    with pytest.raises(ValueError, match="also evidence"):
        JunctionTree(bn).marginals({"Rain": "T"}, variables=["Rain"])


def test_impossible_evidence_is_an_error_not_nan():
    bn = sprinkler()
    ev = {"Sprinkler": "F", "Rain": "F", "WetGrass": "T"}  # P(W=T | S=F, R=F) = 0
    with pytest.raises(ImpossibleEvidenceError, match="probability zero"):
        VariableElimination(bn).query("Cloudy", ev)
    with pytest.raises(ImpossibleEvidenceError, match="probability zero"):
        JunctionTree(bn).marginals(ev)
    with pytest.raises(ImpossibleEvidenceError):
        VariableElimination(bn).map_query(ev)


def test_replacing_a_cpd_is_revalidated_by_existing_engines():
    bn = sprinkler()
    ve = VariableElimination(bn)
    jt = JunctionTree(bn)
    before = ve.query("Rain").values.copy()
    bn.add_cpds(TabularCPD("Rain", 2, [[0.9, 0.9], [0.1, 0.1]], ["Cloudy"], [2],
                           state_names={"Rain": ["F", "T"], "Cloudy": ["F", "T"]}))
    np.testing.assert_allclose(ve.query("Rain").values, [0.9, 0.1])
    np.testing.assert_allclose(jt.marginals()["Rain"], [0.9, 0.1])
    np.testing.assert_allclose(before, [0.5, 0.5])
    with pytest.raises(ValueError, match="child 'WetGrass' expects 2"):
        bn.add_cpds(TabularCPD("Rain", 3, [[0.5, 0.5], [0.25, 0.25], [0.25, 0.25]], ["Cloudy"], [2],
                               state_names={"Cloudy": ["F", "T"]}))
    np.testing.assert_allclose(ve.query("Rain").values, [0.9, 0.1])  # the refused CPD left no trace


def test_editing_the_graph_after_the_cpds_is_caught():
    bn = sprinkler()
    ve = VariableElimination(bn)
    bn.add_edge("Cloudy", "WetGrass")
    with pytest.raises(ValueError, match="the CPD of 'WetGrass' has parents"):
        ve.query("Rain")
