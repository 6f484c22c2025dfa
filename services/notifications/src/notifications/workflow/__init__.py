"""What notifications follows of the other services: their published events, kept in the
workflow tables (reminders are decided from them, recipients resolved from them), and the
notices those events cause.

The tables, and the scheduler's lease: tables.py. Reporting's events (submitted, accepted,
rejected, locked, unlocked; organizations, agreements, calendars, reviewer assignments):
reporting_consumer.py. Interventions' events (regionalization checkpoints, lock exceptions,
finished imports): interventions_consumer.py.
"""
