# Local time in R from trapline's Parquet tables, with either Parquet reader.
# Parquet stores a timestamp as an instant; its time zone lives only in the
# Arrow schema, which arrow::read_parquet restores and nanoparquet ignores (it
# shows every timestamp in UTC). The instant is right either way: one line sets
# the zone it is shown in. Run from the repository root after the demo:
#   Rscript examples/local_time.R results/demo Etc/GMT-1
# (the second argument is the config's `timezone`). Needs nanoparquet (or arrow).
args <- commandArgs(trailingOnly = TRUE)
results <- if (length(args) > 0) args[1] else "results/demo"
tz <- if (length(args) > 1) args[2] else "Etc/GMT-1"
read_parquet <- if (requireNamespace("arrow", quietly = TRUE)) {
  function(f) as.data.frame(arrow::read_parquet(f))
} else {
  function(f) as.data.frame(nanoparquet::read_parquet(f))
}

# Every timestamp column shown in the season's zone (the instants do not change).
local_time <- function(df, tz) {
  for (n in names(df)) if (inherits(df[[n]], "POSIXct")) attr(df[[n]], "tzone") <- tz
  df
}

caps <- local_time(read_parquet(file.path(results, "capture/captures.parquet")), tz)
# The text columns hold the same local time as camtrapR writes it, for any reader:
# DateTimeLocal in the capture tables, datetime_local in images.parquet.
stopifnot(identical(format(caps$DateTimeOriginal, "%Y-%m-%d %H:%M:%S"), caps$DateTimeLocal))
print(head(caps[, c("Station", "Individual", "DateTimeOriginal", "DateTimeLocal")]))

images_file <- file.path(results, "images.parquet")
if (file.exists(images_file)) {
  images <- local_time(read_parquet(images_file), tz)
  stopifnot(identical(format(images$datetime, "%Y-%m-%d %H:%M:%S"), images$datetime_local))
}
