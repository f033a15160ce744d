"""``pgm-energy sample`` and ``pgm-energy fit``: Bayesian networks and CSV files of state labels.

A CSV file has a header row naming the network's variables (any order) and one row per
sample of state names. ``sample`` writes one by forward sampling; ``fit`` reads one and
estimates every CPD of the network's structure from it (maximum likelihood, or the posterior
mean under a symmetric Dirichlet prior with ``--pseudocount``). Files are written atomically
and an input is never overwritten.
"""

from __future__ import annotations

import csv
import io
import os

import numpy as np

from energy.cli._common import positive_int
from pgm import fit_mle, forward_sample, read_bif, read_xmlbif, write_bif, write_xmlbif
from pgm.runtime import atomic_write

#: file-name endings of the network formats, and their readers
READERS = ((".bif", read_bif), (".bif.gz", read_bif), (".xml", read_xmlbif),
           (".xmlbif", read_xmlbif), (".xml.gz", read_xmlbif), (".xmlbif.gz", read_xmlbif))


#: field values read as a missing value (fit needs complete data)
MISSING = ("", "NA", "N/A", "NaN", "nan", "?", "null", "None")


def add_parsers(sub, net_help) -> None:
    """Register ``sample`` and ``fit`` on the subparsers ``sub``."""
    s = sub.add_parser("sample", help="forward samples of a Bayesian network to a CSV file",
                       description="Ancestral (forward) samples of the joint distribution, "
                                   "written as a CSV file of state names with a header row.")
    s.add_argument("network", help=net_help)
    s.add_argument("-n", "--samples", type=positive_int, required=True, metavar="N",
                   help="number of rows (>= 1)")
    s.add_argument("-o", "--output", required=True, help="output CSV (must differ from the input)")
    s.add_argument("--seed", type=int, default=0, help="random seed (0)")
    s.set_defaults(func=sample_main)

    f = sub.add_parser("fit", help="fit the CPDs of a network's structure to a CSV file",
                       description="Keep the structure and the states of NETWORK, estimate every "
                                   "CPD from the rows of DATA (a CSV file with a header naming "
                                   "the variables, state names in the cells, no missing values) "
                                   "and write the fitted network (.bif, .xml or .xmlbif).")
    f.add_argument("network", help=net_help)
    f.add_argument("data", help="CSV file: a header row of variable names, then state names")
    f.add_argument("-o", "--output", required=True,
                   help="fitted network: .bif, .xml or .xmlbif (must differ from the inputs)")
    f.add_argument("--pseudocount", type=float, default=0.0, metavar="a",
                   help="Dirichlet pseudo-count added to every count (0: maximum likelihood; "
                        "1: Laplace); needed when a parent configuration never occurs")
    f.set_defaults(func=fit_main)


def read_network(path):
    """Read a network file by its ending; a file that is not there or not readable is an error
    naming it."""
    path = os.fspath(path)
    low = path.lower()
    for end, reader in sorted(READERS, key=lambda r: -len(r[0])):
        if low.endswith(end):
            break
    else:
        raise ValueError(f"network: expected a file ending in "
                         f"{', '.join(e for e, _ in READERS)}, got {path!r}")
    if not os.path.exists(path):
        raise FileNotFoundError(f"network: {path!r} does not exist")
    try:
        return reader(path)
    except (OSError, EOFError) as exc:     # a folder, no permission, a broken gzip stream
        raise ValueError(f"network: cannot read {path!r} ({exc})") from None


def check_output(output, inputs, what="--output"):
    """Refuse an output path that is one of the input files (also through a link)."""
    for path in inputs:
        same = os.path.abspath(output) == os.path.abspath(path)
        if not same and os.path.exists(output) and os.path.exists(path):
            same = os.path.samefile(output, path)
        if same:
            raise ValueError(f"{what}: {output!r} is an input file; choose another name")


def sample_main(a) -> int:
    check_output(a.output, [a.network])
    bn = read_network(a.network)
    X = forward_sample(bn, a.samples, rng=a.seed)
    names = bn.state_names
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(bn.nodes)
    labels = [[str(s) for s in names[v]] for v in bn.nodes]
    for row in X.tolist():
        w.writerow([labels[k][i] for k, i in enumerate(row)])
    data = buf.getvalue().encode("utf-8")
    atomic_write(a.output, lambda fh: fh.write(data), overwrite=True)
    print(f"wrote {a.samples} rows of {len(bn.nodes)} variables to {a.output}")
    return 0


def read_rows(bn, path) -> np.ndarray:
    """The CSV ``path`` as state indices of shape (n_rows, n_nodes) in ``bn.nodes`` order,
    every column, label and value checked (named by row and column)."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            rows = list(csv.reader(fh))
    except UnicodeDecodeError as exc:
        raise ValueError(f"data: {path!r} is not UTF-8 text ({exc.reason})") from None
    except csv.Error as exc:
        raise ValueError(f"data: {path!r} is not a readable CSV file ({exc})") from None
    except OSError as exc:
        if isinstance(exc, FileNotFoundError):
            raise FileNotFoundError(f"data: {path!r} does not exist") from None
        raise ValueError(f"data: cannot read {path!r} ({exc})") from None
    if not rows:
        raise ValueError(f"data: {path!r} is empty (expected a header row of variable names)")
    header = [h.strip() for h in rows[0]]
    for j, h in enumerate(header):
        if h not in bn:
            raise ValueError(f"data: column {j + 1} of the header, {h!r}, is not a variable of "
                             f"the network (its variables are {list(bn.nodes)})")
        if h in header[:j]:
            raise ValueError(f"data: column {h!r} appears twice in the header")
    absent = [v for v in bn.nodes if v not in header]
    if absent:
        raise ValueError(f"data: the header has no column for variable(s) {absent}")
    body = [(line, r) for line, r in enumerate(rows[1:], start=2) if r]  # blank lines skipped
    if not body:
        raise ValueError(f"data: {path!r} has a header but no rows")
    luts = [{str(s): k for k, s in enumerate(bn.state_names[h])} for h in header]
    X = np.empty((len(body), len(header)), dtype=np.int64)
    for i, (line, r) in enumerate(body):
        if len(r) != len(header):
            raise ValueError(f"data: row {i + 1} (line {line}) has {len(r)} fields, the header "
                             f"{len(header)}")
        for j, (cell, lut) in enumerate(zip(r, luts)):
            t = cell.strip()
            k = lut.get(t)
            if k is None:
                if t in MISSING:
                    raise ValueError(f"data: missing value {cell!r} in row {i + 1} (line "
                                     f"{line}), column {header[j]!r}: fit needs complete data")
                raise ValueError(f"data: row {i + 1} (line {line}), column {header[j]!r}: "
                                 f"{t!r} is not a state of {header[j]!r} (its states are "
                                 f"{list(lut)})")
            X[i, j] = k
    col = {h: j for j, h in enumerate(header)}
    return X[:, [col[v] for v in bn.nodes]]


def fit_main(a) -> int:
    out = a.output.lower()
    if out.endswith(".bif"):
        writer = write_bif
    elif out.endswith((".xml", ".xmlbif")):
        writer = write_xmlbif
    else:
        raise ValueError(f"--output: expected a file ending in .bif, .xml or .xmlbif, "
                         f"got {a.output!r}")
    if not np.isfinite(a.pseudocount) or a.pseudocount < 0:
        raise ValueError(f"--pseudocount: expected a finite number >= 0, got {a.pseudocount}")
    check_output(a.output, [a.network, a.data])
    bn = read_network(a.network)
    X = read_rows(bn, a.data)
    try:
        fitted = fit_mle(bn, X, cardinality=bn.cardinality, state_names=bn.state_names,
                         pseudo_count=a.pseudocount)
    except ValueError as exc:
        msg = str(exc)
        hint = "give pseudo_count > 0 or unseen='uniform'"
        if hint in msg:
            raise ValueError(msg.replace(hint, "give --pseudocount > 0")) from None
        raise
    name = os.path.basename(a.output).split(".")[0] or "fitted"
    writer(fitted, a.output, overwrite=True, name=name)
    print(f"fitted {len(bn.nodes)} CPDs to {X.shape[0]} rows of {a.data}; wrote {a.output}")
    return 0
