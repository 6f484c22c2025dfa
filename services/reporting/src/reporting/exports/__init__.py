"""Exports for the ministry's data warehouse: every intervention of every accepted (or locked)
report of a fiscal year, at the version that was submitted (``app.py``), and the route of the
program's integration indicators (``api.py``; computed in ``reporting.performance.indicators``).
"""
