"""HTTP routes of the collector: OTLP ingest and the read API."""
