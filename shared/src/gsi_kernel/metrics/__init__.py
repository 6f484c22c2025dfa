"""Prometheus metrics of every service (issue 22, docs/metrics.md): instruments the kernel's
code moves as things happen (:mod:`.instruments`), figures read at scrape time (:mod:`.collectors`),
a service's ``/metrics`` (:mod:`.exposition`), the HTTP middleware and route (:mod:`.http`), and
prometheus-client's multiprocess mode for serving processes (:mod:`.multiprocess`).

Nothing is imported here: gunicorn's arbiter imports :mod:`.multiprocess` alone."""
