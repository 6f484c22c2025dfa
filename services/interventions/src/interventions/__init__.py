"""The interventions service, one folder per feature (each folder's docstring names its rules and
the module that holds each): declarations (the intervention aggregate, the locked-quarter rule),
checks, sessions, lock_exceptions, imports, catalogue, action_plans, regionalization. At the root:
the composition (main, bootstrap, container, deps, settings) and what several features share —
knowledge (what a decision reads: persons, rule and catalogue books, agreements, quarter locks),
queries, publication, event_registry, tables, and the read models kept from other services'
events (registration_persons, reporting_facts) or from this store (interventions_projection).
"""
