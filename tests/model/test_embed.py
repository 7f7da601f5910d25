"""The embedding backbone on a DINOv2-family stand-in with random weights.

The stand-in is a real timm ViT-S/14 (registers, as the default ViT-L/14) at a
56 px input, saved by the test and loaded through the same local-file path the
pipeline uses for real weights; nothing is downloaded.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from trapline.embed import (
    Embedder,
    EmbedError,
    EmbedSettings,
    embed_crops,
    embed_stage,
    load_embeddings,
)
from trapline.testing.standins import vit_standin
from trapline.weights import WeightsError

pytestmark = pytest.mark.slow

MODEL = "vit_small_patch14_reg4_dinov2.lvd142m"
SIZE = 56


def standin_weights(path: Path, seed: int) -> Path:
    return vit_standin(path, MODEL, SIZE, seed)


@pytest.fixture(scope="module")
def weights(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("weights")
    return (
        standin_weights(folder / "a.safetensors", seed=0),
        standin_weights(folder / "b.safetensors", seed=1),
    )


@pytest.fixture(scope="module")
def crops(tmp_path_factory) -> list[Path]:
    """Five crops of different shapes with smooth, asymmetric content."""
    folder = tmp_path_factory.mktemp("crops")
    rng = np.random.default_rng(0)
    paths = []
    for i, (w, h) in enumerate([(90, 48), (48, 90), (64, 64), (120, 40), (70, 50)]):
        coarse = rng.integers(0, 255, (4, 6, 3), dtype=np.uint8)
        image = Image.fromarray(coarse).resize((w, h), Image.Resampling.BILINEAR)
        paths.append(folder / f"crop{i}.png")
        image.save(paths[-1])
    return paths


def settings(weights: Path | None, **kw) -> EmbedSettings:
    return EmbedSettings(MODEL, weights, image_size=SIZE, batch_size=4, threads=2, **kw)


class Counted:
    """An Embedder whose model counts the images that reach its forward pass."""

    def __init__(self, weights: Path) -> None:
        self.embedder = Embedder(settings(weights))
        self.seen = 0
        self.embedder.model.register_forward_hook(self._count)

    def _count(self, module, args, output) -> None:
        self.seen += len(args[0])


def test_unit_vectors_deterministic_and_not_flip_invariant(weights, crops, tmp_path):
    embedder = Embedder(settings(weights[0]))
    vectors = embedder([*crops, crops[0]])
    assert vectors.dtype == np.float32
    assert vectors.shape == (len(crops) + 1, embedder.model.num_features) == (6, 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
    np.testing.assert_allclose(vectors[0], vectors[-1], atol=1e-5)
    np.testing.assert_allclose(embedder([crops[0]])[0], vectors[0], atol=1e-5)

    flipped = tmp_path / "flipped.png"
    Image.open(crops[0]).transpose(Image.Transpose.FLIP_LEFT_RIGHT).save(flipped)
    assert np.abs(embedder([flipped])[0] - vectors[0]).max() > 1e-3

    # A 3:1 crop is letterboxed whole, not centre-cropped: its left end counts.
    wide = np.asarray(Image.open(crops[3])).copy()
    wide[:, :20] = 255 - wide[:, :20]
    edited = tmp_path / "edited.png"
    Image.fromarray(wide).save(edited)
    assert np.abs(embedder([edited])[0] - vectors[3]).max() > 1e-3


def test_a_box_is_embedded_as_the_region_it_cuts(weights, crops, tmp_path):
    embedder = Embedder(settings(weights[0]))
    whole = Image.open(crops[2])  # 64×64: box (0.25, 0.5, 0.5, 0.25) is 32×16 px
    region = tmp_path / "region.png"
    whole.crop((16, 32, 48, 48)).save(region)
    boxed, cut = embedder([(crops[2], (0.25, 0.5, 0.5, 0.25)), region])
    np.testing.assert_allclose(boxed, cut, atol=1e-5)


def test_store_embeds_only_new_crops_and_drops_removed(weights, crops, tmp_path):
    counted = Counted(weights[0])
    store = tmp_path / "embeddings.parquet"
    ids = [p.stem for p in crops]
    assert embed_crops(ids[:3], crops[:3], counted.embedder, store) == 3
    assert counted.seen == 3
    first_ids, first, model_id = load_embeddings(store)
    assert (first_ids, model_id) == (ids[:3], counted.embedder.model_id)

    assert embed_crops(ids[1:], crops[1:], counted.embedder, store) == 2
    assert counted.seen == 5, "only the two new crops reach the model"
    stored_ids, stored, _ = load_embeddings(store)
    assert stored_ids == ids[1:], "crop0 is gone from the store"
    np.testing.assert_array_equal(stored[:2], first[1:])
    np.testing.assert_allclose(stored, counted.embedder(crops[1:]), atol=1e-5)

    other = Counted(weights[1])
    assert other.embedder.model_id != counted.embedder.model_id
    assert embed_crops(ids[1:], crops[1:], other.embedder, store) == 4
    assert other.seen == 4, "a store from other weights is embedded afresh"
    assert load_embeddings(store)[2] == other.embedder.model_id


def test_model_id_follows_weights_content_name_and_size(weights, tmp_path):
    copy = tmp_path / "copy.safetensors"
    shutil.copy(weights[0], copy)
    ids = {Embedder(s).model_id for s in (settings(weights[0]), settings(copy))}
    assert len(ids) == 1, "same bytes, same model id, wherever the file is"
    assert Embedder(settings(weights[1])).model_id not in ids
    resized = EmbedSettings(MODEL, weights[0], image_size=112)
    assert Embedder(resized).model_id not in ids


def test_stage_embeds_catalogue_boxes(weights, crops, tmp_path):
    catalogue = tmp_path / "catalogue.csv"
    catalogue.write_text(
        "path,individual_id,flank,bbox_x,bbox_y,bbox_w,bbox_h\n"
        f"{crops[2]},LYX1,left,0.25,0.5,0.5,0.25\n"
        f"{crops[0]},LYX2,right,,,,\n"
    )
    store = tmp_path / "catalogue.parquet"
    assert embed_stage(settings(weights[0]), store, catalogue=catalogue) == 2
    ids, vectors, _ = load_embeddings(store)
    expected = Embedder(settings(weights[0]))(
        [crops[0], (crops[2], (0.25, 0.5, 0.5, 0.25))]
    )
    assert ids == sorted(str(p) for p in (crops[0], crops[2]))
    np.testing.assert_allclose(vectors, expected, atol=1e-5)
    assert embed_stage(settings(weights[0]), store, catalogue=catalogue) == 0


def cached_repo(cache: Path, repo: str, files: dict[str, Path | str]) -> None:
    """A repo as the hub cache holds it: refs/main → snapshots/<commit>/<file>."""
    folder = cache / f"models--{repo.replace('/', '--')}"
    commit = "0" * 40
    (folder / "refs").mkdir(parents=True)
    (folder / "refs" / "main").write_text(commit)
    (folder / "snapshots" / commit).mkdir(parents=True)
    for name, content in files.items():
        target = folder / "snapshots" / commit / name
        if isinstance(content, Path):
            shutil.copy(content, target)
        else:
            target.write_text(content)


def test_weights_from_the_hub_cache_without_network(
    weights, crops, tmp_path, monkeypatch
):
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path))
    with pytest.raises(WeightsError, match=rf"{MODEL}.*fetch_models"):
        Embedder(settings(None))
    with pytest.raises(WeightsError, match=r"hf-hub:BVRA/Fake.*fetch_models"):
        Embedder(EmbedSettings("hf-hub:BVRA/Fake"))

    cached_repo(tmp_path, f"timm/{MODEL}", {"model.safetensors": weights[0]})
    by_name = Embedder(settings(None))
    assert by_name.model_id == Embedder(settings(weights[0])).model_id
    expected = by_name(crops[:2])

    # An hf-hub: name (as MegaDescriptor) takes its architecture from config.json.
    config = {
        "architecture": MODEL.split(".")[0],
        "num_classes": 0,
        "model_args": {"img_size": SIZE},
        "pretrained_cfg": {
            "input_size": [3, SIZE, SIZE],
            "interpolation": "bicubic",
            "mean": [0.485, 0.456, 0.406],
            "std": [0.229, 0.224, 0.225],
        },
    }
    files = {"config.json": json.dumps(config), "model.safetensors": weights[0]}
    cached_repo(tmp_path, "BVRA/Fake", files)
    hub = Embedder(EmbedSettings("hf-hub:BVRA/Fake", threads=2))
    assert hub.model_id.startswith("hf-hub:BVRA/Fake@sha256:")
    assert tuple(hub.data_config["input_size"]) == (3, SIZE, SIZE)
    np.testing.assert_allclose(hub(crops[:2]), expected, atol=1e-5)


def test_decode_workers_give_the_same_vectors(weights, crops):
    """The GPU path's spawned decode workers, run on the CPU."""
    in_process = Embedder(settings(weights[0]))(crops)
    spawned = Embedder(settings(weights[0], decode_workers=1))(crops)
    np.testing.assert_allclose(spawned, in_process, atol=1e-5)


def test_clear_errors_for_missing_weights_and_unknown_model(tmp_path):
    with pytest.raises(WeightsError, match=rf"{MODEL}.*fetch_models.*embed.weights"):
        Embedder(settings(tmp_path / "nope.safetensors"))
    with pytest.raises(EmbedError, match=r"'embed.model' = 'vit_lrage_patch14"):
        Embedder(EmbedSettings("vit_lrage_patch14_reg4_dinov2.lvd142m"))


def test_a_crop_whose_source_changed_is_embedded_again(weights, crops, tmp_path):
    counted = Counted(weights[0])
    store = tmp_path / "embeddings.parquet"
    ids = [p.stem for p in crops[:3]]
    assert embed_crops(ids, crops[:3], counted.embedder, store, ["a", "b", "c"]) == 3
    again = embed_crops(ids, crops[:3], counted.embedder, store, ["a", "B", "c"])
    assert again == 1, "only the crop cut from a replaced image is embedded again"
    assert counted.seen == 4
