#!/usr/bin/env python3
"""Searches a cuBLASLt pin table in the step, one product at a time (session 41).

On the H200 a product's configuration timed alone does not rank it in the step (session 39:
the table of the fastest alone was 0.9% slower). This times the step itself: one sg-bench
binary, the tables given by --gemm-pins F1,F2,... (one pack a table in turn in one process).
Starting from main's table (sg-bench --print-gemm-pins), for each product of the candidates
file in order, one process times the current table, the table with that product pinned to
each candidate (and with no pin: the heuristic's first), and the current table again. The
best candidate is taken only where it beats the mean of the two current rows by more than
--accept (default 0.2%) and again in a confirming process (candidate, current, candidate,
current). Then main, the table found and no pins at all are timed alternating at 6, 2 and
10 layers, and main's compiled table once a depth in a process of its own. Everything is
printed as it runs and kept in --out: rows.csv, found_pins.txt, verdict.txt ("land" where
the table found wins at 6 layers by more than 0.3% and loses nowhere by more than 0.2%)
and tables.tgz (every table timed, by row number; one archive, since `run` brings back only
so many files).

  python3 step_pin_search.py --bench BIN --main main_pins.txt --candidates FILE --out DIR
      [--layers 6] [--budget-s 330] [--accept 0.002] [--finals 6:3,2:3,10:2] [--row-s 3.6]
"""
import argparse
import collections
import csv
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import time

ROW = re.compile(r"^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s")


def read_pins(path):
    """(shape, config) of each pin line of a file: shape the first six words, config the
    rest; comments and blank lines skipped."""
    with open(path) as f:
        for line in f:
            words = line.split("#", 1)[0].split()
            if words:
                yield " ".join(words[:6]), " ".join(words[6:])


def read_table(path):
    """{shape: config} of a pin table."""
    return collections.OrderedDict(read_pins(path))


def read_candidates(path):
    """{shape: [config, ...]} in the file's order."""
    cands = collections.OrderedDict()
    for shape, config in read_pins(path):
        cands.setdefault(shape, []).append(config)
    return cands


class Bench:
    def __init__(self, args):
        self.args = args
        self.n = 0
        self.t0 = time.time()
        os.makedirs(args.out, exist_ok=True)
        self.tables = tempfile.mkdtemp(prefix="step_pin_tables_")
        self.csv = open(os.path.join(args.out, "rows.csv"), "w", newline="")
        self.rows = csv.writer(self.csv)
        self.rows.writerow(["n", "at_s", "tag", "layers", "model_steps_per_s", "table"])

    def elapsed(self):
        return time.time() - self.t0

    def run(self, items, layers=None):
        """model-steps/s of each (tag, table) of `items`, timed in turn by one sg-bench process
        (table None: the compiled table, alone in its process); 0 where a row failed."""
        layers = layers or self.args.layers
        cmd = [self.args.bench, "--layers", str(layers), "--seeds", "10", "--steps", "300",
               "--warmup", "100"]
        names = []
        for tag, table in items:
            self.n += 1
            if table is None:
                assert len(items) == 1, "the compiled table runs alone"
                names.append("compiled")
                continue
            name = os.path.join(self.tables, "table_%03d.txt" % self.n)
            with open(name, "w") as f:
                f.write("# %s\n" % tag)
                for shape, config in table.items():
                    f.write("%s %s\n" % (shape, config))
            names.append(name)
        if names != ["compiled"]:
            cmd += ["--gemm-pins", ",".join(names)]
        err = ""
        try:
            done = subprocess.run(cmd, capture_output=True, text=True,
                                  timeout=20 + 10 * len(items))
            out, err = done.stdout, done.stderr
        except subprocess.TimeoutExpired as e:
            out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
        if "pinned configuration" in err:  # a pin cuBLASLt refused: the row ran another kernel
            print("  warning: %s" % err.strip().replace("\n", "\n  "), flush=True)
        values = [int(m.group(4)) for m in map(ROW.match, out.splitlines()) if m]
        values += [0] * (len(items) - len(values))
        if 0 in values:
            with open(os.path.join(self.args.out, "failed_%03d.log" % self.n), "w") as f:
                f.write(out)
        first = self.n - len(items) + 1
        for i, ((tag, _), name, value) in enumerate(zip(items, names, values)):
            self.rows.writerow([first + i, round(self.elapsed()), tag, layers, value, name])
            print("%4d at %4.0f s  %-44s L%-2d %6d" % (first + i, self.elapsed(), tag[:44],
                                                       layers, value), flush=True)
        self.csv.flush()
        with tarfile.open(os.path.join(self.args.out, "tables.tgz"), "w:gz") as tar:
            tar.add(self.tables, arcname="tables")
        return values


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
        rows_needed = len(options) + 6
        if bench.elapsed() + rows_needed * args.row_s > args.budget_s:
            print("budget: %s left as it is" % shape, flush=True)
            continue
        items = [("current (%s)" % shape, current)]
        for c in options:
            items.append(("%s -> %s" % (shape, c if c else "no pin"), with_pin(current, shape, c)))
        items.append(("current again", current))
        values = bench.run(items)
        base = [values[0], values[-1]]
        mean = sum(base) / 2.0
        best, best_c = max(zip(values[1:-1], options), key=lambda x: x[0])
        if min(base) == 0 or best <= mean * (1 + args.accept):
            print("  %s: keep (%s; best other %d against %.0f)" %
                  (shape, current.get(shape, "no pin"), best, mean), flush=True)
            continue
        candidate = with_pin(current, shape, best_c)
        again = bench.run([("confirm candidate", candidate), ("confirm current", current),
                           ("confirm candidate", candidate), ("confirm current", current)])
        cand_mean = (best + again[0] + again[2]) / 3.0
        mean = (sum(base) + again[1] + again[3]) / 4.0
        if cand_mean > mean * (1 + args.accept * 0.75) and min(again) > 0:
            print("  %s: TAKE %s (%.0f against %.0f)" %
                  (shape, best_c if best_c else "no pin", cand_mean, mean), flush=True)
            current = candidate
        else:
            print("  %s: keep (the candidate's confirm %.0f against %.0f)" %
                  (shape, cand_mean, mean), flush=True)
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
    p.add_argument("--finals", default="6:3,2:3,10:2",
                   help="the final rows: layers:rounds of (main, found, no pins), comma-separated")
    p.add_argument("--row-s", type=float, default=3.6,
                   help="seconds a 6-layer row takes in a process of several, for the budget")
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
    trio = [("final main", main_table), ("final found", found), ("final no pins", empty)]
    gains = {}
    finals = [tuple(int(x) for x in f.split(":")) for f in args.finals.split(",")]
    for layers, rounds in finals:
        values = bench.run(trio * rounds, layers)
        bench.run([("final main compiled, alone", None)], layers)
        means = [sum(values[i::3]) / rounds for i in range(3)]
        gains[layers] = (means[1] / means[0] - 1) if min(means) > 0 else 0.0
        print("  %d layers: main %.0f, found %.0f (%+.2f%%), no pins %.0f (%+.2f%%)" %
              (layers, means[0], means[1], 100 * gains[layers], means[2],
               100 * (means[2] / means[0] - 1) if means[0] else 0), flush=True)
    # Worth compiling in where it wins at 6 layers by more than the rows' spread and loses
    # nowhere by more than it.
    land = found != main_table and gains.get(6, 0) > 0.003 and min(gains.values()) > -0.002
    with open(os.path.join(args.out, "verdict.txt"), "w") as f:
        f.write("land\n" if land else "keep\n")
    print("verdict: %s; total %.0f s" % ("land" if land else "keep", bench.elapsed()), flush=True)


if __name__ == "__main__":
    main()
