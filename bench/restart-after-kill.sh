#!/usr/bin/env bash
# `meshfed up` killed with -9 and started again on its directory, round after round: seconds
# from the restart to the "Ctrl-C stops everything." banner (the stores answer queries), and
# the CPU seconds the meshfed JVM had used by then (the registry's JVM not counted). Variants
# (JVM options) alternate within each round, so a load that drifts weighs on all of them.
# Usage: bench/restart-after-kill.sh DIR ROUNDS [NAME=JVM_OPTIONS ...] (default: one variant,
# the options ./meshfed gives up). Runs at nice 19 on the classpath ./meshfed uses (build it
# first); the phases of each start are in DIR/stack/meshfed.log ("stack in ... after N ms").
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="$1"; rounds="$2"; shift 2
[ $# -gt 0 ] || set -- "script=-XX:TieredStopAtLevel=1"
rm -rf "$dir"; mkdir -p "$dir"
cp="$root/launcher/target/classes:$(cat "$root/launcher/target/classpath.txt")"
start() { # name, options: prints the pid of the new stack (its own process group)
  setsid nice -n 19 java $2 -Dmeshfed.home="$root" -cp "$cp" io.meshfed.launcher.Main up \
    --dir "$dir/stack" --clusters mgmt-cluster --damping 2s > "$dir/$1.out" 2>&1 & echo $!
}
banner() { # output file, start time, pid: "SECONDS cpu CPU_SECONDS", or TIMEOUT after 240 s
  while ! grep -q "Ctrl-C stops everything." "$1"; do
    sleep 0.1
    if [ $(( $(date +%s) - ${2%.*} )) -gt 240 ]; then echo TIMEOUT; return; fi
  done
  local cpu; cpu=$(awk -v t="$(getconf CLK_TCK)" '{print ($14+$15)/t}' "/proc/$3/stat")
  python3 -c "import time; print(round(time.time() - $2, 1), 'cpu', $cpu)"
}
t0=$(date +%s.%N); pid=$(start first "${1#*=}"); echo "first start: $(banner "$dir/first.out" "$t0" "$pid") s"
java -cp "$cp" io.meshfed.launcher.Main scenario create reviews --endpoints mgmt-cluster=2 \
  --dir "$dir/stack" > "$dir/scenario.out" 2>&1
sleep 10
for r in $(seq "$rounds"); do
  for v in "$@"; do
    name=${v%%=*}; opts=${v#*=}
    kill -9 -- "-$pid"; sleep 1
    t0=$(date +%s.%N); pid=$(start "$name-$r" "$opts")
    echo "$name round $r: banner $(banner "$dir/$name-$r.out" "$t0" "$pid") s;" \
      "load $(cut -d' ' -f1 /proc/loadavg)"
    sleep 10
  done
done
kill -TERM -- "-$pid"
