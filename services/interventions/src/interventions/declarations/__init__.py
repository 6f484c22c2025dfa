"""Declarations: an organization declares an intervention for a person it registered, then may
correct or cancel it (stream ``intervention-{id}``).

- The locked-quarter rule (a write in a quarter reporting locked is refused unless a granted lock
  exception opens it): ``domain.py``, ``refuse_closed_quarter`` (called by ``declare``,
  ``correct`` and ``cancel``); the other hard errors (date in the future or before registration,
  unknown person): ``domain.py`` too.
- What every write is decided with (person on file, quarter locks, the shared checks):
  ``admission.py``. Use cases: ``app.py``; routes: ``api.py``; bodies: ``schemas.py``.
"""
