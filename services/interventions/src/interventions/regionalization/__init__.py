"""Regionalization follow-ups (*suivis de régionalisation*), stream ``regionalization-{id}``: a
person settled outside Montréal, contacted at checkpoints (3, 6, 12 months) to learn whether
they stayed. The checkpoints' calendar, fixed at opening, and the outcome rules: ``domain.py``;
events: ``events.py``; the due checkpoints' read model: ``projection.py``.
"""
