"""Property: whatever the records, keys, shards, settings and (content-determined) failures,
every record is either processed (in order per shard, or per key with parallel lanes) or
given up on with an on-failure record; nothing is skipped silently."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stream_support import function, kinesis_stream, mapping, messages, put, queue, stream_role

import lambdalab

pytestmark = pytest.mark.fake_runtime


@pytest.fixture(scope="module")
def setup(lab: lambdalab.Lab) -> dict[str, str]:
    role = stream_role(lab, "property-reader")
    return {"role": role, "raise": function(lab, role), "partial": function(lab, role, mode="partial")}


records = st.lists(st.tuples(st.sampled_from(["k1", "k2", "k3", "k4", "k5"]), st.booleans()), min_size=1, max_size=14)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    items=records,
    shards=st.integers(1, 3),
    factor=st.integers(1, 3),
    batch_size=st.integers(1, 5),
    retries=st.integers(0, 2),
    bisect=st.booleans(),
    partial=st.booleans(),
)
def test_every_record_is_processed_or_reported(
    lab: lambdalab.Lab,
    setup: dict[str, str],
    items: list[tuple[str, bool]],
    shards: int,
    factor: int,
    batch_size: int,
    retries: int,
    bisect: bool,
    partial: bool,
) -> None:
    stream, arn = kinesis_stream(lab, shards)
    url, queue_arn = queue(lab)
    data = [(key, f"poison-{i}" if bad else f"ok-{i}") for i, (key, bad) in enumerate(items)]
    written = put(lab, stream, data)
    extra = {"FunctionResponseTypes": ["ReportBatchItemFailures"]} if partial else {}
    uuid, _ = mapping(
        lab,
        setup["partial" if partial else "raise"],
        arn,
        BatchSize=batch_size,
        ParallelizationFactor=factor,
        MaximumRetryAttempts=retries,
        BisectBatchOnFunctionError=bisect,
        DestinationConfig={"OnFailure": {"Destination": queue_arn}},
        **extra,
    )
    lab.run_until_idle(3600)
    lab.client("lambda").delete_event_source_mapping(UUID=uuid)
    lab.advance(1)

    ident = {w: i for i, w in enumerate(written)}  # (shard, seq) -> index into data
    done = [
        ident[(r.detail["shard"], s)]
        for r in lab.trace.where("stream-checkpoint")
        if uuid in r.ids
        for s in r.detail["seqs"]
    ]
    dropped = [
        ident[(r.detail["shard"], s)]
        for r in lab.trace.where("stream-discard")
        if uuid in r.ids
        for s in r.detail["seqs"]
    ]
    # every record exactly once: processed or given up on
    assert sorted(done + dropped) == list(range(len(data)))
    # a poison record is never processed
    assert not any(items[i][1] for i in done)
    # every record given up on is in an on-failure record
    reported = set()
    for record in messages(lab, url):
        info = record["KinesisBatchInfo"]
        # Lambda's 56-digit sequence numbers end with the store's position in 40 digits
        lo, hi = int(info["startSequenceNumber"][-40:]), int(info["endSequenceNumber"][-40:])
        reported |= {i for i, (shard, seq) in enumerate(written) if shard == info["shardId"] and lo <= int(seq) <= hi}
    assert set(dropped) <= reported
    # order: per shard with one lane, per partition key with several
    group = (lambda i: written[i][0]) if factor == 1 else (lambda i: (written[i][0], data[i][0]))
    for g in {group(i) for i in range(len(data))}:
        seen = [i for i in done if group(i) == g]
        assert seen == sorted(seen)
