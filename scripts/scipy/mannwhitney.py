#!/usr/bin/env python3
"""scipy's two-sided Mann-Whitney U p-values, the independent check of Sources/Warehouse/Compare/MannWhitney.swift.

Reads a JSON list of cases {"x": [...], "y": [...], "method": "exact"|"normal"} on stdin and prints a JSON list of
{"u": U of x, "p": p} in the same order. A case {"strata": [{"x": [...], "y": [...]}, ...]} is van Elteren's
stratified test instead: each stratum's U from scipy's mannwhitneyu, centred, weighted 1/(N+1), tie-corrected
variance, normal p from scipy.stats.norm (traceware's MannWhitney.stratified). The method is traceware's choice (benchstat's rule, checked by the test
itself); scipy computes the p-value on its own:
  - exact without ties: mannwhitneyu(method='exact');
  - exact with ties: scipy's exact method assumes no ties, so an exhaustive permutation test of U
    (permutation_test, permutation_type='independent', every partition enumerated): the exact distribution
    conditional on the ties;
  - normal: mannwhitneyu(method='asymptotic', use_continuity=True), tie-corrected.
"""
import json
import sys

import numpy as np
from scipy import stats


def u_statistic(x, y, axis=-1):
    x = np.moveaxis(np.asarray(x), axis, -1)[..., :, None]
    y = np.moveaxis(np.asarray(y), axis, -1)[..., None, :]
    return (x > y).sum(axis=(-2, -1)) + 0.5 * (x == y).sum(axis=(-2, -1))


def main():
    out = []
    for case in json.load(sys.stdin):
        if "strata" in case:
            t = v = u_sum = 0.0
            for st in case["strata"]:
                x = np.asarray(st["x"], dtype=float)
                y = np.asarray(st["y"], dtype=float)
                u = float(stats.mannwhitneyu(x, y, method="asymptotic").statistic)
                n1, n2 = len(x), len(y)
                n = n1 + n2
                _, counts = np.unique(np.concatenate([x, y]), return_counts=True)
                tie = float(np.sum(counts.astype(float) ** 3 - counts))
                w = 1.0 / (n + 1)
                t += w * (u - n1 * n2 / 2)
                v += w * w * n1 * n2 * ((n + 1) - tie / (n * (n - 1))) / 12
                u_sum += u
            out.append({"u": u_sum, "p": float(min(1.0, 2 * stats.norm.sf(abs(t) / np.sqrt(v))))})
            continue
        x = np.asarray(case["x"], dtype=float)
        y = np.asarray(case["y"], dtype=float)
        u = float(stats.mannwhitneyu(x, y, method="asymptotic").statistic)
        ties = len(np.unique(np.concatenate([x, y]))) < len(x) + len(y)
        if case["method"] == "exact" and not ties:
            p = stats.mannwhitneyu(x, y, alternative="two-sided", method="exact").pvalue
        elif case["method"] == "exact":
            res = stats.permutation_test(
                (x, y), u_statistic, permutation_type="independent", vectorized=True, n_resamples=np.inf,
                alternative="two-sided")
            p = res.pvalue
        else:
            p = stats.mannwhitneyu(x, y, alternative="two-sided", method="asymptotic", use_continuity=True).pvalue
        out.append({"u": u, "p": float(min(1.0, p))})
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
