"""Benchmarks run against real servers: ``.venv/bin/python bench/<name>.py --help``."""
