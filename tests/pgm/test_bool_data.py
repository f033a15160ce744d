"""Boolean data columns are treated as boolean evidence is: refused where the states are not
booleans (True == 1 would silently be state 1), read as states where they are."""

import numpy as np
import pytest

from pgm import BayesianNetwork, TabularCPD, fit_mle


def _bn(names):
    bn = BayesianNetwork([("Rain", "Wet")])
    sn = {"Rain": list(names), "Wet": list(names)}
    bn.add_cpds(TabularCPD("Rain", 2, [[0.5], [0.5]], state_names={"Rain": sn["Rain"]}),
                TabularCPD("Wet", 2, [[0.9, 0.2], [0.1, 0.8]], ["Rain"], [2], state_names=sn))
    return bn


@pytest.mark.parametrize("names", [(0, 1), ("no", "yes")])
def test_bool_columns_are_refused_like_bool_evidence(names):
    bn = _bn(names)
    with pytest.raises(ValueError, match="is a boolean"):
        bn.state_index("Wet", True)
    data = {"Rain": np.array([0, 1, 1]) if names == (0, 1) else np.array(["no", "yes", "yes"]),
            "Wet": np.array([False, True, True])}
    with pytest.raises(ValueError, match=r"data\['Wet'\]: False at row 0 is a boolean, but the "
                                         r"states of 'Wet' are"):
        bn.encode_data(data)
    obj = np.array([names[0], True, names[1]], dtype=object)
    with pytest.raises(ValueError, match=r"True at row 1 is a boolean"):
        bn.encode_data({**data, "Wet": obj})
    with pytest.raises(ValueError, match="is a boolean"):
        fit_mle(bn, data)


def test_bool_columns_are_states_when_the_states_are_booleans():
    fitted = fit_mle(BayesianNetwork([("Rain", "Wet")]),
                     {"Rain": np.array([False, True, True]), "Wet": np.array([False, True, False])})
    assert fitted.get_cpd("Wet").state_names["Wet"] == (False, True)
    assert fitted.state_index("Wet", True) == 1
    bn = _bn((False, True))
    X = bn.encode_data({"Rain": np.array([False, True]), "Wet": np.array([True, True])})
    np.testing.assert_array_equal(X, [[0, 1], [1, 1]])
