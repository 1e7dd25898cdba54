"""The page benchmark's tables and verdicts (issue 14, point 6), and RESULTS.md's marked blocks."""

from __future__ import annotations

import statistics
from pathlib import Path

from tests.benchmarks.pages_catalogue import PAIRS, SCALE, PageSpec, Pair

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"

# Issue 14, point 6.
BUDGET_P50_MS = 60.0
BUDGET_P99_MS = 200.0
BUDGET_WRITE_P99_MS = 50.0  # in-place edit and drag
MAX_KIB = 400.0
P99_SHARE_OF_PEER = 1 / 3
BROWSER_MAX_MS = 300.0
BROWSER_SHARE_OF_PEER = 1 / 3
SCALE_MAX_P50 = 2.0
WRITES = {"edit", "move"}


def median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


def summarise(key: str, runs: list[dict]) -> dict | None:
    """Medians over the runs of one measured key (None if it was never measured)."""
    per_run = [run[key] for run in runs if key in run]
    if not per_run:
        return None
    return {
        "rps": median([r["rps"] for r in per_run]),
        "p50_ms": median([r["p50_ms"] for r in per_run]),
        "p99_ms": median([r["p99_ms"] for r in per_run]),
        "app_cpu_ms": median([r["app_cpu_ms"] for r in per_run]),
        "db_cpu_ms": median([r["db_cpu_ms"] for r in per_run]),
        "non2xx": max(r["non2xx"] for r in per_run),
        "conflicts": max(r["conflicts"] for r in per_run),
        "requests": int(median([r["requests"] for r in per_run])),
        "seconds": median([r["seconds"] for r in per_run]),
        "splits": " ".join(r["split"] for r in per_run),
        # every run had answers (wrk counts only those that arrive within its run)
        "answered": all(r["requests"] > 0 for r in per_run),
    }


def mark(ok: bool) -> str:
    return "PASS" if ok else "**FAIL**"


def kib(size: int | None) -> str:
    return "—" if not size else f"{size / 1024:,.0f}"


def cpu(row: dict) -> str:
    return f"{row['app_cpu_ms']:.1f} + {row['db_cpu_ms']:.1f}"


def pair_rows(runs: list[dict], pairs: list[Pair]) -> tuple[list[str], list[bool]]:
    lines = [
        "| roleplan | Redmine | roleplan req/s | Redmine req/s | × (per-run median) | target "
        "| p50 ms rp / rm | p99 ms rp / rm | p99 ≤ ⅓ | CPU ms/req rp (app + db) "
        "| CPU ms/req rm (app + db) | verdict |",
        "|---|---|---:|---:|---:|---:|---|---|---|---|---|---|",
    ]
    verdicts = []
    for pair in pairs:
        rp, rm = summarise(pair.key, runs), summarise(f"peer:{pair.key}", runs)
        if rp is None or rm is None:
            continue
        ratios = [
            run[pair.key]["rps"] / run[f"peer:{pair.key}"]["rps"]
            for run in runs
            if pair.key in run and run.get(f"peer:{pair.key}", {}).get("rps")
        ]
        ratio = median(ratios)
        fast = ratio >= pair.min_ratio
        tail = rp["p99_ms"] <= rm["p99_ms"] * P99_SHARE_OF_PEER
        clean = rp["non2xx"] == 0 and rm["non2xx"] == 0 and rp["answered"] and rm["answered"]
        ok = fast and tail and clean
        verdicts.append(ok)
        each = ", ".join(f"{r:.1f}" for r in ratios)
        shown = f"{ratio:.1f}× ({each})" if ratios else "— (Redmine did not answer in time)"
        lines.append(
            f"| {pair.label} | {pair.peer_label} | {rp['rps']:.1f} | {rm['rps']:.1f} | "
            f"{shown} | ≥ {pair.min_ratio:.0f}× | "
            f"{rp['p50_ms']:.1f} / {rm['p50_ms']:.1f} | {rp['p99_ms']:.1f} / {rm['p99_ms']:.1f} | "
            f"{'yes' if tail else 'no'} | {cpu(rp)} | {cpu(rm)} | "
            f"{mark(ok)}{'' if clean else ' (non-2xx answers or a run without any)'} |"
        )
    return lines, verdicts


def browser_rows(browser: dict, pairs: list[Pair], weights: dict) -> tuple[list[str], list[bool]]:
    lines = [
        "| roleplan page | load ms rp / Redmine | ≤ 300 ms and ≤ ⅓ | KiB rp / rm "
        "| gzip KiB rp / rm | JS errors rp / rm | verdict |",
        "|---|---|---|---|---|---|---|",
    ]
    verdicts = []
    seen = set()
    for pair in pairs:
        if not pair.browser or pair.key in seen or pair.key not in browser:
            continue
        seen.add(pair.key)
        rp = browser[pair.key]
        rm = browser.get(f"peer:{pair.key}")
        within = rp["load_ms"] <= BROWSER_MAX_MS and (
            rm is None or rp["load_ms"] <= rm["load_ms"] * BROWSER_SHARE_OF_PEER
        )
        ok = within and rp["js_errors"] == 0
        verdicts.append(ok)
        w, pw = weights.get(pair.key, {}), weights.get(f"peer:{pair.key}", {})
        lines.append(
            f"| {pair.label} | {rp['load_ms']:.0f} / {rm['load_ms']:.0f} | "
            f"{'yes' if within else 'no'} | {kib(w.get('bytes'))} / {kib(pw.get('bytes'))} | "
            f"{kib(w.get('gzip'))} / {kib(pw.get('gzip'))} | "
            f"{rp['js_errors']} / {rm['js_errors'] if rm else '—'} | {mark(ok)} |"
            if rm
            else f"| {pair.label} | {rp['load_ms']:.0f} / — | {'yes' if within else 'no'} | "
            f"{kib(w.get('bytes'))} / — | {kib(w.get('gzip'))} / — | {rp['js_errors']} / — | "
            f"{mark(ok)} |"
        )
    return lines, verdicts


def page_rows(
    runs: list[dict], keys: list[tuple[str, str, str]], counts: dict, weights: dict
) -> tuple[list[str], list[bool]]:
    """Every page: its budget verdict. `keys` is (key, label, who)."""
    lines = [
        "| page | signed in as | req/s | p50 ms | p99 ms | × bare view | CPU ms/req (app + db) "
        "| queries demo / large | KiB | gzip KiB | non-2xx | verdict |",
        "|---|---|---:|---:|---:|---:|---|---|---:|---:|---:|---|",
    ]
    verdicts = []
    for key, label, who in keys:
        row = summarise(key, runs)
        count = counts.get(key, {})
        weight = weights.get(key, {})
        if row is None:
            error = count.get("error", "not measured")
            lines.append(
                f"| {label} | {who} | — | — | — | — | — | — | — | — | — | **FAIL**: {error} |"
            )
            verdicts.append(False)
            continue
        reference = key in ("floor", "base")
        if key in WRITES:
            ok = row["p99_ms"] <= BUDGET_WRITE_P99_MS
            budget = f"p99 ≤ {BUDGET_WRITE_P99_MS:.0f}"
        else:
            ok = row["p50_ms"] <= BUDGET_P50_MS and row["p99_ms"] <= BUDGET_P99_MS
            ok = ok and weight.get("bytes", 0) <= MAX_KIB * 1024
            budget = ""
        ok = ok and row["non2xx"] == 0 and row["answered"]
        same = count.get("small") == count.get("large")
        if not reference:
            verdicts.append(ok and same)
        ratio = [
            run[key]["rps"] / run["floor"]["rps"]
            for run in runs
            if key in run and run.get("floor", {}).get("rps")
        ]
        verdict = (
            "reference"
            if reference
            else f"{mark(ok and same)}{' ' + budget if budget else ''}"
            + ("" if same else " (query counts differ)")
        )
        conflicts = f" ({row['conflicts']} × 409)" if row["conflicts"] else ""
        lines.append(
            f"| {label} | {who} | {row['rps']:.0f} | {row['p50_ms']:.1f} | {row['p99_ms']:.1f} | "
            f"{median(ratio) * 100:.0f}% | {cpu(row)} | "
            f"{count.get('small', '?')} {'=' if same else '≠'} {count.get('large', '?')} | "
            f"{kib(weight.get('bytes'))} | {kib(weight.get('gzip'))} | "
            f"{row['non2xx']}{conflicts} | "
            f"{verdict} |"
        )
    return lines, verdicts


def scale_rows(
    scale_runs: list[dict], runs: list[dict], counts: dict, weights: dict
) -> tuple[list[str], list[bool]]:
    lines = [
        "| page at scale | req/s | p50 ms | p50 at the large data set | × | queries demo / scale "
        "| KiB | CPU ms/req (app + db) | verdict |",
        "|---|---:|---:|---:|---:|---|---:|---|---|",
    ]
    verdicts = []
    for key, page, label in SCALE:
        row, base = summarise(key, scale_runs), summarise(page, runs)
        count = counts.get(key, {})
        if row is None:
            if key in counts:
                lines.append(
                    f"| {label} | — | — | — | — | — | — | — | "
                    f"**FAIL**: {count.get('error', 'not measured')} |"
                )
                verdicts.append(False)
            continue
        same = count.get("small") == count.get("large")
        times = row["p50_ms"] / base["p50_ms"] if base and base["p50_ms"] else 0.0
        ok = same and base is not None and times <= SCALE_MAX_P50 and row["non2xx"] == 0
        ok = ok and row["answered"]
        verdicts.append(ok)
        lines.append(
            f"| {label} | {row['rps']:.1f} | {row['p50_ms']:.1f} | "
            f"{base['p50_ms']:.1f} | {times:.1f}× | "
            f"{count.get('small', '?')} {'=' if same else '≠'} {count.get('large', '?')} | "
            f"{kib(weights.get(key, {}).get('bytes'))} | {cpu(row)} | {mark(ok)} |"
            if base
            else f"| {label} | {row['rps']:.1f} | {row['p50_ms']:.1f} | — | — | "
            f"{count.get('small', '?')} / {count.get('large', '?')} | "
            f"{kib(weights.get(key, {}).get('bytes'))} | {cpu(row)} | **FAIL** (no base) |"
        )
    return lines, verdicts


def render(
    runs: list[dict],
    scale_runs: list[dict],
    pairs: list[Pair],
    specs: list[PageSpec],
    references: list[PageSpec],
    counts: dict,
    weights: dict,
    browser: dict,
    facts: dict[str, str],
    intro: str,
) -> str:
    parts = [
        "## roleplan's pages against Redmine 5.0 and against their budgets (bench_pages.py)",
        "",
        intro,
        "",
    ]
    verdicts: list[bool] = []
    if pairs:
        lines, ok = pair_rows(runs, pairs)
        verdicts += ok
        parts += [
            "### Side by side with Redmine (same data sizes, alternating in one run)",
            "",
            "Targets: roleplan's throughput ≥ 3× Redmine's (≥ 10× on the board and the table), "
            "its p99 ≤ ⅓ of Redmine's. × is the median of each run's ratio.",
            "",
            *lines,
            "",
        ]
    if browser:
        lines, ok = browser_rows(browser, PAIRS, weights)
        verdicts += ok
        parts += [
            "### In Chromium (load event, median of 5 warm-cache loads)",
            "",
            "Targets: ≤ 300 ms and ≤ ⅓ of Redmine's page, 0 JavaScript errors.",
            "",
            *lines,
            "",
        ]
    keys = [(s.key, s.label, s.who) for s in references + specs]
    lines, ok = page_rows(runs, keys, counts, weights)
    verdicts += ok
    parts += [
        "### Every page at the large data set",
        "",
        f"Budgets: p50 ≤ {BUDGET_P50_MS:.0f} ms, p99 ≤ {BUDGET_P99_MS:.0f} ms, "
        f"≤ {MAX_KIB:.0f} KiB; the in-place edit and the drag p99 ≤ "
        f"{BUDGET_WRITE_P99_MS:.0f} ms; query counts equal on the demo and the large "
        "data set. The bare Django view (login, the whole middleware, a constant body) and "
        "base.html are references, not targets; × bare view is a page's throughput over the "
        "bare view's in the same run.",
        "",
        *lines,
        "",
    ]
    if scale_runs:
        lines, ok = scale_rows(scale_runs, runs, counts, weights)
        verdicts += ok
        parts += [
            "### Scale rows",
            "",
            f"Targets: the same query count as on the demo data, p50 ≤ {SCALE_MAX_P50:.0f}"
            "× the page's p50 at the large data set (200 items, 300 deliverables, ~1,000 "
            "assets).",
            "",
            *lines,
            "",
        ]
    failed = verdicts.count(False)
    parts += [
        f"**{len(verdicts) - failed} of {len(verdicts)} targets met"
        + (f", {failed} missed.**" if failed else ".**"),
        "",
        "| machine | |",
        "|---|---|",
        *[f"| {k} | {v} |" for k, v in facts.items()],
    ]
    return "\n".join(parts) + "\n"


def write_results(text: str, name: str = "bench_pages") -> None:
    """Replace the block of RESULTS.md between `<!-- {name}:start -->` and its end marker,
    keeping everything else in the file (bench_reminders.py writes its own block)."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    block = f"{start}\n{text.rstrip()}\n{end}"
    current = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    if start in current and end in current:
        head, rest = current.split(start, 1)
        _, tail = rest.split(end, 1)
        RESULTS.write_text(f"{head}{block}{tail}")
    else:
        RESULTS.write_text(f"{current.rstrip()}\n\n{block}\n")
