"""The quarterly report: one stream per organization and fiscal quarter, from draft to locked.

- The workflow and its commands (verify, submit, take, accept, reject, answer, lock, unlock):
  ``domain.py``; its events: ``events.py``; its states and what each allows: ``state.py``.
- When a step is allowed in time (submission window, decision, "late"): ``period.py``; which
  quarters owe a report (an agreement covers them): ``coverage.py``; the resubmission deadline
  after a rejection: ``resubmission.py``; who may act on a report: ``access.py``.
- The use cases: ``app.py``; the checks and what a submission freezes: ``verification.py`` and
  ``snapshot.py``; reading a report: ``queries.py``; its audit trail and integrity: ``integrity.py``.
"""
