"""The Inkpick benchmark suite: run on purpose with ``python -m benchmarks.run``.

Not collected by the normal test run (``testpaths = ["tests"]``). Every section
module (``latency``, ``sidebyside``, ``scale``, ``startup``) returns
:class:`benchmarks.report.Section` objects; :mod:`benchmarks.run` puts them into
``docs/PERFORMANCE.md``.
"""
