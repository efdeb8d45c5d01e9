#!/usr/bin/env python3
"""The MPI scaling model of docs/mpi.md, fitted to bench_mpi's JSON.

  bench_mpi > mpi.json
  python3 bench/mpi/scaling_model.py mpi.json [--svg docs/mpi_scaling.svg]

Time of a job of N independent items on p ranks:

  T(N, p) = launch(p) + setup + ceil(N / p) * t_item + merge(N) + comm(N, p)

  launch(p)  mpirun starting p ranks: measured for the bench's rank counts, a + b*log2(p) beyond
  setup      the command's fixed start (sensitivity: model, data, calibration, baselines; every
             rank does it, in parallel)
  t_item     measured per item (one multiplier characterized; one sensitivity row)
  merge(N)   rank 0's index: library build: measured (the same build with every record up to date:
             start-up plus the index), plus 2 ms per further record and the Pareto flags' N^2
             comparisons (5 ns each), both estimated; sensitivity: the partial file rewritten per round
  comm(N,p)  gathers to rank 0: rounds * alpha * ceil(log2 p) + bytes / beta (alpha = 50 us,
             beta = 1 GB/s: a cluster network, assumed, not measured here)

Prints a Markdown table (measured vs. model at the bench's rank counts, then predictions for 25,000
multipliers and a DeiT-B sensitivity table on 1..1024 ranks) and writes the SVG plot.
"""
import argparse
import json
import math

ALPHA, BETA = 50e-6, 1e9
RECORD_BYTES, ROW_BYTES = 4000, 60
PARETO_S_PER_PAIR = 5e-9
INDEX_S_PER_RECORD = 2e-3  # rank 0 reads back one record's reuse check and writes its index rows (estimated)
FMNIST_MACS = 7.70e6      # fmnist_vit per image (49 tokens, dim 64, depth 4, MLP x2)
DEIT_B_MACS = 17.6e9      # DeiT-B/16 at 224x224 per image
DEIT_ROWS = 74 * 50       # 74 approximable layers x a 50-design library
DEIT_IMAGES = 1000        # images per sensitivity row (as the bench's 1000)
RANKS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024]


def launch_fit(b):
    plain = b["launch_s"]["plain"]
    pts = [(int(k), v - plain) for k, v in b["launch_s"].items() if k != "plain"]
    if len(pts) >= 2:
        (p1, t1), (p2, t2) = pts[0], pts[-1]
        slope = (t2 - t1) / (math.log2(p2) - math.log2(p1)) if p2 != p1 else 0.0
        slope = max(slope, 0.0)
        base = t1 - slope * math.log2(p1)
    else:
        base, slope = (pts[0][1] if pts else 0.0), 0.0
    return lambda p: 0.0 if p == 1 else max(0.0, base + slope * math.log2(p))


def model_library(b, n, p, launch):
    lb = b["library_build"]
    items = lb["items"]
    # merge_s (every record up to date) is the command's start plus the index of `items` records.
    merge = lb["merge_s"] + INDEX_S_PER_RECORD * (n - items) + PARETO_S_PER_PAIR * n * n
    comm = 0.0 if p == 1 else ALPHA * math.ceil(math.log2(p)) + n * RECORD_BYTES / BETA
    return launch(p) + math.ceil(n / p) * lb["item_s"] + merge + comm


def model_sens(b, rows, p, launch, item_s=None, setup=None):
    st = b["sensitivity"]
    item_s = st["item_s"] if item_s is None else item_s
    setup = st["setup_s"] if setup is None else setup
    rounds = math.ceil(rows / p)
    partial = rounds * (rows * ROW_BYTES / 2) / 5e8  # rank 0 rewrites the partial file per round
    comm = 0.0 if p == 1 else rounds * ALPHA * math.ceil(math.log2(p)) + rows * ROW_BYTES / BETA
    return launch(p) + setup + rounds * item_s + partial + comm


def fmt_t(s):
    if s < 120:
        return f"{s:.1f} s"
    if s < 7200:
        return f"{s / 60:.1f} min"
    if s < 172800:
        return f"{s / 3600:.1f} h"
    return f"{s / 86400:.1f} d"


def svg(series, title):
    w, h, l, r, t, bm = 720, 420, 70, 20, 40, 50
    xs = [math.log2(p) for p in RANKS]
    ys = [math.log10(v) for _, vals in series for v in vals]
    y0, y1 = math.floor(min(ys)), math.ceil(max(ys))
    X = lambda x: l + (w - l - r) * x / xs[-1]
    Y = lambda y: h - bm - (h - t - bm) * (y - y0) / (y1 - y0)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="12">',
           f'<rect width="{w}" height="{h}" fill="white"/>',
           f'<text x="{l}" y="22" font-size="15" font-weight="bold">{title}</text>']
    for p, x in zip(RANKS, xs):
        out.append(f'<line x1="{X(x):.1f}" y1="{t}" x2="{X(x):.1f}" y2="{h - bm}" stroke="#ddd"/>')
        out.append(f'<text x="{X(x):.1f}" y="{h - bm + 16}" text-anchor="middle">{p}</text>')
    labels = {0: "1 s", 1: "10 s", 2: "100 s", 3: "17 min", 4: "2.8 h", 5: "28 h", 6: "12 d", 7: "116 d", 8: "3.2 y", -1: "0.1 s"}
    for y in range(y0, y1 + 1):
        out.append(f'<line x1="{l}" y1="{Y(y):.1f}" x2="{w - r}" y2="{Y(y):.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{l - 6}" y="{Y(y) + 4:.1f}" text-anchor="end">{labels.get(y, f"1e{y} s")}</text>')
    out.append(f'<text x="{(l + w - r) / 2}" y="{h - 12}" text-anchor="middle">MPI ranks (log scale)</text>')
    colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"]
    for k, (name, vals) in enumerate(series):
        pts = " ".join(f"{X(x):.1f},{Y(math.log10(v)):.1f}" for x, v in zip(xs, vals))
        out.append(f'<polyline points="{pts}" fill="none" stroke="{colors[k % 4]}" stroke-width="2"/>')
        ideal = " ".join(f"{X(x):.1f},{Y(math.log10(vals[0] / p)):.1f}" for x, p in zip(xs, RANKS))
        out.append(f'<polyline points="{ideal}" fill="none" stroke="{colors[k % 4]}" stroke-dasharray="4 4"/>')
        out.append(f'<text x="{w - r - 250}" y="{t + 18 + 16 * k}" fill="{colors[k % 4]}">{name}</text>')
    out.append(f'<text x="{w - r - 250}" y="{t + 18 + 16 * len(series)}" fill="#555">dashed: ideal (time / ranks)</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("bench_json")
    ap.add_argument("--svg", default="")
    a = ap.parse_args()
    b = json.load(open(a.bench_json))
    launch = launch_fit(b)
    print("| job | ranks | measured | model |\n|---|---|---|---|")
    lb, st = b["library_build"], b["sensitivity"]
    print(f"| library build, {lb['items']} multipliers | 1 | {lb['plain_s']:.1f} s | "
          f"{model_library(b, lb['items'], 1, launch):.1f} s |")
    for k, v in lb["mpi_s"].items():
        print(f"| library build, {lb['items']} multipliers | {k} | {v:.1f} s | "
              f"{model_library(b, lb['items'], int(k), launch):.1f} s |")
    print(f"| sensitivity, {st['items']} rows | 1 | {st['plain_s']:.1f} s | {model_sens(b, st['items'], 1, launch):.1f} s |")
    for k, v in st["mpi_s"].items():
        print(f"| sensitivity, {st['items']} rows | {k} | {v:.1f} s | {model_sens(b, st['items'], int(k), launch):.1f} s |")
    deit_item = st["item_s"] * (DEIT_B_MACS / FMNIST_MACS) * (DEIT_IMAGES / st["images"])
    lib25 = [model_library(b, 25000, p, launch) for p in RANKS]
    deit = [model_sens(b, DEIT_ROWS, p, launch, item_s=deit_item, setup=st["setup_s"] * DEIT_B_MACS / FMNIST_MACS)
            for p in RANKS]
    print("\n| ranks | 25,000 multipliers | DeiT-B sensitivity (3,700 rows) |\n|---|---|---|")
    for p, x, y in zip(RANKS, lib25, deit):
        print(f"| {p} | {fmt_t(x)} | {fmt_t(y)} |")
    print(f"\nper multiplier {lb['item_s']:.2f} s, per fmnist row {st['item_s']:.2f} s, per DeiT-B row "
          f"{fmt_t(deit_item)} (scaled by MACs)")
    if a.svg:
        with open(a.svg, "w") as f:
            f.write(svg([("library build, 25,000 multipliers", lib25), ("DeiT-B sensitivity, 3,700 rows", deit)],
                        "Predicted wall time on 1-1,024 MPI ranks"))


if __name__ == "__main__":
    main()
