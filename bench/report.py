"""Figures: collected by every benchmark, printed as they come, written to docs/benchmarks.md at the end."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from .common import GUNICORN_ARGS


@dataclass
class Figure:
    section: str
    backend: str
    name: str
    value: str
    ratio: str = ""  # to the floor measured in the same run, when there is one
    target: str = ""
    verdict: str = ""  # met | MISSED | skipped | ""
    note: str = ""


@dataclass
class Report:
    quick: bool
    machine: dict[str, str]
    started: datetime
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, fig: Figure) -> Figure:
        self.figures.append(fig)
        parts = [f"[{fig.section} · {fig.backend}] {fig.name}: {fig.value}"]
        if fig.ratio:
            parts.append(f"ratio {fig.ratio}")
        if fig.target:
            parts.append(f"target {fig.target} → {fig.verdict or '?'}")
        if fig.note:
            parts.append(f"({fig.note})")
        print("  ".join(parts), flush=True)
        return fig

    def note(self, text: str) -> None:
        self.notes.append(text)
        print(f"note: {text}", flush=True)

    def markdown(self, seconds: float) -> str:
        m = self.machine
        quick = " — QUICK smoke run, not the full sizes" if self.quick else ""
        lines = [
            "# Benchmarks",
            "",
            "Written by `make bench` (`python -m bench`); do not edit by hand. Figures are ratios to a floor measured "
            "in the same run, or counts: the machine is shared and noisy, so absolute numbers vary between runs.",
            "",
            f"- run: {self.started:%Y-%m-%d %H:%M} (UTC){quick}, took {seconds / 60:.1f} min",
            f"- machine: {m['nproc']} CPUs ({m['cpu']}), {m['memory']} memory, {m['system']}, Python {m['python']}",
            f"- webhook load: gunicorn `{' '.join(GUNICORN_ARGS)}` for every app; wrk on loopback, 1 thread, "
            "16 connections, unique MsgIds/CreateTimes; PostgreSQL runs with a private Redis",
            "- CPU per request: user + system time of the gunicorn workers, PostgreSQL's processes and Redis during "
            "each load, divided by the requests served (wrk not counted); 'floor ÷ app' compares those costs per "
            "round, which is the ceiling of the throughput ratio on a machine whose two cores are busy. "
            "Where they differ, the machine's speed changed between the floor's run and the app's "
            "(see docs/performance.md)",
            "",
        ]
        sections: dict[str, list[Figure]] = {}
        for fig in self.figures:
            sections.setdefault(fig.section, []).append(fig)
        for section, figs in sections.items():
            lines += [f"## {section}", "", "| backend | figure | value | ratio to floor | target | verdict | note |",
                      "|---|---|---|---|---|---|---|"]
            for f in figs:
                cells = [f.backend, f.name, f.value, f.ratio, f.target, f.verdict, f.note.replace("|", "/")]
                lines.append("| " + " | ".join(cells) + " |")
            lines.append("")
        if self.notes:
            lines += ["## Notes", ""] + [f"- {n}" for n in self.notes] + [""]
        return "\n".join(lines)

    def write(self, path: Path, seconds: float) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.markdown(seconds), encoding="utf-8")


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"
