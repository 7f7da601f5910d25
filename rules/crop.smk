# Stage 3: animal boxes cut from the full-resolution images, per shard; crops
# already cut for an unchanged image and box are kept (update()).
rule crop_shard:
    input:
        detections=result("detect/shards/{shard}.parquet"),
    output:
        crops=update(result("crop/shards/{shard}.parquet")),
        quarantine=result("crop/shards/{shard}.quarantine.parquet"),
    log:
        "logs/crop_shard/{shard}.log",
    conda:
        "../envs/inventory.yaml"
    threads: 2
    params:
        images_root=config["images_root"],
        results=results_folder_of_shard,
        layout=layout_pattern,
        thresholds=lookup(dpath="detect/thresholds", within=config),
        drop_person_images=lookup(dpath="privacy/drop_person_images", within=config),
        min_conf=lookup(dpath="crop/min_conf", within=config),
        padding=lookup(dpath="crop/padding", within=config),
        quality=lookup(dpath="crop/quality", within=config),
    script:
        "../scripts/crop_shard.py"
