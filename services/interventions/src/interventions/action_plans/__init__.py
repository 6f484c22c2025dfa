"""Action plans (*plans d'action*, PAP), stream ``plan-{id}``: needs, objectives, planned services,
follow-ups, closure.

- The plan's rules (dates not in the future nor before the opening, a closed plan is not
  changed): ``domain.py``; its events: ``events.py``.
- One active plan per person and organization: ``app.py`` (``action_plan_claims``, written with
  the events) and ``domain.py`` (``open_plan``).
- What is published of plans and regionalization follow-ups: ``publication.py``.
"""
