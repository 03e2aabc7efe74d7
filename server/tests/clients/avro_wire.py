"""Confluent wire-format Avro records for Kafscope's tests, written by fastavro (an
independent Avro implementation, from PyPI).

Reads JSON on stdin: {"schema": <Avro schema JSON>, "id": <schema id>, "records": [...]}.
Top-level fields with a logical type take their values as text: decimal "123.45", date
"2024-01-01", time-millis "12:34:56.789", timestamp-* and local-timestamp-*
"2024-01-01T00:00:00.123456" (UTC), uuid "…". Prints a JSON list of base64 strings: byte 0,
the 4-byte big-endian id, then the schemaless Avro datum.
"""
import base64
import datetime
import decimal
import io
import json
import struct
import sys
import uuid

import fastavro


def logical(schema_type):
    if isinstance(schema_type, dict):
        return schema_type.get("logicalType")
    if isinstance(schema_type, list):
        for branch in schema_type:
            found = logical(branch)
            if found:
                return found
    return None


def typed(kind, value):
    if value is None or kind is None:
        return value
    if kind == "decimal":
        return decimal.Decimal(value)
    if kind == "date":
        return datetime.date.fromisoformat(value)
    if kind == "time-millis" or kind == "time-micros":
        return datetime.time.fromisoformat(value)
    if kind.startswith("timestamp-"):
        return datetime.datetime.fromisoformat(value).replace(tzinfo=datetime.timezone.utc)
    if kind.startswith("local-timestamp-"):
        return datetime.datetime.fromisoformat(value)
    if kind == "uuid":
        return uuid.UUID(value)
    return value


def main():
    job = json.load(sys.stdin)
    schema = job["schema"]
    parsed = fastavro.parse_schema(schema)
    kinds = {f["name"]: logical(f["type"]) for f in schema["fields"]}
    out = []
    for r in job["records"]:
        rec = {k: typed(kinds.get(k), v) for k, v in r.items()}
        buf = io.BytesIO()
        buf.write(b"\x00" + struct.pack(">I", job["id"]))
        fastavro.schemaless_writer(buf, parsed, rec)
        out.append(base64.b64encode(buf.getvalue()).decode())
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
