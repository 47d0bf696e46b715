"""YAML files the operator edits → validated pydantic models, with errors a person can act on.

Every config and seed file goes through :func:`load_model`. It keeps the line of every key so
that a pydantic error becomes ``config/watchlists.yaml:12: watchlists[0].categoriez: unknown
key 'categoriez' (did you mean 'categories'?)``. Strings may say ``${VAR}`` or
``${VAR:-default}``; secrets therefore live in the environment, never in the file.
"""

from __future__ import annotations

import difflib
import os
import re
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from crawler.errors import ConfigError

M = TypeVar("M", bound=BaseModel)
Loc = tuple[str | int, ...]

_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def load_model(path: Path, model: type[M], *, context: Mapping[str, Any] | None = None) -> M:
    """Read ``path`` and validate it as ``model``; raise ConfigError naming file, line and key."""
    data, lines = load_yaml(path)
    try:
        return model.model_validate(data, context=dict(context or {}))
    except ValidationError as exc:
        raise ConfigError(describe_errors(path, exc, lines, model, data)) from None


def load_yaml(path: Path) -> tuple[Any, dict[Loc, int]]:
    """Parse one YAML file into plain data plus a map from key path to 1-based line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found; create it or fix the path") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read ({exc}); the file must be UTF-8 text") from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        raise ConfigError(
            f"{where}: YAML syntax error: {exc.problem}; check indentation, colons and quotes"
        ) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: YAML error: {exc}") from None
    lines: dict[Loc, int] = {}
    data = _build(node, (), lines, path) if node is not None else {}
    return data, lines


def _build(node: yaml.Node, loc: Loc, lines: dict[Loc, int], path: Path) -> Any:
    lines.setdefault(loc, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _scalar(key_node)
            if key in out:
                raise ConfigError(
                    f"{path}:{key_node.start_mark.line + 1}: {_dotted((*loc, key))}: "
                    "duplicate key; keep one of them"
                )
            lines[(*loc, key)] = key_node.start_mark.line + 1
            out[key] = _build(value_node, (*loc, key), lines, path)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, (*loc, i), lines, path) for i, item in enumerate(node.value)]
    value = _scalar(node)
    if isinstance(value, str):
        return _expand_env(value, path, node.start_mark.line + 1, loc)
    return value


def _scalar(node: yaml.Node) -> Any:
    return yaml.SafeLoader("").construct_object(node, deep=True)


def _expand_env(value: str, path: Path, line: int, loc: Loc) -> str:
    def replace(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if name in os.environ:
            return os.environ[name]
        if default is not None:
            return default
        raise ConfigError(
            f"{path}:{line}: {_dotted(loc)}: environment variable {name} is not set; "
            f"export it (e.g. in the service's EnvironmentFile) or write ${{{name}:-default}}"
        )

    return _ENV.sub(replace, value)


def describe_errors(
    path: Path,
    exc: ValidationError,
    lines: Mapping[Loc, int],
    model: type[BaseModel],
    data: Any = None,
) -> str:
    """One line per pydantic error: file:line: key.path: what is wrong and what to do."""
    messages = []
    for error in exc.errors(include_url=False):
        loc = _data_loc(tuple(error["loc"]), data)
        line = _line_for(loc, lines)
        where = f"{path}:{line}" if line else str(path)
        messages.append(f"{where}: {_dotted(loc) or '(top level)'}: {_explain(error, model)}")
    return "\n".join(messages)


def _data_loc(loc: Loc, data: Any) -> Loc:
    """The location as the user wrote it: parts pydantic adds (union tags) are dropped."""
    out: list[str | int] = []
    current = data
    for index, part in enumerate(loc):
        found, child = _child(current, part)
        if found:
            current = child
        elif index < len(loc) - 1:
            continue
        out.append(part)
    return tuple(out)


def _child(node: Any, part: str | int) -> tuple[bool, Any]:
    if isinstance(node, dict) and part in node:
        return True, node[part]
    if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
        return True, node[part]
    return False, None


def _line_for(loc: Loc, lines: Mapping[Loc, int]) -> int | None:
    for cut in range(len(loc), -1, -1):
        if loc[:cut] in lines:
            return lines[loc[:cut]]
    return None


def _dotted(loc: Loc) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _explain(error: Any, model: type[BaseModel]) -> str:
    kind, loc = error["type"], tuple(error["loc"])
    if kind == "extra_forbidden":
        known = sorted(_fields_at(model, loc[:-1]) - {"type"})
        guess = difflib.get_close_matches(str(loc[-1]), known, n=1)
        hint = f"did you mean '{guess[0]}'?" if guess else f"allowed keys: {', '.join(known)}"
        return f"unknown key '{loc[-1]}' ({hint})"
    if kind == "missing":
        return "required key is missing; add it"
    message = str(error["msg"])
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    return message


def _fields_at(model: type[BaseModel], loc: Loc) -> set[str]:
    """Best-effort: the field names of the model found by walking ``loc`` through annotations."""
    current: list[Any] = [model]
    for part in loc:
        current = _step(current, part)
        if not current:
            return set()
    return {name for m in _models(current) for name in m.model_fields}


def _step(candidates: list[Any], part: str | int) -> list[Any]:
    models = _models(candidates)
    if isinstance(part, str) and models and not any(part in m.model_fields for m in models):
        tagged = [m for m in models if _has_tag(m, part)]
        if tagged:  # pydantic puts a discriminated union's tag into the location
            return tagged
    out: list[Any] = []
    for candidate in (u for c in candidates for u in _unwrap(c)):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            field = candidate.model_fields.get(str(part))
            if field is not None:
                out.append(field.annotation)
            continue
        origin, args = typing.get_origin(candidate), typing.get_args(candidate)
        if origin in (list, tuple, set, frozenset) and args and isinstance(part, int):
            out.append(args[0])
        elif origin is dict and len(args) == 2:
            out.append(args[1])
    return out


def _models(candidates: list[Any]) -> list[type[BaseModel]]:
    return [
        u
        for c in candidates
        for u in _unwrap(c)
        if isinstance(u, type) and issubclass(u, BaseModel)
    ]


def _has_tag(model: type[BaseModel], tag: str) -> bool:
    return any(
        typing.get_origin(f.annotation) is typing.Literal and tag in typing.get_args(f.annotation)
        for f in model.model_fields.values()
    )


def _unwrap(annotation: Any) -> list[Any]:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return [u for arg in typing.get_args(annotation) for u in _unwrap(arg)]
    return [annotation]
