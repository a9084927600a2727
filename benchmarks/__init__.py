"""Benchmarks of the course: run from the repository, `.venv/bin/python -m benchmarks.<name>`."""
