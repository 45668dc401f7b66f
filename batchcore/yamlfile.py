"""Read YAML files keeping the line of every key and list item, for `file:line` errors.

`load_yaml(path)` returns a `YamlDoc` whose `.data` is the plain Python value (SafeLoader
semantics) and whose `.line(path_tuple)` gives the 1-based line of a key or item, e.g.
`doc.line(("checks", 2, "column"))`. A syntax error raises ConfigError at its line (location
`file:line`, the line number also in `exc.extra["line"]`).

Limits (a workspace file is read by the server, so a hostile or broken one must not exhaust it):
a file larger than MAX_YAML_BYTES is refused before it is read; aliases (`*name`) may add at most
MAX_ALIAS_NODES nodes to the document beyond those written out (a "billion laughs" file of 1 KB
expands to 10^9 nodes: refused after composing, before anything is built); an alias used inside
its own anchor (a cycle) and nesting deeper than MAX_DEPTH are refused too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from batchcore.errors import ConfigError

MAX_YAML_BYTES = 1_000_000  # a workspace YAML file (pipeline, project, connections)
MAX_ALIAS_NODES = 10_000  # nodes aliases may add beyond the nodes written in the file
MAX_DEPTH = 200  # nesting of mappings and lists


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


def _too_big(path: Path, size: int) -> ConfigError:
    return ConfigError(
        f"the file is {size:,} bytes; workspace YAML files are limited to {MAX_YAML_BYTES:,} bytes",
        location=str(path),
        field="size",
        value=size,
    )


def _check_expansion(root: yaml.Node, path: Path) -> None:
    """Refuse a document whose aliases expand beyond MAX_ALIAS_NODES extra nodes, an alias
    cycle, or nesting deeper than MAX_DEPTH. Counts without expanding (each node once)."""
    size: dict[int, int] = {}  # id(node) -> nodes in its expansion (itself included)
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 1, False)]
    while stack:
        node, depth, children_done = stack.pop()
        key = id(node)
        if children_done:
            on_path.discard(key)
            size[key] = 1 + sum(size[id(c)] for c in _children(node))
            continue
        if key in size:
            continue
        if key in on_path:
            raise ConfigError(
                "an alias is used inside its own anchor (a recursive document)",
                location=f"{path}:{node.start_mark.line + 1}",
                line=node.start_mark.line + 1,
            )
        if depth > MAX_DEPTH:
            raise ConfigError(
                f"mappings and lists nest deeper than {MAX_DEPTH} levels",
                location=f"{path}:{node.start_mark.line + 1}",
                line=node.start_mark.line + 1,
            )
        on_path.add(key)
        stack.append((node, depth, True))
        for child in _children(node):
            if id(child) in on_path:
                raise ConfigError(
                    "an alias is used inside its own anchor (a recursive document)",
                    location=f"{path}:{child.start_mark.line + 1}",
                    line=child.start_mark.line + 1,
                )
            if id(child) not in size:
                stack.append((child, depth + 1, False))
    expanded, written = size[id(root)], len(size)
    if expanded - written > MAX_ALIAS_NODES:
        raise ConfigError(
            f"aliases (*name) expand this document to {expanded:,} nodes from {written:,} written; "
            f"at most {MAX_ALIAS_NODES:,} nodes may come from aliases",
            location=str(path),
            field="aliases",
            value=expanded,
        )


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def parse_yaml(text: str, path: Path | str) -> YamlDoc:
    """Parse `text` (named `path` in messages). Raises ConfigError on a syntax error, with
    `extra["line"]` = its 1-based line, and for a text over the limits in the module doc."""
    path = Path(path)
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_YAML_BYTES:
        raise _too_big(path, size)
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return YamlDoc(path, None, {})
        _check_expansion(node, path)
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
    except RecursionError:  # the composer recurses per nesting level
        raise ConfigError(
            f"mappings and lists nest deeper than {MAX_DEPTH} levels", location=str(path)
        ) from None
    finally:
        loader.dispose()
    return YamlDoc(path, data, lines)


def load_yaml(path: Path | str) -> YamlDoc:
    """Read and parse a YAML file. Raises ConfigError when it is missing, malformed, larger than
    MAX_YAML_BYTES or expands beyond the alias limit."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_YAML_BYTES:
            raise _too_big(path, size)
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("file not found", location=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read file: {exc}", location=str(path)) from None
    return parse_yaml(text, path)
