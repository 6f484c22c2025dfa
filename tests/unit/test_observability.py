"""deploy/observability (issue 22 §4): the Prometheus configurations, the alert rules and their
promtool unit tests, and the generated Grafana dashboards.

What is checked, and why: promtool (Debian's package ``prometheus``, installed by
scripts/setup.sh) validates the configurations and rules and runs alerts.test.yml, which fires
each alert on recorded series and shows it silent on healthy ones; the scrape targets are the
ports the launchers really use; every alert tells the operator what to do, in French and
English; every metric name the rules and dashboards read is one the services export (the
catalogue below, and docs/metrics.md once written) — a renamed metric otherwise leaves an alert
that can never fire and a panel that stays empty; the committed dashboards are what
dashboards.py builds.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
HERE = ROOT / "deploy" / "observability"
SERVICES = ("registration", "interventions", "reporting", "notifications", "portal")

# The metric catalogue of issue 22, as agreed between the metrics and the dashboards work
# (the list the services export; docs/metrics.md describes them).
EXPECTED_CATALOGUE = frozenset(
    {
        "gsi_http_requests_total",
        "gsi_http_request_duration_seconds",
        "gsi_http_requests_in_progress",
        "gsi_outbox_backlog",
        "gsi_outbox_oldest_unsent_age_seconds",
        "gsi_relay_published_total",
        "gsi_relay_publish_errors_total",
        "gsi_relay_lease_held",
        "gsi_consumer_lag",
        "gsi_consumer_seconds_since_last_poll",
        "gsi_consumer_messages_total",
        "gsi_dead_letters",
        "gsi_parked_events",
        "gsi_projection_checkpoint_lag",
        "gsi_scheduler_runs_total",
        "gsi_worker_up",
        "gsi_reminders_sent_total",
        "gsi_emails_total",
        "gsi_imports_running",
        "gsi_import_rows_total",
        "gsi_reports",
    }
)
# Exported beyond that list: whether each scrape-time collector answered (gsi_kernel.metrics.exposition).
EXPORTED_BEYOND_THE_LIST = frozenset({"gsi_metrics_collector_up"})
HISTOGRAMS = frozenset({"gsi_http_request_duration_seconds"})
# Prometheus's own series and prometheus-client's default process collector.
BUILT_IN = frozenset(
    {
        "up",
        "process_cpu_seconds_total",
        "process_resident_memory_bytes",
        "process_virtual_memory_bytes",
        "process_open_fds",
        "process_max_fds",
        "process_start_time_seconds",
    }
)
# What the alerts must watch (issue 22 §4 and its brief): each metric appears in some rule.
WATCHED = frozenset(
    {
        "up",
        "gsi_http_requests_total",
        "gsi_outbox_backlog",
        "gsi_outbox_oldest_unsent_age_seconds",
        "gsi_relay_lease_held",
        "gsi_consumer_lag",
        "gsi_consumer_seconds_since_last_poll",
        "gsi_dead_letters",
        "gsi_parked_events",
        "gsi_projection_checkpoint_lag",
        "gsi_scheduler_runs_total",
        "gsi_emails_total",
    }
)

_KEYWORDS = frozenset({"by", "without", "on", "ignoring", "group_left", "group_right", "offset", "bool"})
_KEYWORDS |= {"and", "or", "unless", "inf", "nan", "atan2"}


# --- helpers ----------------------------------------------------------------------------------


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("promtool") or ("/usr/bin/promtool" if Path("/usr/bin/promtool").exists() else None)
    if exe is None:
        reason = "promtool not installed (Debian package prometheus; scripts/setup.sh installs it)"
        if os.environ.get("GSI_REQUIRE_INFRA") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    return subprocess.run([exe, *args], cwd=HERE, capture_output=True, text=True, timeout=120, check=False)


def load_yaml(name: str) -> Any:
    return yaml.safe_load((HERE / name).read_text(encoding="utf-8"))


def dashboards_module() -> ModuleType:
    """deploy/observability/dashboards.py, a script outside any package, loaded by its path."""
    name = "gsi_observability_dashboards"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, HERE / "dashboards.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # its dataclasses look their module up while being built
    spec.loader.exec_module(module)
    return module


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression reads (Grafana's ``$variables`` allowed): what is
    left once strings, label matchers, ranges, grouping clauses, functions and keywords go."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    text = re.sub(r"\$\{?\w+\}?", "", text)
    text = re.sub(r"\{[^{}]*\}", "", text)
    text = re.sub(r"\[[^\]]*\]", "", text)
    text = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", text)
    names = set()
    for match in re.finditer(r"(?<![\w.])[a-zA-Z_:][a-zA-Z0-9_:]*", text):
        word = match.group(0)
        if text[match.end() :].lstrip().startswith("(") or word in _KEYWORDS:
            continue
        names.add(word)
    return names


def catalogue() -> frozenset[str]:
    """The agreed list, and whatever docs/metrics.md (written by the metrics work) names."""
    doc = ROOT / "docs" / "metrics.md"
    documented = (
        set(re.findall(r"\bgsi_[a-z0-9_]+\b", doc.read_text(encoding="utf-8"))) if doc.exists() else set()
    )
    return EXPECTED_CATALOGUE | EXPORTED_BEYOND_THE_LIST | documented | BUILT_IN


def unknown(names: Iterable[str]) -> set[str]:
    known = catalogue()
    out = set()
    for name in names:
        base = re.sub(r"_(bucket|sum|count)$", "", name)
        if name in known or (base in HISTOGRAMS and base in known):
            continue
        out.add(name)
    return out


def defined_in_code() -> set[str]:
    """The gsi_ metric names the services' and the kernel's code create (string literals)."""
    sources = [*(ROOT / "shared" / "src").rglob("*.py"), *(ROOT / "services").glob("*/src/**/*.py")]
    return {
        m
        for path in sources
        for m in re.findall(r"[\"'](gsi_[a-z0-9_]+)[\"']", path.read_text(encoding="utf-8"))
    }


def not_exported(names: Iterable[str]) -> set[str]:
    """Names no code creates: a counter is created without or with its ``_total``, a
    histogram under its base name."""
    code = defined_in_code()
    return {
        name
        for name in names
        if name.startswith("gsi_")
        and not {name, name.removesuffix("_total"), re.sub(r"_(bucket|sum|count)$", "", name)} & code
    }


def all_used_names() -> set[str]:
    in_rules = {n for rule in alert_rules() for n in metric_names(rule["expr"])}
    in_dashboards = {
        n for d in committed_dashboards().values() for e in dashboard_expressions(d) for n in metric_names(e)
    }
    return in_rules | in_dashboards


def alert_rules() -> Iterator[dict[str, Any]]:
    for group in load_yaml("alerts.yml")["groups"]:
        for rule in group["rules"]:
            if "alert" in rule:
                yield rule


def committed_dashboards() -> dict[str, Any]:
    return {
        p.name: json.loads(p.read_text(encoding="utf-8"))
        for p in sorted((HERE / "dashboards").glob("*.json"))
    }


def dashboard_expressions(dashboard: dict[str, Any]) -> Iterator[str]:
    for panel in dashboard["panels"]:
        for target in panel.get("targets", ()):
            yield target["expr"]
    for variable in dashboard["templating"]["list"]:
        if variable["type"] == "query":
            # label_values(<series selector>, <label>): only the selector is PromQL.
            match = re.fullmatch(r"label_values\((.*),\s*\w+\)", variable["query"]["query"])
            assert match, variable["query"]["query"]
            yield match.group(1)


def static_targets(config: dict[str, Any]) -> dict[str, list[str]]:
    return {
        job["job_name"]: [t for sc in job["static_configs"] for t in sc["targets"]]
        for job in config["scrape_configs"]
    }


# --- the name check itself can fail -----------------------------------------------------------


def test_metric_names_are_read_from_promql() -> None:
    expr = (
        'sum by (service, le) (rate(gsi_http_request_duration_seconds_bucket{route="/x/{id}", '
        'status=~"5.."}[$__rate_interval])) / on (service) group_left max(gsi_nope offset 5m) '
        "> 0.5 and up == 0 or vector(0)"
    )
    assert metric_names(expr) == {"gsi_http_request_duration_seconds_bucket", "gsi_nope", "up"}
    assert unknown(metric_names(expr)) == {"gsi_nope"}


# --- Prometheus configurations ---------------------------------------------------------------


@pytest.mark.parametrize("config", ["prometheus.yml", "prometheus-cluster.yml"])
def test_prometheus_configuration_is_valid(config: str) -> None:
    result = promtool("check", "config", config)
    assert result.returncode == 0, result.stdout + result.stderr
    assert load_yaml(config)["rule_files"] == ["alerts.yml"]


def test_make_run_targets_are_the_launchers_ports() -> None:
    from scripts.launcher import ServiceProcesses

    launcher = ServiceProcesses(env={}, log_dir=Path("unused"), base_port=8000)
    targets = static_targets(load_yaml("prometheus.yml"))
    assert targets == {f"gsi-{s}": [f"127.0.0.1:{launcher.port(s)}"] for s in SERVICES}


def test_cluster_targets_are_every_replica_not_the_balancer() -> None:
    from scripts.cluster import Topology

    topology = Topology(root=Path("unused"), database_url="unused", bootstrap_servers="unused")
    targets = static_targets(load_yaml("prometheus-cluster.yml"))
    assert targets == {
        f"gsi-{s}": [f"127.0.0.1:{topology.replica_port(s, n)}" for n in range(1, topology.replicas + 1)]
        for s in SERVICES
    }
    frontends = {f"127.0.0.1:{topology.frontend_port(s)}" for s in SERVICES}
    assert not frontends & {t for ts in targets.values() for t in ts}


def _k8s_deployments() -> Iterator[dict[str, Any]]:
    for path in sorted((ROOT / "deploy" / "k8s").glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if isinstance(doc, dict) and doc.get("kind") == "Deployment":
                yield doc


def test_kubernetes_job_finds_every_deployment_and_no_migration() -> None:
    config = load_yaml("prometheus-kubernetes.yml")
    assert config["rule_files"] == ["alerts.yml"]
    (job,) = config["scrape_configs"]
    assert job["kubernetes_sd_configs"] == [{"role": "pod"}]
    relabel = job["relabel_configs"]
    name_label = "__meta_kubernetes_pod_label_app_kubernetes_io_name"
    keep = next(r for r in relabel if r["action"] == "keep" and r["source_labels"] == [name_label])
    port = next(r for r in relabel if r.get("source_labels") == ["__meta_kubernetes_pod_container_port_name"])
    opt_in = next(
        r
        for r in relabel
        if r.get("source_labels") == ["__meta_kubernetes_pod_annotation_prometheus_io_scrape"]
    )
    assert opt_in["action"] == "keep"
    assert any(r.get("target_label") == "job" and r["source_labels"] == [name_label] for r in relabel)
    deployments = list(_k8s_deployments())
    assert deployments, "deploy/k8s has no Deployment"
    for deployment in deployments:
        pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
        name = pod_labels["app.kubernetes.io/name"]
        assert re.fullmatch(keep["regex"], name), f"{name} would not be scraped"
        ports = {
            p.get("name"): p["containerPort"]
            for c in deployment["spec"]["template"]["spec"]["containers"]
            for p in c["ports"]
        }
        assert any(re.fullmatch(port["regex"], p or "") for p in ports), f"{name}: no port named http"
        notes = deployment["spec"]["template"]["metadata"].get("annotations", {})
        assert re.fullmatch(opt_in["regex"], notes.get("prometheus.io/scrape", "")), f"{name}: not opted in"
        assert notes.get("prometheus.io/port", str(ports["http"])) == str(ports["http"]), name
        assert notes.get("prometheus.io/path", "/metrics") == job["metrics_path"], name
    for service in SERVICES:
        assert re.fullmatch(keep["regex"], f"gsi-{service}")
        assert not re.fullmatch(keep["regex"], f"gsi-{service}-migrate")
    # Debian's promtool has no Kubernetes discovery; another build checks the file fully.
    result = promtool("check", "config", "prometheus-kubernetes.yml")
    if "kubernetes_sd_configs not found" not in result.stdout + result.stderr:
        assert result.returncode == 0, result.stdout + result.stderr


# --- alert rules ---------------------------------------------------------------------------


def test_rules_are_valid() -> None:
    result = promtool("check", "rules", "alerts.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_rules_unit_tests_pass() -> None:
    """alerts.test.yml: each alert fires on its fault's series, stays silent on healthy ones."""
    result = promtool("test", "rules", "alerts.test.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_every_alert_has_severity_summaries_and_a_runbook_line() -> None:
    rules = list(alert_rules())
    assert len({r["alert"] for r in rules}) == len(rules), "an alert name is used twice"
    for rule in rules:
        name = rule["alert"]
        assert rule["labels"]["severity"] in {"warning", "critical"}, name
        notes = rule["annotations"]
        for key in ("summary_fr", "summary_en", "runbook"):
            assert isinstance(notes.get(key), str), f"{name}: no {key}"
            assert notes[key].strip(), f"{name}: an empty {key}"
        assert notes["summary_fr"] != notes["summary_en"], f"{name}: the same summary twice"
        assert "\n" not in notes["runbook"].strip(), f"{name}: the runbook is one line"


def test_the_readme_lists_every_alert_with_its_runbook_line() -> None:
    readme = (HERE / "README.md").read_text(encoding="utf-8")
    for rule in alert_rules():
        line = next((ln for ln in readme.splitlines() if ln.startswith(f"| `{rule['alert']}` |")), None)
        assert line is not None, f"{rule['alert']} is not in README.md"
        assert rule["annotations"]["runbook"] in line, f"{rule['alert']}: README.md's runbook line differs"


def test_every_alert_fires_and_stays_silent_in_the_unit_tests() -> None:
    fired: set[str] = set()
    silent: set[str] = set()
    for test in load_yaml("alerts.test.yml")["tests"]:
        for case in test["alert_rule_test"]:
            (fired if case.get("exp_alerts") else silent).add(case["alertname"])
    names = {r["alert"] for r in alert_rules()}
    assert names - fired == set(), "never shown firing"
    assert names - silent == set(), "never shown silent"
    assert (fired | silent) - names == set(), "tests of alerts that do not exist"


def test_rules_read_only_catalogued_metrics_and_watch_what_the_issue_asks() -> None:
    used = {n for rule in alert_rules() for n in metric_names(rule["expr"])}
    assert unknown(used) == set()
    assert WATCHED - used == set()


# --- dashboards ----------------------------------------------------------------------------


def test_dashboards_are_up_to_date() -> None:
    module = dashboards_module()
    built = module.dashboards()
    on_disk = {p.name: p.read_text(encoding="utf-8") for p in (HERE / "dashboards").glob("*.json")}
    assert set(on_disk) == set(built)
    stale = [name for name, dashboard in built.items() if module.render(dashboard) != on_disk[name]]
    assert stale == [], "run: uv run python deploy/observability/dashboards.py"
    assert module.main(["--check"]) == 0


def test_one_dashboard_per_service_and_the_deadline_week() -> None:
    dashboards = committed_dashboards()
    assert set(dashboards) == {f"gsi-{s}.json" for s in SERVICES} | {"gsi-deadline-week.json"}
    for name, dashboard in dashboards.items():
        assert dashboard["uid"] == name.removesuffix(".json")
        assert dashboard["schemaVersion"] == 39
        assert [i["name"] for i in dashboard["__inputs"]] == ["DS_PROMETHEUS"]
        assert dashboard["templating"]["list"][0]["name"] == "DS_PROMETHEUS"
        panels = dashboard["panels"]
        assert len({p["id"] for p in panels}) == len(panels), f"{name}: panel ids repeat"
        cells: set[tuple[int, int]] = set()
        for panel in panels:
            grid = panel["gridPos"]
            assert grid["x"] >= 0, f"{name}: {panel['title']} off the grid"
            assert grid["x"] + grid["w"] <= 24, f"{name}: {panel['title']} off the grid"
            mine = {
                (x, y)
                for x in range(grid["x"], grid["x"] + grid["w"])
                for y in range(grid["y"], grid["y"] + grid["h"])
            }
            assert not mine & cells, f"{name}: {panel['title']} overlaps another panel"
            cells |= mine
            if panel["type"] == "row":
                continue
            assert panel["type"] in {"timeseries", "stat"}
            assert panel["datasource"] == {"type": "prometheus", "uid": "${DS_PROMETHEUS}"}
            assert panel["targets"], f"{name}: {panel['title']} has no query"
            assert " / " in panel["title"], f"{name}: {panel['title']} is not French / English"
    for service in SERVICES:
        exprs = list(dashboard_expressions(dashboards[f"gsi-{service}.json"]))
        assert any(f'service="{service}"' in e for e in exprs)
        assert not any(f'service="{other}"' in e for e in exprs for other in SERVICES if other != service)


def test_dashboards_read_only_catalogued_metrics() -> None:
    used = {
        name
        for dashboard in committed_dashboards().values()
        for expr in dashboard_expressions(dashboard)
        for name in metric_names(expr)
    }
    assert unknown(used) == set()
    # The deadline week shows what the programme asked for.
    week = {
        n
        for e in dashboard_expressions(committed_dashboards()["gsi-deadline-week.json"])
        for n in metric_names(e)
    }
    assert {
        "gsi_import_rows_total",
        "gsi_reports",
        "gsi_emails_total",
        "gsi_http_request_duration_seconds_bucket",
    } <= week


def test_every_metric_read_is_created_by_the_services_code() -> None:
    """The catalogue is an agreement; this is the code: a metric renamed in the code and not in
    the rules or the dashboards leaves an alert that cannot fire and a panel that stays empty."""
    assert not_exported({"gsi_http_request_duration_seconds_bucket", "gsi_import_rows_total"}) == set()
    assert not_exported({"gsi_no_such_metric_total"}) == {"gsi_no_such_metric_total"}
    assert not_exported(all_used_names()) == set()


def test_dashboard_queries_are_valid_promql(tmp_path: Path) -> None:
    """Each query, its Grafana variables given values, as a recording rule promtool parses."""
    exprs = sorted({e for d in committed_dashboards().values() for e in dashboard_expressions(d)})
    rules = [
        {
            "record": f"gsi:dashboard_query_{i}",
            "expr": e.replace("$__rate_interval", "5m").replace("$instance", ".*"),
        }
        for i, e in enumerate(exprs)
    ]
    path = tmp_path / "dashboard-queries.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboards", "rules": rules}]}), encoding="utf-8")
    result = promtool("check", "rules", str(path))
    assert result.returncode == 0, result.stdout + result.stderr
