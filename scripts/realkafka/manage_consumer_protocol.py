#!/usr/bin/env python3
"""Issue 13 with a Kafka 4 consumer-protocol group (KIP-848) on the real cluster: a reset refused
while a member consumes (named via ConsumerGroupDescribe), made once it stopped, the group
deleted. Same setup as manage.py."""
import json, subprocess, time, urllib.request, os
API = "http://127.0.0.1:18990/api/v1/clusters/real"
BIN = os.path.expanduser("~/realkafka/kafka/bin"); BS = "127.0.0.1:9192"
def call(method, path, body=None):
    req = urllib.request.Request(API + path, method=method, data=None if body is None else json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Authorization": "Bearer x"})
    try:
        with urllib.request.urlopen(req, timeout=60) as r: return r.status, json.loads(r.read() or "null")
    except urllib.error.HTTPError as e: return e.code, json.loads(e.read() or "null")
def cli(tool, *a): return subprocess.run([f"{BIN}/{tool}", "--bootstrap-server", BS, *a], capture_output=True, text=True, timeout=120).stdout
T, G = "rk13-kip848", "rk13-kip848-g"
cli("kafka-topics.sh", "--delete", "--topic", T); time.sleep(2)
cli("kafka-topics.sh", "--create", "--topic", T, "--partitions", "3", "--replication-factor", "3")
subprocess.run(f"{BIN}/kafka-producer-perf-test.sh --topic {T} --num-records 3000 --record-size 20 --throughput -1 --producer-props bootstrap.servers={BS}", shell=True, capture_output=True)
proc = subprocess.Popen(f"exec {BIN}/kafka-console-consumer.sh --bootstrap-server {BS} --topic {T} --group {G} --from-beginning --consumer-property group.protocol=consumer > /dev/null 2>&1", shell=True)
time.sleep(12)
print(cli("kafka-consumer-groups.sh", "--describe", "--group", G, "--members"))
s, p = call("POST", "/plans", {"kind": "reset_offsets", "group": G, "to": {"type": "earliest"}})
print("plan", s, p.get("warnings") if isinstance(p, dict) else p)
if s == 201:
    s2, v = call("POST", f"/plans/{p['id']}/execute", {})
    print("execute while consuming:", s2, v)
proc.terminate(); proc.wait(timeout=30)
time.sleep(3)
print(cli("kafka-consumer-groups.sh", "--describe", "--group", G, "--state"))
s, p = call("POST", "/plans", {"kind": "reset_offsets", "group": G, "to": {"type": "shift", "by": -100}})
print("plan2", s, p.get("summary") if isinstance(p, dict) else p, p.get("warnings") if isinstance(p, dict) else "")
s2, v = call("POST", f"/plans/{p['id']}/execute", {})
print("execute stopped:", s2, v.get("state") if isinstance(v, dict) else v, v.get("execution", {}).get("message") if isinstance(v, dict) else "")
print(cli("kafka-consumer-groups.sh", "--describe", "--group", G))
exp = {r["partition"]: r["new"] for r in p["detail"]["partitions"]}
print("expected", exp)
s, p = call("POST", "/plans", {"kind": "delete_group", "group": G})
s2, v = call("POST", f"/plans/{p['id']}/execute", {"confirm": G})
print("delete consumer-protocol group:", s2, v.get("state") if isinstance(v, dict) else v)
print("listed after:", G in cli("kafka-consumer-groups.sh", "--list").split())
cli("kafka-topics.sh", "--delete", "--topic", T)
