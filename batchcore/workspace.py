"""Workspace loading (DESIGN §6): named connections, projects and their pipelines.

```
workspace/
  connections.yaml                      # connections: {name: {type, path | url, ...}}
  projects/<project_id>/project.yaml    # name, description, source, target (defaults)
  projects/<project_id>/pipelines/<pipeline_id>.yaml
```

Ids follow `batchcore.ids`; a pipeline id without a project resolves when it is unique in the
workspace. `${ENV}` in connection values is expanded only when a connection opens
(`ConnectionSpec.resolve`), so secrets never reach the job store, logs or exports.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from batchcore.errors import ConfigError, NotFound, RequestError, WorkspaceError
from batchcore.ids import ID_RULE, is_valid_id
from batchcore.redact import connection_secrets
from batchcore.textutil import did_you_mean
from batchcore.yamlfile import YamlDoc, load_yaml

CONNECTION_TYPES = ("duckdb", "sqlite", "postgres", "mysql", "sqlserver", "snowflake")
_CONNECTION_KEYS = {
    "type",
    "path",
    "url",
    "description",
    "options",
    "max_concurrency",
    "max_concurrent",
    "readonly",
    "allow_generate",
    "setup",
}
PIPELINE_SUFFIXES = (".yaml", ".yml")
_PROJECT_KEYS = {"name", "description", "source", "target", "tags", "owner"}
_ENV_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def expand_env(value: str, *, where: str) -> str:
    """Expand `${VAR}` and `${VAR:-default}`. Raises ConfigError naming the variable and `where`."""

    def repl(m: re.Match) -> str:
        name, default = m.group(1), m.group(2)
        if name in os.environ:
            return os.environ[name]
        if default is not None:
            return default
        raise ConfigError(f"environment variable {name} is not set", location=where, field=name)

    return _ENV_RE.sub(repl, value)


def pipeline_file_name_problem(path: Path) -> str | None:
    """Why the workspace skips the pipeline file `path` for its name (the file name minus
    `.yaml` / `.yml` is the pipeline id, so it must be a valid id), or None when the name is fine."""
    if is_valid_id(path.stem):
        return None
    return f"pipeline file name {path.name!r} does not give a valid id ({ID_RULE})"


@dataclass(frozen=True)
class ConnectionSpec:
    """A named connection as written in connections.yaml (unexpanded: may hold `${VAR}`).

    `path` is relative to the workspace root unless absolute (duckdb, sqlite); `url` is a
    driver URL (postgres, mysql, sqlserver, snowflake). `max_concurrency` (also spelled
    `max_concurrent`) bounds the operations using it at once (default 4) — in this process on
    the threads backend, across the whole cluster on Dask (batchcore.connections.connection_slot). `readonly: true`: data generation never writes
    into it; `allow_generate: true`: it may be a generation target (the shipped `generated`
    connection is one without it; see batchcore.datagen.ownership). `setup`: the command that
    builds its data (batchcore.readiness shows it while the data is missing).
    """

    name: str
    type: str
    path: str | None = None
    url: str | None = None
    description: str = ""
    options: dict[str, Any] = field(default_factory=dict)
    max_concurrency: int = 4
    readonly: bool = False
    allow_generate: bool = False
    setup: str = ""
    root: Path | None = None
    location: str = ""

    def resolve(self) -> ResolvedConnection:
        """Expand `${ENV}` and absolutise the path. Raises ConfigError for a missing variable."""
        path = url = None
        if self.path is not None:
            p = Path(expand_env(self.path, where=self.location))
            if str(p) != ":memory:" and not p.is_absolute() and self.root is not None:
                p = (self.root / p).resolve()
            path = str(p)
        if self.url is not None:
            url = expand_env(self.url, where=self.location)
        return ResolvedConnection(
            self.name, self.type, path, url, dict(self.options), secrets=tuple(self.secrets())
        )

    def secrets(self) -> list[tuple[str, str]]:
        """What error texts must never show of this connection (batchcore.redact): its URL as
        written and expanded, the user and password in it, the values its `${ENV}` references
        expand to (a variable that is not set is skipped)."""
        env: dict[str, str] = {}
        for text in (self.url, self.path):
            for m in _ENV_RE.finditer(text or ""):
                value = os.environ.get(m.group(1), m.group(2))
                if value:
                    env[m.group(1)] = value
        urls = [self.url]
        if self.url is not None:
            try:
                urls.append(expand_env(self.url, where=self.location))
            except ConfigError:
                pass
        return connection_secrets(self.name, urls, env)

    def public(self) -> dict[str, Any]:
        """Name, type and description only: safe to show anywhere (no paths with secrets, no URLs)."""
        return {"name": self.name, "type": self.type, "description": self.description}


@dataclass(frozen=True)
class ResolvedConnection:
    """A connection with variables expanded: holds secrets, never persist or log it (the URL is
    left out of its repr). `secrets`: what error texts must hide (batchcore.redact); empty when
    built by hand, then the URL's parts are hidden."""

    name: str
    type: str
    path: str | None
    url: str | None = field(repr=False)
    options: dict[str, Any] = field(default_factory=dict)
    secrets: tuple[tuple[str, str], ...] = field(default=(), repr=False, compare=False)

    def redaction(self) -> list[tuple[str, str]]:
        """`secrets`, or the URL's own (its user and password) when none were given."""
        return list(self.secrets) or connection_secrets(self.name, [self.url])


@dataclass(frozen=True)
class PipelineRef:
    """Where a pipeline lives: `project_id`, `pipeline_id` and its YAML file."""

    project_id: str
    pipeline_id: str
    path: Path

    @property
    def qualified_id(self) -> str:
        return f"{self.project_id}/{self.pipeline_id}"


@dataclass(frozen=True)
class Project:
    """A project folder: display name, description, default source/target connections."""

    project_id: str
    name: str
    description: str
    source: str | None
    target: str | None
    path: Path
    pipelines: dict[str, PipelineRef]


class Workspace:
    """A loaded workspace. Build with `Workspace.load(root)`; raises ConfigError on bad files."""

    def __init__(
        self,
        root: Path,
        connections: dict[str, ConnectionSpec],
        projects: dict[str, Project],
        problems: list[str] | None = None,
    ):
        self.root = root
        self.connections = connections
        self.projects = projects
        self.problems = problems or []  # `file:line: message` of projects / pipeline files skipped

    # ---------------------------------------------------------------- loading
    @classmethod
    def load(cls, root: Path | str) -> Workspace:
        """Load connections.yaml and every projects/<id>/ folder under `root`.

        A missing folder or a bad connections.yaml raises WorkspaceError (nothing can run). A bad
        project folder, project.yaml or pipeline file name only skips that project or file: the
        problem is listed in `problems` and the rest of the workspace stays usable.
        """
        root = Path(root).resolve()
        if not root.is_dir():
            raise WorkspaceError(
                "workspace folder not found",
                location=str(root),
                field="BATCH_WORKSPACE",
                value=str(root),
            )
        try:
            connections = cls._load_connections(root)
        except ConfigError as exc:
            raise WorkspaceError(exc.message, field=exc.field, value=exc.value) from None
        projects: dict[str, Project] = {}
        problems: list[str] = []
        pdir = root / "projects"
        if pdir.is_dir():
            for d in sorted(p for p in pdir.iterdir() if p.is_dir()):
                if d.name.startswith("."):
                    continue
                if not is_valid_id(d.name):
                    problems.append(
                        f"{d}: project folder name {d.name!r} is not a valid id ({ID_RULE}); skipped"
                    )
                    continue
                try:
                    projects[d.name] = cls._load_project(d, connections, problems)
                except ConfigError as exc:
                    problems.append(f"{exc.message}; project {d.name} skipped")
        return cls(root, connections, projects, problems)

    @staticmethod
    def _load_connections(root: Path) -> dict[str, ConnectionSpec]:
        path = root / "connections.yaml"
        if not path.exists():
            return {}
        doc = load_yaml(path)
        data = doc.data or {}
        if not isinstance(data, dict) or set(data) - {"connections"}:
            extra = sorted(set(data) - {"connections"}) if isinstance(data, dict) else []
            raise ConfigError(
                f"expected a mapping with the key 'connections' only (found {extra or type(data).__name__})",
                location=doc.location(),
            )
        conns = data.get("connections") or {}
        if not isinstance(conns, dict):
            raise ConfigError(
                "'connections' must be a mapping of name: {type, path | url}",
                location=doc.location(("connections",)),
            )
        out: dict[str, ConnectionSpec] = {}
        for name, body in conns.items():
            loc = doc.location(("connections", name))
            if not is_valid_id(str(name)):
                raise ConfigError(
                    f"connection name {name!r} is not valid: {ID_RULE}",
                    location=loc,
                    field="name",
                    value=name,
                )
            if not isinstance(body, dict):
                raise ConfigError(
                    f"connection {name}: expected a mapping with 'type' and 'path' or 'url'",
                    location=loc,
                )
            unknown = sorted(set(body) - _CONNECTION_KEYS)
            if unknown:
                raise ConfigError(
                    f"connection {name}: unknown key(s) {unknown}; known: {sorted(_CONNECTION_KEYS)}",
                    location=doc.location(("connections", name, unknown[0])),
                )
            ctype = body.get("type")
            if ctype not in CONNECTION_TYPES:
                raise ConfigError(
                    f"connection {name}: type {ctype!r} is not one of {list(CONNECTION_TYPES)}",
                    location=doc.location(("connections", name, "type")),
                    field="type",
                    value=ctype,
                )
            if ctype in ("duckdb", "sqlite"):
                if not isinstance(body.get("path"), str):
                    raise ConfigError(
                        f"connection {name}: a {ctype} connection needs 'path'",
                        location=loc,
                        field="path",
                    )
            elif not isinstance(body.get("url"), str):
                raise ConfigError(
                    f"connection {name}: a {ctype} connection needs 'url'",
                    location=loc,
                    field="url",
                )
            mc_key = "max_concurrent" if "max_concurrent" in body else "max_concurrency"
            mc = body.get(mc_key, 4)
            if "max_concurrency" in body and body["max_concurrency"] != mc:
                raise ConfigError(
                    f"connection {name}: max_concurrent {mc!r} and max_concurrency "
                    f"{body['max_concurrency']!r} disagree: give one of them",
                    location=doc.location(("connections", name, "max_concurrent")),
                    field="max_concurrent",
                    value=mc,
                )
            if not isinstance(mc, int) or isinstance(mc, bool) or not 1 <= mc <= 64:
                raise ConfigError(
                    f"connection {name}: {mc_key} {mc!r} must be a whole number 1..64",
                    location=doc.location(("connections", name, mc_key)),
                    field=mc_key,
                    value=mc,
                )
            flags = {}
            for flag in ("readonly", "allow_generate"):
                value = body.get(flag, False)
                if not isinstance(value, bool):
                    raise ConfigError(
                        f"connection {name}: {flag} {value!r} must be true or false",
                        location=doc.location(("connections", name, flag)),
                        field=flag,
                        value=value,
                    )
                flags[flag] = value
            if flags["readonly"] and flags["allow_generate"]:
                raise ConfigError(
                    f"connection {name}: readonly and allow_generate contradict each other",
                    location=doc.location(("connections", name, "allow_generate")),
                    field="allow_generate",
                )
            opts = body.get("options") or {}
            if not isinstance(opts, dict):
                raise ConfigError(
                    f"connection {name}: 'options' must be a mapping",
                    location=doc.location(("connections", name, "options")),
                )
            out[str(name)] = ConnectionSpec(
                name=str(name),
                type=ctype,
                path=body.get("path"),
                url=body.get("url"),
                description=str(body.get("description") or ""),
                options=opts,
                max_concurrency=mc,
                setup=str(body.get("setup") or ""),
                root=root,
                **flags,
                location=loc,
            )
        return out

    @staticmethod
    def _load_project(
        d: Path, connections: dict[str, ConnectionSpec], problems: list[str]
    ) -> Project:
        meta: dict[str, Any] = {}
        doc: YamlDoc | None = None
        if (d / "project.yaml").exists():
            doc = load_yaml(d / "project.yaml")
            meta = doc.data or {}
            if not isinstance(meta, dict):
                raise ConfigError("project.yaml must be a mapping", location=doc.location())
            unknown = sorted(set(meta) - _PROJECT_KEYS)
            if unknown:
                raise ConfigError(
                    f"unknown key(s) {unknown}; known: {sorted(_PROJECT_KEYS)}",
                    location=doc.location((unknown[0],)),
                )
            for key in ("source", "target"):
                if meta.get(key) is not None and meta[key] not in connections:
                    raise ConfigError(
                        f"{key}: connection {meta[key]!r} is not in connections.yaml (known: {sorted(connections)})",
                        location=doc.location((key,)),
                        field=key,
                        value=meta[key],
                    )
        pipelines: dict[str, PipelineRef] = {}
        pl_dir = d / "pipelines"
        if pl_dir.is_dir():
            for f in sorted(pl_dir.iterdir()):
                if f.suffix not in PIPELINE_SUFFIXES or f.name.startswith("."):
                    continue
                pid = f.stem
                bad_name = pipeline_file_name_problem(f)
                if bad_name:
                    problems.append(f"{f}: {bad_name}; skipped")
                    continue
                if pid in pipelines:
                    problems.append(
                        f"{f}: pipeline {pid!r} is defined twice (.yaml and .yml); this file is skipped"
                    )
                    continue
                pipelines[pid] = PipelineRef(d.name, pid, f)
        return Project(
            project_id=d.name,
            name=str(meta.get("name") or d.name),
            description=str(meta.get("description") or ""),
            source=meta.get("source"),
            target=meta.get("target"),
            path=d,
            pipelines=pipelines,
        )

    # ---------------------------------------------------------------- lookups
    def connection(self, name: str, *, field: str = "connection") -> ConnectionSpec:
        """The connection called `name`. Raises NotFound listing the known names."""
        try:
            return self.connections[name]
        except KeyError:
            raise NotFound(
                f"connection {name!r} is not in {self.root / 'connections.yaml'} (known: {sorted(self.connections)})",
                field=field,
                value=name,
            ) from None

    def project(self, project_id: str, *, field: str = "project_id") -> Project:
        """The project `project_id`. Raises NotFound listing the known projects."""
        try:
            return self.projects[project_id]
        except KeyError:
            raise NotFound(
                f"project {project_id!r} not found"
                f"{did_you_mean(project_id, sorted(self.projects))} (known: {sorted(self.projects)})",
                field=field,
                value=project_id,
            ) from None

    def resolve_pipeline(
        self, pipeline_id: str, project_id: str | None = None, *, field: str = "pipeline_id"
    ) -> PipelineRef:
        """Find a pipeline. Without `project_id` the id must be unique across projects.

        Accepts `project/pipeline` as a qualified id. Raises NotFound, or RequestError when
        the id is ambiguous (the message lists the projects that have it).
        """
        pipeline_id = pipeline_id.removesuffix(".yaml").removesuffix(".yml")
        if project_id is None and "/" in pipeline_id:
            project_id, pipeline_id = pipeline_id.split("/", 1)
        if project_id is not None:
            proj = self.project(project_id)
            if pipeline_id not in proj.pipelines:
                raise NotFound(
                    f"pipeline {pipeline_id!r} not found in project {project_id!r}"
                    f"{did_you_mean(pipeline_id, sorted(proj.pipelines))} "
                    f"(known: {sorted(proj.pipelines)})",
                    field=field,
                    value=pipeline_id,
                )
            return proj.pipelines[pipeline_id]
        hits = [
            p.pipelines[pipeline_id] for p in self.projects.values() if pipeline_id in p.pipelines
        ]
        if not hits:
            raise NotFound(
                f"pipeline {pipeline_id!r} not found in any project of {self.root}"
                + did_you_mean(
                    pipeline_id, sorted({k for p in self.projects.values() for k in p.pipelines})
                ),
                field=field,
                value=pipeline_id,
            )
        if len(hits) > 1:
            raise RequestError(
                f"pipeline {pipeline_id!r} exists in projects {[h.project_id for h in hits]}: give project_id",
                field=field,
                value=pipeline_id,
            )
        return hits[0]

    def all_pipelines(self) -> list[PipelineRef]:
        """Every pipeline, ordered by project then pipeline id."""
        return [ref for p in self.projects.values() for ref in p.pipelines.values()]
