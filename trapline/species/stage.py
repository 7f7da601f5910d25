"""The species rule end to end: labels, the unknown rule, smoothing, counts.

Glue only. It reads the kept boxes and crops, asks the configured backend for a
label per box, applies :func:`~trapline.species.labels.final_labels` and
:func:`~trapline.species.smoothing.smooth_sequences`, and writes the user tables
that carry species (``detections.parquet``, ``crops.parquet``,
``detections.json``) and ``species_counts.parquet``.
"""

from __future__ import annotations

import difflib
import logging
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from trapline.detect.megadetector import write_batch_json
from trapline.species.counts import species_counts
from trapline.species.labels import UNKNOWN, SpeciesSettings, final_labels
from trapline.species.smoothing import smooth_sequences
from trapline.species.tags import person_labels
from trapline.tables import (
    CROP_BOXES,
    CROPS,
    DETECTIONS,
    IMAGE_SUMMARY,
    INVENTORY,
    KEPT_DETECTIONS,
    RAW_DETECTIONS,
    SPECIES_COUNTS,
)

log = logging.getLogger(__name__)

KEY = ["image_id", "det_index"]


@dataclass(frozen=True)
class SpeciesInputs:
    """Where the species rule reads (embedding stores for the few-shot backend)."""

    images: Path
    summary: Path
    raw: Path
    detections: Path
    crops: list[Path]
    crop_embeddings: list[Path] | None = None
    reference_embeddings: Path | None = None
    reference: Path | None = None
    images_root: Path | None = None


@dataclass(frozen=True)
class SpeciesOutputs:
    """Where the species rule writes."""

    detections: Path
    json: Path
    crops: Path
    counts: Path


def classify(
    boxes: pd.DataFrame,
    crops: pd.DataFrame,
    inputs: SpeciesInputs,
    settings: SpeciesSettings,
) -> pd.DataFrame:
    """The backend's ``classifier_species``/``classifier_conf`` for every box."""
    if settings.backend in ("tags", "folders"):
        # people's labels only (trapline.species.tags): no classifier runs
        return boxes.assign(classifier_species=None, classifier_conf=None)
    if settings.backend == "imported":
        if boxes["classifier_species"].isna().all() and len(boxes):
            log.warning(
                "species.backend 'imported': the detections carry no "
                "classifications, so every animal is 'unknown' and nothing reaches "
                "identification; set species.backend to 'fewshot' or 'speciesnet'"
            )
        return boxes
    if settings.backend == "fewshot":
        labels = _fewshot(crops, inputs, settings)
    else:
        from trapline.species.speciesnet import speciesnet_labels

        labels = speciesnet_labels(
            crops,
            INVENTORY.read(inputs.images),
            Path(inputs.images_root),
            settings.speciesnet,
        )
    labels = crops[["crop_id", *KEY]].merge(labels, on="crop_id")
    out = boxes.drop(columns=["classifier_species", "classifier_conf"])
    out = out.merge(labels.drop(columns="crop_id"), on=KEY, how="left")
    return out


def _fewshot(
    crops: pd.DataFrame, inputs: SpeciesInputs, settings: SpeciesSettings
) -> pd.DataFrame:
    from trapline.embed import load_embeddings
    from trapline.species.fewshot import knn_labels
    from trapline.species.reference import read_reference

    crop_ids, crop_vectors, crop_model = load_embeddings(inputs.crop_embeddings)
    ref_ids, ref_vectors, ref_model = load_embeddings(inputs.reference_embeddings)
    if crop_model != ref_model:
        raise ValueError(
            f"{inputs.crop_embeddings} ({crop_model}) and "
            f"{inputs.reference_embeddings} ({ref_model}) come from different "
            "models: rerun both embed rules with the same embed.model"
        )
    reference = read_reference(inputs.reference).set_index("ref_id")["species"]
    missing = sorted(set(reference.index) - set(ref_ids))
    if missing:
        raise ValueError(f"{inputs.reference_embeddings} lacks {missing[:3]}…")
    position = {crop: row for row, crop in enumerate(crop_ids)}
    wanted = [c for c in crops["crop_id"] if c in position]
    rows = [position[c] for c in wanted]
    return knn_labels(
        wanted,
        crop_vectors[rows],
        [reference[r] for r in ref_ids],
        ref_vectors,
        settings.k,
        settings.min_similarity,
    )


def label_boxes(
    boxes: pd.DataFrame, sequences: pd.Series, settings: SpeciesSettings
) -> pd.DataFrame:
    """Final species columns for classified boxes, smoothed within sequences."""
    labelled = final_labels(boxes, settings, settings.backend)
    if not settings.smoothing.enabled:
        return labelled
    animals = labelled["category"] == "animal"
    smoothed = smooth_sequences(
        labelled[animals].assign(sequence_id=labelled["image_id"].map(sequences)),
        settings.smoothing.min_votes,
        settings.smoothing.keep_conf,
    )
    columns = ["species", "species_conf", "species_source"]
    labelled.loc[animals, columns] = smoothed[columns]
    return labelled


def species_stage(
    inputs: SpeciesInputs,
    settings: SpeciesSettings,
    out: SpeciesOutputs,
    target_species: tuple[str, ...] = (),
) -> None:
    """Label, smooth, count; write detections, crops, JSON and species counts.

    Raises:
        TargetSpeciesError: a target species is never seen but a label close to it
            is (a misspelt ``target_species`` would otherwise give empty capture
            histories and a successful run).
    """
    boxes = KEPT_DETECTIONS.read(inputs.detections)
    crops = pd.concat([CROP_BOXES.read(p) for p in inputs.crops], ignore_index=True)
    if crops.empty:
        crops = CROP_BOXES.empty()
    summary = IMAGE_SUMMARY.read(inputs.summary)
    # Only crops of images still in the season (crops ⊆ images): nothing set aside
    # after cropping (a detector failure, the privacy switch) reaches a later stage.
    crops = crops[crops["image_id"].isin(set(summary["image_id"]))]
    sequences = summary.set_index("image_id")["sequence_id"]
    boxes = label_boxes(classify(boxes, crops, inputs, settings), sequences, settings)
    images = INVENTORY.read(inputs.images)
    boxes = person_labels(boxes, images, settings.backend, target_species)
    DETECTIONS.write(boxes, out.detections)
    columns = ["species", "species_conf", "species_source"]
    crops = crops.merge(boxes[KEY + columns], on=KEY, how="left")
    CROPS.write(crops if len(crops) else CROPS.empty(), out.crops)
    animals = boxes[boxes["category"] == "animal"]
    SPECIES_COUNTS.write(species_counts(animals, sequences), out.counts)
    _write_json(inputs, summary, boxes, out.json)
    tally = animals["species"].value_counts()
    log.info("animals by species: %s", tally.to_dict())
    if len(animals):
        share = 100 * tally.get(UNKNOWN, 0) / len(animals)
        log.info("unknown: %.1f%% of animal boxes", share)
    check_targets(target_species, set(tally.index) - {UNKNOWN}, settings)


class TargetSpeciesError(ValueError):
    """A target species looks misspelt against the labels the season holds."""


def check_targets(
    target_species: tuple[str, ...], labels: set[str], settings: SpeciesSettings
) -> None:
    """Stop on a target species that looks misspelt; warn on one never seen.

    Labels are what the backend gave after ``species.names``. A target close to a
    label (``Lynx lynks`` beside ``Lynx lynx``) stops the run naming both; a
    target with nothing close is a season without that species, or labels in
    another vocabulary (SpeciesNet's common names without ``species.names``):
    warned on the terminal as well as in the log, since the run then identifies
    nobody.
    """
    for target in target_species:
        if target in labels:
            continue
        close = difflib.get_close_matches(target, sorted(labels), n=1, cutoff=0.8)
        if close:
            raise TargetSpeciesError(
                f"config key 'target_species' names {target!r}, which no animal was "
                f"labelled, but {close[0]!r} was: fix the spelling (or map the "
                "classifier's label with 'species.names')"
            )
        message = (
            f"no animal was labelled {target!r} (config key 'target_species'); "
            f"labels seen: {sorted(labels)[:10]}; with backend {settings.backend!r} "
            "map the classifier's labels to your names with 'species.names'. "
            "Nothing will be identified."
        )
        log.warning(message)
        print(f"WARNING (rule species): {message}", file=sys.__stderr__)


def _write_json(
    inputs: SpeciesInputs, summary: pd.DataFrame, boxes: pd.DataFrame, path: Path
) -> None:
    """MegaDetector batch JSON: every raw box, our label on the kept animals."""
    images = INVENTORY.read(inputs.images)
    images = images[images["image_id"].isin(summary["image_id"])]
    raw = RAW_DETECTIONS.read(inputs.raw)
    raw = raw[raw["image_id"].isin(images["image_id"])]
    known = boxes[boxes["species"].notna() & (boxes["species"] != UNKNOWN)]
    raw = raw.merge(known[KEY + ["species", "species_conf"]], on=KEY, how="left")
    detector = raw["detector"].iloc[0] if len(raw) else "none"
    write_batch_json(path, images, raw, detector)
