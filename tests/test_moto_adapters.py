"""The moto adapters answer with plain values and keep the lab's own state in the lab's tables."""

from __future__ import annotations

import lambdalab
from lambdalab.aws.moto_kinesis import KinesisRecord, MotoKinesis
from lambdalab.aws.moto_sqs import MotoSqs, SqsMessage


def _queue(lab: lambdalab.Lab, name: str, **attributes: str) -> str:
    sqs = lab.client("sqs")
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    return str(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"])


def test_a_message_two_receives_hold_is_deleted_once_and_found_gone_the_second_time(lab: lambdalab.Lab) -> None:
    arn = _queue(lab, "adapter-twice", VisibilityTimeout="10")
    sqs = MotoSqs(lab.account_id)
    sqs.send(arn, "hello")
    (first,), _ = sqs.receive(arn, 10)
    assert sqs.receive(arn, 10) == ([], [])  # in flight
    lab.advance(10)
    (second,), _ = sqs.receive(arn, 10)
    assert type(first) is SqsMessage and first.id == second.id
    assert (first.approximate_receive_count, second.approximate_receive_count) == (1, 2)
    assert first.receipt_handle != second.receipt_handle
    assert sqs.visible_at(arn, first) == second.visible_at  # the latest receive decides
    assert sqs.delete(arn, [first]) == ([first], [])
    assert sqs.delete(arn, [second]) == ([], [second])
    assert sqs.bodies(arn) == []


def test_a_message_past_max_receive_count_moves_to_the_dead_letter_queue(lab: lambdalab.Lab) -> None:
    dlq = _queue(lab, "adapter-dlq")
    arn = _queue(
        lab,
        "adapter-redrive",
        VisibilityTimeout="5",
        RedrivePolicy=f'{{"deadLetterTargetArn": "{dlq}", "maxReceiveCount": "1"}}',
    )
    sqs = MotoSqs(lab.account_id)
    sqs.send(arn, "once")
    (held,), _ = sqs.receive(arn, 10)
    lab.advance(5)
    got, moved = sqs.receive(arn, 10)
    assert got == [] and [(m.id, m.approximate_receive_count) for m in moved] == [(held.id, 1)]
    assert sqs.bodies(arn) == [] and sqs.bodies(dlq) == ["once"]
    assert sqs.dead_letter_arn(arn) == dlq
    assert sqs.delete(arn, [held]) == ([], [held])  # the batch that held it finds it gone


def test_kinesis_records_are_values_in_shard_order(lab: lambdalab.Lab) -> None:
    kinesis = lab.client("kinesis")
    kinesis.create_stream(StreamName="adapter-stream", ShardCount=1)
    arn = kinesis.describe_stream(StreamName="adapter-stream")["StreamDescription"]["StreamARN"]
    for n in range(3):
        kinesis.put_record(StreamName="adapter-stream", Data=f"r{n}".encode(), PartitionKey="k")
    stream = MotoKinesis(lab.account_id, lab.region)
    (shard,) = stream.shards(arn)
    records = stream.read(arn, shard, 1, 10)
    assert [type(r) for r in records] == [KinesisRecord, KinesisRecord]
    assert [r.data for r in records] == ["cjE=", "cjI="] and stream.count(arn, shard) == 3
