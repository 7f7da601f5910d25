# Stage 1: the stations table read once; per shard JPEG checks + EXIF (cached per
# file) and the verdict (deployment, clock, window), so only accepted images reach
# the detector; then the shards' verdicts as one table, and the season's books.
# Used only while the season does not exist yet when the DAG is built (a
# simulated season's first run); afterwards the plan is made with the DAG.
# Defined always: a cluster job parses the workflow again, after the season
# exists, and must still know the rule it was submitted for.
checkpoint inventory_plan:
    input:
        unpack(season_inputs),
    output:
        result("shards/plan.txt"),
    log:
        result("logs/inventory_plan.log"),
    conda:
        "../envs/inventory.yaml"
    params:
        images_root=config["images_root"],
        layout=layout_pattern,
        settings=section("shards"),
    script:
        "../scripts/inventory_plan.py"


rule deployments:
    input:
        stations=stations_table,
    output:
        table(DEPLOYMENTS),
    log:
        result("logs/deployments.log"),
    conda:
        "../envs/inventory.yaml"
    params:
        settings=season_settings(),
    script:
        "../scripts/deployments.py"


rule inventory_shard:
    input:
        manifest=shard_manifest,
        deployments=table(DEPLOYMENTS),
    output:
        probes=update(result("inventory/probes/{shard}.parquet")),
        images=result("inventory/shards/{shard}.parquet"),
        quarantine=result("inventory/shards/{shard}.quarantine.parquet"),
    log:
        result("logs/inventory_shard/{shard}.log"),
    conda:
        "../envs/inventory.yaml"
    threads: 2
    params:
        settings=season_settings(),
    script:
        "../scripts/inventory_shard.py"


rule inventory:
    input:
        unpack(inventory_inputs),
    output:
        images=table(INVENTORY),
        quarantine=result("inventory/quarantine.parquet"),
    log:
        result("logs/inventory.log"),
    benchmark:
        result("benchmarks/inventory.tsv")
    conda:
        "../envs/inventory.yaml"
    params:
        settings=season_settings(),
    script:
        "../scripts/inventory.py"


# Every file in exactly one of images.parquet and quarantine.parquet.
rule account_images:
    input:
        inventory=table(INVENTORY),
        summary=table(IMAGE_SUMMARY),
        quarantines=stage_quarantines,
    output:
        images=table(IMAGES),
        quarantine=table(QUARANTINE),
    log:
        result("logs/account_images.log"),
    conda:
        "../envs/inventory.yaml"
    script:
        "../scripts/account_images.py"
