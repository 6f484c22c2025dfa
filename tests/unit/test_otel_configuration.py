"""OpenTelemetry's standard ``OTEL_*`` variables, as GSI reads them (gsi_kernel.telemetry,
docs/tracing.md): which exporters, the endpoint's precedence, headers, the service's name and
resource — and that nothing is exported, nor any global provider touched, when none is set."""

from __future__ import annotations

import logging

import pytest
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace.export import ConsoleSpanExporter

from gsi_kernel.telemetry import Telemetry, TraceExport


def test_without_any_variable_spans_go_nowhere_but_the_trace_file() -> None:
    export = TraceExport.from_environment({})
    assert export.exporters == frozenset()
    assert export.span_exporters() == []


def test_an_endpoint_alone_turns_the_otlp_exporter_on_with_the_signal_path_appended() -> None:
    export = TraceExport.from_environment({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318/"})
    assert export.exporters == {"otlp"}
    assert export.endpoint == "http://collector:4318/v1/traces"
    (exporter,) = export.span_exporters()
    assert isinstance(exporter, OTLPSpanExporter)


def test_the_traces_endpoint_wins_and_is_taken_as_it_is() -> None:
    export = TraceExport.from_environment(
        {
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318",
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "https://tempo.example:4318/otlp/traces",
        }
    )
    assert export.exporters == {"otlp"}
    assert export.endpoint == "https://tempo.example:4318/otlp/traces"


def test_otlp_named_without_an_endpoint_goes_to_a_local_collector() -> None:
    export = TraceExport.from_environment({"OTEL_TRACES_EXPORTER": "otlp"})
    assert export.exporters == {"otlp"}
    assert export.endpoint == "http://localhost:4318/v1/traces"


@pytest.mark.parametrize(
    ("named", "exporters", "built"),
    [
        ("none", set(), []),
        ("console", {"console"}, [ConsoleSpanExporter]),
        ("otlp, console", {"otlp", "console"}, [OTLPSpanExporter, ConsoleSpanExporter]),
        ("OTLP", {"otlp"}, [OTLPSpanExporter]),
    ],
)
def test_otel_traces_exporter_names_the_exporters(named: str, exporters: set[str], built: list[type]) -> None:
    export = TraceExport.from_environment(
        {"OTEL_TRACES_EXPORTER": named, "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}
    )
    assert export.exporters == exporters
    assert [type(e) for e in export.span_exporters()] == built


def test_an_unknown_exporter_is_said_and_left_out(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="gsi_kernel.telemetry"):
        export = TraceExport.from_environment({"OTEL_TRACES_EXPORTER": "zipkin,console"})
    assert export.exporters == {"console"}
    assert "'zipkin' is not an exporter GSI knows" in caplog.text


def test_the_sdk_disabled_turns_every_exporter_off() -> None:
    export = TraceExport.from_environment(
        {
            "OTEL_SDK_DISABLED": "true",
            "OTEL_TRACES_EXPORTER": "otlp,console",
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c",
        }
    )
    assert export.exporters == frozenset()


def test_headers_of_the_traces_signal_win_and_are_percent_decoded() -> None:
    both = {
        "OTEL_EXPORTER_OTLP_HEADERS": "Authorization=Bearer%20general",
        "OTEL_EXPORTER_OTLP_TRACES_HEADERS": "Authorization=Bearer%20traces,X-Scope-OrgID=gsi",
    }
    assert TraceExport.from_environment(both).headers == {
        "authorization": "Bearer traces",
        "x-scope-orgid": "gsi",
    }
    general = {"OTEL_EXPORTER_OTLP_HEADERS": "Authorization=Bearer%20general"}
    assert TraceExport.from_environment(general).headers == {"authorization": "Bearer general"}


def test_the_service_name_is_otel_service_name_then_the_resource_s_then_the_service_s() -> None:
    resource = "service.name=from-resource,deployment.environment.name=prod%20qc, broken"

    def named(environ: dict[str, str]) -> object:
        telemetry = Telemetry("interventions", export=TraceExport.from_environment(environ))
        try:
            return telemetry.provider.resource.attributes
        finally:
            telemetry.shutdown()

    attributes = named({"OTEL_SERVICE_NAME": "gsi-interventions", "OTEL_RESOURCE_ATTRIBUTES": resource})
    assert attributes["service.name"] == "gsi-interventions"  # type: ignore[index]
    assert attributes["deployment.environment.name"] == "prod qc"  # type: ignore[index]
    assert named({"OTEL_RESOURCE_ATTRIBUTES": resource})["service.name"] == "from-resource"  # type: ignore[index]
    own = named({})
    assert own["service.name"] == "interventions"  # type: ignore[index]
    assert own["service.namespace"] == "gsi"  # type: ignore[index]


def test_the_composition_root_reads_the_process_environment_and_leaves_the_global_provider_alone(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "console")
    monkeypatch.setenv("OTEL_SERVICE_NAME", "from-the-environment")
    before = trace.get_tracer_provider()
    telemetry = Telemetry.from_environment("reporting")
    with telemetry.tracer.start_as_current_span("GET /reports"):
        pass
    telemetry.shutdown()  # flushes the batch to the console exporter
    printed = capsys.readouterr().out
    assert '"name": "GET /reports"' in printed
    assert '"service.name": "from-the-environment"' in printed
    assert trace.get_tracer_provider() is before
