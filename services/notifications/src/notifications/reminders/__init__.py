"""Reminders: deadlines, missed deadlines, escalations, control and regionalization reminders,
decided each day from the schedule and what notifications knows of the workflow.

Which reminders fall due on a day (a grace period after a missed tick; only while its condition
still holds; each recorded once): domain.py, ``due_reminders``; the defaults: ``Schedule``.
The scheduler, one instance at a time under a lease: scheduler.py. Changing the schedule and the
ministry's contact directory (admin): app.py, ``ScheduleAdmin``; the routes: api.py.
"""
