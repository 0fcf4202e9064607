#!/bin/bash
# The short soak and fault run: bench/soak/run.sh for 60 s (about 70 s in
# all) with its load, its signed MS-SNTP requests, its faults (slapd, the
# KDC and DNS stopped, an upstream 1 s ahead, the signing socket gone) and a
# reload every second; each figure's bar is a check (see bench/soak/run.sh).
exec "$(dirname "$0")/../../bench/soak/run.sh" --seconds 60
