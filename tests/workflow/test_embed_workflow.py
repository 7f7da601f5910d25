"""The workflow with an embedding model (a random-weight stand-in), end to end.

The demo and the other workflow tests identify with local features alone; this
one runs the embed rules and the identify rule's embedding path: faiss top-k
candidates per crop and unmatched tracks' neighbours by their embeddings.
"""

from pathlib import Path

import pandas as pd
import pytest
import yaml

from conftest import ROOT, snakemake

pytestmark = pytest.mark.slow

MODEL = "vit_small_patch14_reg4_dinov2.lvd142m"
SIZE = 56


@pytest.fixture(scope="module")
def embedded_run(tmp_path_factory) -> Path:
    from trapline.testing.standins import vit_standin

    workdir = tmp_path_factory.mktemp("embed-workflow")
    weights = vit_standin(workdir / "vit_standin.safetensors", MODEL, SIZE)
    config = yaml.safe_load((ROOT / "tests/config/config.yaml").read_text())
    config["embed"] = {"model": MODEL, "weights": str(weights), "image_size": SIZE}
    path = workdir / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    done = snakemake(workdir, "identify", config=path)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return workdir / ".test/results"


def test_the_embed_rules_use_the_configured_input_size(embedded_run):
    from trapline.embed import load_embeddings

    stores = sorted((embedded_run / "embed/crops").glob("*.parquet"))
    assert stores
    _, vectors, model = load_embeddings(stores)
    assert model.startswith(MODEL) and model.endswith(f"@{SIZE}px")
    _, _, catalogue_model = load_embeddings(embedded_run / "embed/catalogue.parquet")
    assert catalogue_model == model
    assert vectors.shape[1] == 384  # ViT-S


def test_identification_takes_its_candidates_from_the_embedding_search(
    embedded_run,
):
    crops = pd.read_parquet(embedded_run / "crops.parquet")
    lynx = crops[crops["species"] == "Lynx lynx"]
    identities = pd.read_parquet(embedded_run / "identities.parquet")
    assert sorted(identities["crop_id"]) == sorted(lynx["crop_id"])
    candidates = pd.read_parquet(embedded_run / "identify/candidates.parquet")
    assert candidates["global_score"].notna().all()
    # top_k references per crop from faiss, each verified geometrically.
    assert candidates.groupby("crop_id").size().max() <= 5
    log = (embedded_run / "logs/identify.log").read_text()
    assert "crop pairs verified now" in log
    assert "representative pairs verified now" in log or identities["is_new"].sum() < 2
