#!/usr/bin/python3
"""The three figures of Murty et al. (ACL 2023) from a finished sweep, with sgclient and
matplotlib:

  curves.png                  val_acc and gen_acc against the step (log axis) per depth: the
                              median across seeds, with a band from the 25th to 75th percentile
  seeds_above_threshold.png   per depth, how many seeds end with gen_acc above the threshold
  final_vs_early_stop.png     per depth, gen_acc at the early-stopping point and at the end of
                              training: each seed (a line joins its two values) and the means
                              with their 95% bootstrap intervals

Usage (PYTHONPATH=build/clients/python, or sgclient installed; docs/python.md):
  examples/paper_figures.py SWEEP [--out DIR] [--group-by depth] [--threshold 0.8]
      [--early-stop first_best|within_0.01] [--max-points 500]
      [--coordinator HOST:PORT] [--token-file FILE] [--tls-ca FILE [--tls-cert F --tls-key F]]
The coordinator and token come from SG_COORDINATOR, SG_TOKEN_FILE or SG_TOKEN as for sgctl.
Exit codes: 0 figures written, 1 the coordinator refused or failed, 2 bad arguments.
"""

import argparse
import os
import sys

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

import sgclient  # noqa: E402

CURVE_METRICS = (("val_acc", "validation accuracy (in distribution)"),
                 ("gen_acc", "generalisation accuracy (held-out structure)"))


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("sweep", help="the sweep's name or id")
    p.add_argument("--out", default=".", help="folder for the three PNG files (default: .)")
    p.add_argument("--group-by", default="depth",
                   help="the grid axis of the x axis and the colours (default: depth)")
    p.add_argument("--threshold", type=float, default=0.8,
                   help="gen_acc above which a seed counts as generalising (default: 0.8)")
    p.add_argument("--early-stop", default=None, choices=("first_best", "within_0.01"),
                   help="the early-stopping rule (default: the sweep's train.early_stop)")
    p.add_argument("--max-points", type=int, default=500,
                   help="points per curve, keeping jumps (0: every point; default: 500)")
    p.add_argument("--dpi", type=int, default=150)
    p.add_argument("--coordinator", default=None, help="HOST:PORT (default: $SG_COORDINATOR)")
    p.add_argument("--token-file", default=None, help="default: $SG_TOKEN_FILE, else $SG_TOKEN")
    p.add_argument("--tls-ca", default=None)
    p.add_argument("--tls-cert", default=None)
    p.add_argument("--tls-key", default=None)
    return p.parse_args(argv)


def colours(values):
    cmap = plt.get_cmap("viridis")
    n = max(len(values) - 1, 1)
    return {v: cmap(0.9 * i / n) for i, v in enumerate(values)}


def plot_curves(agg, axis, path, dpi):
    """Median and p25-p75 band across seeds per group, one panel per metric, log step axis."""
    groups = sorted(agg[axis].unique())
    colour = colours(groups)
    fig, panels = plt.subplots(1, len(CURVE_METRICS), figsize=(11, 4.2), sharex=True)
    for panel, (metric, title) in zip(panels, CURVE_METRICS):
        for group in groups:
            part = agg[(agg["metric"] == metric) & (agg[axis] == group) & (agg["step"] > 0)]
            part = part.sort_values("step")
            if part.empty:
                continue
            panel.fill_between(part["step"], part["p25"], part["p75"], color=colour[group],
                               alpha=0.2, linewidth=0)
            panel.plot(part["step"], part["median"], color=colour[group],
                       label=f"{axis} {group} ({int(part['seeds'].iloc[0])} seeds)")
        panel.set_xscale("log")
        panel.set_ylim(-0.02, 1.02)
        panel.set_xlabel("step")
        panel.set_ylabel(metric)
        panel.set_title(title, fontsize=10)
        panel.grid(alpha=0.3)
    panels[-1].legend(fontsize=8, loc="best")
    fig.suptitle("median across seeds, band: 25th to 75th percentile")
    fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    plt.close(fig)


def plot_seeds_above(report, axis, threshold, path, dpi):
    """Seeds whose final gen_acc is above the threshold, out of the seeds counted, per group."""
    report = report.sort_values(axis)
    labels = [str(v) for v in report[axis]]
    fig, ax = plt.subplots(figsize=(6, 4.2))
    ax.bar(labels, report["seeds_counted"], color="0.85", label="seeds counted")
    ax.bar(labels, report["seeds_grokked"], color="tab:blue",
           label=f"final gen_acc > {threshold:g}")
    for x, (above, counted) in enumerate(zip(report["seeds_grokked"], report["seeds_counted"])):
        ax.annotate(f"{above}/{counted}", (x, above), ha="center", va="bottom", fontsize=9)
    ax.set_xlabel(axis)
    ax.set_ylabel("seeds")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title("seeds that generalise, per " + axis)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    plt.close(fig)


def plot_final_vs_early_stop(report, runs, axis, path, dpi):
    """Per group: each seed's gen_acc at the early-stopping point joined to its final gen_acc,
    and the two means with their bootstrap intervals."""
    groups = sorted(report[axis].unique())
    fig, ax = plt.subplots(figsize=(7, 4.2))
    width = 0.18
    for x, group in enumerate(groups):
        seeds = runs[(runs[axis] == group) & runs["final_gen_acc"].notna()
                     & runs["gen_acc_at_early_stop"].notna()]
        for seed in seeds.itertuples():
            ax.plot([x - width, x + width], [seed.gen_acc_at_early_stop, seed.final_gen_acc],
                    color="0.6", linewidth=0.8, marker="o", markersize=3)
        row = report[report[axis] == group].iloc[0]
        for dx, name, colour, label in (
                (-width, "mean_gen_acc_at_early_stop", "tab:orange", "early stopping"),
                (width, "mean_final_gen_acc", "tab:blue", "final")):
            mean = row[name]
            if mean != mean:  # NaN: no seed counted
                continue
            low, high = row[name + "_ci_low"], row[name + "_ci_high"]
            err = [[mean - low], [high - mean]] if low == low and high == high else None
            ax.errorbar([x + dx], [mean], yerr=err, fmt="s", color=colour, capsize=4,
                        markersize=7, label=label if x == 0 else None)
    ax.set_xticks(range(len(groups)), [str(g) for g in groups])
    ax.set_xlabel(axis)
    ax.set_ylabel("gen_acc")
    ax.set_ylim(-0.02, 1.02)
    rule = report["early_stop"].iloc[0] if "early_stop" in report else ""
    ax.set_title(f"gen_acc at early stopping ({rule}) vs at the end; grey: each seed")
    ax.legend(fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    plt.close(fig)


def main(argv):
    args = parse_args(argv)
    try:
        client = sgclient.Client(args.coordinator, token_file=args.token_file,
                                 tls_ca=args.tls_ca, tls_cert=args.tls_cert,
                                 tls_key=args.tls_key)
    except sgclient.InvalidArgumentError as e:
        print(f"paper_figures: {e}", file=sys.stderr)
        return 2
    axis = args.group_by
    try:
        runs = client.runs(args.sweep)
        if axis not in runs.columns:
            print(f"paper_figures: --group-by {axis}: not a grid axis of sweep {args.sweep}",
                  file=sys.stderr)
            return 2
        pending = runs[runs["state"].isin(("queued", "running"))]
        if not pending.empty:
            print(f"paper_figures: warning: {len(pending)} of {len(runs)} runs have not ended; "
                  f"the figures count finished seeds only", file=sys.stderr)
        agg = client.aggregate(args.sweep, [m for m, _ in CURVE_METRICS], group_by=axis,
                               max_points=args.max_points, log_steps=True)
        report = client.report(args.sweep, group_by=axis, threshold=args.threshold,
                               early_stop=args.early_stop)
        analysis = client.report(args.sweep, group_by=axis, threshold=args.threshold,
                                 early_stop=args.early_stop, runs=True)
    except sgclient.SgError as e:
        print(f"paper_figures: {e}", file=sys.stderr)
        return 1
    os.makedirs(args.out, exist_ok=True)
    paths = [os.path.join(args.out, name) for name in
             ("curves.png", "seeds_above_threshold.png", "final_vs_early_stop.png")]
    plot_curves(agg, axis, paths[0], args.dpi)
    plot_seeds_above(report, axis, args.threshold, paths[1], args.dpi)
    plot_final_vs_early_stop(report, analysis, axis, paths[2], args.dpi)
    for path in paths:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
