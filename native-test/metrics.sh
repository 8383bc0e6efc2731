#!/usr/bin/env bash
# KPIs through a real mount: the Prometheus endpoint (scraped by a real Prometheus server, queried
# through its HTTP API), `tierfs stats`, and both compared with fio's own figures under load.
set -uo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$REPO/native-test/lib.sh"
work="$(mktemp -d -t tierfs-metrics.XXXXXX)"
prom= load=
trap 'for p in $prom $load; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; cleanup_mounts; rm -rf "$work"' EXIT
mnt="$work/mnt" data="$work/data"
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
json_get() { python3 -c 'import json,sys; d = json.load(sys.stdin); exec(sys.argv[1])' "$1"; }

# --- refusals: a bad address, a port in use
mkdir -p "$mnt"
out="$("$TIERFS" mount --data "$data" --metrics nowhere "$mnt" 2>&1)"
[[ "$out" == *"metrics is ADDRESS:PORT"* ]] && ! grep -q " $mnt " /proc/mounts && pass "a bad --metrics address is refused" \
  || fail "bad --metrics" "$out"
python3 -c 'import socket,time,sys; s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(); open(sys.argv[1], "w").write(str(s.getsockname()[1])); time.sleep(60)' "$work/busy" & busy=$!
for _ in $(seq 50); do [[ -s "$work/busy" ]] && break; sleep 0.05; done
out="$("$TIERFS" mount --data "$data" --metrics "127.0.0.1:$(cat "$work/busy")" "$mnt" 2>&1)"
kill "$busy"; wait "$busy" 2>/dev/null
[[ "$out" == *"cannot serve metrics on 127.0.0.1:"* ]] && ! grep -q " $mnt " /proc/mounts \
  && pass "a metrics port in use refuses the mount, saying so" || fail "port in use" "$out"

# --- a bad alert rule in the config: refused with the file and the line
printf 'hot-capacity=16M\nalert.slow=read.p99_ms >> 5 for 10s\n' > "$work/bad.conf"
out="$("$TIERFS" mount --data "$data" --config "$work/bad.conf" "$mnt" 2>&1)"
[[ "$out" == *"alert.slow: unknown operator '>>'"*"$work/bad.conf, line 2"* ]] && ! grep -q " $mnt " /proc/mounts \
  && pass "a bad alert rule is refused, naming the file and line" || fail "bad alert rule" "$out"

# --- the endpoint: loopback by default, its URL in status --json; alert rules that load will fire
tierfs_mount "$mnt" "$data" --ssd-capacity 256M --hot-capacity 16M \
  --alert 'busy-writes=write.iops > 100 for 2s severity info' --alert 'ssd-in-use=ssd.use_percent > 10 for 1s' \
  --alert high-tier-use=off || { summary; exit 1; }
alerts() { "$TIERFS" alerts --json "$mnt" | json_get "$1"; }
alert_state() { alerts "print(next(r['state'] for r in d['rules'] if r['alert'] == '$1'))"; }
[[ "$(alert_state busy-writes)" == ok ]] && alerts 'sys.exit(any(r["alert"] == "high-tier-use" for r in d["rules"]))' \
  && [[ "$(alert_state high-read-latency)" == ok ]] \
  && pass "alerts: the built-in rules and the mount's own load, one turned off" || fail "alert rules" "$("$TIERFS" alerts "$mnt" 2>&1)"
url="$("$TIERFS" status --json "$mnt" | json_get 'print(d["metrics_url"])')"
[[ "$url" =~ ^http://127\.0\.0\.1:[0-9]+/metrics$ ]] && pass "status --json gives metrics_url ($url)" || fail "metrics_url" "$url"
head -c 8000000 /dev/urandom > "$mnt/warm" && cat "$mnt/warm" > /dev/null
body="$(curl -sf "$url")"
missing=""
for name in tierfs_fuse_ops_total tierfs_fuse_bytes_total tierfs_fuse_op_duration_seconds_bucket tierfs_fuse_in_flight \
            tierfs_fuse_errors_total tierfs_tier_capacity_bytes tierfs_tier_used_bytes tierfs_tier_reads_total \
            tierfs_migrated_bytes_total tierfs_checksum_failures_total; do
  grep -q "^$name" <<< "$body" || missing+=" $name"
done
[[ -z "$missing" ]] && pass "the endpoint serves every KPI family" || fail "metric families" "missing:$missing"
# (a missing name is no error: tierfs answers it as a negative entry the kernel keeps)
getfattr -n user.no-such-attribute "$mnt/warm" >/dev/null 2>&1
grep -q 'tierfs_fuse_errors_total{errno="ENODATA",op="getxattr"}' <<< "$(curl -sf "$url")" \
  && pass "errors are counted by operation and errno" || fail "errors by errno" "$(curl -sf "$url" | grep errors_total)"

# --- a real Prometheus scrapes it every second
pport="$(free_port)"
cat > "$work/prometheus.yml" <<YML
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: tierfs
    static_configs:
      - targets: ["${url#http://}"]
YML
sed -i 's|/metrics"\]|"]|' "$work/prometheus.yml"
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" \
  --web.listen-address="127.0.0.1:$pport" > "$work/prometheus.log" 2>&1 & prom=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$pport/-/ready" > /dev/null && break; sleep 0.1; done
query() { curl -sf "http://127.0.0.1:$pport/api/v1/query" --data-urlencode "query=$1" | json_get '
r = d["data"]["result"]
print(r[0]["value"][1] if r else "none")'; }

# --- load: fio 4 KiB random reads and writes, O_DIRECT (one FUSE request per I/O). A first run
# lays the file out and warms the daemon's JIT; the measured one runs 13 s, and tierfs stats is
# read 11.5 s in, when its last 10 s were all load.
fio_job=(fio --name=kpi --directory="$mnt" --size=64M --rw=randrw --rwmixread=70 --bs=4k --direct=1 --ioengine=psync --time_based)
"${fio_job[@]}" --runtime=3 > /dev/null 2>&1
before="$(curl -sf "$url")"
started_ms="$(date +%s%3N)"
"${fio_job[@]}" --runtime=13 --output-format=json --output="$work/fio.json" --write_iops_log="$work/fio" \
  --log_avg_msec=1000 > /dev/null 2>&1 & load=$!
sleep 11.5
"$TIERFS" stats --json "$mnt" > "$work/stats.json"
# (after the figures above: a JVM starting on 2 cores would take its share out of fio's rate)
states="$(alerts 'print(" ".join(r["alert"] + "=" + r["state"] for r in d["rules"]))')"
[[ "$states" == *busy-writes=firing* && "$states" == *ssd-in-use=firing* ]] \
  && grep -q 'tierfs_alerts_firing{alert="busy-writes"} 1' <<< "$(curl -sf "$url")" \
  && grep -q 'alert busy-writes (info) firing: write.iops = ' "$data/tierfs.log" \
  && pass "under load the alerts fire: tierfs alerts, the endpoint and the log say so" || fail "alerts firing" "$states"
wait "$load"; load=
after="$(curl -sf "$url")"
count() { grep "^tierfs_fuse_ops_total{op=\"$1\"}" | awk '{print $2}'; }
read -r fio_r fio_w fio_riops fio_wiops fio_rp95 fio_rp99 < <(json_get '
j = d["jobs"][0]
print(j["read"]["total_ios"], j["write"]["total_ios"], j["read"]["iops"], j["write"]["iops"],
      j["read"]["clat_ns"]["percentile"]["95.000000"] / 1e6, j["read"]["clat_ns"]["percentile"]["99.000000"] / 1e6)' < "$work/fio.json")
read -r ep_r ep_w < <(python3 -c 'import sys; print(float(sys.argv[2]) - float(sys.argv[1]), float(sys.argv[4]) - float(sys.argv[3]))' \
  "$(count read <<< "$before")" "$(count read <<< "$after")" "$(count write <<< "$before")" "$(count write <<< "$after")")
echo "# fio: $fio_r reads, $fio_w writes; the endpoint's counters moved by $ep_r reads, $ep_w writes meanwhile"
within() { python3 -c 'import sys; a, b, t = map(float, sys.argv[1:]); sys.exit(0 if b > 0 and abs(a - b) / b <= t else 1)' "$@"; }
within "$ep_r" "$fio_r" 0.10 && within "$ep_w" "$fio_w" 0.10 && pass "the endpoint's read and write counts are within 10% of fio's" \
  || fail "endpoint vs fio" "reads $ep_r vs $fio_r, writes $ep_w vs $fio_w"
read -r st_r st_w st_p95 st_p99 st_end < <(json_get '
o = d["last10s"]["ops"]
print(o["read"]["opsPerSecond"], o["write"]["opsPerSecond"], o["read"]["p95Ms"], o["read"]["p99Ms"], d["updatedMillis"])' < "$work/stats.json")
# fio's own IOPS over the same 10 s (its per-second log, aligned by the wall clock): a rate that
# drifts during the run (JIT, the host) must be compared over the same seconds
read -r fio_wr fio_ww < <(python3 - "$work/fio_iops.1.log" "$started_ms" "$st_end" <<'PY'
import sys
start, end = int(sys.argv[2]), int(sys.argv[3])
by = {0: [], 1: []}
for line in open(sys.argv[1]):
    t, v, d = (int(x) for x in line.split(",")[:3])
    if end - 10000 + 500 <= start + t <= end + 500:  # one-second intervals that lie in the window
        by[d].append(v)
print(*(sum(v) / len(v) if v else 0 for v in (by[0], by[1])))
PY
)
echo "# fio IOPS read $fio_riops write $fio_wiops (whole run), read $fio_wr write $fio_ww (tierfs stats' 10 s); read p95 $fio_rp95 ms p99 $fio_rp99 ms; tierfs stats (last 10 s): read $st_r/s write $st_w/s, read p95 $st_p95 ms p99 $st_p99 ms"
within "$st_r" "$fio_wr" 0.10 && within "$st_w" "$fio_ww" 0.10 && pass "tierfs stats' IOPS are within 10% of fio's over the same seconds" \
  || fail "stats vs fio IOPS" "read $st_r vs $fio_wr, write $st_w vs $fio_ww"
# the daemon's latency leaves out the kernel's part of the round trip: not above fio's (within its spread)
python3 -c 'import sys; s, f, f99 = map(float, sys.argv[1:]); sys.exit(0 if 0 < s <= min(f * 1.2, f99) else 1)' \
    "$st_p95" "$fio_rp95" "$fio_rp99" \
  && pass "tierfs stats' read p95 ($st_p95 ms) is within fio's (p95 $fio_rp95 ms, which adds the kernel's part)" \
  || fail "p95" "tierfs $st_p95 ms vs fio p95 $fio_rp95 ms, p99 $fio_rp99 ms"

# --- the same figures through Prometheus's query API
sleep 2
rate="$(query 'sum(increase(tierfs_fuse_ops_total{op="write"}[30s]))')"
p95="$(query 'histogram_quantile(0.95, sum by (le) (rate(tierfs_fuse_op_duration_seconds_bucket{op="read"}[30s])))')"
cap="$(query 'tierfs_tier_capacity_bytes{tier="ssd"}')"
used="$(query 'sum(tierfs_tier_used_bytes)')"
up="$(query 'up{job="tierfs"}')"
echo "# Prometheus: writes in the last 30 s $rate, read p95 ${p95}s, ssd capacity $cap, used $used"
[[ "$up" == 1 ]] && pass "Prometheus scrapes the endpoint (up = 1)" || fail "scrape" "up = $up; $(tail -3 "$work/prometheus.log")"
within "$rate" "$fio_w" 0.25 && pass "Prometheus sees the writes fio made" || fail "Prometheus writes" "$rate vs fio $fio_w"
python3 -c 'import sys; v = float(sys.argv[1]); sys.exit(0 if 0 < v < 1 else 1)' "$p95" 2>/dev/null \
  && pass "histogram_quantile over the op histogram gives a read p95" || fail "p95 from Prometheus" "$p95"
[[ "$cap" == $((256 << 20)) ]] && python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) >= 64 << 20 else 1)' "$used" \
  && pass "tier capacity and use reach Prometheus" || fail "tier gauges" "capacity $cap, used $used"

# --- every query of the shipped Grafana dashboard runs on this Prometheus and returns data
bad="$(python3 - "$REPO/mount-scripts/monitoring/tierfs-dashboard.json" "http://127.0.0.1:$pport" <<'PY'
import json, sys, urllib.parse, urllib.request
dash = json.load(open(sys.argv[1]))
bad = []
for panel in dash["panels"]:
    for t in panel["targets"]:
        expr = t["expr"].replace("$instance", ".*").replace("$__rate_interval", "30s")
        url = sys.argv[2] + "/api/v1/query?" + urllib.parse.urlencode({"query": expr})
        try:
            r = json.load(urllib.request.urlopen(url))
            if r["status"] != "success" or not r["data"]["result"]:
                bad.append(f'{panel["title"]}: {expr}: no data')
        except Exception as e:
            bad.append(f'{panel["title"]}: {expr}: {e}')
print(f"{sum(len(p['targets']) for p in dash['panels'])} queries" if not bad else "; ".join(bad))
PY
)"
[[ "$bad" == *queries ]] && pass "every Grafana dashboard query returns data from Prometheus ($bad)" || fail "dashboard" "$bad"

out="$(query 'max_over_time(tierfs_alerts_firing{alert="busy-writes"}[1m])')"
[[ "$out" == 1 ]] && pass "Prometheus saw tierfs_alerts_firing" || fail "alerts in Prometheus" "$out"
if out="$(promtool check rules "$REPO/mount-scripts/monitoring/tierfs-alerts.yml" 2>&1)" \
   && out="$(cd "$REPO/mount-scripts/monitoring" && promtool test rules tierfs-alerts.test.yml 2>&1)"; then
  pass "promtool checks and tests the shipped alerting rules"
else
  fail "promtool" "$out"
fi

# --- the terminal view
out="$("$TIERFS" stats "$mnt" 2>&1)"
[[ "$out" == *"ops/s"* && "$out" == *read* && "$out" == *"tier ssd"* ]] && pass "tierfs stats prints a table" || fail "stats text" "$out"
out="$(timeout 6 "$TIERFS" stats --watch 1 "$mnt" 2>&1)"
[[ $(grep -c 'ops/s' <<< "$out") -ge 4 ]] && pass "tierfs stats --watch refreshes" || fail "stats --watch" "$(echo "$out" | head -3)"
# the load is over: once its 10 s have left the window, the alert resolves, with both times kept
for _ in $(seq 30); do [[ "$(alert_state busy-writes)" == ok ]] && break; sleep 0.5; done
event="$(alerts 'e = [h for h in d["history"] if h["alert"] == "busy-writes"]; print(e[-1]["event"], e[-1].get("firedAt", "-"), e[-1]["at"])')"
[[ "$event" =~ ^resolved\ 20[0-9-]+T.*\ 20[0-9-]+T ]] && grep -q 'alert busy-writes resolved after' "$data/tierfs.log" \
  && pass "once the load stops the alert resolves ($event)" || fail "alert resolves" "$event"
out="$("$TIERFS" alerts "$mnt" 2>&1)"
[[ "$out" == *busy-writes*resolved* ]] && pass "tierfs alerts prints rules and history" || fail "alerts text" "$out"
tierfs_unmount "$mnt"

# --- --metrics off; alert rules reloaded live from the config file
conf="$work/live.conf"
printf 'alert.ssd-check = ssd.use_percent > 1000\n' > "$conf"
tierfs_mount "$mnt" "$data" --metrics off --config "$conf" || { summary; exit 1; }
url="$("$TIERFS" status --json "$mnt" | json_get 'print(d.get("metrics_url"))')"
[[ "$url" == None ]] && pass "--metrics off serves no endpoint" || fail "--metrics off" "$url"
[[ "$(alert_state ssd-check)" == ok ]] || fail "reload setup" "ssd-check is $(alert_state ssd-check)"
printf 'alert.ssd-check = ssd.use_percent >= 0\nalert.high-read-latency = off\n' > "$conf"
out="$("$TIERFS" reload "$mnt" 2>&1)"
for _ in $(seq 20); do [[ "$(alert_state ssd-check)" == firing ]] && break; sleep 0.2; done
[[ "$out" == *"1 changed, 1 removed"* && "$(alert_state ssd-check)" == firing ]] \
  && pass "tierfs reload changes a threshold live ($out)" || fail "reload" "$out; ssd-check $(alert_state ssd-check)"
printf 'hot-capacity = 16M\nalert.ssd-check = ssd.use_percent >>= 0\n' > "$conf"
out="$("$TIERFS" reload "$mnt" 2>&1)"; rc=$?
[[ $rc -ne 0 && "$out" == *"running rules are kept: alert.ssd-check: unknown operator '>>='"*"$conf, line 2"* \
   && "$(alert_state ssd-check)" == firing ]] && pass "a bad file is refused by reload, naming the line; the rules run on" \
  || fail "bad reload" "rc $rc: $out"
printf 'alert.ssd-check = ssd.use_percent > 1000\n' > "$conf"
kill -HUP "$(daemon_pid "$data")"
for _ in $(seq 20); do [[ "$(alert_state ssd-check)" == ok ]] && break; sleep 0.2; done
[[ "$(alert_state ssd-check)" == ok ]] && grep -q 'ended by reload' <<< "$("$TIERFS" alerts "$mnt")" \
  && pass "SIGHUP reloads too; a firing alert it changes is ended by the reload" || fail "SIGHUP" "$(alert_state ssd-check)"
tierfs_unmount "$mnt"

# a daemon that inherited SIGHUP ignored (started under nohup, as scripts do) still takes reloads
mkdir -p "$work/nohup-mnt"
MOUNTS_MADE+=("$work/nohup-mnt")
nohup "$TIERFS" mount --data "$work/nohup-data" --metrics off --config "$conf" "$work/nohup-mnt" >/dev/null 2>&1
out="$("$TIERFS" reload "$work/nohup-mnt" 2>&1)"
[[ "$out" == reloaded:* ]] && pass "a daemon started under nohup answers reloads ($out)" || fail "reload under nohup" "$out"
tierfs_unmount "$work/nohup-mnt"
summary
