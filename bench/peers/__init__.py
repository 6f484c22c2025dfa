"""The peers ``make bench`` measures the kernel against (issue 23): what a plain driver, a
maintained library or a bare app does with the same work, each run in rounds interleaved with
the kernel's own measure (:mod:`bench.peers.rounds`).

- :mod:`bench.peers.baselines`: a durable single-row INSERT, a binary COPY of the bulk's rows
  into the project's own tables, a plain kafka-python producer;
- :mod:`bench.peers.pyeventsourcing`: pyeventsourcing's PostgreSQL recorder, in a virtual
  environment of its own (``pyeventsourcing_recorder.py`` runs there);
- :mod:`bench.peers.endpoint`: ``POST /interventions`` against a bare FastAPI app with the same
  body model (:mod:`bench.bare_endpoint`), both served by the same gunicorn processes.
"""
