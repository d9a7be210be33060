#!/usr/bin/env python3
"""Searches a cuBLASLt pin table in the step, one product at a time (session 41).

On the H200 a product's configuration timed alone does not rank it in the step (session 39:
the table of the fastest alone was 0.9% slower). This times the step itself: one sg-bench
binary, each table given by --gemm-pins. Starting from main's table (sg-bench
--print-gemm-pins), for each product of the candidates file in order it times the current
table, the table with that product pinned to each candidate (and with no pin: the
heuristic's first), and the current table again. The best candidate is taken only where it
beats the mean of the two current rows by more than --accept (default 0.2%) and again in a
pair of rows run after (candidate, current). Then main, the table found and no pins at all
are timed alternating at 6, 2 and 10 layers. Everything is printed as it runs and kept in
--out (rows.csv, the tables, found_pins.txt).

  python3 step_pin_search.py --bench BIN --main main_pins.txt --candidates FILE --out DIR
      [--layers 6] [--budget-s 330] [--accept 0.002]
"""
import argparse
import collections
import csv
import os
import re
import subprocess
import sys
import time

ROW = re.compile(r"^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s")


def read_table(path):
    """{shape: config} of a pin file: shape the first six words, config the rest."""
    table = collections.OrderedDict()
    with open(path) as f:
        for line in f:
            words = line.split("#", 1)[0].split()
            if words:
                table[" ".join(words[:6])] = " ".join(words[6:])
    return table


def read_candidates(path):
    """{shape: [config, ...]} in the file's order."""
    cands = collections.OrderedDict()
    with open(path) as f:
        for line in f:
            words = line.split("#", 1)[0].split()
            if words:
                cands.setdefault(" ".join(words[:6]), []).append(" ".join(words[6:]))
    return cands


class Bench:
    def __init__(self, args):
        self.args = args
        self.n = 0
        self.t0 = time.time()
        os.makedirs(args.out, exist_ok=True)
        self.csv = open(os.path.join(args.out, "rows.csv"), "w", newline="")
        self.rows = csv.writer(self.csv)
        self.rows.writerow(["n", "at_s", "tag", "layers", "model_steps_per_s", "table"])

    def elapsed(self):
        return time.time() - self.t0

    def rate(self, table, tag, layers=None):
        """model-steps/s of sg-bench with `table` (None: the compiled table), 0 on failure."""
        layers = layers or self.args.layers
        self.n += 1
        cmd = [self.args.bench, "--layers", str(layers), "--seeds", "10", "--steps", "300",
               "--warmup", "100"]
        name = "compiled"
        if table is not None:
            name = os.path.join(self.args.out, "table_%03d.txt" % self.n)
            with open(name, "w") as f:
                f.write("# %s\n" % tag)
                for shape, config in table.items():
                    f.write("%s %s\n" % (shape, config))
            cmd += ["--gemm-pins", name]
        try:
            out = subprocess.run(cmd, capture_output=True, text=True, timeout=60).stdout
        except subprocess.TimeoutExpired:
            out = ""
        value = 0
        for line in out.splitlines():
            m = ROW.match(line)
            if m:
                value = int(m.group(4))
        if value == 0:
            with open(os.path.join(self.args.out, "failed_%03d.log" % self.n), "w") as f:
                f.write(out)
        self.rows.writerow([self.n, round(self.elapsed()), tag, layers, value, name])
        self.csv.flush()
        print("%4d at %4.0f s  %-44s L%-2d %6d" % (self.n, self.elapsed(), tag[:44], layers,
                                                   value), flush=True)
        return value


def with_pin(table, shape, config):
    t = collections.OrderedDict(table)
    if config is None:
        t.pop(shape, None)
    else:
        t[shape] = config
    return t


def search(bench, main, cands, args):
    current = collections.OrderedDict(main)
    for shape, configs in cands.items():
        options = [c for c in configs if c != current.get(shape)]
        if shape in current:
            options.append(None)  # no pin: the heuristic's first
        rows_needed = len(options) + 4
        if bench.elapsed() + rows_needed * 4.5 > args.budget_s:
            print("budget: %s left as it is" % shape, flush=True)
            continue
        base = [bench.rate(current, "current (%s)" % shape)]
        tried = []
        for c in options:
            tag = "%s -> %s" % (shape, c if c else "no pin")
            tried.append((bench.rate(with_pin(current, shape, c), tag), c))
        base.append(bench.rate(current, "current again"))
        mean = sum(base) / 2.0
        best, best_c = max(tried, key=lambda x: x[0])
        if best <= mean * (1 + args.accept):
            print("  %s: keep (%s; best other %d against %.0f)" %
                  (shape, current.get(shape, "no pin"), best, mean), flush=True)
            continue
        again = bench.rate(with_pin(current, shape, best_c), "confirm candidate")
        base.append(bench.rate(current, "confirm current"))
        mean = sum(base) / len(base)
        if (best + again) / 2.0 > mean * (1 + args.accept * 0.75):
            print("  %s: TAKE %s (%d, %d against %.0f)" %
                  (shape, best_c if best_c else "no pin", best, again, mean), flush=True)
            current = with_pin(current, shape, best_c)
        else:
            print("  %s: keep (the candidate's confirm %d against %.0f)" % (shape, again, mean),
                  flush=True)
    return current


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bench", required=True)
    p.add_argument("--main", required=True, help="main's table (sg-bench --print-gemm-pins)")
    p.add_argument("--candidates", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--layers", type=int, default=6)
    p.add_argument("--budget-s", type=float, default=330.0,
                   help="seconds for the search; the final rows run after it")
    p.add_argument("--accept", type=float, default=0.002)
    args = p.parse_args()
    main_table = read_table(args.main)
    cands = read_candidates(args.candidates)
    if not main_table or not cands:
        sys.exit("step_pin_search: an empty main table or candidates file")
    bench = Bench(args)
    found = search(bench, main_table, cands, args)
    with open(os.path.join(args.out, "found_pins.txt"), "w") as f:
        f.write("# the table step_pin_search.py found, from main's\n")
        for shape, config in found.items():
            mark = "" if main_table.get(shape) == config else "  # changed"
            f.write("%s %s%s\n" % (shape, config, mark))
        for shape in main_table:
            if shape not in found:
                f.write("# %s: no pin (the heuristic's first)\n" % shape)
    print("found (differences from main):", flush=True)
    for shape in cands:
        if main_table.get(shape) != found.get(shape):
            print("  %s: %s -> %s" % (shape, main_table.get(shape, "no pin"),
                                      found.get(shape, "no pin")), flush=True)
    empty = collections.OrderedDict()
    for layers, rounds in ((6, 2), (2, 2), (10, 1)):
        for r in range(rounds):
            for tag, table in (("final main", None), ("final found", found),
                               ("final no pins", empty)):
                bench.rate(table, tag, layers)
    print("total %.0f s" % bench.elapsed(), flush=True)


if __name__ == "__main__":
    main()
