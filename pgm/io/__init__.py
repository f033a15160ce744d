"""File formats of discrete Bayesian networks: BIF (:mod:`pgm.io.bif`) and XMLBIF
(:mod:`pgm.io.xmlbif`).

Both readers keep the probabilities as written and check every column sum against a
tolerance derived from the decimals the file prints; both writers write every name their
reader accepts, so read → write → read is the identity.
"""

from .bif import BIFError, dumps_bif, loads_bif, read_bif, write_bif
from .xmlbif import XMLBIFError, dumps_xmlbif, loads_xmlbif, read_xmlbif, write_xmlbif

__all__ = ["BIFError", "read_bif", "write_bif", "loads_bif", "dumps_bif",
           "XMLBIFError", "read_xmlbif", "write_xmlbif", "loads_xmlbif", "dumps_xmlbif"]
