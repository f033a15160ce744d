"""``pgm-energy query / sample / fit / info`` on the sprinkler network written to a file:
answers against exact enumeration of the joint, samples against the exact marginals, fits
against counts made here, and every bad input a one-line error with exit status 2."""

import csv
import gzip
import itertools
import math

import networkx as nx
import numpy as np
import pytest

from energy.cli import main
from pgm import BayesianNetwork, TabularCPD, read_bif, write_bif, write_xmlbif

TF = ["F", "T"]


def sprinkler():
    bn = BayesianNetwork([("Cloudy", "Sprinkler"), ("Cloudy", "Rain"),
                          ("Sprinkler", "WetGrass"), ("Rain", "WetGrass")])
    bn.add_cpds(
        TabularCPD("Cloudy", 2, [0.5, 0.5], state_names={"Cloudy": TF}),
        TabularCPD("Sprinkler", 2, [[0.5, 0.9], [0.5, 0.1]], ["Cloudy"], [2],
                   state_names={"Sprinkler": TF, "Cloudy": TF}),
        TabularCPD("Rain", 2, [[0.8, 0.2], [0.2, 0.8]], ["Cloudy"], [2],
                   state_names={"Rain": TF, "Cloudy": TF}),
        TabularCPD("WetGrass", 2, [[1.0, 0.1, 0.1, 0.01], [0.0, 0.9, 0.9, 0.99]],
                   ["Sprinkler", "Rain"], [2, 2],
                   state_names={"WetGrass": TF, "Sprinkler": TF, "Rain": TF}),
    )
    return bn


def joint(bn):
    """{assignment dict as a tuple in bn.nodes order: probability}, by the chain rule."""
    out = {}
    for states in itertools.product(range(2), repeat=len(bn.nodes)):
        x = dict(zip(bn.nodes, states))
        p = 1.0
        for v in bn.nodes:
            cpd = bn.get_cpd(v)
            pa = cpd.parents
            col = 0
            for u in pa:                      # parents in the CPD's order, C order columns
                col = col * 2 + x[u]
            p *= np.asarray(cpd.values).reshape(2, -1)[x[v], col]
        out[states] = p
    return out


def exact_posterior(bn, evidence, var):
    idx = {v: i for i, v in enumerate(bn.nodes)}
    num = np.zeros(2)
    for s, p in joint(bn).items():
        if all(s[idx[e]] == TF.index(val) for e, val in evidence.items()):
            num[s[idx[var]]] += p
    return num / num.sum()


@pytest.fixture
def net(tmp_path):
    path = tmp_path / "sprinkler.bif"
    write_bif(sprinkler(), path, name="sprinkler")
    return path


def table(out):
    """The query output as {(variable, state): probability}."""
    rows = [ln.split("\t") for ln in out.splitlines() if ln and not ln.startswith("#")]
    assert rows[0] == ["variable", "state", "probability"]
    return {(v, s): float(p) for v, s, p in rows[1:]}


def error_line(capsys):
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("pgm-energy: error: "), err
    assert "Traceback" not in err
    return lines[0]


def test_query_marginals_match_exact_enumeration(net, capsys):
    assert main(["query", str(net), "--evidence", "WetGrass=T", "Cloudy=F"]) == 0
    got = table(capsys.readouterr().out)
    bn = sprinkler()
    assert {v for v, _ in got} == {"Sprinkler", "Rain"}      # every non-evidence variable
    for var in ("Sprinkler", "Rain"):
        want = exact_posterior(bn, {"WetGrass": "T", "Cloudy": "F"}, var)
        np.testing.assert_allclose([got[var, "F"], got[var, "T"]], want, atol=1e-6)


def test_evidence_and_targets_may_be_given_option_by_option(net, capsys):
    assert main(["query", str(net), "--evidence", "WetGrass=T", "Cloudy=F", "--target", "Rain",
                 "Sprinkler"]) == 0
    both = table(capsys.readouterr().out)
    assert main(["query", str(net), "--evidence", "WetGrass=T", "--evidence", "Cloudy=F",
                 "--target", "Rain", "--target", "Sprinkler"]) == 0
    assert table(capsys.readouterr().out) == both and len(both) == 4


def test_query_targets_only_and_no_evidence(net, capsys):
    assert main(["query", str(net), "--target", "WetGrass"]) == 0
    got = table(capsys.readouterr().out)
    assert set(got) == {("WetGrass", "F"), ("WetGrass", "T")}
    np.testing.assert_allclose(got["WetGrass", "T"],
                               exact_posterior(sprinkler(), {}, "WetGrass")[1], atol=1e-6)


def test_query_map_is_the_argmax_of_the_joint(net, capsys):
    assert main(["query", str(net), "--evidence", "WetGrass=T", "--map"]) == 0
    out = capsys.readouterr().out
    rows = dict(ln.split("\t") for ln in out.splitlines() if ln and not ln.startswith("#"))
    bn = sprinkler()
    w = bn.nodes.index("WetGrass")
    cand = {s: p for s, p in joint(bn).items() if s[w] == 1}
    best = max(cand, key=cand.get)
    assert rows == {v: TF[best[i]] for i, v in enumerate(bn.nodes) if v != "WetGrass"}
    p_joint = float(out.split("P(assignment, evidence) = ")[1].split()[0])
    p_cond = float(out.split("P(assignment | evidence) = ")[1].split()[0])
    assert p_joint == pytest.approx(cand[best], rel=1e-5)
    assert p_cond == pytest.approx(cand[best] / sum(cand.values()), rel=1e-5)


@pytest.mark.parametrize("fmt", ["bif.gz", "xml", "xmlbif"])
def test_every_format_gives_the_same_answer(net, tmp_path, capsys, fmt):
    other = tmp_path / f"net.{fmt}"
    if fmt == "bif.gz":
        other.write_bytes(gzip.compress(net.read_bytes()))
    else:
        write_xmlbif(sprinkler(), other)
    args = ["query", "--evidence", "WetGrass=T"]
    assert main(args[:1] + [str(net)] + args[1:]) == 0
    want = capsys.readouterr().out
    assert main(args[:1] + [str(other)] + args[1:]) == 0
    assert table(capsys.readouterr().out) == table(want)


def read_csv(path):
    with open(path, newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


def test_sample_writes_labels_whose_frequencies_match_the_exact_marginals(net, tmp_path, capsys):
    out = tmp_path / "rows.csv"
    n = 20_000
    assert main(["sample", str(net), "-n", str(n), "-o", str(out), "--seed", "3"]) == 0
    header, rows = read_csv(out)
    bn = sprinkler()
    assert header == list(bn.nodes) and len(rows) == n
    assert {c for r in rows for c in r} == set(TF)
    # each marginal within 4.5 standard errors of the exact value (fixed seed)
    for j, v in enumerate(header):
        p = exact_posterior(bn, {}, v)[1]
        freq = sum(r[j] == "T" for r in rows) / n
        assert abs(freq - p) < 4.5 * math.sqrt(p * (1 - p) / n), (v, freq, p)
    # joint goodness of fit: chi-square over the 16 cells (15 dof; 99.9% quantile 37.7)
    idx = {s: p for s, p in joint(bn).items() if p > 0}
    counts = {s: 0 for s in idx}
    for r in rows:
        counts[tuple(TF.index(c) for c in r)] += 1
    chi2 = sum((counts[s] - n * p) ** 2 / (n * p) for s, p in idx.items())
    assert chi2 < 37.7 + 3 * (16 - len(idx))
    # same seed, same file
    again = tmp_path / "again.csv"
    assert main(["sample", str(net), "-n", str(n), "-o", str(again), "--seed", "3"]) == 0
    assert again.read_bytes() == out.read_bytes()


def test_sample_never_overwrites_its_input(net, capsys):
    before = net.read_bytes()
    assert main(["sample", str(net), "-n", "5", "-o", str(net)]) == 2
    assert "-o" in error_line(capsys)
    assert net.read_bytes() == before


def write_rows(path, header, rows):
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)


def test_fit_gives_the_counted_frequencies(net, tmp_path, capsys):
    rng = np.random.default_rng(0)
    header = ["WetGrass", "Rain", "Sprinkler", "Cloudy"]       # any column order
    rows = [[TF[b] for b in rng.integers(0, 2, 4)] for _ in range(400)]
    data = tmp_path / "rows.csv"
    write_rows(data, header, rows)
    for a in (0.0, 1.0):
        out = tmp_path / f"fitted{int(a)}.bif"
        assert main(["fit", str(net), str(data), "-o", str(out), "--pseudocount", str(a)]) == 0
        fitted = read_bif(out)
        assert sorted(fitted.edges) == sorted(sprinkler().edges)
        col = {h: j for j, h in enumerate(header)}
        # P(WetGrass = T | Sprinkler = s, Rain = r), counted here
        vals = np.asarray(fitted.get_cpd("WetGrass").values).reshape(2, -1)
        pa = fitted.get_cpd("WetGrass").parents
        for k, cfg in enumerate(itertools.product(TF, repeat=len(pa))):
            sel = [r for r in rows if all(r[col[u]] == s for u, s in zip(pa, cfg))]
            n_t = sum(r[col["WetGrass"]] == "T" for r in sel)
            assert vals[1, k] == pytest.approx((n_t + a) / (len(sel) + 2 * a), abs=1e-6)
        assert fitted.get_cpd("Cloudy").values[1] == pytest.approx(
            (sum(r[col["Cloudy"]] == "T" for r in rows) + a) / (len(rows) + 2 * a), abs=1e-6)


def test_fit_unseen_parent_configuration_asks_for_a_pseudocount(net, tmp_path, capsys):
    data = tmp_path / "rows.csv"
    write_rows(data, ["Cloudy", "Sprinkler", "Rain", "WetGrass"], [["F", "F", "F", "F"]] * 3)
    out = tmp_path / "fitted.bif"
    assert main(["fit", str(net), str(data), "-o", str(out)]) == 2
    assert "--pseudocount" in error_line(capsys) and not out.exists()
    assert main(["fit", str(net), str(data), "-o", str(out), "--pseudocount", "0.5"]) == 0
    assert out.exists()


def test_info_reports_the_min_fill_width_and_the_structure(net, capsys):
    assert main(["info", str(net)]) == 0
    out = capsys.readouterr().out
    bn = sprinkler()
    g = bn.moral_graph()
    width, _ = nx.algorithms.approximation.treewidth_min_fill_in(g)
    assert f"nodes: {len(bn.nodes)}, edges: {len(bn.edges)}" in out
    free = sum(math.prod(2 for _ in bn.parents(v)) for v in bn.nodes)    # binary: 1 per column
    assert f"free parameters: {free}" in out
    assert f"treewidth (min-fill triangulation): {width};" in out
    assert f"largest clique: {width + 1} variables" in out
    for u, v in bn.edges:
        assert f"{u} -> {v}" in out
    assert "Cloudy\tF,T\t-" in out


@pytest.mark.parametrize("args, named", [
    (["--evidence", "Rain="], "'Rain='"),
    (["--evidence", "=T"], "'=T'"),
    (["--evidence", "Rain"], "'Rain'"),
    (["--evidence", "Wind=T"], "'Wind'"),
    (["--evidence", "Rain=maybe"], "'maybe'"),
    (["--evidence", "Rain=T", "Rain=F"], "twice"),
    (["--target", "Wind"], "'Wind'"),
    (["--evidence", "Rain=T", "--target", "Rain"], "also given as evidence"),
    (["--target", "Rain", "--map"], "--target"),
])
def test_query_bad_evidence_and_targets_are_named(net, capsys, args, named):
    assert main(["query", str(net)] + args) == 2
    line = error_line(capsys)
    assert named in line
    if "maybe" in named:
        assert "'Rain'" in line and "['F', 'T']" in line


def test_impossible_evidence_is_a_clear_error(net, capsys):
    assert main(["query", str(net), "--evidence", "WetGrass=T", "Sprinkler=F", "Rain=F"]) == 2
    assert "probability" in error_line(capsys).lower()


@pytest.mark.parametrize("header, rows, named", [
    (["Cloudy", "Sprinkler", "Rain", "Wind"], [["F", "F", "F", "F"]], ["'Wind'"]),
    (["Cloudy", "Sprinkler", "Rain"], [["F", "F", "F"]], ["'WetGrass'"]),
    (["Cloudy", "Sprinkler", "Rain", "Rain"], [["F", "F", "F", "F"]], ["'Rain'", "twice"]),
    (["Cloudy", "Sprinkler", "Rain", "WetGrass"], [["F", "F", "F", "F"], ["F", "x", "F", "F"]],
     ["row 2", "'Sprinkler'", "'x'"]),
    (["Cloudy", "Sprinkler", "Rain", "WetGrass"], [["F", "F", "F", "F"], ["F", "F", "", "F"]],
     ["missing", "row 2", "'Rain'"]),
    (["Cloudy", "Sprinkler", "Rain", "WetGrass"], [["NA", "F", "F", "F"]],
     ["missing", "row 1", "'Cloudy'"]),
    (["Cloudy", "Sprinkler", "Rain", "WetGrass"], [["F", "F", "F"]], ["row 1", "3 fields"]),
    (["Cloudy", "Sprinkler", "Rain", "WetGrass"], [], ["no rows"]),
])
def test_fit_bad_csv_is_named_and_nothing_is_written(net, tmp_path, capsys, header, rows, named):
    data = tmp_path / "rows.csv"
    write_rows(data, header, rows)
    out = tmp_path / "fitted.bif"
    assert main(["fit", str(net), str(data), "-o", str(out)]) == 2
    line = error_line(capsys)
    for word in named:
        assert word in line
    assert not out.exists()


@pytest.mark.parametrize("which", ["net", "data"])
def test_fit_never_overwrites_an_input(net, tmp_path, capsys, which):
    data = tmp_path / "rows.bif"        # a .bif name so that only the input rule refuses it
    write_rows(data, list(sprinkler().nodes), [["F"] * 4])
    target = net if which == "net" else data
    before = target.read_bytes()
    assert main(["fit", str(net), str(data), "-o", str(target), "--pseudocount", "1"]) == 2
    assert "input" in error_line(capsys)
    assert target.read_bytes() == before


@pytest.mark.parametrize("name, word", [("net.txt", ".bif"), ("absent.bif", "does not exist")])
def test_bad_network_files_are_named(tmp_path, capsys, name, word):
    assert main(["info", str(tmp_path / name)]) == 2
    line = error_line(capsys)
    assert word in line and name in line


def test_corrupt_network_file_is_a_one_line_error(tmp_path, capsys):
    bad = tmp_path / "bad.bif.gz"
    bad.write_bytes(b"\x1f\x8b not really gzip")
    assert main(["info", str(bad)]) == 2
    assert "bad.bif.gz" in error_line(capsys)


@pytest.mark.parametrize("cmd", ["query", "sample", "fit", "info"])
def test_each_subcommand_has_help(cmd, capsys):
    with pytest.raises(SystemExit) as exc:
        main([cmd, "--help"])
    assert exc.value.code == 0
    assert f"pgm-energy {cmd}" in capsys.readouterr().out
