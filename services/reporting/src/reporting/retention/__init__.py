"""The 12-month regional retention: among the persons whose 12-month regionalization checkpoint
has its outcome recorded, the share who stayed, per destination region and program-wide.

- What it counts (pure): ``domain.py``; a fiscal year's cohort from the tables: ``app.py``.
- The follow-ups and checkpoints, from interventions' published events: ``projection.py``.
"""
