"""Stage 1, the inventory: every file of the season, usable or set aside with a reason.

- ``files``: one walk of ``images_root``; shard manifests.
- ``shards``: the season cut into stable shards (one job each per stage).
- ``layout``: station and camera from the leading folders of a path.
- ``stations``: the stations table (camtrapR CTtable) as deployments.
- ``jpeg``, ``exif``, ``timestamps``: integrity, metadata and time of one file.
- ``probe``: the per-file work of a shard (JPEG check + EXIF), cached.
- ``verdict``: which probed files are usable images, and why the rest are not.
- ``stage``: the rules' entry points.
"""
