"""Logging for the desktop app: handlers, ``sys.excepthook``, Qt messages.

Installed only by :func:`inkpick_desktop.ui.app.main`. Unexpected exceptions are
logged with their traceback and announced through :data:`reporter` so the window
can show them briefly; they are never swallowed. Qt's own warnings go to the
``qt`` logger.
"""

from __future__ import annotations

import logging
import sys
import threading
import traceback
from pathlib import Path
from types import TracebackType

import platformdirs
from PySide6.QtCore import (
    QMessageLogContext,
    QObject,
    QtMsgType,
    Signal,
    qInstallMessageHandler,
)

logger = logging.getLogger(__name__)
qt_logger = logging.getLogger("qt")


class ErrorReporter(QObject):
    """Carries "something unexpected happened" to whichever window listens.

    Signals
    -------
    error_reported(str)
        A one-line summary of an unexpected exception (the traceback is logged).
    """

    error_reported = Signal(str)


reporter = ErrorReporter()

_QT_LEVELS = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING,
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}


def log_dir() -> Path:
    return Path(platformdirs.user_log_dir("Inkpick Desktop", "Inkpick"))


def setup_logging(verbose: int = 0, log_file: Path | None = None) -> Path | None:
    """Console handler plus a log file in the user log folder (when writable)."""
    level = logging.WARNING - 10 * min(verbose, 2)
    root = logging.getLogger()
    root.setLevel(min(level, logging.INFO))
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    console = logging.StreamHandler(sys.stderr)
    console.setLevel(level)
    console.setFormatter(fmt)
    root.addHandler(console)
    path = log_file if log_file is not None else log_dir() / "inkpick-desktop.log"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(path, encoding="utf-8")
    except OSError as exc:
        logger.warning("no log file (%s): %s", path, exc)
        return None
    handler.setLevel(logging.INFO)
    handler.setFormatter(fmt)
    root.addHandler(handler)
    return path


def qt_message_handler(
    mode: QtMsgType, context: QMessageLogContext, message: str
) -> None:
    qt_logger.log(_QT_LEVELS.get(mode, logging.WARNING), "%s", message)


def excepthook(
    exc_type: type[BaseException],
    exc: BaseException,
    tb: TracebackType | None,
) -> None:
    if issubclass(exc_type, KeyboardInterrupt):
        sys.__excepthook__(exc_type, exc, tb)
        return
    text = "".join(traceback.format_exception(exc_type, exc, tb))
    logger.error("unexpected error:\n%s", text)
    reporter.error_reported.emit(f"Unexpected error: {exc_type.__name__}: {exc}")


def _thread_excepthook(args: threading.ExceptHookArgs) -> None:
    if args.exc_value is not None:
        excepthook(args.exc_type, args.exc_value, args.exc_traceback)


def install_handlers() -> None:
    """Route uncaught exceptions and Qt messages into logging."""
    sys.excepthook = excepthook
    threading.excepthook = _thread_excepthook
    qInstallMessageHandler(qt_message_handler)
