"""Files in and out: the format tables, structure readers, core sources, edited-core writers, hit tables,
atomic output files and output locks."""
