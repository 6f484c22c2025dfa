"""The counting tables the performance dashboards read: an active intervention counts in its
organization's and the program's quarter and year, each person once per cell.

- What counts, as pure rules: ``domain.py``; the tables: ``reporting.performance_tables``.
- Keeping them one event at a time (under the person's lock): ``projection.py``; computed afresh
  from the current interventions and plans (what the former must add up to): ``rebuild.py``.
"""
