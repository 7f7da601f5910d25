# Stage 4: embeddings of crops and catalogue (timm), when a model is configured.
# The stores (one per shard) are update() outputs: Snakemake keeps them between runs, so a crop
# already embedded by the same model is not embedded again.
if config["embed"]["model"]:

    # Login node, with internet: `snakemake --cores 1 fetch_models`.
    rule fetch_backbone:
        output:
            str(MODELS_DIR / "backbone.fetched"),
        log:
            result("logs/fetch_backbone.log"),
        localrule: True
        conda:
            "../envs/embed.yaml"
        params:
            model=lookup(dpath="embed/model", within=config),
        script:
            "../scripts/fetch_backbone.py"

    rule embed_shard:
        input:
            crops=table(CROP_BOXES),
        output:
            store=update(result("embed/crops/{shard}.parquet")),
        log:
            result("logs/embed_shard/{shard}.log"),
        benchmark:
            result("benchmarks/embed_shard/{shard}.tsv")
        conda:
            "../envs/embed.yaml"
        threads: 4
        resources:
            gpu=1,
        params:
            results=results_folder_of_shard,
            options=embed_options,
            package=workflow.basedir,
            python=python_command,
        shell:
            "PYTHONPATH={params.package:q} {params.python:q} -m trapline.embed"
            " --crops {input.crops:q} --results {params.results:q}"
            " --out {output.store:q} {params.options} --threads {threads} > {log:q} 2>&1"

    rule embed_catalogue:
        input:
            catalogue=catalogue_source() or [],
        output:
            store=update(result("embed/catalogue.parquet")),
        log:
            result("logs/embed_catalogue.log"),
        conda:
            "../envs/embed.yaml"
        threads: 4
        resources:
            gpu=1,
        params:
            options=embed_options,
            package=workflow.basedir,
            python=python_command,
        shell:
            "PYTHONPATH={params.package:q} {params.python:q} -m trapline.embed"
            " --catalogue {input.catalogue:q}"
            " --out {output.store:q} {params.options} --threads {threads} > {log:q} 2>&1"

    if config["species"]["backend"] == "fewshot":

        rule embed_species_reference:
            input:
                reference=config["species"]["reference"],
            output:
                store=update(result("embed/species_reference.parquet")),
            log:
                result("logs/embed_species_reference.log"),
            conda:
                "../envs/embed.yaml"
            threads: 4
            resources:
                gpu=1,
            params:
                options=embed_options,
                package=workflow.basedir,
                python=python_command,
            shell:
                "PYTHONPATH={params.package:q} {params.python:q} -m trapline.embed"
                " --species-reference {input.reference:q}"
                " --out {output.store:q} {params.options} --threads {threads} > {log:q} 2>&1"


# Everything a run needs from the internet, in one target for a login node.
rule fetch_models:
    input:
        fetch_targets,
    localrule: True
