"""Mutated valid files (BIF, XMLBIF, UAI): whatever the mutation, a reader either returns a
model or raises its own parse error (BIFError, XMLBIFError, UAIError), never another exception,
and each example finishes within a 5 s deadline (repetitions up to 60,000 characters included;
the quadratic comment stripping this replaced took 46 s on 120,000).

``PGM_FUZZ_EXAMPLES`` raises the number of examples per format (default 70, ~200 in all)."""

import os

from hypothesis import HealthCheck, example, given, settings, strategies as st

from pgm import BayesianNetwork, TabularCPD
from pgm.factor import DiscreteFactor
from pgm.io import (BIFError, UAIError, dumps_bif, dumps_uai, dumps_xmlbif, loads_bif,
                    loads_uai, loads_xmlbif)
from pgm.markov import MarkovNetwork

N = int(os.environ.get("PGM_FUZZ_EXAMPLES", "70"))
FUZZ = settings(max_examples=N, deadline=5000, derandomize=False,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _bn():
    bn = BayesianNetwork([("Rain", "Wet"), ("Sprinkler", "Wet")])
    sn = {"Rain": ["no", "yes"], "Sprinkler": ["off", "on"], "Wet": ["dry", "damp", "wet"]}
    bn.add_cpds(TabularCPD("Rain", 2, [0.8, 0.2], state_names={"Rain": sn["Rain"]}),
                TabularCPD("Sprinkler", 2, [0.6, 0.4], state_names={"Sprinkler": sn["Sprinkler"]}),
                TabularCPD("Wet", 3, [[0.9, 0.2, 0.1, 0.05], [0.05, 0.5, 0.6, 0.05],
                                      [0.05, 0.3, 0.3, 0.9]], ["Rain", "Sprinkler"], [2, 2],
                           state_names=sn))
    return bn


BN = _bn()
BIF = [dumps_bif(BN),
       '// original dialect\nvariable "a b" { type discrete[2] { "x" "y" }; property "u = /*";}\n'
       'probability ( "a b" ) { table 0.25 0.75 ; }\n'
       "variable C { type discrete [ 2 ] { c0, c1 }; }\n"
       'probability ( C | "a b" ) { (x) 0.5, 0.5; default 0.1 0.9; }\n']
XML = [dumps_xmlbif(BN)]
MN = MarkovNetwork([DiscreteFactor(["A", "B"], [[1.0, 2.0], [3.0, 0.5]]),
                    DiscreteFactor(["B", "C"], [[1.0, 1.0, 2.0], [0.0, 1.0, 4.0]])])
UAI = [dumps_uai(BN), dumps_uai(MN), "c comment\nMARKOV # x\n1\n2\n1\n1 0\n2 0.5 0.5\n"]

SPECIAL = ["{", "}", "(", ")", "[", "]", ";", ",", "|", '"', "/*", "*/", "//", "\n", " ",
           "table", "default", "variable", "probability", "property", "network", "discrete",
           "0", "1", "2", "-1", "1e309", "nan", "inf", "0.5", "99999999999999999999", "²", "٣",
           "\ufeff", "\x00", "é", "<", ">", "&", "&amp;", "<!ENTITY x 'y'>", "<VARIABLE>",
           "</VARIABLE>", "<TABLE>", "<GIVEN>A</GIVEN>", "<![CDATA[", "BAYES", "MARKOV", "#", "c "]


@st.composite
def mutated(draw, texts):
    text = draw(st.sampled_from(texts))
    for _ in range(draw(st.integers(1, 4))):
        n = len(text)
        i = draw(st.integers(0, n))
        j = draw(st.integers(i, min(n, i + 40)))
        op = draw(st.sampled_from(["delete", "insert", "replace", "repeat", "truncate"]))
        if op == "delete":
            text = text[:i] + text[j:]
        elif op == "insert":
            piece = draw(st.one_of(st.sampled_from(SPECIAL), st.text(max_size=6)))
            text = text[:i] + piece + text[i:]
        elif op == "replace":
            text = text[:i] + draw(st.sampled_from(SPECIAL)) + text[j:]
        elif op == "repeat":  # hostile sizes: a span or a token many times over
            piece = draw(st.one_of(st.just(text[i:j] or "/*x"), st.sampled_from(SPECIAL)))
            text = text[:i] + piece * draw(st.integers(2, 60000 // max(1, len(piece)))) + text[i:]
        else:
            text = text[:i]
    return text


@FUZZ
@given(mutated(BIF))
@example("/*x" * 40000)  # quadratic comment stripping (46 s) before the linear pass
@example("variable A { type discrete [ ² ] { a, b }; }")  # a raw int() ValueError before
@example(BIF[0].replace("[ 3 ]", "[ " + "9" * 5000 + " ]"))  # int() digit limit
def test_mutated_bif_raises_only_bif_error(text):
    try:
        loads_bif(text)
    except BIFError:
        pass


@FUZZ
@given(mutated(XML))
def test_mutated_xmlbif_raises_only_its_error(text):
    try:
        loads_xmlbif(text)
    except BIFError:  # XMLBIFError is a BIFError
        pass


@FUZZ
@given(mutated(UAI))
def test_mutated_uai_raises_only_uai_error(text):
    try:
        loads_uai(text)
    except UAIError:
        pass
