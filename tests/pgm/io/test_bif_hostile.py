"""Hostile BIF inputs: each is refused quickly, before any large allocation, with a BIFError
naming the source, the line and what was expected (or the limit that was hit)."""

import gzip
import os
import time

import numpy as np
import pytest

from pgm import BIFError, TabularCPD, loads_bif, read_bif, read_xmlbif
from pgm.io import XMLBIFError


def _star(n_parents, row):
    """n binary root parents and a child C with them all as parents, with the block ``row``."""
    out = [f"variable P{i} {{ type discrete [ 2 ] {{ a, b }}; }}\n"
           f"probability ( P{i} ) {{ table 0.5, 0.5; }}\n" for i in range(n_parents)]
    par = ", ".join(f"P{i}" for i in range(n_parents))
    out.append(f"variable C {{ type discrete [ 2 ] {{ a, b }}; }}\n"
               f"probability ( C | {par} ) {{ {row} }}\n")
    return "".join(out)


def test_unclosed_block_comment_is_linear_and_names_its_line():
    t = time.perf_counter()
    with pytest.raises(BIFError, match=r"<string>:1: unterminated '/\*' comment"):
        loads_bif("/*x" * 40000)  # was 46 s: the comment regex rescanned from every '/*'
    assert time.perf_counter() - t < 5
    with pytest.raises(BIFError, match=r"<string>:3: unterminated '/\*' comment"):
        loads_bif("// a\nvariable A { type discrete [ 2 ] { a, b }; }\n /* x\n" + "/*x" * 20000)


def test_one_row_with_30_parents_is_refused_before_allocating():
    text = _star(30, "(" + ", ".join(["a"] * 30) + ") 0.5, 0.5;")
    assert len(text) < 3000  # a 2.9 KB file used to fill a 16 GiB table first
    with pytest.raises(BIFError, match=r":62: the table of 'C' has 2147483648 entries.*"
                                       r"max_entries=134217728"):
        loads_bif(text)
    # with the limit lifted, the row count is checked before the table is allocated
    with pytest.raises(BIFError, match=r"has 1 of 1073741824 parent configurations and no "
                                       r"'default'; missing e.g. \('a', .*'b'\)"):
        loads_bif(text, max_entries=2**40)
    with pytest.raises(ValueError, match="max_entries: expected a positive int, got 0"):
        loads_bif(text, max_entries=0)


def test_default_line_counts_against_max_entries():
    text = _star(4, "(a, a, a, a) 0.2, 0.8; default 0.5, 0.5;")
    bn = loads_bif(text)
    assert bn.get_cpd("C").values[:, 0].tolist() == [0.2, 0.8]
    assert bn.get_cpd("C").values[:, 1:].tolist() == [[0.5] * 15, [0.5] * 15]
    # 4 roots x 2 + 32 = 40 entries in all
    loads_bif(text, max_entries=40)
    with pytest.raises(BIFError, match=r"brings the network to 40 > max_entries=39"):
        loads_bif(text, max_entries=39)


def test_gzip_bomb_and_endless_file_are_capped(tmp_path):
    good = _star(2, "table 0.1, 0.2, 0.3, 0.4, 0.9, 0.8, 0.7, 0.6;").encode()
    p = tmp_path / "net.bif.gz"
    p.write_bytes(gzip.compress(good + b" " * 100_000))  # ~100 KB inflated from ~300 B
    assert read_bif(p).nodes == ("P0", "P1", "C")
    with pytest.raises(BIFError, match=r"net.bif.gz: the gzip data decompresses to more than "
                                       r"max_bytes=50000 bytes"):
        read_bif(p, max_bytes=50_000)
    with pytest.raises(XMLBIFError, match=r"decompresses to more than max_bytes=50000"):
        read_xmlbif(p, max_bytes=50_000)
    plain = tmp_path / "net.bif"
    plain.write_bytes(good)
    with pytest.raises(BIFError, match=r"net.bif: the file holds more than max_bytes=100 bytes"):
        read_bif(plain, max_bytes=100)
    if os.path.exists("/dev/zero"):  # an endless file: stops past the limit
        with pytest.raises(BIFError, match=r"/dev/zero: the file holds more than "
                                           r"max_bytes=1000000"):
            read_bif("/dev/zero", max_bytes=1_000_000)
    with pytest.raises(ValueError, match="max_bytes: expected a positive int"):
        read_bif(plain, max_bytes=-1)


@pytest.mark.parametrize("data", [b"\x1f\x8bgarbage", gzip.compress(b"variable A {")[:-6],
                                  b"\x1f\x8b\x08\x00" + bytes(20)],
                         ids=["bad-header", "truncated", "zero-body"])
def test_corrupt_gzip_is_a_bif_error_naming_the_file(tmp_path, data):
    p = tmp_path / "bad.bif.gz"
    p.write_bytes(data)
    with pytest.raises(BIFError, match=r"bad.bif.gz: not a valid gzip file"):
        read_bif(p)
    with pytest.raises(XMLBIFError, match=r"bad.bif.gz: not a valid gzip file"):
        read_xmlbif(p)


def test_non_ascii_digit_state_count_names_the_line():
    with pytest.raises(BIFError, match=r"<string>:1: expected a positive integer number of "
                                       r"states, got '²'"):
        loads_bif("variable A { type discrete [ ² ] { a, b }; }")
    with pytest.raises(BIFError, match=r"<string>:2: expected a positive integer number of "):
        loads_bif("\nvariable A { type discrete [ " + "9" * 5000 + " ] { a, b }; }")


def test_byte_order_mark_is_accepted(tmp_path):
    text = "\ufeffvariable A { type discrete [ 2 ] { a, b }; } probability ( A ) { table 0.5 0.5; }"
    assert loads_bif(text).nodes == ("A",)
    p = tmp_path / "bom.bif"
    p.write_bytes(text.encode("utf-8"))
    assert read_bif(p).nodes == ("A",)
    p.write_bytes(gzip.compress(text.encode("utf-8")))
    assert read_bif(p).nodes == ("A",)


def test_64_parents_are_refused_with_a_clear_message():
    with pytest.raises(BIFError, match=r":130: 'C' has 64 parents; a table holds at most 63"):
        loads_bif(_star(64, "table 0.5, 0.5;"))  # said "needs 0 numbers" (int64 overflow)
    for n in (64, 70):
        with pytest.raises(ValueError, match=rf"TabularCPD 'C': at most 63 parents .* got {n}"):
            TabularCPD("C", 2, np.full((2, 1), 0.5), [f"P{i}" for i in range(n)], [1] * n)
    # 63 one-state parents: a legal 64-axis table
    cpd = TabularCPD("C", 2, np.full((2, 1), 0.5), [f"P{i}" for i in range(63)], [1] * 63)
    assert cpd.table.ndim == 64
    with pytest.raises(ValueError, match=r"values must have shape \(2, 9223372036854775808\)"):
        TabularCPD("C", 2, np.full((2, 1), 0.5), [f"P{i}" for i in range(63)], [2] * 63)
