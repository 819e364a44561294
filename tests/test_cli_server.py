"""`lambdalab server`: a lab for the aws CLI in another shell, stopped cleanly by Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import boto3
from support import read_exports

AWS = str(Path(sys.executable).with_name("aws"))


def _port_open(url: str) -> bool:
    host, port = url.removeprefix("http://").split(":")
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, int(port))) == 0


@contextmanager
def served(tmp_path: Path, speed: str) -> Iterator[tuple[subprocess.Popen[str], dict[str, str]]]:
    """``lambdalab server --speed <speed>`` and the exports it printed; killed if the test did not stop it."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "lambdalab.cli", "server", "--speed", speed],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=tmp_path,
    )
    try:
        exports, _ = read_exports(proc, time.monotonic() + 60)
        yield proc, exports
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_server_answers_the_aws_cli_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    # GIVEN a lab served on its own
    with served(tmp_path, "60") as (proc, exports):
        assert set(exports) >= {
            "AWS_ENDPOINT_URL",
            "AWS_DEFAULT_REGION",
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_CONFIG_FILE",
        }
        assert exports["AWS_ACCESS_KEY_ID"].startswith("AKIA") and exports["AWS_SECRET_ACCESS_KEY"] != "testing"
        config = Path(exports["AWS_CONFIG_FILE"])
        assert config.stat().st_mode & 0o077 == 0  # the lab's secret, readable by its owner only
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(exports, AWS_SHARED_CREDENTIALS_FILE=os.devnull)
        # WHEN the aws CLI in another process uses the printed exports
        queue = subprocess.run(
            [AWS, "sqs", "create-queue", "--queue-name", "from-the-shell"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        listed = subprocess.run(
            [AWS, "lambda", "list-functions", "--max-items", "10"], env=env, capture_output=True, text=True, timeout=60
        )
        # THEN it talks to the lab (SQS too, which awscli v1 would send to queue.amazonaws.com)
        assert queue.returncode == 0, queue.stderr
        assert json.loads(queue.stdout)["QueueUrl"].endswith("/123456789012/from-the-shell")
        assert listed.returncode == 0 and json.loads(listed.stdout) == {"Functions": []}
        # the config file alone carries the keys; the old fixed keys are refused
        bare = {k: v for k, v in env.items() if k not in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
        alone = subprocess.run([AWS, "sqs", "list-queues"], env=bare, capture_output=True, text=True, timeout=60)
        assert alone.returncode == 0, alone.stderr
        fixed = dict(env, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")
        refused = subprocess.run(
            [AWS, "lambda", "list-functions"], env=fixed, capture_output=True, text=True, timeout=60
        )
        assert refused.returncode != 0 and "UnrecognizedClientException" in refused.stderr
        assert _port_open(exports["AWS_ENDPOINT_URL"])
        # WHEN Ctrl-C arrives THEN the server says so, exits with 0 and frees its port
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=30)
        assert proc.returncode == 0, rest
        assert "lambdalab: stopped." in rest
        assert not _port_open(exports["AWS_ENDPOINT_URL"])
        assert not config.exists()


def test_the_served_clock_follows_real_time_times_the_speed(tmp_path: Path) -> None:
    # GIVEN a lab served at 3,600 virtual seconds per real second
    with served(tmp_path, "3600") as (proc, exports):
        sqs = boto3.client(
            "sqs",
            endpoint_url=exports["AWS_ENDPOINT_URL"],
            region_name=exports["AWS_DEFAULT_REGION"],
            aws_access_key_id=exports["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=exports["AWS_SECRET_ACCESS_KEY"],
        )
        url = sqs.create_queue(QueueName="later")["QueueUrl"]
        # WHEN a message is sent with a 15-minute delay (a quarter of a real second at this speed)
        sqs.send_message(QueueUrl=url, MessageBody="hello", DelaySeconds=900)
        sent = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessagesDelayed"])
        # THEN nobody moves the clock by hand, yet the delay runs out and the message arrives
        give_up = time.monotonic() + 60
        got: list[dict[str, str]] = []
        while not got:
            assert time.monotonic() < give_up, "the served clock did not move"
            got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0).get("Messages", [])
            time.sleep(0.1)
        assert sent["Attributes"]["ApproximateNumberOfMessagesDelayed"] == "1"
        assert got[0]["Body"] == "hello"
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=30)
        assert proc.returncode == 0 and "lambdalab: stopped." in rest
