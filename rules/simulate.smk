# The simulated season (demo and tests): images, stations table, truth, catalogue.
# The image folder is written beside the truth tables but not declared as a
# directory() output: Snakemake would drop a marker file into it, and that file
# would then be part of the season. (The catalogue reader ignores such a file.)
if "simulate" in config:

    rule simulate_season:
        output:
            stations=config["stations"],
            files=simulated("truth/files.parquet"),
            detections=simulated("truth/detections.parquet"),
            individuals=simulated("truth/individuals.parquet"),
            megadetector=simulated("truth/megadetector.json"),
            settings=simulated("truth/settings.json"),
            catalogue=directory(simulated("catalogue")),
        log:
            result("logs/simulate_season.log"),
        conda:
            "../envs/simulate.yaml"
        threads: 2
        params:
            season=season_folder,
            settings=section("simulate"),
        script:
            "../scripts/simulate_season.py"
