"""Definition-time argument checks shared by the factories; each error names the argument and the fix."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dagster import RetryPolicy

from . import errors
from .name_rules import VALID_GROUP_NAME, VALID_NAME
from .resource import SQLMeshResource

RESERVED_OP_TAG_PREFIX = "sqlmesh_pipes/"


def type_error(function: str, argument: str, expected: str, value: Any) -> errors.SQLMeshPipesDefinitionError:
    return errors.SQLMeshPipesDefinitionError(
        errors.BAD_ARGUMENT_TYPE.format(
            function=function,
            argument=argument,
            expected=expected,
            value=value,
            type_name=type(value).__name__,
        )
    )


def validate_name(what: str, value: Any) -> None:
    if not isinstance(value, str) or not VALID_NAME.match(value):
        raise errors.SQLMeshPipesDefinitionError(errors.INVALID_NAME.format(what=what, value=value))


def validate_factory_args(
    function: str,
    *,
    sqlmesh_resource: Any,
    name: Any,
    group_name: Any,
    op_tags: Any,
    retry_policy: Any,
) -> None:
    if not isinstance(sqlmesh_resource, SQLMeshResource):
        raise type_error(function, "sqlmesh_resource", "a SQLMeshResource", sqlmesh_resource)
    validate_name("name", name)
    if group_name is not None and (not isinstance(group_name, str) or not VALID_GROUP_NAME.match(group_name)):
        raise errors.SQLMeshPipesDefinitionError(errors.INVALID_FACTORY_GROUP_NAME.format(value=group_name))
    if op_tags is not None:
        if not isinstance(op_tags, Mapping):
            raise type_error(function, "op_tags", "a mapping of tag names to values", op_tags)
        for tag in op_tags:
            if not isinstance(tag, str):
                raise type_error(function, "op_tags key", "a string", tag)
            if tag.startswith(RESERVED_OP_TAG_PREFIX):
                raise errors.SQLMeshPipesDefinitionError(
                    errors.RESERVED_OP_TAG.format(function=function, tag=tag)
                )
    if retry_policy is not None and not isinstance(retry_policy, RetryPolicy):
        raise type_error(function, "retry_policy", "a dagster.RetryPolicy", retry_policy)
