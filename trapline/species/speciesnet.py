"""Google's SpeciesNet as a species backend, on trapline's own MegaDetector boxes.

SpeciesNet's classifier crops each box from the full image itself (its
``always_crop`` preprocessing), so it is given the original image and the box,
not trapline's padded crop. Its labels are taxonomy strings
(``uuid;class;order;family;genus;species;common name``); trapline reports the
scientific name where the label has one (``Lynx lynx``) and otherwise the lowest
named taxon (``felidae``), which ``species.names`` can map further. Geofencing
goes through SpeciesNet's own rule (a label impossible in the configured country
is rolled up to a higher taxon), so a geofenced lynx can never pass as the target.

The model is found without network: a local folder (config
``species.speciesnet.model`` or the environment variable ``SPECIESNET_MODEL``),
else the kagglehub cache that ``fetch_models`` fills on a login node.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from trapline.weights import WeightsError

log = logging.getLogger(__name__)

ENV_VAR = "SPECIESNET_MODEL"
DEFAULT_MODEL = "kaggle:google/speciesnet/pyTorch/v4.0.3a/1"
TOP_K = 5


@dataclass(frozen=True)
class SpeciesNetSettings:
    """Config ``species.speciesnet``."""

    model: str = DEFAULT_MODEL
    country: str | None = None
    admin1_region: str | None = None


def speciesnet_folder(model: str) -> Path:
    """The local folder holding the model's files (``info.json`` and the rest).

    Raises:
        WeightsError: no local copy; names the key and how to fetch it once.
    """
    if Path(model).is_dir():
        return Path(model)
    if os.environ.get(ENV_VAR) and Path(os.environ[ENV_VAR]).is_dir():
        return Path(os.environ[ENV_VAR])
    if model.startswith("kaggle:"):
        from kagglehub.cache import Cache
        from kagglehub.handle import parse_model_handle

        cached = Cache().load_from_cache(parse_model_handle(model[len("kaggle:") :]))
        if cached:
            return Path(cached)
    raise WeightsError(
        f"config key 'species.speciesnet.model' = {model!r}: no local copy (no "
        f"such folder, {ENV_VAR} unset, not in the kagglehub cache). On a machine "
        "with internet run `snakemake --cores 1 fetch_models` once, or download "
        "the model folder yourself and set species.speciesnet.model to it"
    )


def fetch_speciesnet(model: str) -> Path:
    """Download the model into SpeciesNet's cache (login node, with internet)."""
    from speciesnet.utils import ModelInfo

    return Path(ModelInfo(model).classifier).parent


def label_name(label: str) -> str:
    """``uuid;mammalia;carnivora;felidae;lynx;lynx;eurasian lynx`` → ``Lynx lynx``.

    Without genus and species, the lowest named taxon (``felidae``), else the
    common name (``blank``, ``animal``, ``human``, ``vehicle``).
    """
    parts = label.split(";")
    if len(parts) < 7:
        return label
    _, klass, order, family, genus, species, common = parts[:7]
    if genus and species:
        return f"{genus.capitalize()} {species}"
    for taxon in (genus, family, order, klass):
        if taxon:
            return taxon
    return common


class SpeciesNetBackend:
    """SpeciesNet's classifier and geofence, loaded once from a local folder."""

    def __init__(self, settings: SpeciesNetSettings, device: str | None = None):
        import torch
        from speciesnet import SpeciesNetClassifier, SpeciesNetEnsemble

        folder = str(speciesnet_folder(settings.model))
        device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.settings = settings
        self.classifier = SpeciesNetClassifier(folder, device=device)
        ensemble = SpeciesNetEnsemble(folder, geofence=settings.country is not None)
        self.taxonomy, self.geofence = ensemble.taxonomy_map, ensemble.geofence_map
        log.info("SpeciesNet from %s on %s", folder, device)

    def __call__(self, image: Path, boxes: list[tuple[float, ...]]) -> list[tuple]:
        """``(name, probability)`` per box (MegaDetector ``x, y, w, h``, 0–1)."""
        from speciesnet import BBox, load_rgb_image
        from speciesnet.geofence_utils import geofence_animal_classification

        picture = load_rgb_image(str(image))
        if picture is None:
            return [(None, None)] * len(boxes)
        crops = self.classifier.preprocess(picture, bboxes=[BBox(*b) for b in boxes])
        result = self.classifier.predict(str(image), crops, num_classes=TOP_K)
        out = []
        for classified in result.get("classifications_list", []):
            label, score, _ = geofence_animal_classification(
                labels=classified["classes"],
                scores=classified["scores"],
                country=self.settings.country,
                admin1_region=self.settings.admin1_region,
                taxonomy_map=self.taxonomy,
                geofence_map=self.geofence,
                enable_geofence=self.settings.country is not None,
            )
            out.append((label_name(label), float(score)))
        if len(out) != len(boxes):  # SpeciesNet reported a failure for the image
            return [(None, None)] * len(boxes)
        return out


def speciesnet_labels(
    crops: pd.DataFrame,
    images: pd.DataFrame,
    images_root: Path,
    settings: SpeciesNetSettings,
) -> pd.DataFrame:
    """Label every cropped box with SpeciesNet, one image at a time.

    Returns:
        ``crop_id``, ``classifier_species``, ``classifier_conf``.
    """
    from tqdm import tqdm

    backend = SpeciesNetBackend(settings)
    paths = images.set_index("image_id")["path"]
    box = ["bbox_x", "bbox_y", "bbox_w", "bbox_h"]
    rows = []
    groups = crops.groupby("image_id", sort=True)
    for image_id, group in tqdm(
        groups, desc="speciesnet", unit="image", mininterval=10
    ):
        boxes = [tuple(map(float, b)) for b in group[box].itertuples(index=False)]
        labels = backend(images_root / paths[image_id], boxes)
        for crop, (name, score) in zip(group["crop_id"], labels, strict=True):
            rows.append((crop, name, score))
    frame = pd.DataFrame(
        rows, columns=["crop_id", "classifier_species", "classifier_conf"]
    )
    frame["classifier_conf"] = pd.array(frame["classifier_conf"], "Float64")
    return frame
