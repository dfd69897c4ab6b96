"""``pilkada report``: meeting documents (HTML, XLSX, CSV, Markdown, JSON) built from one model.

``model.build_report`` turns a Readiness into a :class:`~pilkada_cli.report.model.Report`; each
format module renders that same Report, so every document carries the numbers of
``pilkada status``. ``output`` expands the ``--out`` pattern and writes files atomically.
"""
