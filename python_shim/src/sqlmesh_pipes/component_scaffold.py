"""``dg scaffold defs sqlmesh_pipes.SQLMeshProjectComponent <name> --project-path <folder>``.

Writes ``defs.yaml`` with ``project`` pointing at the SQLMesh project: ``{{ context.project_root
}}/<path>`` when the project is inside the dg project, else a path relative to the new defs.yaml
folder. ``--project-path`` may be repeated (a multi-repo SQLMesh project) and is relative to the
directory ``dg`` runs in. With ``--format python`` it writes a ``component.py`` that builds the
component (Dagster's default there is a stub that returns nothing).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click
from dagster.components import Scaffolder, ScaffoldRequest, scaffold_component
from pydantic import BaseModel, Field, field_validator

PLACEHOLDER_PROJECT = "{{ context.project_root }}/sqlmesh_project"
"""Written when no ``--project-path`` is given: edit it to point at the SQLMesh project."""

NOT_A_PROJECT = (
    "--project-path {path} is not a directory: give the SQLMesh project folder (with config.yaml or "
    "config.py), relative to where you run dg."
)


class SQLMeshScaffoldParams(BaseModel):
    project_path: list[str] | None = Field(
        default=None,
        description="SQLMesh project folder, relative to the current directory (repeat for several).",
    )
    gateway: str | None = Field(default=None, description="SQLMesh gateway to write into defs.yaml.")
    environment: str | None = Field(default=None, description="SQLMesh environment to write into defs.yaml.")
    enable_schedule: bool | None = Field(
        default=None, description="Write `enable_schedule` (the component's default is true)."
    )

    @field_validator("project_path", mode="before")
    @classmethod
    def _one_path_is_a_list(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


def _project_reference(path: Path, request: ScaffoldRequest[Any]) -> tuple[str, str]:
    """How defs.yaml and component.py refer to the SQLMesh project folder ``path``."""
    root = request.project_root.resolve() if request.project_root else None
    if root is not None and path.is_relative_to(root):
        relative = path.relative_to(root).as_posix()
        if relative == ".":
            return "{{ context.project_root }}", "str(context.project_root)"
        return "{{ context.project_root }}/" + relative, f"str(context.project_root / {relative!r})"
    target = request.target_path.resolve()
    if os.path.commonpath([path, target]) == path.anchor:  # nothing in common but the root
        return path.as_posix(), repr(path.as_posix())
    relative = Path(os.path.relpath(path, target)).as_posix()
    return relative, f"str((Path(__file__).parent / {relative!r}).resolve())"


def _write_component_py(request: ScaffoldRequest[Any], projects: list[str], options: dict[str, Any]) -> None:
    """``--format python``: a component.py that builds the component (Dagster's default is a stub)."""
    module, name = request.type_name.rsplit(".", 1)
    project = (
        projects[0]
        if len(projects) == 1
        else "[\n" + "".join(f"            {p},\n" for p in projects) + "        ]"
    )
    arguments = [f"project={project}", *(f"{key}={value!r}" for key, value in options.items())]
    body = "".join(f"        {argument},\n" for argument in arguments)
    needs_path = any("Path(__file__)" in p for p in projects)
    (request.target_path / "component.py").write_text(
        ("from pathlib import Path\n\n" if needs_path else "")
        + "import dagster as dg\n"
        + f"from {module} import {name}\n\n\n"
        + "@dg.component_instance\n"
        + f"def load(context: dg.ComponentLoadContext) -> {name}:\n"
        + f"    return {name}(\n{body}    )\n",
        encoding="utf-8",
    )


class SQLMeshProjectComponentScaffolder(Scaffolder[SQLMeshScaffoldParams]):
    @classmethod
    def get_scaffold_params(cls) -> type[SQLMeshScaffoldParams]:
        return SQLMeshScaffoldParams

    def scaffold(self, request: ScaffoldRequest[SQLMeshScaffoldParams]) -> None:
        params = request.params
        references: list[tuple[str, str]] = []
        for raw in params.project_path or []:
            path = Path(raw).expanduser().resolve()
            if not path.is_dir():
                # dg made the (empty) target folder already; remove it so the command can be re-run.
                if request.target_path.is_dir() and not any(request.target_path.iterdir()):
                    request.target_path.rmdir()
                raise click.ClickException(NOT_A_PROJECT.format(path=raw))
            if not any((path / name).is_file() for name in ("config.yaml", "config.yml", "config.py")):
                click.echo(f"Note: {path} has no config.yaml or config.py yet (is it the SQLMesh project?).")
            references.append(_project_reference(path, request))
        if not references:
            references.append((PLACEHOLDER_PROJECT, "str(context.project_root / 'sqlmesh_project')"))
            click.echo(
                f"No --project-path given: the component points at {PLACEHOLDER_PROJECT}; edit `project` "
                "to your SQLMesh project folder."
            )
        options = {
            key: getattr(params, key)
            for key in ("gateway", "environment", "enable_schedule")
            if getattr(params, key) is not None
        }
        if request.scaffold_format == "python":
            _write_component_py(request, [python for _, python in references], options)
            return
        yaml_refs = [yaml_ref for yaml_ref, _ in references]
        attributes: dict[str, Any] = {
            "project": yaml_refs[0] if len(yaml_refs) == 1 else yaml_refs,
            **options,
        }
        scaffold_component(request, attributes)
