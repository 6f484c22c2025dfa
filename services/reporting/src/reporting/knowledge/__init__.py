"""What reporting learns from the other services' published events (ADR 31), and reads when it
checks a quarter.

- Interventions, action plans, catalogue versions and rule sets (the ``reporting.interventions``
  consumer, which also keeps the counting tables): ``interventions.py``; persons from
  registration: ``persons.py``.
- What a quarter's checks need (persons served, plans, rule sets, volets, locked quarters): ``app.py``.
"""
