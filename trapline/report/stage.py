"""The report rule: the season's tables in, one page of plots out.

An ecologist's first question after a run is "what happened to my season?";
twenty Parquet tables do not answer it at a glance. This stage draws the
season's files, camera operation, detections on the station map, activity,
individuals, identification and estimates, each plot with one sentence of what
to look for, as PNGs beside one ``index.html`` (a folder that opens anywhere,
offline). The same PNGs are Snakemake ``report()`` outputs, so
``snakemake --report`` shows them too.

Every plot reads summary tables or a few columns of a large one, so the report
takes seconds on the demo and stays small on a season of a million images.
A section with nothing to show (no catalogue, no target species seen) says why
instead of failing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, fields
from pathlib import Path

import pyarrow.parquet as pq

from trapline.io import write_atomic
from trapline.report.activity import activity_section
from trapline.report.estimates import estimates_section
from trapline.report.figures import Section, save_empty
from trapline.report.files import files_section
from trapline.report.identification import identification_section
from trapline.report.individuals import individuals_section, maps_section
from trapline.report.operation import operation_section
from trapline.report.page import render_page
from trapline.report.stationmap import map_section

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReportInputs:
    """Where the report rule reads (the identification ones only with a catalogue)."""

    images: Path
    quarantine: Path
    deployments: Path
    sequences: Path
    species_counts: Path
    camera_operation: Path
    traps: Path
    detection_history: Path
    captures: Path
    capture_history: Path
    occasions: Path
    estimate: Path
    identities: Path | None = None
    calibration: Path | None = None
    review: Path | None = None


@dataclass(frozen=True)
class ReportOutputs:
    """Where the report rule writes: the page and one PNG per section."""

    index: Path
    files: Path
    operation: Path
    stations: Path
    activity: Path
    individuals: Path
    individual_maps: Path
    identification: Path
    estimates: Path


@dataclass(frozen=True)
class ReportSettings:
    """What the report reads of the config; it has no section of its own.

    Args:
        target_species: top-level ``target_species`` (named when none was seen).
        review_low, review_high: ``identify.review_low``/``_high``, the band
            drawn under the identification scores.
    """

    target_species: tuple[str, ...] = ()
    review_low: float = 0.2
    review_high: float = 0.9


def report_stage(
    inputs: ReportInputs, settings: ReportSettings, out: ReportOutputs
) -> None:
    """Write every section's PNG and the page that shows them (``out.index``)."""
    why = why_no_individuals(inputs, settings)
    band = (settings.review_low, settings.review_high)
    sections = [
        files_section(inputs.images, inputs.quarantine, out.files),
        operation_section(inputs.camera_operation, out.operation),
        map_section(inputs.traps, inputs.detection_history, out.stations),
        activity_section(
            inputs.sequences, inputs.species_counts, inputs.deployments, out.activity
        ),
        individuals_section(
            inputs.capture_history,
            inputs.occasions,
            inputs.identities,
            out.individuals,
            why_empty=why,
        ),
        maps_section(inputs.captures, inputs.traps, out.individual_maps, why_empty=why),
        identification_section(
            inputs.identities,
            inputs.calibration,
            inputs.review,
            band,
            out.identification,
        ),
        estimates_section(inputs.estimate, out.estimates, why_empty=why),
    ]
    check_sections(sections)
    for section in sections:
        if section.empty is not None:
            save_empty(getattr(out, section.key), section.empty)
            log.info("report: %s is empty: %s", section.key, section.empty)
    title = f"Season report: {inputs.images.parent.name}"
    html = render_page(sections, season_facts(inputs, settings), title)
    write_atomic(out.index, lambda tmp: Path(tmp).write_text(html, encoding="utf-8"))
    log.info("report: %d sections in %s", len(sections), out.index)


def why_no_individuals(inputs: ReportInputs, settings: ReportSettings) -> str | None:
    """Why the individual sections are empty, or None when there are captures."""
    species = ", ".join(settings.target_species) or "none configured"
    if inputs.identities is None:
        return (
            "no catalogue (identify.catalogue is null), so no individual is identified"
        )
    if pq.read_metadata(inputs.identities).num_rows == 0:
        return f"no target species ({species}) was seen: no crop to identify"
    if pq.read_metadata(inputs.captures).num_rows == 0:
        return (
            f"no capture event of the target species ({species}) counted: every "
            "record fell outside the cameras' working days (capture/excluded.parquet)"
        )
    return None


def season_facts(
    inputs: ReportInputs, settings: ReportSettings
) -> list[tuple[str, str]]:
    """A few numbers under the title, from the tables' metadata and small tables."""
    stations = pq.read_table(inputs.traps, columns=["Detector"])["Detector"]
    days = pq.read_table(inputs.camera_operation, columns=["Date"])["Date"]
    facts = [
        ("usable images", f"{pq.read_metadata(inputs.images).num_rows:,}"),
        ("quarantined files", f"{pq.read_metadata(inputs.quarantine).num_rows:,}"),
        ("stations", str(len(set(stations.to_pylist())))),
    ]
    if len(days):
        facts.append(("days", f"{days.to_pandas().min()} to {days.to_pandas().max()}"))
    facts.append(("target species", ", ".join(settings.target_species) or "none"))
    if inputs.identities is not None:
        individuals = pq.read_table(inputs.captures, columns=["Individual"])
        facts.append(
            (
                "individuals captured",
                str(len(set(individuals["Individual"].to_pylist()))),
            )
        )
    return facts


OUTPUT_KEYS = tuple(f.name for f in fields(ReportOutputs) if f.name != "index")
"""Every section's key, as its PNG is named in the rule (``<key>.png``)."""


def check_sections(sections: list[Section]) -> None:
    """Every PNG output is a section (the rule and the stage name the same plots)."""
    keys = [s.key for s in sections]
    if sorted(keys) != sorted(OUTPUT_KEYS):
        raise RuntimeError(f"report sections {keys} differ from outputs {OUTPUT_KEYS}")
