"""The ministry's control of reports: the reviewers' work queue, filtered lists and the overview
of a fiscal year (``queue.py``), and the routes that take, accept, reject, lock and unlock a report
(``api.py``). The decisions themselves are the report's: ``reporting.reports.domain``, run by
``reporting.reports.app``. A reviewer sees only the organizations assigned to them.
"""
