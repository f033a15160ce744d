"""File formats of discrete Bayesian networks: BIF (:mod:`pgm.io.bif`) and XMLBIF
(:mod:`pgm.io.xmlbif`); of Bayesian and Markov networks: UAI (:mod:`pgm.io.uai`).

Both readers keep the probabilities as written and check every column sum against a
tolerance derived from the decimals the file prints; both writers write every name their
reader accepts, so read → write → read is the identity.
"""

from .bif import BIFError, dumps_bif, loads_bif, read_bif, write_bif
from .xmlbif import XMLBIFError, dumps_xmlbif, loads_xmlbif, read_xmlbif, write_xmlbif
from .uai import (UAIError, dumps_evid, dumps_uai, loads_evid, loads_uai, read_evid, read_uai,
                  write_evid, write_uai)

__all__ = ["BIFError", "read_bif", "write_bif", "loads_bif", "dumps_bif",
           "XMLBIFError", "read_xmlbif", "write_xmlbif", "loads_xmlbif", "dumps_xmlbif",
           "UAIError", "read_uai", "write_uai", "loads_uai", "dumps_uai", "read_evid", "write_evid",
           "loads_evid", "dumps_evid"]
