"""The reporting calendar of each fiscal year (April 1 – March 31): each quarter's submission
deadline and early window, the control and resubmission windows, the holidays.

- The calendar as data, its defaults and the deadlines it gives: ``domain.py`` (the shipped
  defaults: ``reporting/data/calendar.json``); business-day arithmetic: ``business_days.py``.
- The calendar in force (an admin's, else the default) and a report's deadlines: ``app.py``.
"""
