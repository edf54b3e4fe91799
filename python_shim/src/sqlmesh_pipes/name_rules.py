"""Name rules Dagster enforces and the owner rule, shared by translator, specs, factories, resource."""

from __future__ import annotations

import re

VALID_NAME = re.compile(r"^[A-Za-z0-9_]+$")
"""Dagster's rule for op, job and check names (also what we accept as a SQLMesh environment name)."""
VALID_GROUP_NAME = re.compile(r"^[A-Za-z0-9_]+(/[A-Za-z0-9_]+)*$")
EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Z|a-z]{2,7}\b")
"""Dagster takes an owner that is an email address or ``team:<name>``."""
