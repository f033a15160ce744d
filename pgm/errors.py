"""Error types shared by the modules of :mod:`pgm`.

:class:`ImpossibleEvidenceError` is raised by exact inference and by the samplers when the
evidence has probability zero under the model. It is a ``ValueError``, so code that catches
bad input generally catches it too.

Examples
--------
>>> issubclass(ImpossibleEvidenceError, ValueError)
True
>>> issubclass(TableTooLargeError, ValueError)
True
>>> evidence_message({"Wet": 1}, {"Wet": ["no", "yes"]})
"{'Wet': 'yes'}"
"""

from __future__ import annotations

__all__ = ["ImpossibleEvidenceError", "TableTooLargeError", "evidence_message"]


class ImpossibleEvidenceError(ValueError):
    """The evidence has probability zero under the model."""


class TableTooLargeError(ValueError):
    """Exact inference would build a table of more entries than the engine's
    ``max_table_entries``; raised before the table is allocated."""


def evidence_message(evidence, names=None) -> str:
    """``{variable: state}`` of encoded ``evidence`` for an error message: the state names
    from ``names`` (``{variable: list of state names}``) when given, else the indices."""
    if names is None:
        return str(evidence)
    return "{" + ", ".join(f"{k!r}: {names[k][v]!r}" for k, v in evidence.items()) + "}"
