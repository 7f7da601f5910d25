# Stage 3: animal boxes cut from the full-resolution images, per shard, only from
# images the inventory accepted; crops already cut for an unchanged image and box
# are kept (update()).
rule crop_shard:
    input:
        detections=table(SHARD_DETECTIONS),
        images=result("inventory/shards/{shard}.parquet"),
    output:
        crops=update(table(CROP_BOXES)),
        quarantine=result("crops/shards/{shard}.quarantine.parquet"),
    log:
        result("logs/crop_shard/{shard}.log"),
    conda:
        "../envs/inventory.yaml"
    threads: 2
    params:
        images_root=config["images_root"],
        results=results_folder_of_shard,
        settings=section("crop"),
        detect=section("detect", only=["thresholds"]),
        privacy=section("privacy"),
    script:
        "../scripts/crop_shard.py"
