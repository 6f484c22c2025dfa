"""Funding agreements (*conventions*) between the ministry and an organization under a program:
period, volets, funding per fiscal year and targets; amendments are new versions with a reason.

- Record and amend (one stream per organization and program): ``domain.py``; events: ``events.py``.
- What terms must hold (volets, funding in cents, targets per fiscal year and period): ``terms.py``.
- Recorded by admins for a registered organization, read by the ministry and the organization's
  users: ``app.py``.
"""
