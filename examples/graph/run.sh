#!/usr/bin/env bash
# Train the logic gates and query the flip-flop with `gone learn` / `gone propagate`.
# Usage: examples/graph/run.sh [STEPS]   (needs `gone` on PATH)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
steps="${1:-10000}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# One training pair per step: a line of inputs, then a line of expected outputs.
gate_lines() {
    local a b
    for ((n = 0; n < $1; n++)); do
        a=$((RANDOM % 2)) b=$((RANDOM % 2))
        echo "$a $b"
        echo "$((a & b)) $((a | b)) $((!(a | b)))"
    done
}

echo "== learning and/or/nor from $steps random examples"
gate_lines "$steps" | gone learn "$here/gates.json" "$work/gates-learned.json" \
    --learning-rate 0.05 | tail -n 1

echo "== the learned gates (columns: and or nor) for a b = 00 01 10 11"
printf '0 0\n0 1\n1 0\n1 1\n' | gone propagate "$work/gates-learned.json" --precision 3

echo "== the flip-flop (inputs: reset set; outputs: Q notQ)"
# set, hold, hold, reset, hold, hold: the bit survives the 0 0 lines
printf '0 1\n0 0\n0 0\n1 0\n0 0\n0 0\n' | gone propagate <(cat "$here/flip-flop.json")
