"""An independent Kafka client for Kafscope's tests (kafka-python, pure Python).

Reads a JSON list of records on stdin:
  [{"topic", "partition", "key": base64|null, "value": base64|null,
    "headers": [[name, base64]], "timestamp_ms": int|null}, ...]
creates the topic first when asked (`--create topic:partitions`), produces the records one
by one (waiting for each acknowledgement, so offsets are in input order), and prints a JSON
list of {"partition", "offset", "timestamp_ms"} on stdout.
"""
import base64
import json
import sys

from kafka import KafkaProducer
from kafka.admin import KafkaAdminClient, NewTopic


def b64(v):
    return None if v is None else base64.b64decode(v)


def main():
    bootstrap = sys.argv[1]
    creates = [a.split("=", 1)[1] for a in sys.argv[2:] if a.startswith("--create=")]
    if creates:
        admin = KafkaAdminClient(bootstrap_servers=bootstrap)
        admin.create_topics(
            [NewTopic(t.split(":")[0], int(t.split(":")[1]), 1) for t in creates]
        )
        admin.close()
    records = json.load(sys.stdin)
    producer = KafkaProducer(bootstrap_servers=bootstrap, linger_ms=0, acks="all")
    out = []
    for r in records:
        meta = producer.send(
            r["topic"],
            key=b64(r.get("key")),
            value=b64(r.get("value")),
            headers=[(h[0], b64(h[1])) for h in r.get("headers", [])],
            partition=r.get("partition"),
            timestamp_ms=r.get("timestamp_ms"),
        ).get(timeout=30)
        out.append(
            {"partition": meta.partition, "offset": meta.offset, "timestamp_ms": meta.timestamp}
        )
    producer.flush()
    producer.close()
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
