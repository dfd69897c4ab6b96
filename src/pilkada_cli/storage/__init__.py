"""Storage: the record files (the only source of truth) listed, read by one reader and appended
to by the journal; verify and repair; origins; conflicts judged from the seen notes; git for
``sync``; report files written whole; and ``cache/``, the derived state rebuilt from the record
files whenever they change. May import ``base``, ``domain`` and ``storage``."""
