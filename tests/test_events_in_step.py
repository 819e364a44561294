"""data/events/*.json are what lambdalab.events builds: regenerate in memory and compare."""

from __future__ import annotations

import json

import lambdalab.events as events


def test_every_sample_file_matches_its_builder() -> None:
    # GIVEN the builders the engines use WHEN the samples are built again THEN the files hold exactly that
    for name, event in events.samples().items():
        path = events.DATA_DIR / name
        assert path.exists(), f"{name} is missing: run python -m lambdalab.events"
        assert path.read_text() == events.render(event), f"{name} is out of step: run python -m lambdalab.events"


def test_no_stray_sample_files() -> None:
    on_disk = {p.name for p in events.DATA_DIR.glob("*.json")}
    assert on_disk == set(events.samples())


def test_samples_are_deterministic() -> None:
    assert json.dumps(events.samples()) == json.dumps(events.samples())


def test_every_source_the_kit_knows_has_a_sample() -> None:
    sources = {json.dumps(e)[:0] or _source(e) for e in events.samples().values()}
    assert sources == {
        "aws:sqs",
        "aws:kinesis",
        "aws:dynamodb",
        "aws:sns",
        "aws:s3",
        "aws.events",
        "com.example.shop",
        "elb",
        "apigateway-v1",
        "apigateway-v2",
    }


def _source(event: dict) -> str:
    if "Records" in event:
        rec = event["Records"][0]
        return str(rec.get("eventSource") or rec.get("EventSource"))
    if "source" in event:
        return str(event["source"])
    if "elb" in event.get("requestContext", {}):
        return "elb"
    return "apigateway-v2" if event.get("version") == "2.0" else "apigateway-v1"
