"""Spanscope's server side: the collector, storage, query API and the ``spanscope`` CLI."""
