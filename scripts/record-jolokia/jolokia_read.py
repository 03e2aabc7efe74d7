#!/usr/bin/env python3
"""POST Kafscope's bulk Jolokia read to a Jolokia agent and save the answer as a fixture.

usage: jolokia_read.py URL OUTFILE [--at EPOCH_MS]

--at waits until that wall-clock time (ms since epoch) before sending, so two reads can be
spaced exactly. Prints the wall-clock ms just before sending and just after the answer was read.
The answer is pretty-printed with every number and string value kept verbatim (numbers are
copied as the literal tokens the agent sent; only whitespace and the JSON "\\/" escape change).
Only for recording fixtures (see README.md)."""
import json, sys, time, urllib.request

MBEANS = [
    "kafka.server:type=ReplicaManager,name=*",
    "kafka.controller:type=KafkaController,name=*",
    "kafka.server:type=KafkaRequestHandlerPool,name=*",
    "kafka.network:type=SocketServer,name=NetworkProcessorAvgIdlePercent",
    "kafka.server:type=socket-server-metrics,listener=*,networkProcessor=*",
    "kafka.server:type=BrokerTopicMetrics,name=*",
    "kafka.network:type=RequestChannel,name=RequestQueueSize",
    "kafka.log:type=Log,name=Size,*",
]

class Num(str):
    """A JSON number kept as the literal text the server sent."""

def dump(v, ind=0):
    pad, pad1 = "  " * ind, "  " * (ind + 1)
    if isinstance(v, Num):
        return str(v)
    if isinstance(v, dict):
        if not v: return "{}"
        return "{\n" + ",\n".join(pad1 + json.dumps(k, ensure_ascii=False) + ": " + dump(x, ind + 1)
                                  for k, x in v.items()) + "\n" + pad + "}"
    if isinstance(v, list):
        if not v: return "[]"
        return "[\n" + ",\n".join(pad1 + dump(x, ind + 1) for x in v) + "\n" + pad + "]"
    return json.dumps(v, ensure_ascii=False)

def main():
    url, out = sys.argv[1], sys.argv[2]
    at = int(sys.argv[4]) if len(sys.argv) > 4 and sys.argv[3] == "--at" else None
    body = json.dumps([{"type": "read", "mbean": m, "config": {"includeStackTrace": False}}
                       for m in MBEANS]).encode()
    req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    if at is not None:
        while time.time() * 1000 < at:
            time.sleep(min(0.05, max(0.0, (at - time.time() * 1000) / 1000)))
    t_before = int(time.time() * 1000)
    raw = urllib.request.urlopen(req, timeout=30).read()
    t_after = int(time.time() * 1000)
    keep = lambda s: Num(s)
    doc = json.loads(raw, parse_float=keep, parse_int=keep, parse_constant=keep)
    assert json.loads(dump(doc)) == json.loads(raw), "pretty-print changed the document"
    with open(out, "w") as f:
        f.write(dump(doc) + "\n")
    with open(out + ".raw", "wb") as f:  # exact bytes, for checking; not kept as a fixture
        f.write(raw)
    print(json.dumps({"file": out, "before_ms": t_before, "after_ms": t_after, "bytes": len(raw)}))

if __name__ == "__main__":
    main()
