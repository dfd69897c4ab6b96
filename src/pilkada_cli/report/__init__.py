"""``pilkada report``: meeting documents (HTML, PDF, XLSX, CSV, Markdown, chat text, JSON)
built from one model. The output layer, beside ``render/`` and ``sheet/``: may import storage,
domain and base, never the application or the command line.

``model.build_report`` turns a Readiness into a :class:`~pilkada_cli.report.model.Report`; each
format module renders that same Report, so every document carries the numbers of
``pilkada status``. ``formats`` lists the formats, one line each; ``storage.reportfiles``
expands the ``--out`` pattern and writes the files atomically.
"""
