"""Targets and performance: what organizations did against what their agreements set.

- An organization's quarters and year against its targets: ``app.py``; the arithmetic of
  progress and summed targets: ``progress.py``.
- Program-wide figures (persons served, action plans, interventions per code): ``program_counts.py``;
  indicators of the integration journey (per region, rejection rate, retention): ``indicators.py``;
  time from arrival to first service in business days: ``first_service.py``.
"""
