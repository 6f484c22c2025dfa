"""The eligibility rule sets: administrators publish dated versions, and every evaluation
(here and in interventions) reads the version in force on its date.

What a publication refuses (an invalid document, a clash, a retroactive version): domain.py,
``publish``, through gsi_eligibility's rule book. The published event: events.py. Publishing,
previewing and comparing versions: app.py, ``RuleBooks``. The versions' read model: projection.py.
"""
