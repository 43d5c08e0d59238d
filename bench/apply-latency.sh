#!/usr/bin/env bash
# `meshfed apply` latency against a running `meshfed up`: N applies of the playground's
# workload (each a new JVM, as a person runs it), wall and CPU seconds each, then p50 / p99 /
# max. Usage: bench/apply-latency.sh [N] (default 50); the stack is found as every command
# finds it (--dir default $MESHFED_DIR, else .meshfed). MESHFED overrides the command run.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
n="${1:-50}"
meshfed="${MESHFED:-$root/meshfed}"
file="$root/examples/playground/reviews-mgmt.yaml"
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
for _ in $(seq "$n"); do
  # %e wall seconds, %U + %S CPU seconds of the apply process (its JVM start included).
  /usr/bin/time -f "%e %U %S" -a -o "$out" $meshfed apply -f "$file" --cluster mgmt-cluster \
    >/dev/null
done
sort -n "$out" | awk -v n="$n" '
  { wall[NR] = $1; cpu += $2 + $3 }
  END {
    p50 = wall[int((NR + 1) / 2)]; p99 = wall[int(NR * 0.99 + 0.999)]
    printf "meshfed apply x%d: wall p50 %.2f s, p99 %.2f s, max %.2f s; CPU %.2f s per apply\n",
      NR, p50, p99, wall[NR], cpu / NR
  }'
