"""What the BIF and XMLBIF readers and writers share: the column-sum tolerance derived from the
printed decimals, the integer-state convention and the atomic write.

Tolerance rule (``atol=None``, the readers' default): a probability printed with ``d`` decimals
is off its true value by at most ``0.5·10^-d``, so a column of ``n`` values whose most precise
entry prints ``d`` decimals may sum to 1 ± ``n · 0.5·10^-d``; the tolerance of that column is
``max(1e-8, n · 0.5·10^-d) + 1e-12`` (the last term absorbs the floating-point error of the
sum itself). The decimals of ``"1.5e-03"`` are 1 + 3 = 4. Files written with
the shortest round-trip ``repr`` print 15–17 significant digits, so their tolerance is 1e-8.
Nothing is rescaled: the values are kept as written.

Limits (hostile files): a reader reads at most ``max_bytes`` bytes of a file, counted after gzip
decompression (default :data:`DEFAULT_MAX_BYTES`, 1 GiB), and refuses a network whose tables
would hold more than ``max_entries`` numbers in all (default :data:`DEFAULT_MAX_ENTRIES`,
2**27 float64 entries, 1 GiB), before allocating them.
"""

from __future__ import annotations

import gzip
import io
import math
import numbers
import os
import re
import tempfile
import zlib

import numpy as np

from ..cpd import DEFAULT_ATOL

INT_STATES = "int"  # the marker a writer records for a variable whose states are Python ints
DEFAULT_MAX_BYTES = 2**30    # bytes a reader reads (after gzip decompression)
DEFAULT_MAX_ENTRIES = 2**27  # numbers all the tables of one network may hold
_CHUNK = 1 << 20


def check_limit(value, what):
    """A positive int limit argument (``max_bytes``, ``max_entries``)."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Integral,)) or value < 1:
        raise ValueError(f"{what}: expected a positive int, got {value!r}")
    return int(value)


def _read_capped(fh, max_bytes, fail, what):
    parts, n = [], 0
    while True:
        b = fh.read(min(_CHUNK, max_bytes + 1 - n))
        if not b:
            return b"".join(parts)
        parts.append(b)
        n += len(b)
        if n > max_bytes:
            fail(f"{what} more than max_bytes={max_bytes} bytes; pass a larger max_bytes to "
                 "read it")


def read_limited(path, max_bytes, error):
    """The bytes of the file ``path``, gunzipped when they start with the gzip magic number.

    Reads in chunks and stops past ``max_bytes`` (counted before and after decompression), so
    ``/dev/zero`` or a gzip bomb raise ``error`` (an exception class) naming the file and the
    limit instead of exhausting memory; a corrupt gzip stream raises ``error`` too.
    """
    path = os.fspath(path)
    max_bytes = check_limit(max_bytes, "max_bytes")

    def fail(msg):
        raise error(f"{path}: {msg}")
    with open(path, "rb") as fh:
        raw = _read_capped(fh, max_bytes, fail, "the file holds")
    if raw[:2] != b"\x1f\x8b":
        return raw
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(raw)) as gz:
            return _read_capped(gz, max_bytes, fail, "the gzip data decompresses to")
    except (OSError, EOFError, zlib.error) as exc:  # gzip.BadGzipFile is an OSError
        raise error(f"{path}: not a valid gzip file ({type(exc).__name__}: {exc})") from None


_OPEN = re.compile(r"//|/\*")


def strip_comments(text, source, error):
    """``//`` and ``/* */`` comments replaced by spaces (newlines kept, so line numbers hold), in
    one linear pass (a regex retried at each ``/*`` of an unclosed comment is quadratic); an
    unclosed ``/*`` raises ``error`` naming its line."""
    parts, pos = [], 0
    while (m := _OPEN.search(text, pos)) is not None:
        parts.append(text[pos:m.start()])
        if m.group() == "//":
            end = text.find("\n", m.end())
            end = len(text) if end < 0 else end
        else:
            end = text.find("*/", m.end())
            if end < 0:
                ln = text.count("\n", 0, m.start()) + 1
                raise error(f"{source}:{ln}: unterminated '/*' comment (no closing '*/')")
            end += 2
        parts.append(re.sub(r"[^\n]", " ", text[m.start():end]))
        pos = end
    parts.append(text[pos:])
    return "".join(parts)


def unravel(j, cards):
    """The multi-index of flat C-order position ``j`` in a table of shape ``cards`` (Python
    ints: no axis-count or int64 limit)."""
    out = []
    for c in reversed(cards):
        j, r = divmod(j, c)
        out.append(r)
    return tuple(reversed(out))


def table_size(cards) -> int:
    """Number of entries of a table of shape ``cards`` (a Python int, never overflowing)."""
    return math.prod(cards)


def printed_decimals(text) -> int:
    """Decimals a literal prints (``"0.9999999"`` → 7, ``"1e-05"`` → 5, ``"1"`` → 0)."""
    s = str(text).strip().lower()
    mant, _, exp = s.partition("e")
    frac = mant.partition(".")[2]
    try:
        e = int(exp) if exp else 0
    except ValueError:
        e = 0
    return max(len(frac) - e, 0)


def check_column_sums(arr, texts, atol, describe):
    """Check every column of a (card, n_cols) table; return the atol to give the CPD.

    Parameters
    ----------
    arr : ndarray of shape (card, n_cols)
    texts : callable
        ``texts(j)`` → the literals printed for column ``j`` (called only for columns off 1 by
        more than 1e-8, so the decimals cost nothing on exact files).
    atol : float or None
        A fixed absolute tolerance, or None for the tolerance derived from the decimals.
    describe : callable
        ``describe(j)`` → text naming column ``j`` (its parent states).

    Raises
    ------
    ValueError
        A column off 1 by more than its tolerance: the message names the column, its sum,
        the tolerance and (when derived) the decimals it came from.
    """
    card = arr.shape[0]
    dev = np.abs(arr.sum(axis=0) - 1.0)
    base = DEFAULT_ATOL if atol is None else float(atol)
    worst = base
    for j in np.flatnonzero(dev > base):
        tol, why = base, f"atol={base:g}"
        if atol is None:
            d = max(printed_decimals(t) for t in texts(j))
            tol = max(DEFAULT_ATOL, card * 0.5 * 10.0 ** -d) + 1e-12
            why = (f"tolerance {tol:.3g} = {card} values x 0.5e-{d} (the column prints {d} "
                   f"decimals)")
        if not dev[j] <= tol:
            s = float(arr[:, j].sum())
            raise ValueError(f"{describe(j)} sums to {s:.10g}, off by {s - 1:+.3e}; {why}")
        worst = max(worst, tol)
    return worst


def write_atomic(path, text, overwrite, suffix):
    """Write ``text`` (UTF-8) to ``path`` through a temporary file and a rename/link."""
    path = os.fspath(path)
    if os.path.exists(path) and not overwrite:
        raise FileExistsError(f"path: {path!r} exists; pass overwrite=True to replace it")
    d = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=suffix, dir=d)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        if overwrite:
            os.replace(tmp, path)
        else:
            os.link(tmp, path)  # fails if the file appeared meanwhile: never clobbers
            os.unlink(tmp)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def int_states(names) -> bool:
    """True when every state name is a Python/numpy int (not bool): recorded so it reads back."""
    return bool(names) and all(isinstance(s, (int, np.integer))
                               and not isinstance(s, (bool, np.bool_)) for s in names)


def read_int_states(names, fail):
    """Convert the printed states of a variable marked as integer-valued back to ints."""
    out = []
    for s in names:
        t = s.strip()
        if not (t.lstrip("-").isdigit() and t.isascii()):
            fail(f"integer state names (the variable is marked state_type = int), got {s!r}")
        out.append(int(t))
    return out


def is_float(t) -> bool:
    """Whether the token ``t`` parses as a float (the parsers use it to name a bad number)."""
    try:
        float(t)
        return True
    except ValueError:
        return False
