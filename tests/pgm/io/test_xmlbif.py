"""XMLBIF reading and writing: round trips, the JavaBayes/Weka layout, safety, malformed input."""

import gzip

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from pgm import BIFError, BayesianNetwork, TabularCPD, read_xmlbif, write_xmlbif
from pgm.io import XMLBIFError, dumps_xmlbif, loads_xmlbif

from tests.pgm._bn_helpers import random_bn

# Written by hand after the XMLBIF 0.3 description (JavaBayes/Weka): an inline DTD, properties,
# the FOR variable fastest in TABLE.
DOG = '''<?xml version="1.0"?>
<!DOCTYPE BIF [
  <!ELEMENT BIF ( NETWORK )*>
  <!ELEMENT NETWORK ( NAME, ( PROPERTY | VARIABLE | DEFINITION )* )>
]>
<BIF VERSION="0.3">
<NETWORK>
<NAME>Dog-Problem</NAME>
<VARIABLE TYPE="nature">
  <NAME>light-on</NAME>
  <OUTCOME>true</OUTCOME>
  <OUTCOME>false</OUTCOME>
  <PROPERTY>position = (218, 195)</PROPERTY>
</VARIABLE>
<VARIABLE TYPE="nature">
  <NAME>family-out</NAME>
  <OUTCOME>true</OUTCOME>
  <OUTCOME>false</OUTCOME>
</VARIABLE>
<DEFINITION>
  <FOR>family-out</FOR>
  <TABLE>0.15 0.85 </TABLE>
</DEFINITION>
<DEFINITION>
  <FOR>light-on</FOR>
  <GIVEN>family-out</GIVEN>
  <TABLE>0.6 0.4 0.05 0.95 </TABLE>
</DEFINITION>
</NETWORK>
</BIF>
'''


def test_reads_the_javabayes_layout():
    bn = loads_xmlbif(DOG)
    assert bn.name == "Dog-Problem" and bn.nodes == ("light-on", "family-out")
    assert bn.state_names["family-out"] == ("true", "false")
    np.testing.assert_array_equal(bn.get_cpd("light-on").values, [[0.6, 0.05], [0.4, 0.95]])


@settings(max_examples=30, deadline=None)
@given(st.tuples(st.integers(0, 2**32 - 1), st.integers(1, 7), st.booleans()))
def test_write_read_round_trips_exactly(p):
    bn = random_bn(p[0], p[1], named_states=p[2])
    text = dumps_xmlbif(bn)
    bn2 = loads_xmlbif(text)
    assert bn2.nodes == bn.nodes and set(bn2.edges) == set(bn.edges)
    for v in bn.nodes:
        assert bn2.get_cpd(v) == bn.get_cpd(v)  # bit-exact, int states stay ints
    assert dumps_xmlbif(bn2) == text


def test_file_round_trip_awkward_names_and_gzip(tmp_path):
    names = ["Asy/Patch", "a <b> & 'c'", "Düsseldorf"]
    bn = BayesianNetwork([(names[0], names[1])])
    bn.add_cpds(TabularCPD(names[0], 2, [0.25, 0.75], state_names={names[0]: ["x&y", "<z>"]}),
                TabularCPD(names[1], 2, [[0.5, 0.1], [0.5, 0.9]], [names[0]], [2],
                           state_names={names[0]: ["x&y", "<z>"]}))
    path = tmp_path / "n.xml"
    write_xmlbif(bn, path)
    with pytest.raises(FileExistsError):
        write_xmlbif(bn, path)
    bn2 = read_xmlbif(path)
    for v in bn.nodes:
        assert bn2.get_cpd(v) == bn.get_cpd(v)
    gz = tmp_path / "n.xml.gz"
    gz.write_bytes(gzip.compress(path.read_bytes()))
    assert read_xmlbif(gz).get_cpd(names[1]) == bn.get_cpd(names[1])
    with pytest.raises(ValueError, match="cannot be written to XMLBIF"):
        dumps_xmlbif(_one(" pad"))


def _one(name):
    bn = BayesianNetwork(nodes=[name])
    bn.add_cpds(TabularCPD(name, 2, [0.5, 0.5]))
    return bn


def test_tolerance_follows_the_printed_decimals():
    t7 = DOG.replace("0.6 0.4 0.05 0.95", "0.3333333 0.6666666 0.05 0.95")
    np.testing.assert_array_equal(loads_xmlbif(t7).get_cpd("light-on").values[:, 0],
                                  [0.3333333, 0.6666666])
    with pytest.raises(XMLBIFError, match=r"column \(family-out=true\) sums to 1\.01"):
        loads_xmlbif(DOG.replace("0.6 0.4 0.05", "0.6100000 0.4000000 0.05"))
    with pytest.raises(XMLBIFError, match="atol=1e-08"):
        loads_xmlbif(t7, atol=1e-8)


@pytest.mark.parametrize("old, new, pat", [
    ("<TABLE>0.15 0.85 </TABLE>", "<TABLE>0.15 0.85 0.0</TABLE>",
     r":22: <TABLE>: the table of 'family-out' needs 2 numbers .* got 3"),
    ("<TABLE>0.15 0.85 </TABLE>", "<TABLE>0.15 x</TABLE>", r":22: <TABLE>: expected numbers .* 'x'"),
    ("<GIVEN>family-out</GIVEN>", "<GIVEN>nobody</GIVEN>", r":24: <DEFINITION>: 'nobody' has no <VARIABLE>"),
    ("  <NAME>family-out</NAME>", "", r":15: <VARIABLE>: expected a <NAME> child"),
    ("</NETWORK>", "", r":\d+: malformed XML: mismatched tag"),
    ('<VARIABLE TYPE="nature">\n  <NAME>light-on', '<VARIABLE TYPE="decision">\n  <NAME>light-on',
     r':9: <VARIABLE>: expected TYPE="nature"'),
    ("<FOR>family-out</FOR>\n  <TABLE>", "<FOR>light-on</FOR>\n  <TABLE>",
     r":24: <DEFINITION>: second <DEFINITION> for 'light-on' \(first on line 20\)"),
])
def test_malformed_xmlbif_names_line_element_and_expectation(old, new, pat):
    assert old in DOG
    with pytest.raises(XMLBIFError, match=pat):
        loads_xmlbif(DOG.replace(old, new, 1))


def test_entities_and_external_dtds_are_refused():
    lol = DOG.replace("]>", '<!ENTITY lol "lol">\n]>').replace("Dog-Problem", "&lol;")
    with pytest.raises(BIFError, match="no entity declarations"):
        loads_xmlbif(lol)
    ext = DOG.replace("<!DOCTYPE BIF [", '<!DOCTYPE BIF SYSTEM "http://example.org/x.dtd" [')
    with pytest.raises(XMLBIFError, match="external DTD"):
        loads_xmlbif(ext)


def test_bytes_follow_the_xml_declaration_and_bom(tmp_path):
    latin = DOG.replace('<?xml version="1.0"?>', '<?xml version="1.0" encoding="ISO-8859-1"?>')
    latin = latin.replace("Dog-Problem", "Chien-Problème")
    path = tmp_path / "latin.xml"
    path.write_bytes(latin.encode("latin-1"))
    assert read_xmlbif(path).name == "Chien-Problème"
    assert loads_xmlbif("\ufeff".encode() + DOG.encode()).name == "Dog-Problem"
    assert loads_xmlbif("\ufeff" + DOG).name == "Dog-Problem"
