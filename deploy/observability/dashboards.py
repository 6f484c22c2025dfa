"""GSI's Grafana dashboards, generated: one per service and the portal, and the programme's
"semaine de l'échéance / deadline week" dashboard (issue 22 §4).

Why generated: six dashboards of a few thousand lines of JSON each drift apart when edited by
hand; here one code path (:func:`service_dashboard`) builds every service's panels from the same
rows, so a panel fixed once is fixed everywhere, and the metric names live in one readable
place that the tests check against the catalogue (docs/metrics.md).

    uv run python deploy/observability/dashboards.py          # writes dashboards/*.json
    uv run python deploy/observability/dashboards.py --check  # exit 1 if a committed file is stale

The JSON targets Grafana 10/11 (schemaVersion 39). Its data source is the import input
``DS_PROMETHEUS`` (chosen in Grafana's import dialog), and a data-source variable of the same
name, so that file provisioning, which has no import dialog, also resolves ``${DS_PROMETHEUS}``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

Json = dict[str, Any]

HERE = Path(__file__).resolve().parent
OUT_DIR = HERE / "dashboards"
SCHEMA_VERSION = 39
DATASOURCE: Json = {"type": "prometheus", "uid": "${DS_PROMETHEUS}"}
RATE = "$__rate_interval"
GRID_WIDTH = 24
FIVE_XX = 'status=~"5.."'


@dataclass(frozen=True)
class Query:
    expr: str
    legend: str = ""


@dataclass(frozen=True)
class Panel:
    """A time series (or a single figure, ``stat``); ``title`` French first, then English."""

    title: str
    queries: tuple[Query, ...]
    unit: str = "short"
    stat: bool = False
    stacked: bool = False
    width: int = 8
    description: str = ""
    red_above: float | None = None  # stat panels: the figure turns red above this


@dataclass(frozen=True)
class Row:
    title: str
    panels: tuple[Panel, ...]


@dataclass(frozen=True)
class Service:
    """A process that answers /metrics: its name (the ``service`` label; job ``gsi-<name>``),
    its title, whether it runs the kernel's workers (outbox, consumers, projections,
    schedulers; the portal does not), and its own rows."""

    name: str
    title: str
    kernel: bool
    own_rows: tuple[Row, ...] = ()

    @property
    def job(self) -> str:
        return f"gsi-{self.name}"


def sel(service: str, extra: str = "") -> str:
    """The label selector of one service's series on the chosen instances."""
    more = f", {extra}" if extra else ""
    return f'{{service="{service}", instance=~"$instance"{more}}}'


def job_sel(service: Service) -> str:
    """The selector of series that carry no ``service`` label (``up``, process metrics)."""
    return f'{{job="{service.job}", instance=~"$instance"}}'


def http_rows(s: Service) -> tuple[Row, ...]:
    n = s.name
    rate_all = f"sum(rate(gsi_http_requests_total{sel(n)}[{RATE}]))"
    rate_5xx = f"sum(rate(gsi_http_requests_total{sel(n, FIVE_XX)}[{RATE}]))"
    buckets = f"rate(gsi_http_request_duration_seconds_bucket{sel(n)}[{RATE}])"
    p95 = f"histogram_quantile(0.95, sum by (le) ({buckets}))"
    overview = Row(
        "Vue d'ensemble / Overview",
        (
            Panel(
                "Instances en service / Instances up", (Query(f"sum(up{job_sel(s)})"),), stat=True, width=4
            ),
            Panel("Requêtes/s / Requests/s", (Query(rate_all),), unit="reqps", stat=True, width=5),
            Panel(
                "Part des 5xx / 5xx share",
                (Query(f"({rate_5xx} / {rate_all}) or vector(0)"),),
                unit="percentunit",
                stat=True,
                width=5,
                red_above=0.02,
            ),
            Panel("p95 des réponses / p95 latency", (Query(p95),), unit="s", stat=True, width=5, red_above=2),
            Panel(
                "Requêtes en cours / In progress",
                (Query(f"sum(gsi_http_requests_in_progress{sel(n)})"),),
                stat=True,
                width=5,
            ),
        ),
    )
    http = Row(
        "HTTP",
        (
            Panel(
                "Requêtes/s par route et statut / Requests/s by route and status",
                (
                    Query(
                        f"sum by (method, route, status) (rate(gsi_http_requests_total{sel(n)}[{RATE}]))",
                        "{{method}} {{route}} {{status}}",
                    ),
                ),
                unit="reqps",
                width=12,
            ),
            Panel(
                "Erreurs 5xx/s par route / 5xx/s by route",
                (
                    Query(
                        f"sum by (method, route) (rate(gsi_http_requests_total{sel(n, FIVE_XX)}[{RATE}]))",
                        "{{method}} {{route}}",
                    ),
                ),
                unit="reqps",
                width=12,
            ),
            Panel(
                "p95 par route / p95 latency by route",
                (
                    Query(
                        "histogram_quantile(0.95, sum by (method, route, le) "
                        f"(rate(gsi_http_request_duration_seconds_bucket{sel(n)}[{RATE}])))",
                        "{{method}} {{route}}",
                    ),
                ),
                unit="s",
                width=12,
            ),
            Panel(
                "Requêtes en cours par instance / In progress by instance",
                (Query(f"sum by (instance) (gsi_http_requests_in_progress{sel(n)})", "{{instance}}"),),
                width=12,
            ),
        ),
    )
    return overview, http


def kernel_rows(s: Service) -> tuple[Row, ...]:
    """The kernel's workers, alike in the four services: outbox and relay, consumers, dead
    letters and parked events, projections, workers and schedulers."""
    n = s.name
    outbox = Row(
        "Boîte d'envoi et relais / Outbox and relay",
        (
            Panel(
                "Événements non publiés / Unpublished events",
                (Query(f"max(gsi_outbox_backlog{sel(n)})", "backlog"),),
            ),
            Panel(
                "Âge du plus vieil événement non publié / Oldest unsent age",
                (Query(f"max(gsi_outbox_oldest_unsent_age_seconds{sel(n)})", "age"),),
                unit="s",
            ),
            Panel(
                "Instance qui tient le bail du relais / Relay lease holder",
                (Query(f"max by (instance) (gsi_relay_lease_held{sel(n)})", "{{instance}}"),),
                description=(
                    "1 : cette instance publie ; exactement une à la fois. / "
                    "1: this instance publishes; exactly one at a time."
                ),
            ),
            Panel(
                "Publiés/s par sujet / Published/s by topic",
                (Query(f"sum by (topic) (rate(gsi_relay_published_total{sel(n)}[{RATE}]))", "{{topic}}"),),
                unit="ops",
                width=12,
            ),
            Panel(
                "Erreurs de publication/s / Publish errors/s",
                (
                    Query(
                        f"sum by (instance) (rate(gsi_relay_publish_errors_total{sel(n)}[{RATE}]))",
                        "{{instance}}",
                    ),
                ),
                unit="ops",
                width=12,
            ),
        ),
    )
    consumers = Row(
        "Consommateurs / Consumers",
        (
            Panel(
                "Retard par sujet / Lag by topic",
                (
                    Query(
                        "sum by (group, topic) (max by (group, topic, partition) "
                        f"(gsi_consumer_lag{sel(n)}))",
                        "{{group}} ← {{topic}}",
                    ),
                ),
                width=12,
            ),
            Panel(
                "Retard par partition / Lag by partition",
                (
                    Query(
                        f"max by (group, topic, partition) (gsi_consumer_lag{sel(n)})",
                        "{{group}} ← {{topic}}[{{partition}}]",
                    ),
                ),
                width=12,
            ),
            Panel(
                "Secondes depuis la dernière interrogation / Seconds since last poll",
                (
                    Query(
                        f"max by (group, instance) (gsi_consumer_seconds_since_last_poll{sel(n)})",
                        "{{group}} {{instance}}",
                    ),
                ),
                unit="s",
                width=12,
            ),
            Panel(
                "Messages/s par issue / Messages/s by outcome",
                (
                    Query(
                        f"sum by (group, outcome) (rate(gsi_consumer_messages_total{sel(n)}[{RATE}]))",
                        "{{group}} {{outcome}}",
                    ),
                ),
                unit="ops",
                stacked=True,
                width=12,
            ),
        ),
    )
    held = Row(
        "Lettres mortes, événements mis de côté, projections / Dead letters, parked, projections",
        (
            Panel(
                "Lettres mortes / Dead letters", (Query(f"max(gsi_dead_letters{sel(n)})", "dead letters"),)
            ),
            Panel(
                "Événements mis de côté / Parked events",
                (Query(f"max(gsi_parked_events{sel(n)})", "parked"),),
            ),
            Panel(
                "Retard des projections / Projection checkpoint lag",
                (
                    Query(
                        f"max by (projection) (gsi_projection_checkpoint_lag{sel(n)})",
                        "{{projection}}",
                    ),
                ),
            ),
        ),
    )
    workers = Row(
        "Travailleurs et tâches planifiées / Workers and scheduled jobs",
        (
            Panel(
                "Travailleurs en marche / Workers up",
                (Query(f"min by (worker, instance) (gsi_worker_up{sel(n)})", "{{worker}} {{instance}}"),),
                width=12,
            ),
            Panel(
                "Exécutions planifiées/s / Scheduled runs/s",
                (
                    Query(
                        f"sum by (task, outcome) (rate(gsi_scheduler_runs_total{sel(n)}[{RATE}]))",
                        "{{task}} {{outcome}}",
                    ),
                ),
                unit="ops",
                width=12,
                description=("La tâche est l'étiquette task. / The scheduled job is the label task."),
            ),
            Panel(
                "Collecteurs de mesures / Metrics collectors",
                (
                    Query(
                        f"min by (collector, instance) (gsi_metrics_collector_up{sel(n)})",
                        "{{collector}} {{instance}}",
                    ),
                ),
                width=24,
                description=(
                    "0 : les chiffres lus dans la base manquent à ce relevé. / "
                    "0: the figures read from the database are missing from this scrape."
                ),
            ),
        ),
    )
    return outbox, consumers, held, workers


def process_row(s: Service) -> Row:
    j = job_sel(s)
    return Row(
        "Processus / Process",
        (
            Panel(
                "UCT par instance / CPU by instance",
                (Query(f"sum by (instance) (rate(process_cpu_seconds_total{j}[{RATE}]))", "{{instance}}"),),
                unit="percentunit",
            ),
            Panel(
                "Mémoire résidente / Resident memory",
                (Query(f"sum by (instance) (process_resident_memory_bytes{j})", "{{instance}}"),),
                unit="bytes",
            ),
            Panel(
                "Descripteurs ouverts / Open file descriptors",
                (Query(f"sum by (instance) (process_open_fds{j})", "{{instance}}"),),
            ),
        ),
    )


NOTIFICATIONS_ROWS = (
    Row(
        "Courriels et rappels / E-mails and reminders",
        (
            Panel(
                "Courriels/s par issue / E-mails/s by outcome",
                (
                    Query(
                        f"sum by (outcome) (rate(gsi_emails_total{sel('notifications')}[{RATE}]))",
                        "{{outcome}}",
                    ),
                ),
                unit="ops",
                stacked=True,
                width=12,
            ),
            Panel(
                "Rappels envoyés/s par modèle / Reminders sent/s by kind",
                (
                    Query(
                        f"sum by (kind) (rate(gsi_reminders_sent_total{sel('notifications')}[{RATE}]))",
                        "{{kind}}",
                    ),
                ),
                unit="ops",
                stacked=True,
                width=12,
            ),
        ),
    ),
)

INTERVENTIONS_ROWS = (
    Row(
        "Importations / Imports",
        (
            Panel(
                "Importations en cours / Imports running",
                (Query(f"max(gsi_imports_running{sel('interventions')})", "running"),),
                width=12,
                description=(
                    "Lu dans la base : chaque instance donne le même nombre. / "
                    "Read from the database: every instance reports the same figure."
                ),
            ),
            Panel(
                "Lignes importées/s / Imported rows/s",
                (Query(f"max(rate(gsi_import_rows_total{sel('interventions')}[{RATE}]))", "rows/s"),),
                unit="ops",
                width=12,
            ),
        ),
    ),
)

REPORTING_ROWS = (
    Row(
        "Rapports / Reports",
        (
            Panel(
                "Rapports par état / Reports per state",
                (Query(f"max by (state) (gsi_reports{sel('reporting')})", "{{state}}"),),
                stacked=True,
                width=24,
            ),
        ),
    ),
)

SERVICES = (
    Service("registration", "Inscription / Registration", kernel=True),
    Service("interventions", "Interventions", kernel=True, own_rows=INTERVENTIONS_ROWS),
    Service("reporting", "Reddition de comptes / Reporting", kernel=True, own_rows=REPORTING_ROWS),
    Service("notifications", "Notifications", kernel=True, own_rows=NOTIFICATIONS_ROWS),
    Service("portal", "Portail / Portal", kernel=False),
)


def service_dashboard(s: Service) -> Json:
    """One service's dashboard: the same rows for every service, its own rows, its process."""
    rows = [*http_rows(s), *(kernel_rows(s) if s.kernel else ()), *s.own_rows, process_row(s)]
    instance = _query_variable("instance", "Instance", f'label_values(up{{job="{s.job}"}}, instance)')
    return _dashboard(
        uid=s.job,
        title=f"GSI — {s.title}",
        tags=("gsi", s.name),
        rows=rows,
        variables=(instance,),
    )


def _posted(service: str, route_regex: str) -> str:
    """Successful POSTs per second on the routes matching ``route_regex`` (route templates)."""
    return (
        f'sum(rate(gsi_http_requests_total{{service="{service}", method="POST", '
        f'route=~"{route_regex}", status=~"2.."}}[{RATE}]))'
    )


def deadline_week_dashboard() -> Json:
    """The programme's view of the days before a quarterly deadline: what the organizations
    send (declarations, imports, verifications, submissions), the ministry's queue, latency
    and the system's backlogs, across every service."""
    every = "registration|interventions|reporting|notifications|portal"
    activity = Row(
        "Activité des organismes / Organizations' activity",
        (
            Panel(
                "Déclarations/s / Declarations/s",
                (Query(_posted("interventions", "/interventions"), "declarations/s"),),
                unit="ops",
            ),
            Panel(
                "Lignes importées/s / Imported rows/s",
                (
                    Query(f'max(rate(gsi_import_rows_total{{service="interventions"}}[{RATE}]))', "rows/s"),
                    Query(_posted("interventions", "/imports"), "files/s"),
                ),
                unit="ops",
            ),
            Panel(
                "Importations en cours / Imports running",
                (Query('max(gsi_imports_running{service="interventions"})', "running"),),
            ),
            Panel(
                "Vérifications et dépôts/s / Verifications and submissions/s",
                (
                    Query(_posted("reporting", "/reports/.+/verify"), "verify/s"),
                    Query(_posted("reporting", "/reports/.+/submit"), "submit/s"),
                ),
                unit="ops",
                width=12,
            ),
            Panel(
                "Rapports par état / Reports per state",
                (Query('max by (state) (gsi_reports{service="reporting"})', "{{state}}"),),
                stacked=True,
                width=12,
            ),
        ),
    )
    ministry = Row(
        "File du ministère / The ministry's queue",
        (
            Panel(
                "En attente de contrôle / Awaiting review",
                (
                    Query('max(gsi_reports{service="reporting", state="submitted"})', "submitted"),
                    Query('max(gsi_reports{service="reporting", state="under_control"})', "under control"),
                ),
                width=12,
            ),
            Panel(
                "Décisions/s / Reviewers' actions/s",
                (
                    Query(_posted("reporting", "/reports/.+/take"), "take"),
                    Query(_posted("reporting", "/reports/.+/accept"), "accept"),
                    Query(_posted("reporting", "/reports/.+/reject"), "reject"),
                ),
                unit="ops",
                width=12,
            ),
        ),
    )
    latency = Row(
        "Temps de réponse / Latency",
        (
            Panel(
                "p95 par route (les 15 plus lentes) / p95 per route (15 slowest)",
                (
                    Query(
                        "topk(15, histogram_quantile(0.95, sum by (service, method, route, le) "
                        f'(rate(gsi_http_request_duration_seconds_bucket{{service=~"{every}"}}[{RATE}]))))',
                        "{{service}} {{method}} {{route}}",
                    ),
                ),
                unit="s",
                width=12,
            ),
            Panel(
                "Requêtes/s et 5xx/s par service / Requests/s and 5xx/s by service",
                (
                    Query(f"sum by (service) (rate(gsi_http_requests_total[{RATE}]))", "{{service}}"),
                    Query(
                        f'sum by (service) (rate(gsi_http_requests_total{{status=~"5.."}}[{RATE}]))',
                        "{{service}} 5xx",
                    ),
                ),
                unit="reqps",
                width=12,
            ),
        ),
    )
    flow = Row(
        "Flux des événements et courriels / Events and e-mails",
        (
            Panel(
                "Événements non publiés / Unpublished events",
                (Query("max by (service) (gsi_outbox_backlog)", "{{service}}"),),
            ),
            Panel(
                "Retard des consommateurs / Consumers' lag",
                (
                    Query(
                        "sum by (service) (max by (service, group, topic, partition) (gsi_consumer_lag))",
                        "{{service}}",
                    ),
                ),
            ),
            Panel(
                "Courriels/s par issue / E-mails/s by outcome",
                (Query(f"sum by (outcome) (rate(gsi_emails_total[{RATE}]))", "{{outcome}}"),),
                unit="ops",
                stacked=True,
            ),
            Panel(
                "Instances en service / Instances up",
                (Query('sum by (job) (up{job=~"gsi-.+"})', "{{job}}"),),
                width=12,
            ),
            Panel(
                "Lettres mortes et événements mis de côté / Dead letters and parked events",
                (
                    Query("max by (service) (gsi_dead_letters)", "{{service}} dead"),
                    Query("max by (service) (gsi_parked_events)", "{{service}} parked"),
                ),
                width=12,
            ),
        ),
    )
    return _dashboard(
        uid="gsi-deadline-week",
        title="GSI — Semaine de l'échéance / Deadline week",
        tags=("gsi", "programme"),
        rows=(activity, ministry, latency, flow),
        variables=(),
        time_from="now-24h",
    )


def dashboards() -> dict[str, Json]:
    """Every dashboard, by file name."""
    built = {f"{s.job}.json": service_dashboard(s) for s in SERVICES}
    built["gsi-deadline-week.json"] = deadline_week_dashboard()
    return built


def render(dashboard: Json) -> str:
    return json.dumps(dashboard, indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def expressions(dashboard: Json) -> Iterator[str]:
    """Every PromQL expression of a dashboard: its panels' queries and its variables'."""
    for panel in dashboard["panels"]:
        for target in panel.get("targets", ()):
            yield target["expr"]
    for variable in dashboard["templating"]["list"]:
        if variable["type"] == "query":
            yield variable["query"]["query"]


def _dashboard(
    *,
    uid: str,
    title: str,
    tags: Sequence[str],
    rows: Iterable[Row],
    variables: Sequence[Json],
    time_from: str = "now-6h",
) -> Json:
    return {
        "__inputs": [
            {
                "name": "DS_PROMETHEUS",
                "label": "Prometheus",
                "description": "",
                "type": "datasource",
                "pluginId": "prometheus",
                "pluginName": "Prometheus",
            }
        ],
        "__requires": [
            {"type": "grafana", "id": "grafana", "name": "Grafana", "version": "10.4.0"},
            {"type": "datasource", "id": "prometheus", "name": "Prometheus", "version": "1.0.0"},
            {"type": "panel", "id": "timeseries", "name": "Time series", "version": ""},
            {"type": "panel", "id": "stat", "name": "Stat", "version": ""},
        ],
        "annotations": {"list": []},
        "description": "Généré par / generated by deploy/observability/dashboards.py",
        "editable": True,
        "fiscalYearStartMonth": 0,
        "graphTooltip": 1,
        "links": [],
        "panels": _layout(rows),
        "refresh": "30s",
        "schemaVersion": SCHEMA_VERSION,
        "tags": list(tags),
        "templating": {"list": [_datasource_variable(), *variables]},
        "time": {"from": time_from, "to": "now"},
        "timepicker": {},
        "timezone": "browser",
        "title": title,
        "uid": uid,
        "version": 1,
        "weekStart": "",
    }


def _layout(rows: Iterable[Row]) -> list[Json]:
    """Rows one under the other, their panels left to right, wrapping at the grid's width."""
    panels: list[Json] = []
    y = 0
    for row in rows:
        panels.append(
            {
                "type": "row",
                "id": len(panels) + 1,
                "title": row.title,
                "collapsed": False,
                "gridPos": {"h": 1, "w": GRID_WIDTH, "x": 0, "y": y},
                "panels": [],
            }
        )
        y += 1
        x = 0
        line_height = 0
        for panel in row.panels:
            height = 4 if panel.stat else 8
            if x + panel.width > GRID_WIDTH:
                x, y = 0, y + line_height
                line_height = 0
            panels.append(_panel(panel, len(panels) + 1, {"h": height, "w": panel.width, "x": x, "y": y}))
            x += panel.width
            line_height = max(line_height, height)
        y += line_height
    return panels


def _panel(panel: Panel, panel_id: int, grid: Json) -> Json:
    targets = [
        {
            "refId": chr(ord("A") + i),
            "datasource": DATASOURCE,
            "expr": q.expr,
            "legendFormat": q.legend or "__auto",
            "range": True,
        }
        for i, q in enumerate(panel.queries)
    ]
    steps: list[Json] = [{"color": "green", "value": None}]
    if panel.red_above is not None:
        steps.append({"color": "red", "value": panel.red_above})
    defaults: Json = {
        "unit": panel.unit,
        "color": {"mode": "thresholds" if panel.stat else "palette-classic"},
        "thresholds": {"mode": "absolute", "steps": steps},
    }
    options: Json
    if panel.stat:
        options = {
            "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
            "colorMode": "value",
            "graphMode": "area",
            "justifyMode": "auto",
            "orientation": "auto",
            "textMode": "auto",
        }
    else:
        defaults["custom"] = {
            "drawStyle": "line",
            "lineWidth": 1,
            "fillOpacity": 20 if panel.stacked else 5,
            "showPoints": "never",
            "spanNulls": False,
            "stacking": {"mode": "normal" if panel.stacked else "none", "group": "A"},
        }
        options = {
            "legend": {"displayMode": "list", "placement": "bottom", "showLegend": True, "calcs": []},
            "tooltip": {"mode": "multi", "sort": "desc"},
        }
    return {
        "type": "stat" if panel.stat else "timeseries",
        "id": panel_id,
        "title": panel.title,
        "description": panel.description,
        "datasource": DATASOURCE,
        "gridPos": grid,
        "fieldConfig": {"defaults": defaults, "overrides": []},
        "options": options,
        "targets": targets,
    }


def _datasource_variable() -> Json:
    return {
        "name": "DS_PROMETHEUS",
        "label": "Prometheus",
        "type": "datasource",
        "query": "prometheus",
        "current": {},
        "hide": 0,
        "includeAll": False,
        "multi": False,
        "options": [],
        "refresh": 1,
        "regex": "",
    }


def _query_variable(name: str, label: str, query: str) -> Json:
    return {
        "name": name,
        "label": label,
        "type": "query",
        "datasource": DATASOURCE,
        "definition": query,
        "query": {"query": query, "refId": f"{name}-variable"},
        "current": {"selected": True, "text": ["All"], "value": ["$__all"]},
        "hide": 0,
        "includeAll": True,
        "allValue": ".*",
        "multi": True,
        "options": [],
        "refresh": 2,
        "regex": "",
        "sort": 1,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="exit 1 if a committed file differs")
    args = parser.parse_args(argv)
    stale: list[str] = []
    if not args.check:
        OUT_DIR.mkdir(exist_ok=True)
    for name, dashboard in dashboards().items():
        path = OUT_DIR / name
        text = render(dashboard)
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            path.write_text(text, encoding="utf-8")
    if stale:
        print("stale dashboards (run deploy/observability/dashboards.py):", ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
