"""Read YAML files keeping the line of every key and list item, for `file:line` errors.

`load_yaml(path)` returns a `YamlDoc` whose `.data` is the plain Python value (SafeLoader
semantics) and whose `.line(path_tuple)` gives the 1-based line of a key or item, e.g.
`doc.line(("checks", 2, "column"))`. A syntax error raises ConfigError at its line (location
`file:line`, the line number also in `exc.extra["line"]`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from batchcore.errors import ConfigError


@dataclass
class YamlDoc:
    """Parsed YAML with line numbers. `lines` maps key paths to 1-based line numbers."""

    path: Path
    data: Any
    lines: dict[tuple, int] = field(default_factory=dict)

    def line(self, key_path: tuple = ()) -> int | None:
        """Line of the deepest known prefix of `key_path` (None for an empty document)."""
        p = tuple(key_path)
        while p:
            if p in self.lines:
                return self.lines[p]
            p = p[:-1]
        return self.lines.get(())

    def location(self, key_path: tuple = ()) -> str:
        """`file:line` for `key_path` (just the file name when the line is unknown)."""
        ln = self.line(key_path)
        return f"{self.path}:{ln}" if ln else str(self.path)


def _walk(node: yaml.Node, loader: yaml.SafeLoader, prefix: tuple, lines: dict[tuple, int]) -> None:
    if isinstance(node, yaml.MappingNode):
        for k_node, v_node in node.value:
            key = loader.construct_object(k_node, deep=True)
            try:
                hash(key)
            except TypeError:
                continue
            lines[(*prefix, key)] = k_node.start_mark.line + 1
            _walk(v_node, loader, (*prefix, key), lines)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            lines[(*prefix, i)] = item.start_mark.line + 1
            _walk(item, loader, (*prefix, i), lines)


def parse_yaml(text: str, path: Path | str) -> YamlDoc:
    """Parse `text` (named `path` in messages). Raises ConfigError on a syntax error, with
    `extra["line"]` = its 1-based line."""
    path = Path(path)
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return YamlDoc(path, None, {})
        data = loader.construct_document(node)
        lines: dict[tuple, int] = {(): node.start_mark.line + 1}
        _walk(node, loader, (), lines)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise ConfigError(
            f"YAML syntax error: {exc.problem or exc}",
            location=f"{path}:{line}" if line else str(path),
            line=line,
        ) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"YAML error: {exc}", location=str(path)) from None
    finally:
        loader.dispose()
    return YamlDoc(path, data, lines)


def load_yaml(path: Path | str) -> YamlDoc:
    """Read and parse a YAML file. Raises ConfigError when it is missing or malformed."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("file not found", location=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read file: {exc}", location=str(path)) from None
    return parse_yaml(text, path)
