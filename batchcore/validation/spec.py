"""Pipeline YAML (DESIGN §7) → a frozen `PipelineSpec`, with every problem located.

```yaml
description: Flights fact table after migration
source: legacy            # connection for comparisons (default: the project's source)
target: warehouse         # connection the checks run on (default: the project's target)
threshold: 1.0            # default pass rate a check needs (0..1)
sample_size: 10           # failing rows kept per check (0..1000)
checks:
  - {type: not_null, table: flights, columns: [year, month]}
```
`parse_pipeline(doc, ...)` collects ALL problems (unknown keys, bad values, unknown check
types listing the known ones, unknown connections) as `LintProblem`s with `file:line`, the
check's position and type, and the field; `load_pipeline` raises one ConfigError listing them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, SerializeAsAny, StrictStr, ValidationError

from batchcore.errors import ConfigError
from batchcore.textutil import ELLIPSIS, clip
from batchcore.validation.anomaly import AnomalySpec
from batchcore.validation.checks import CHECK_TYPES, COMPARISON_TYPES, known_types
from batchcore.validation.checks.base import CheckSpec
from batchcore.validation.sqlguard import SqlRefused, safe_query, safe_where
from batchcore.workspace import PipelineRef, Workspace
from batchcore.yamlfile import YamlDoc, load_yaml

MAX_LISTED_PROBLEMS = 10  # problems listed in load_pipeline's error message
MAX_PROBLEM = 300  # characters of one listed problem

PIPELINE_KEYS = (
    "description",
    "source",
    "target",
    "threshold",
    "sample_size",
    "checks",
    "name",
    "owner",
    "tags",
)


@dataclass(frozen=True)
class LintProblem:
    """One problem in a pipeline file. `check_index` is 1-based (as people count), or None;
    `check_name` is the check's `name:` when it has one."""

    file: str
    line: int | None
    check_index: int | None
    check_type: str | None
    field: str | None
    message: str
    check_name: str | None = None

    def __str__(self) -> str:
        loc = f"{self.file}:{self.line}" if self.line else self.file
        parts = [loc]
        if self.check_index is not None:
            parts.append(f"check {self.check_index} ({self.check_type or '?'})")
        if self.field:
            parts.append(self.field)
        return ": ".join([*parts, self.message])


class PipelineSpec(BaseModel):
    """A parsed pipeline: settings plus its checks (each a frozen check model). No I/O."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    project_id: str | None = None
    pipeline_id: str
    path: str | None = None
    name: StrictStr | None = None
    description: StrictStr = ""
    owner: StrictStr | None = None
    tags: list[StrictStr] = []
    source: StrictStr | None = None
    target: StrictStr | None = None
    threshold: Annotated[float, Field(ge=0, le=1)] = 1.0
    sample_size: Annotated[int, Field(ge=0, le=1000)] = 10
    checks: tuple[SerializeAsAny[CheckSpec], ...] = ()
    check_lines: tuple[int | None, ...] = ()

    def with_overrides(self, overrides: dict[str, Any] | None) -> PipelineSpec:
        """Apply a job's `config_override` (threshold, sample_size, source, target). Raises
        ConfigError naming the key for an unknown key or a bad value."""
        if not overrides:
            return self
        allowed = {"threshold", "sample_size", "source", "target"}
        unknown = sorted(set(overrides) - allowed)
        if unknown:
            raise ConfigError(
                f"config_override: unknown key(s) {unknown}; known: {sorted(allowed)}",
                field="config_override",
                value=unknown,
            )
        data = self.model_dump()
        data["checks"] = self.checks
        data.update({k: v for k, v in overrides.items() if v is not None})
        try:
            return PipelineSpec.model_validate(data)
        except ValidationError as exc:
            err = exc.errors()[0]
            raise ConfigError(
                f"config_override.{err['loc'][0]}: {err['msg']}",
                field=f"config_override.{err['loc'][0]}",
                value=err.get("input"),
            ) from None


_YAML_KINDS = {list: "list", str: "string", int: "number", float: "number", bool: "boolean"}


def _fmt_loc(loc: tuple) -> str:
    return ".".join(str(p) for p in loc)


def _check_problems(doc: YamlDoc, i: int, item: Any) -> tuple[CheckSpec | None, list[LintProblem]]:
    f = str(doc.path)
    base = ("checks", i)
    if not isinstance(item, dict):
        return None, [
            LintProblem(
                f,
                doc.line(base),
                i + 1,
                None,
                None,
                "a check must be a mapping with 'type' and its keys",
            )
        ]
    ctype = item.get("type")
    if ctype not in CHECK_TYPES:
        msg = "missing 'type'" if ctype is None else f"unknown check type {ctype!r}"
        return None, [
            LintProblem(
                f,
                doc.line((*base, "type")),
                i + 1,
                str(ctype) if ctype else None,
                "type",
                f"{msg}; known types: {', '.join(known_types())}",
            )
        ]
    model = CHECK_TYPES[ctype][0]
    try:
        return model.model_validate(item), []
    except ValidationError as exc:
        out = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            if err["type"] == "extra_forbidden":
                known = sorted(model.model_fields)
                msg = f"unknown key; {ctype} accepts: {', '.join(known)}"
            else:
                msg = err["msg"].removeprefix("Value error, ")
                if (
                    "input" in err
                    and err["type"] not in ("missing",)
                    and not isinstance(err["input"], dict)
                ):
                    msg += f" (got {err['input']!r})"
            # union members add their type name to the location: keep the YAML part only
            yaml_loc = tuple(
                p
                for p in loc
                if isinstance(p, int)
                or p in item
                or (isinstance(p, str) and p.isidentifier() and p in model.model_fields)
                or (isinstance(item.get(loc[0]), dict) and p in item[loc[0]])  # anomaly.window
            )
            if err["type"] == "extra_forbidden" and yaml_loc[:1] == ("anomaly",):
                msg = f"unknown key; anomaly accepts: {', '.join(sorted(AnomalySpec.model_fields))}"
            out.append(
                LintProblem(
                    f, doc.line((*base, *yaml_loc)), i + 1, ctype, _fmt_loc(yaml_loc) or None, msg
                )
            )
        return None, out


def _sql_gate_problems(
    doc: YamlDoc, i: int, spec: CheckSpec, settings: dict[str, Any], workspace: Workspace | None
) -> list[LintProblem]:
    """The check's `where` (on the target, and the source for comparisons) and a `sql` check's
    `query` (on the target), through the SQL gate for each connection's dialect. A connection
    the workspace lacks is reported elsewhere; without a workspace the gate runs when the
    pipeline runs."""
    if workspace is None:
        return []
    sides = ["target", "source"] if spec.type in COMPARISON_TYPES else ["target"]
    fields: list[tuple[str, str, Any]] = []
    if spec.where is not None:
        fields += [("where", side, safe_where) for side in sides]
    if getattr(spec, "query", None) is not None and spec.type == "sql":
        fields.append(("query", "target", safe_query))
    out: list[LintProblem] = []
    seen: set[tuple[str, str]] = set()
    for field, side, gate in fields:
        conn = workspace.connections.get(settings.get(side) or "")
        if conn is None or (field, conn.name) in seen:
            continue
        seen.add((field, conn.name))
        try:
            gate(getattr(spec, field), conn.type)
        except SqlRefused as exc:
            out.append(
                LintProblem(
                    str(doc.path),
                    doc.line(("checks", i, field)),
                    i + 1,
                    spec.type,
                    field,
                    f"refused for {side} connection {conn.name} ({conn.type}): {exc}",
                )
            )
    return out


def _key_problem(doc: YamlDoc, key: Any, message: str) -> LintProblem:
    """A problem of the pipeline's top-level `key`, at its line."""
    return LintProblem(str(doc.path), doc.line((key,)), None, None, str(key), message)


def parse_pipeline(
    doc: YamlDoc, workspace: Workspace | None, *, project_id: str | None, pipeline_id: str
) -> tuple[PipelineSpec | None, list[LintProblem]]:
    """Parse a pipeline document; answers the spec (None if any problem) and every problem."""
    f = str(doc.path)
    data = doc.data
    problems: list[LintProblem] = []
    if not isinstance(data, dict):
        got = "an empty file" if data is None else f"a {_YAML_KINDS.get(type(data), 'value')}"
        return None, [
            LintProblem(
                f,
                doc.line(),
                None,
                None,
                None,
                f"a pipeline file must be a mapping with 'checks' (got {got})",
            )
        ]
    for key in data:
        if key not in PIPELINE_KEYS:
            msg = f"unknown key; a pipeline accepts: {', '.join(PIPELINE_KEYS)}"
            problems.append(_key_problem(doc, key, msg))
    project = workspace.projects.get(project_id) if workspace and project_id else None
    settings: dict[str, Any] = {k: data[k] for k in PIPELINE_KEYS if k in data and k != "checks"}
    for key in ("source", "target"):
        if settings.get(key) is None and project is not None and getattr(project, key):
            settings[key] = getattr(project, key)
        name = settings.get(key)
        if name is not None and workspace is not None and name not in workspace.connections:
            known = ", ".join(sorted(workspace.connections))
            msg = f"connection {name!r} is not in connections.yaml (known: {known})"
            problems.append(_key_problem(doc, key, msg))
    checks_raw = data.get("checks")
    specs: list[CheckSpec] = []
    lines: list[int | None] = []
    if not isinstance(checks_raw, list) or not checks_raw:
        problems.append(_key_problem(doc, "checks", "give a non-empty list of checks"))
    else:
        for i, item in enumerate(checks_raw):
            spec, errs = _check_problems(doc, i, item)
            problems += errs
            if spec is not None:
                problems += _sql_gate_problems(doc, i, spec, settings, workspace)
                specs.append(spec)
                lines.append(doc.line(("checks", i)))
                if spec.type in COMPARISON_TYPES and not settings.get("source"):
                    problems.append(
                        LintProblem(
                            f,
                            doc.line(("checks", i, "type")),
                            i + 1,
                            spec.type,
                            "source",
                            "a comparison check needs a source connection: set 'source' in the pipeline or project.yaml",
                        )
                    )
    if not settings.get("target"):
        problems.append(
            LintProblem(
                f,
                doc.line(),
                None,
                None,
                "target",
                "no target connection: set 'target' in the pipeline or in project.yaml",
            )
        )
    try:
        spec = PipelineSpec.model_validate(
            {
                **settings,
                "project_id": project_id,
                "pipeline_id": pipeline_id,
                "path": f,
                "checks": tuple(specs),
                "check_lines": tuple(lines),
            }
        )
    except ValidationError as exc:
        for err in exc.errors():
            msg = f"{err['msg']} (got {err.get('input')!r})"
            problems.append(_key_problem(doc, err["loc"][0], msg))
        return None, with_check_names(problems, checks_raw)
    return (None if problems else spec), with_check_names(problems, checks_raw)


def with_check_names(problems: list[LintProblem], checks_raw: Any) -> list[LintProblem]:
    """Fill `check_name` from each check's `name:` in the raw YAML list."""
    if not isinstance(checks_raw, list):
        return problems
    out = []
    for pr in problems:
        item = (
            checks_raw[pr.check_index - 1]
            if pr.check_index and pr.check_index <= len(checks_raw)
            else None
        )
        name = item.get("name") if isinstance(item, dict) else None
        out.append(replace(pr, check_name=str(name)) if name is not None else pr)
    return out


def ref_for_path(path: Path, workspace: Workspace | None) -> tuple[str | None, str]:
    """(project_id, pipeline_id) of a YAML file: the project when it lies in
    `<workspace>/projects/<project>/pipelines/`, the pipeline id from the file name."""
    path = Path(path).resolve()
    if (
        workspace is not None
        and path.parent.name == "pipelines"
        and path.parent.parent.parent == (workspace.root / "projects")
    ):
        return path.parent.parent.name, path.stem
    return None, path.stem


def load_pipeline(
    ref_or_path: PipelineRef | Path | str, workspace: Workspace | None
) -> PipelineSpec:
    """Load and validate a pipeline: a PipelineRef, a YAML file path, or a pipeline id
    (`project/pipeline` or a unique id). Raises ConfigError naming every problem, NotFound for
    an unknown id. The message lists at most MAX_LISTED_PROBLEMS problems (each clipped to
    MAX_PROBLEM characters); its `problems` extra holds them all."""
    if isinstance(ref_or_path, PipelineRef):
        path, project_id, pipeline_id = (
            ref_or_path.path,
            ref_or_path.project_id,
            ref_or_path.pipeline_id,
        )
    else:
        text = str(ref_or_path)
        p = Path(text)
        if p.suffix in (".yaml", ".yml") or p.exists():
            path = p
            project_id, pipeline_id = ref_for_path(p, workspace)
        elif workspace is not None:
            project, _, pid = text.rpartition("/")
            ref = workspace.resolve_pipeline(pid, project or None)
            path, project_id, pipeline_id = ref.path, ref.project_id, ref.pipeline_id
        else:
            raise ConfigError(f"pipeline file {text} not found", field="pipeline", value=text)
    doc = load_yaml(path)
    spec, problems = parse_pipeline(doc, workspace, project_id=project_id, pipeline_id=pipeline_id)
    if problems:
        shown = [clip(str(p), MAX_PROBLEM) for p in problems[:MAX_LISTED_PROBLEMS]]
        rest = len(problems) - len(shown)
        if rest:
            shown.append(
                f"{ELLIPSIS} and {rest} more: `python -m batchcore lint {path}` lists them all"
            )
        listing = "\n".join(shown)
        raise ConfigError(
            f"{len(problems)} problem(s) in {path}:\n{listing}",
            field="pipeline",
            value=str(path),
            problems=[str(p) for p in problems],
        )
    return spec
