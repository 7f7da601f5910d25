"""Embeddings of crops and catalogue images: one L2-normalised vector per image.

Identification compares animals by the cosine similarity of these vectors, so
crops and the catalogue must be embedded by the same backbone, preprocessed the
same way. Every store therefore carries the id of the model that wrote it, and a
store written by another model is embedded afresh rather than compared.

The backbone is any timm model, by name (config ``embed.model``): the default is
DINOv2 ``vit_large_patch14_reg4_dinov2.lvd142m``; MegaDescriptor is
``hf-hub:BVRA/MegaDescriptor-L-384``. Images are letterboxed whole into the
model's input (see :func:`~trapline.embed.images.letterbox`) and never flipped:
left and right flanks carry different patterns.

Modules: ``backbone`` (finding, hashing and running the model), ``images``
(decoding and preprocessing), ``store`` (the cached Parquet stores),
``stage`` (the rules' entry point), ``__main__`` (``python -m trapline.embed``).
"""

from trapline.embed.backbone import Embedder, EmbedSettings, fetch_backbone
from trapline.embed.images import Box, EmbedError, ImageRef
from trapline.embed.stage import embed_stage
from trapline.embed.store import embed_crops, load_embeddings, store_embeddings

__all__ = [
    "Box",
    "EmbedError",
    "EmbedSettings",
    "Embedder",
    "ImageRef",
    "embed_crops",
    "embed_stage",
    "fetch_backbone",
    "load_embeddings",
    "store_embeddings",
]
