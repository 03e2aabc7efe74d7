#!/usr/bin/env python3
"""Issue 13 on a real Kafka 4.0 cluster (../shared/realkafka): every management operation through
Kafscope's API, each result read back with Kafka's own CLI. Start the cluster and a console first:
  . ~/realkafka/kafka.sh; start_all; wait_ready
  KAFSCOPE_SERVER__ADMIN_TOKEN=x target/debug/kafscope --bootstrap-servers 127.0.0.1:9192 \
      --cluster-name real --listen 127.0.0.1:18990 --store-url sqlite:///tmp/rk13.db
then: python3 scripts/realkafka/manage.py  (it restarts node 2 once, to move leaders)."""
import json, subprocess, sys, time, urllib.request, os
API = "http://127.0.0.1:18990/api/v1/clusters/real"
BIN = os.path.expanduser("~/realkafka/kafka/bin")
BS = "127.0.0.1:9192"
results = []
def check(name, ok, detail=""):
    ok = bool(ok)
    results.append((name, ok))
    print(("PASS " if ok else "FAIL ") + name + ("" if ok else f"  -- {detail}"))
def call(method, path, body=None, token="x"):
    req = urllib.request.Request(API + path, method=method, data=None if body is None else json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **({"Authorization": "Bearer " + token} if token else {})})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, json.loads(r.read() or "null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or "null")
def cli(tool, *args):
    return subprocess.run([f"{BIN}/{tool}", "--bootstrap-server", BS, *args], capture_output=True, text=True, timeout=120).stdout
def plan(body):
    return call("POST", "/plans", body)
def execute(p, confirm=None):
    return call("POST", f"/plans/{p['id']}/execute", {"confirm": confirm})
T = "rk13-orders"
cli("kafka-topics.sh", "--delete", "--topic", T)
cli("kafka-consumer-groups.sh", "--delete", "--group", "rk13-g")
time.sleep(2)
call("GET", "") ; 
# 1 create
s, p = plan({"kind": "create_topic", "name": T, "partitions": 6, "replication_factor": 3, "configs": {"retention.ms": "86400000", "min.insync.replicas": "2"}})
check("create plan 201 with the broker's verdict", s == 201 and "validate_only" in (p.get("verdict") or "") and "6 partitions × 3 replicas" in p["verdict"], p)
check("create preview creates nothing", T not in cli("kafka-topics.sh", "--list").split())
chg = {c["name"]: c for c in p["detail"]["configs"]}
check("create diff has default and doc", chg["retention.ms"]["before_human"] == "7 days" and chg["retention.ms"]["after_human"] == "1 day" and chg["retention.ms"]["documentation"], chg)
s, v = plan({"kind": "create_topic", "name": "rk13-bad", "partitions": 1, "replication_factor": 3, "configs": {"retention.ms": "abc"}})
check("invalid config judged by the broker", s == 400 and "INVALID_CONFIG" in json.dumps(v) and "retention.ms" in json.dumps(v), v)
print("   ", v)
s, v = plan({"kind": "create_topic", "name": "rk13-bad", "partitions": 1, "replication_factor": 4})
check("RF above live brokers refused", s == 400 and "3 are alive" in v["error"]["message"], v)
s, v = execute(p)
check("create executed", s == 200 and v["state"] == "executed", v)
d = cli("kafka-topics.sh", "--describe", "--topic", T)
check("CLI: 6 partitions RF 3", "PartitionCount: 6" in d and "ReplicationFactor: 3" in d, d[:300])
c = cli("kafka-configs.sh", "--describe", "--entity-type", "topics", "--entity-name", T)
check("CLI: configs set", "retention.ms=86400000" in c and "min.insync.replicas=2" in c, c)
# 2 alter configs
s, p = plan({"kind": "alter_topic_configs", "topic": T, "set": {"retention.ms": "604800000"}, "delete": ["min.insync.replicas"]})
check("alter plan", s == 201 and "validate_only" in p["verdict"], p)
ch = {c["name"]: c for c in p["detail"]["changes"]}
check("alter diff", ch["retention.ms"]["before"] == "86400000" and ch["retention.ms"]["after_human"] == "7 days" and ch["min.insync.replicas"]["to_default"] and ch["min.insync.replicas"]["after"] == "2", ch)
print("   min.isr after (cluster default):", ch["min.insync.replicas"]["after"], ch["min.insync.replicas"]["before_source"])
s, v = execute(p)
c = cli("kafka-configs.sh", "--describe", "--entity-type", "topics", "--entity-name", T)
check("CLI: config changed and deleted", s == 200 and "retention.ms=604800000" in c and "min.insync.replicas" not in c, c)
s, v = plan({"kind": "alter_topic_configs", "topic": T, "set": {"cleanup.policy": "nonsense"}})
check("bad value refused by broker validate", s == 400, v); print("   ", v)
# 3 add partitions
s, p = plan({"kind": "add_partitions", "topic": T, "total": 8})
s2, v = execute(p)
check("add partitions", s == 201 and s2 == 200 and "PartitionCount: 8" in cli("kafka-topics.sh", "--describe", "--topic", T), (p, v))
# 4 produce 
subprocess.run(f"{BIN}/kafka-producer-perf-test.sh --topic {T} --num-records 8000 --record-size 50 --throughput -1 --producer-props bootstrap.servers={BS} acks=all", shell=True, capture_output=True, timeout=120)
def offsets(time_spec):
    out = cli("kafka-get-offsets.sh", "--topic", T, "--time", time_spec)
    return {int(l.split(":")[1]): int(l.split(":")[2]) for l in out.split() if l.count(":") == 2}
ends = offsets("-1"); starts = offsets("-2")
print("   ends", ends)
# 5 purge before offset 100
s, p = plan({"kind": "purge_topic", "topic": T, "before": {"type": "offset", "offset": 100}})
expect = sum(min(100, ends[k]) - starts[k] for k in ends)
check("purge count exact", s == 201 and p["detail"]["records"] == expect, (p.get("detail", {}).get("records"), expect))
s, v = execute(p, "rk13-orders-typo")
check("purge needs the name", s == 400, v)
s, v = execute(p, T)
st2 = offsets("-2")
check("CLI: purge moved starts", s == 200 and all(st2[k] == min(100, ends[k]) for k in ends), (v, st2))
# 6 groups: consume some with group
G = "rk13-g"
subprocess.run(f"{BIN}/kafka-console-consumer.sh --bootstrap-server {BS} --topic {T} --group {G} --max-messages 3000 --from-beginning > /dev/null", shell=True, timeout=120)
def group_offsets(g):
    out = cli("kafka-consumer-groups.sh", "--describe", "--group", g)
    r = {}
    for line in out.splitlines():
        f = line.split()
        if len(f) >= 5 and f[1] == T:
            r[int(f[2])] = None if f[3] == "-" else int(f[3])
    return r
before = group_offsets(G)
print("   committed", before)
s, p = plan({"kind": "reset_offsets", "group": G, "to": {"type": "earliest"}})
rows = {r["partition"]: r for r in p["detail"]["partitions"]}
st3 = offsets("-2")
check("reset plan = watermarks", s == 201 and all(rows[k]["new"] == st3[k] and rows[k]["current"] == before.get(k) for k in rows), (rows, st3, before))
# dry-run by CLI to compare to-datetime
at = int(time.time() * 1000) - 60_000
s, pt = plan({"kind": "reset_offsets", "group": G, "to": {"type": "timestamp", "at_ms": at}})
iso = time.strftime("%Y-%m-%dT%H:%M:%S.000", time.gmtime(at / 1000))
dry = cli("kafka-consumer-groups.sh", "--reset-offsets", "--group", G, "--topic", T, "--to-datetime", iso, "--dry-run")
cli_new = {}
for line in dry.splitlines():
    f = line.split()
    if len(f) >= 4 and f[1] == T:
        cli_new[int(f[2])] = int(f[3])
plan_new = {r["partition"]: r["new"] for r in pt["detail"]["partitions"]}
check("timestamp plan = kafka-consumer-groups --dry-run", cli_new and plan_new == cli_new, (plan_new, cli_new))
s, v = execute(p)
check("CLI: reset executed exactly", s == 200 and group_offsets(G) == {k: rows[k]["new"] for k in rows}, (v, group_offsets(G)))
# consumer connected -> refused
proc = subprocess.Popen(f"exec {BIN}/kafka-console-consumer.sh --bootstrap-server {BS} --topic {T} --group {G} > /dev/null", shell=True)
time.sleep(8)
s, p2 = plan({"kind": "reset_offsets", "group": G, "to": {"type": "earliest"}})
s2, v2 = execute(p2)
proc.terminate(); proc.wait(timeout=30)
check("live consumer: warning + 409 naming member", s == 201 and p2["warnings"] and s2 == 409 and "not empty" in v2["error"]["message"], (p2.get("warnings"), v2))
print("   ", v2)
time.sleep(2)
# revert the executed reset
now = group_offsets(G)
s, rv = call("POST", f"/plans/{p['id']}/revert")
print("   revert", s, rv.get("summary") if isinstance(rv, dict) else rv)
# offsets may have moved because the live consumer committed: then the revert plan is still made from previous offsets
s2, v = execute(rv)
reverted = {r["topic"] and r["partition"]: r["new"] for r in rv["detail"]["partitions"]}
after = group_offsets(G)
check("revert restores the previous offsets exactly", s == 201 and s2 == 200 and reverted and all(after[k] == before[k] for k in reverted), (reverted, after, before))
# OffsetDelete
s, p = plan({"kind": "delete_group_offsets", "group": G, "topic": T})
s2, v = execute(p, G)
check("OffsetDelete", s == 201 and s2 == 200 and v["state"] == "executed" and all(x is None for x in group_offsets(G).values()), (v, group_offsets(G)))
# delete group
s, p = plan({"kind": "delete_group", "group": G})
s2, v = execute(p, G)
check("delete group", s2 == 200 and G not in cli("kafka-consumer-groups.sh", "--list").split(), (p, v))
# broker configs
s, bc = call("GET", "/brokers/2/configs")
e = {x["name"]: x for x in bc["entries"]}
check("broker configs with sources and docs", s == 200 and e["num.io.threads"]["documentation"] and e["process.roles"]["read_only"], e.get("num.io.threads"))
s, v = plan({"kind": "alter_broker_configs", "broker": 2, "set": {"process.roles": "broker"}})
check("static broker key refused", s == 400 and "read-only" in v["error"]["message"], v)
s, p = plan({"kind": "alter_broker_configs", "broker": 2, "set": {"num.io.threads": "6"}})
print("   ", s, p)
s2, v = execute(p)
bcli = cli("kafka-configs.sh", "--describe", "--entity-type", "brokers", "--entity-name", "2")
check("per-broker dynamic config", s == 201 and s2 == 200 and "num.io.threads=6" in bcli, (p, v, bcli))
s, p = plan({"kind": "alter_broker_configs", "broker": 2, "delete": ["num.io.threads"]})
s2, v = execute(p)
check("per-broker config back to default", s2 == 200 and "num.io.threads" not in cli("kafka-configs.sh", "--describe", "--entity-type", "brokers", "--entity-name", "2"), v)
s, p = plan({"kind": "alter_broker_configs", "broker": None, "set": {"log.cleaner.backoff.ms": "16000"}})
s2, v = execute(p)
ccli = cli("kafka-configs.sh", "--describe", "--entity-type", "brokers", "--entity-default")
check("cluster-wide default", s2 == 200 and "log.cleaner.backoff.ms=16000" in ccli, (p, v, ccli))
s, p = plan({"kind": "alter_broker_configs", "broker": None, "delete": ["log.cleaner.backoff.ms"]}); execute(p)
# audit
req = urllib.request.Request("http://127.0.0.1:18990/api/v1/audit?cluster=real", headers={"Authorization": "Bearer x"})
a = json.loads(urllib.request.urlopen(req).read())
acts = sorted({(r["action"], r["outcome"]) for r in a["items"]})
print("   audit:", acts)
check("every change audited with the actor", all(r["actor"] == "admin_token" for r in a["items"]) and ("topic.purge", "done") in acts and ("offsets.reset", "refused") in acts and ("configs.alter", "done") in acts, acts)
# preferred leader election after a broker restart moved leadership away
subprocess.run("bash -c '. ~/realkafka/kafka.sh; stop_node 2 --kill; sleep 8; start_node 2; wait_ready'", shell=True, capture_output=True, timeout=180)
time.sleep(10)
d = cli("kafka-topics.sh", "--describe", "--topic", T)
def off_preferred(d):
    n = 0
    for line in d.splitlines():
        if "Leader:" in line and "Replicas:" in line:
            f = line.split()
            leader = f[f.index("Leader:") + 1]; reps = f[f.index("Replicas:") + 1].split(",")
            n += leader != reps[0]
    return n
print("   partitions off their preferred leader:", off_preferred(d))
s, p = plan({"kind": "elect_leaders", "partitions": [{"topic": T, "partition": i} for i in range(8)]})
print("   ", s, p.get("summary") if isinstance(p, dict) else p)
if s == 201:
    s2, v = execute(p)
    time.sleep(2)
    d2 = cli("kafka-topics.sh", "--describe", "--topic", T)
    check("preferred leaders elected", s2 == 200 and v["state"] == "executed" and off_preferred(d2) == 0 and off_preferred(d) > 0, (v.get("execution"), d2))
else:
    check("preferred leaders elected", False, p)
# delete topic
s, p = plan({"kind": "delete_topic", "topic": T})
s2, v = execute(p, T)
time.sleep(1)
check("delete topic", s2 == 200 and T not in cli("kafka-topics.sh", "--list").split(), v)
print(f"{sum(ok for _, ok in results)}/{len(results)} passed")
