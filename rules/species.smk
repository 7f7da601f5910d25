# Stage 4b: a species label for every animal box; counts; the target filter's input.
rule species:
    input:
        unpack(species_inputs),
    output:
        detections=table(DETECTIONS),
        json=result("detections.json"),
        crops=table(CROPS),
        counts=table(SPECIES_COUNTS),
    log:
        result("logs/species.log"),
    conda:
        "../envs/species.yaml"
    params:
        settings=section("species"),
        target_species=lookup(dpath="target_species", within=config),
        images_root=config["images_root"],
    script:
        "../scripts/species.py"


if config["species"]["backend"] == "speciesnet":

    # Login node, with internet: `snakemake --cores 1 fetch_models`.
    rule fetch_speciesnet:
        output:
            str(MODELS_DIR / "speciesnet.fetched"),
        log:
            result("logs/fetch_speciesnet.log"),
        localrule: True
        conda:
            "../envs/species.yaml"
        params:
            model=lookup(dpath="species/speciesnet/model", within=config),
        script:
            "../scripts/fetch_speciesnet.py"
