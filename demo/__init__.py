"""The demo: a simulated support assistant, traced only through the public SDK."""
