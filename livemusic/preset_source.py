"""Where a preset's fields are in its YAML file: one parse that keeps the node tree (for line
numbers) and refuses duplicate keys, and errors that name file, line and field as written there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml
from pydantic.alias_generators import to_camel, to_snake

from livemusic.errors import PresetError


def compose(text: str, path: str) -> tuple[yaml.Node | None, Any]:
    """The node tree (for line numbers) and the data, from one parse."""
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return None, None
        check_duplicate_keys(root, path)
        return root, loader.construct_document(root)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        where = f"{path}:{line}" if line else path
        problem = " ".join(part for part in (exc.context, exc.problem) if part)
        column = f" (column {mark.column + 1})" if mark else ""
        raise PresetError(f"{where}: YAML syntax error: {problem}{column}", path=path, line=line) from None
    except yaml.YAMLError as exc:
        raise PresetError(f"{path}: YAML error: {exc}", path=path) from None
    finally:
        loader.dispose()


def check_duplicate_keys(node: yaml.Node, path: str) -> None:
    """Refuse a mapping that repeats a key (YAML would keep the last one silently)."""
    if isinstance(node, yaml.MappingNode):
        seen = set()
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                if key.value in seen:
                    line = key.start_mark.line + 1
                    raise PresetError(f"{path}:{line}: {key.value}: duplicate key", path=path, line=line,
                                      field=key.value)
                seen.add(key.value)
            check_duplicate_keys(value, path)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            check_duplicate_keys(item, path)


@dataclass(frozen=True)
class PresetSource:
    """Where a preset came from: its path and YAML node tree, to find the line of a field."""

    path: str
    root: yaml.Node | None

    def locate(self, loc: tuple[str | int, ...]) -> tuple[int | None, str]:
        """The line of the node at pydantic ``loc`` and the field spelled as in the file."""
        node = self.root
        field = ""
        parts = list(loc)
        while parts:
            part = parts.pop(0)
            found = None
            if isinstance(node, yaml.MappingNode) and isinstance(part, str):
                for key, value in node.value:
                    if isinstance(key, yaml.ScalarNode) and key.value in (part, to_camel(part), to_snake(part)):
                        found, field = value, f"{field}.{key.value}" if field else key.value
                        break
            elif isinstance(node, yaml.MappingNode) and isinstance(part, int) and any(
                    isinstance(key, yaml.ScalarNode) and key.value == str(part) for key, _ in node.value):
                # A mapping keyed by numbers (a midi: section's CC and note numbers).
                found = next(value for key, value in node.value if isinstance(key, yaml.ScalarNode)
                             and key.value == str(part))
                field += f"[{part}]"
            elif isinstance(node, yaml.MappingNode) and isinstance(part, int) and part < len(node.value):
                # A {text: weight} mapping validated as a list of prompts.
                key, value = node.value[part]
                field += f"[{key.value!r}]" if isinstance(key, yaml.ScalarNode) else f"[{part}]"
                found = value
                if parts and parts[0] in ("text", "weight"):
                    found = key if parts.pop(0) == "text" else value
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
                found, field = node.value[part], f"{field}[{part}]"
            if found is None:
                field += f"[{part}]" if isinstance(part, int) else (f".{part}" if field else str(part))
                field += "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts)
                break
            node = found
        line = node.start_mark.line + 1 if node is not None else None
        return line, field


def preset_error(errors: list[tuple[tuple[str | int, ...], str]], source: PresetSource | None) -> PresetError:
    """One :class:`PresetError` for validation ``errors`` (pydantic location, message): a line each,
    naming file, line and field as written in the file; the first one's line and field on the error."""
    lines = []
    first: tuple[int | None, str] | None = None
    path = source.path if source else None
    for loc, message in errors:
        if source is not None:
            line, field = source.locate(loc)
        else:
            line, field = None, dotted(loc)
        first = first or (line, field)
        where = f"{path}:{line}: " if path and line else (f"{path}: " if path else "")
        lines.append(f"{where}{field}: {message}" if field else f"{where}{message}")
    line, field = first or (None, None)
    return PresetError("\n".join(lines), path=path, line=line, field=field)


def dotted(loc: tuple[str | int, ...]) -> str:
    """A pydantic location as a field path (``timeline[2].prompts``)."""
    return "".join(f"[{p}]" if isinstance(p, int) else (f".{p}" if i else str(p)) for i, p in enumerate(loc))
