"""Group sessions: one session, its attendance list, one intervention per attendee, each checked on
its own and all written in one transaction (``app.py``). The attendance rules (at least one attendee,
at most ``MAX_ATTENDEES``, no one twice): ``domain.py``, ``refuse_bad_attendance``.
"""
