"""Evidence encoding: a boolean is never taken as a state index."""

import numpy as np
import pytest

from pgm import (BayesianNetwork, JunctionTree, TabularCPD, VariableElimination,
                 likelihood_weighted_marginals)


def rain_wet(wet_names=None):
    bn = BayesianNetwork([("Rain", "Wet")])
    sn = None if wet_names is None else {"Wet": wet_names}
    bn.add_cpds(TabularCPD("Rain", 2, [0.8, 0.2]),
                TabularCPD("Wet", 2, [[0.9, 0.1], [0.1, 0.9]], ["Rain"], [2], state_names=sn))
    return bn


@pytest.mark.parametrize("value", [True, False, np.bool_(True)])
@pytest.mark.parametrize("names", [None, ["no", "yes"]])
def test_a_boolean_state_for_non_boolean_states_is_an_error(value, names):
    bn = rain_wet(names)
    with pytest.raises(ValueError, match=rf"evidence: {value!r} for 'Wet'") as exc:
        bn.encode_evidence({"Wet": value})
    assert "'Wet'" in str(exc.value)
    for run in (lambda: VariableElimination(bn).query("Rain", {"Wet": value}),
                lambda: JunctionTree(bn).marginals({"Wet": value}),
                lambda: likelihood_weighted_marginals(bn, 10, {"Wet": value}, rng=0)):
        with pytest.raises(ValueError, match="'Wet'"):
            run()


def test_integer_indices_and_boolean_state_names_stay_valid():
    bn = rain_wet()
    assert bn.encode_evidence({"Wet": 1}) == {"Wet": 1}
    assert bn.encode_evidence({"Wet": np.int64(0)}) == {"Wet": 0}
    named = rain_wet([False, True])
    assert named.encode_evidence({"Wet": True}) == {"Wet": 1}
    assert named.encode_evidence({"Wet": False}) == {"Wet": 0}
    want = VariableElimination(bn).query("Rain", {"Wet": 1}).values
    np.testing.assert_allclose(VariableElimination(named).query("Rain", {"Wet": True}).values, want)
