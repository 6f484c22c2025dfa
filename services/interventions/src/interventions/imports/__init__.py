"""Bulk imports of interventions from CSV or XLSX files.

- A row's identity (natural key: same row uploaded again creates nothing) and the finished
  import's record: ``domain.py``.
- The job (every row through the declarations' hard errors, then the shared checks; *all or
  nothing* or *valid rows only*): ``app.py``. The file port: ``files.py`` (the CSV/XLSX adapter
  is ``interventions.adapters.spreadsheets``). Past imports and their errors: ``history.py``.
"""
