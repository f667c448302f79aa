"""Exceptions shared by the engines, the data layer and the front ends.

Every error a user can cause derives from :class:`InkpickError`; its message is
meant to be shown as is (status bar, dialog, CLI stderr). Anything else reaching
a front end is a bug and is logged with its traceback.
"""

from __future__ import annotations


class InkpickError(Exception):
    """Base class of all errors whose message is fit to show a user."""


class InvalidInputError(InkpickError, ValueError):
    """A parameter or a value given by the caller is outside what is accepted."""


class DataFormatError(InkpickError):
    """A data file cannot be read; the message names file, line and field.

    Parameters
    ----------
    message
        What is wrong and what was expected.
    path, line, field
        Where it is wrong; ``line`` is 1-based and counts physical lines of the
        file (the header is line 1) when known.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.path = path
        self.line = line
        self.field = field
        self.reason = message
        where = []
        if path is not None:
            where.append(str(path))
        if line is not None:
            where.append(f"line {line}")
        if field is not None:
            where.append(f"field {field!r}")
        prefix = ", ".join(where)
        super().__init__(f"{prefix}: {message}" if prefix else message)


class DatasetNotFoundError(InkpickError):
    """A dataset's files are not in any of the searched folders."""


class ModelFormatError(InkpickError):
    """A saved model or cache file is corrupted, foreign or of another version."""


class CancelledError(InkpickError):
    """A long operation (training, index build, download) was cancelled."""
