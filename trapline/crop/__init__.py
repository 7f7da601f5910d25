"""Stage 3, crops: animal boxes cut from the full-resolution images, per shard.

- ``cut``: one image's boxes to crop files (EXIF orientation applied).
- ``stage``: the crop_shard rule: a shard's crops, reusing those already cut.
"""
