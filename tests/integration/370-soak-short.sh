#!/bin/bash
# The short soak and fault run: bench/soak/run.sh for 60 s (about 75 s in
# all) with its load, its faults and a reload every second; each figure's bar
# is a check (see bench/soak/run.sh).
exec "$(dirname "$0")/../../bench/soak/run.sh" --seconds 60
