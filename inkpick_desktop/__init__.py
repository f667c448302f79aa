"""Inkpick Desktop: hybrid recommendations for cinema, music and online courses.

The computing part (``engine``, ``data``, ``domains``) imports no Qt; all Qt code
lives in ``inkpick_desktop.ui``.
"""

__version__ = "0.1.0"
