"""Species backends that need a model, on stand-ins through the real loaders.

SpeciesNet: an EfficientNetV2-M stand-in in SpeciesNet's own folder format, loaded
by SpeciesNet's classifier and geofenced by SpeciesNet's own rule. Few-shot: the
DINOv2-family ViT stand-in embeds crops and reference images through the
embedding stage. Random weights answer meaninglessly, so the tests assert what
holds whatever the weights: a biased output wins, geofencing rolls it up, and a
crop identical to a reference image gets that image's species.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from PIL import Image

from trapline.embed import EmbedSettings, embed_crops, embed_stage
from trapline.species import SpeciesSettings
from trapline.species.speciesnet import (
    SpeciesNetSettings,
    label_name,
    speciesnet_folder,
    speciesnet_labels,
)
from trapline.species.stage import SpeciesInputs, classify
from trapline.testing.standins import speciesnet_standin, vit_standin
from trapline.weights import WeightsError

pytestmark = pytest.mark.slow

LABELS = [
    "f1856211-cfb7-4a5b-9158-c0f72fd09ee6;;;;;;blank",
    "1f689929-883d-4dae-958c-3d57ab5b6c16;;;;;;animal",
    "00000001-0000-4000-8000-000000000000;mammalia;carnivora;felidae;lynx;lynx;"
    "eurasian lynx",
    "00000002-0000-4000-8000-000000000000;mammalia;carnivora;canidae;vulpes;vulpes;"
    "red fox",
    "aaf3b049-36e6-46dd-9a07-8a580e9618b7;mammalia;carnivora;canidae;canis;latrans;"
    "coyote",
    "00000003-0000-4000-8000-000000000000;mammalia;carnivora;canidae;;;canine family",
]
COYOTE = 4
ONLY_IN_AMERICA = {
    "mammalia;carnivora;canidae;canis;latrans": {"allow": {"USA": [], "CAN": []}}
}


@pytest.fixture(scope="module")
def truth_boxes(tiny_season) -> pd.DataFrame:
    """The tiny season's true animal boxes as crops (crop_id, image_id = path)."""
    truth = pd.read_parquet(tiny_season / "truth/detections.parquet")
    animals = truth[truth["category"] == "animal"].reset_index(drop=True)
    animals["image_id"] = animals["path"]
    animals["det_index"] = animals.groupby("image_id").cumcount()
    animals["crop_id"] = [f"c{i:03d}" for i in range(len(animals))]
    return animals


@pytest.fixture(scope="module")
def speciesnet_model(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("speciesnet")
    return speciesnet_standin(folder, LABELS, ONLY_IN_AMERICA, favour=COYOTE)


def test_labels_read_as_scientific_names_or_the_lowest_taxon():
    assert label_name(LABELS[2]) == "Lynx lynx"
    assert label_name(LABELS[5]) == "canidae"
    assert label_name(LABELS[0]) == "blank"


def test_speciesnet_labels_every_box_through_its_own_loader(
    speciesnet_model, truth_boxes, tiny_season
):
    few = truth_boxes.head(4)
    images = few[["image_id", "path"]].drop_duplicates()
    labels = speciesnet_labels(
        few, images, tiny_season / "images", SpeciesNetSettings(str(speciesnet_model))
    )
    assert labels["crop_id"].tolist() == sorted(few["crop_id"])
    assert set(labels["classifier_species"]) == {"Canis latrans"}
    assert (labels["classifier_conf"] > 0.99).all()


def test_speciesnet_geofence_rolls_up_a_species_impossible_in_the_country(
    speciesnet_model, truth_boxes, tiny_season
):
    few = truth_boxes.head(2)
    images = few[["image_id", "path"]].drop_duplicates()
    settings = SpeciesNetSettings(str(speciesnet_model), country="CHE")
    labels = speciesnet_labels(few, images, tiny_season / "images", settings)
    assert set(labels["classifier_species"]) == {"canidae"}


def test_missing_speciesnet_model_names_the_key_and_fetch_models(tmp_path, monkeypatch):
    monkeypatch.setenv("KAGGLEHUB_CACHE", str(tmp_path))
    monkeypatch.delenv("SPECIESNET_MODEL", raising=False)
    with pytest.raises(WeightsError, match="species.speciesnet.model.*fetch_models"):
        speciesnet_folder("kaggle:google/speciesnet/pyTorch/v4.0.3a/1")


def test_speciesnet_folder_from_the_environment(speciesnet_model, monkeypatch):
    monkeypatch.setenv("SPECIESNET_MODEL", str(speciesnet_model))
    assert speciesnet_folder("kaggle:google/speciesnet/pyTorch/v4.0.3a/1") == (
        speciesnet_model
    )


def test_fewshot_labels_crops_through_the_embedding_stage(
    truth_boxes, tiny_season, tmp_path
):
    model = "vit_small_patch14_reg4_dinov2.lvd142m"
    weights = vit_standin(tmp_path / "vit.safetensors", model, 56)
    settings = EmbedSettings(model, weights, 56, batch_size=8)
    crops_dir, reference = tmp_path / "crops", tmp_path / "reference"
    paths = []
    for row in truth_boxes.itertuples():
        image = Image.open(tiny_season / "images" / row.path)
        w, h = image.size
        box = (row.bbox_x * w, row.bbox_y * h, (row.bbox_x + row.bbox_w) * w)
        piece = image.crop((*box[:2], box[2], (row.bbox_y + row.bbox_h) * h))
        paths.append(crops_dir / f"{row.crop_id}.jpg")
        paths[-1].parent.mkdir(exist_ok=True)
        piece.save(paths[-1])
    copied = {}
    for species, group in truth_boxes.groupby("species"):
        folder = reference / species.replace(" ", "_")
        folder.mkdir(parents=True)
        for row in group.head(2).itertuples():
            shutil.copy(crops_dir / f"{row.crop_id}.jpg", folder)
            copied[row.crop_id] = species
    crop_store = tmp_path / "crops.parquet"
    embed_crops(truth_boxes["crop_id"].tolist(), paths, settings, crop_store)
    reference_store = tmp_path / "reference.parquet"
    embed_stage(settings, reference_store, species_reference=reference)
    inputs = SpeciesInputs(
        images=Path(),
        summary=Path(),
        raw=Path(),
        detections=Path(),
        crops=Path(),
        crop_embeddings=crop_store,
        reference_embeddings=reference_store,
        reference=reference,
    )
    boxes = truth_boxes.assign(classifier_species=None, classifier_conf=None)
    labelled = classify(
        boxes,
        truth_boxes,
        inputs,
        SpeciesSettings(backend="fewshot", k=1, min_similarity=-1.0),
    ).set_index("crop_id")
    for crop_id, species in copied.items():
        assert labelled.loc[crop_id, "classifier_species"] == species
        assert labelled.loc[crop_id, "classifier_conf"] == pytest.approx(1.0)
    others = labelled["classifier_species"]
    assert others.isin(set(copied.values())).all(), others.value_counts(dropna=False)
