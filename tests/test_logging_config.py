"""Advanced logging controls: LoggingConfig's validation, the JSON log format, log levels, custom log groups.

https://docs.aws.amazon.com/lambda/latest/api/API_LoggingConfig.html,
https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-logformat.html,
https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-log-level.html,
https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-loggroups.html
"""

from __future__ import annotations

import base64
import json
import re
import shutil
from typing import Any

import pytest
from botocore.exceptions import ClientError
from support import create_python, unique

import lambdalab
from lambdalab.runtime import json_logs
from lambdalab.runtime.logs import invocation_events
from lambdalab.runtime.types import LogEvent, LogSettings

LOGGING_SOURCE = (
    "import logging\n"
    "logger = logging.getLogger()\n"
    "def handler(event, context):\n"
    "    logger.debug('a debug line')\n"
    "    logger.info('an info line')\n"
    "    logger.warning('a warning line')\n"
    "    print('a plain print')\n"
    "    print(json.dumps({'level': 'ERROR', 'message': 'printed as JSON'}))\n"
    "    return context.aws_request_id\n"
)
LOGGING_SOURCE = "import json\n" + LOGGING_SOURCE


def _tail(lab: lambdalab.Lab, name: str) -> tuple[str, list[str]]:
    """Invoke with LogType=Tail: the request id the function saw and the log lines."""
    resp = lab.client("lambda").invoke(FunctionName=name, LogType="Tail")
    request_id = json.loads(resp["Payload"].read())
    return request_id, base64.b64decode(resp["LogResult"]).decode().splitlines()


def _records(lines: list[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in lines if line.startswith("{")]


def _error(call: Any) -> dict[str, str]:
    with pytest.raises(ClientError) as caught:
        call()
    return caught.value.response["Error"]


# -- the API ------------------------------------------------------------------------------------------


def test_a_log_level_with_the_text_format_is_refused_as_aws_words_it(lab: lambdalab.Lab, role_arn: str) -> None:
    for config in ({"LogFormat": "Text", "ApplicationLogLevel": "DEBUG"}, {"SystemLogLevel": "WARN"}):
        err = _error(lambda config=config: create_python(lab, role_arn, LoggingConfig=config))
        assert err["Code"] == "InvalidParameterValueException"
        assert err["Message"] == (
            'LogLevel is not supported when LogFormat is set to "Text". Remove LogLevel from your request '
            'or change the LogFormat to "JSON" and try again.'
        )


def test_enums_and_the_log_group_pattern_are_checked_by_the_service(lab: lambdalab.Lab, role_arn: str) -> None:
    err = _error(lambda: create_python(lab, role_arn, LoggingConfig={"LogFormat": "Json"}))
    assert err["Code"] == "ValidationException"
    assert err["Message"] == (
        "1 validation error detected: Value 'Json' at 'loggingConfig.logFormat' failed to satisfy constraint: "
        "Member must satisfy enum value set: [JSON, Text]"
    )
    err = _error(lambda: create_python(lab, role_arn, LoggingConfig={"LogFormat": "JSON", "SystemLogLevel": "ERROR"}))
    assert "at 'loggingConfig.systemLogLevel'" in err["Message"] and "[DEBUG, INFO, WARN]" in err["Message"]
    err = _error(lambda: create_python(lab, role_arn, LoggingConfig={"LogGroup": "my group!"}))
    assert "at 'loggingConfig.logGroup'" in err["Message"] and "regular expression pattern" in err["Message"]


def test_configuration_reports_text_by_default_and_info_levels_for_json(lab: lambdalab.Lab, role_arn: str) -> None:
    lam = lab.client("lambda")
    name = create_python(lab, role_arn)
    assert lam.get_function_configuration(FunctionName=name)["LoggingConfig"] == {
        "LogFormat": "Text",
        "LogGroup": f"/aws/lambda/{name}",
    }
    updated = lam.update_function_configuration(FunctionName=name, LoggingConfig={"LogFormat": "JSON"})
    json_config = {
        "LogFormat": "JSON",
        "ApplicationLogLevel": "INFO",
        "SystemLogLevel": "INFO",
        "LogGroup": f"/aws/lambda/{name}",
    }
    assert updated["LoggingConfig"] == json_config
    assert lam.get_function(FunctionName=name)["Configuration"]["LoggingConfig"] == json_config
    lam.update_function_configuration(FunctionName=name, LoggingConfig={"LogFormat": "Text", "LogGroup": "/team/app"})
    assert lam.get_function_configuration(FunctionName=name)["LoggingConfig"] == {
        "LogFormat": "Text",
        "LogGroup": "/team/app",
    }
    version = lam.publish_version(FunctionName=name)["Version"]
    lam.update_function_configuration(FunctionName=name, LoggingConfig={"LogFormat": "Text"})
    published = lam.get_function_configuration(FunctionName=name, Qualifier=version)["LoggingConfig"]
    assert published["LogGroup"] == "/team/app"  # a version keeps what $LATEST had when it was published


# -- what the function writes ------------------------------------------------------------------------------


def test_text_format_logging_records_reach_log_result(lab: lambdalab.Lab, role_arn: str) -> None:
    name = create_python(lab, role_arn, LOGGING_SOURCE)
    request_id, lines = _tail(lab, name)
    logged = [line for line in lines if line.startswith("[")]
    assert [line.split("\t")[0] for line in logged] == ["[WARNING]"]  # Python's root logger: WARNING and up
    assert logged[0].split("\t")[2:] == [request_id, "a warning line"]
    assert "a plain print" in lines and any(line.startswith("START RequestId: ") for line in lines)


def test_json_format_writes_json_records_and_filters_by_application_level(lab: lambdalab.Lab, role_arn: str) -> None:
    name = create_python(lab, role_arn, LOGGING_SOURCE, LoggingConfig={"LogFormat": "JSON"})
    request_id, lines = _tail(lab, name)
    records = _records(lines)
    platform = [r for r in records if "type" in r]
    assert [r["type"] for r in platform] == ["platform.start", "platform.report"]
    assert platform[0]["record"] == {"requestId": request_id, "version": "$LATEST"}
    report = platform[1]["record"]
    assert report["requestId"] == request_id and report["status"] == "success"
    assert set(report["metrics"]) == {
        "durationMs",
        "billedDurationMs",
        "memorySizeMB",
        "maxMemoryUsedMB",
        "initDurationMs",
    }
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", platform[0]["time"])
    application = [r for r in records if "type" not in r]
    assert [(r["level"], r["message"]) for r in application] == [
        ("INFO", "an info line"),
        ("WARNING", "a warning line"),  # Python's level name, as the runtime interface client writes it
        ("ERROR", "printed as JSON"),
    ]
    assert application[0]["requestId"] == request_id and application[0]["logger"] == "root"
    assert {"timestamp", "level", "message", "requestId"} <= set(application[0])
    assert "a plain print" in lines  # a plain line counts as INFO: kept at INFO

    lab.client("lambda").update_function_configuration(
        FunctionName=name, LoggingConfig={"LogFormat": "JSON", "ApplicationLogLevel": "WARN"}
    )
    _, lines = _tail(lab, name)
    application = [r for r in _records(lines) if "type" not in r]
    assert [r["message"] for r in application] == ["a warning line", "printed as JSON"]
    assert "a plain print" not in lines  # INFO, below WARN

    lab.client("lambda").update_function_configuration(
        FunctionName=name, LoggingConfig={"LogFormat": "JSON", "ApplicationLogLevel": "DEBUG"}
    )
    _, lines = _tail(lab, name)
    assert [r["message"] for r in _records(lines) if "type" not in r][0] == "a debug line"


def test_system_log_level_debug_adds_runtime_done_and_warn_drops_the_platform_records(
    lab: lambdalab.Lab, role_arn: str
) -> None:
    lam = lab.client("lambda")
    name = create_python(lab, role_arn, LoggingConfig={"LogFormat": "JSON", "SystemLogLevel": "DEBUG"})
    _, lines = _tail(lab, name)
    assert [r["type"] for r in _records(lines) if "type" in r] == [
        "platform.start",
        "platform.runtimeDone",
        "platform.report",
    ]
    lam.update_function_configuration(FunctionName=name, LoggingConfig={"LogFormat": "JSON", "SystemLogLevel": "WARN"})
    _, lines = _tail(lab, name)
    assert not [r for r in _records(lines) if "type" in r]


def test_a_custom_log_group_gets_streams_named_after_the_function(lab: lambdalab.Lab, role_arn: str) -> None:
    group = f"/shared/{unique('group')}"
    names = [create_python(lab, role_arn, LoggingConfig={"LogFormat": "JSON", "LogGroup": group}) for _ in range(2)]
    for name in names:
        lab.client("lambda").invoke(FunctionName=name)
    logs = lab.client("logs")
    streams = [s["logStreamName"] for s in logs.describe_log_streams(logGroupName=group)["logStreams"]]
    assert sorted(re.sub(r"^\d{4}/\d\d/\d\d/", "", s).split("[")[0] for s in streams) == sorted(names)
    assert all(re.fullmatch(r"\d{4}/\d\d/\d\d/fn-\d+\[\$LATEST\]\[[0-9a-f]{32}\]", s) for s in streams)
    first = logs.get_log_events(logGroupName=group, logStreamName=streams[0])["events"][0]["message"]
    assert json.loads(first)["type"] == "platform.initStart"  # INIT_START in JSON, in CloudWatch Logs only
    assert json.loads(first)["record"]["functionName"] in names
    assert f"/aws/lambda/{names[0]}" not in [g["logGroupName"] for g in logs.describe_log_groups()["logGroups"]]


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")
def test_node_console_writes_json_records_at_or_above_the_level(lab: lambdalab.Lab, role_arn: str) -> None:
    name = unique()
    source = (
        "exports.handler = async (event, context) => {\n"
        "  console.debug('quiet'); console.info('said'); console.error('bad');\n"
        "  return context.awsRequestId;\n"
        "};\n"
    )
    lab.client("lambda").create_function(
        FunctionName=name,
        Runtime="nodejs20.x",
        Role=role_arn,
        Handler="index.handler",
        Code={"ZipFile": lambdalab.zip_files({"index.js": source})},
        LoggingConfig={"LogFormat": "JSON", "ApplicationLogLevel": "INFO"},
    )
    request_id, lines = _tail(lab, name)
    application = [r for r in _records(lines) if "type" not in r]
    assert [(r["level"], r["message"], r["requestId"]) for r in application] == [
        ("INFO", "said", request_id),
        ("ERROR", "bad", request_id),
    ]


# -- the pure parts ------------------------------------------------------------------------------------------


def test_levels_rank_with_aliases_and_unknown_levels_count_as_info() -> None:
    assert json_logs.application_allows('{"level": "warning", "message": "x"}', "WARN")
    assert json_logs.application_allows('{"level": "CRITICAL"}', "FATAL")
    assert not json_logs.application_allows('{"level": "debug"}', "INFO")
    assert json_logs.application_allows('{"level": "loud"}', "INFO")
    assert not json_logs.application_allows('{"level": "loud"}', "WARN")
    assert not json_logs.application_allows("plain text", "ERROR")
    assert json_logs.application_allows("plain text", None)
    assert json_logs.system_allows("platform.report", None)
    assert not json_logs.system_allows("platform.runtimeDone", "INFO")


def test_a_timeout_in_json_keeps_the_platform_line_and_reports_its_status() -> None:
    settings = LogSettings(log_format="JSON", application_level="FATAL", system_level="INFO")
    events, _ = invocation_events(
        request_id="r-1",
        version="$LATEST",
        memory_size=128,
        max_memory_used=40,
        kind="timeout",
        error_type="Sandbox.Timedout",
        delivered=True,
        before_start=[],
        events=[
            LogEvent(1_000, "working"),
            LogEvent(4_000, "2026-12-06T00:00:04.000Z r-1 Task timed out after 3.00 seconds"),
        ],
        started_ms=1_000,
        ended_ms=4_000,
        duration_ms=3000.0,
        init_duration_ms=None,
        settings=settings,
    )
    messages = [e.message for e in events]
    assert "working" not in messages  # INFO, below FATAL
    assert messages[1].endswith("Task timed out after 3.00 seconds")
    report = json.loads(messages[-1])
    assert report["type"] == "platform.report" and report["record"]["status"] == "timeout"
    assert report["time"] == "1970-01-01T00:00:04.000Z" and report["record"]["metrics"]["billedDurationMs"] == 3000
