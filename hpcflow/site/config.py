"""Finding, loading and validating site configs (TOML) into frozen dataclasses.

A site named NAME is looked up, first match wins, in: the user's config directory
($XDG_CONFIG_HOME/hpcflow/sites, else ~/.config/hpcflow/sites), the site-wide directory an admin
fills (/etc/hpcflow/sites, or the colon-separated $HPCFLOW_SITE_DIRS), then the examples that
ship with the package. A path to a .toml file is used as it is; $HPCFLOW_SITE is the default.
`runs_dir` and `cache_dir` may name environment variables (`$SCRATCH/hpcflow`, `${USER}`), so
one site-wide file serves every user. Every validation error names the file, the key and what
was expected.
"""
from __future__ import annotations

import getpass
import math
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from hpcflow.errors import HpcflowError
from hpcflow.site.container import ContainerConfig, ContainerError, RUNTIMES, container_config
from hpcflow.quantities import parse_mem
from hpcflow.text import blank_or_control_char, control_char, describe_char, one_line

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

SITE_CONFIG_DIR = Path(__file__).resolve().parents[1] / "site_configs"  # shipped with the package
UNLIMITED = None


class SiteConfigError(HpcflowError):
    """A site config is missing or invalid."""


@dataclass(frozen=True)
class Partition:
    """One Slurm partition and the limits of one of its nodes."""

    name: str
    cpus: int
    mem_bytes: int
    max_time_s: float | None = UNLIMITED
    gpus: int = 0
    gpu_types: tuple[str, ...] = ()
    default: bool = False


@dataclass(frozen=True)
class SiteConfig:
    """Everything hpcflow needs to know about one cluster."""

    name: str
    path: Path
    scheduler: Literal["slurm", "local"]
    runs_dir: Path
    cache_dir: Path
    partitions: tuple[Partition, ...] = ()
    account: str = ""
    gpu_request: Literal["gres", "gpus"] = "gres"
    preemptible_qos: str = ""
    normal_qos: str = ""
    max_preemptions: int = 1
    max_array_size: int = 1001
    max_fanout: int = 10_000
    auto_batch_above: int = 1000  # maps larger than this are batched by what their elements cost (0: never)
    task_start_s: float = 1.0  # what starting one array task costs here (Slurm's start, the interpreter's)
    max_submit_jobs: int | None = None  # the cap on one user's queued jobs (MaxSubmitJobsPerUser), if any
    poll_interval_s: float = 5.0
    time_margin_s: float = 120.0
    preamble: str = ""
    python: str = ""
    mpi: str = "pmix"  # srun --mpi= for MPI tasks' ranks (the PMI plugin the site's MPI is built for)
    extra_directives: tuple[str, ...] = field(default_factory=tuple)
    container: ContainerConfig | None = None  # how tasks with container_image= run ([container])

    @property
    def qos_given(self) -> str | None:
        """The QoS the site's jobs run under when its extra_directives name one (the last --qos=)."""
        given = [d.split("=", 1)[1] for d in self.extra_directives if d.startswith("--qos=")]
        return given[-1] if given else None

    def partition(self, name: str) -> Partition:
        """The partition called `name`."""
        return next(p for p in self.partitions if p.name == name)


MACHINE_TASK_START_S = 0.25  # starting an element's process on this machine: the interpreter and hpcflow's imports


def machine_site(runs_dir: Path, cache_dir: Path) -> SiteConfig:
    """This machine as a site, for local runs' choices (core/batching.py): no fanout limit, and a
    task's start-up is a process's."""
    return SiteConfig(name="local", path=runs_dir, scheduler="local", runs_dir=runs_dir, cache_dir=cache_dir,
                      max_fanout=sys.maxsize, task_start_s=MACHINE_TASK_START_S)


def site_dirs() -> list[Path]:
    """Where site configs are looked up by name, first match wins (see the module's docstring)."""
    config_home = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    system = [Path(d) for d in os.environ.get("HPCFLOW_SITE_DIRS", "/etc/hpcflow/sites").split(":") if d]
    return [config_home / "hpcflow" / "sites", *system, SITE_CONFIG_DIR]


def resolve_site_path(site: str | None) -> Path:
    """SITE may be a path to a TOML file or the name of one in site_dirs(); HPCFLOW_SITE is the default."""
    site = site or os.environ.get("HPCFLOW_SITE")
    if not site:
        raise SiteConfigError("no site given; pass --site NAME (see `hpcflow site list`) or set HPCFLOW_SITE")
    path = Path(site).expanduser()
    if path.suffix == ".toml" or os.sep in site:
        if not path.is_file():
            raise SiteConfigError(f"site config {site} does not exist")
        return path
    for folder in site_dirs():
        if (folder / f"{site}.toml").is_file():
            return folder / f"{site}.toml"
    known = ", ".join(sorted(known_sites())) or "none"
    raise SiteConfigError(f"no site config '{site}' in {', '.join(map(str, site_dirs()))}; known sites: {known}; "
                          "put NAME.toml in one of those folders, or pass a path")


def known_sites() -> dict[str, Path]:
    """Every site config found by name, and the file that name resolves to."""
    found: dict[str, Path] = {}
    for folder in site_dirs():
        for path in sorted(folder.glob("*.toml")) if folder.is_dir() else ():
            found.setdefault(path.stem, path)
    return found


_VARIABLE = re.compile(r"\$(?:\{(\w+)\}|(\w+))")


def expand_path(text: str, key: str, path: Path) -> Path:
    """A site path with ~ and $VARIABLES expanded ($USER is always known); SiteConfigError when a
    variable is not set, naming it, rather than a directory called '$SCRATCH'."""
    def value(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        found = os.environ.get(name) or (getpass.getuser() if name == "USER" else None)
        if found is None:
            raise SiteConfigError(f"{path}: {key} = {text!r} names ${name}, which is not set here; "
                                  f"set it, or change {key}")
        return found
    return Path(_VARIABLE.sub(value, text)).expanduser()


def load_site(site: str | None) -> SiteConfig:
    """Read and validate a site config."""
    path = resolve_site_path(site)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise SiteConfigError(f"{path}: not valid TOML: {' '.join(str(exc).split())}") from None
    except UnicodeDecodeError as exc:
        raise SiteConfigError(f"{path}: not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    except OSError as exc:
        raise SiteConfigError(f"{path}: cannot be read ({exc.strerror or exc}); check its permissions") from None
    return parse_site(raw, path)


def parse_site(raw: dict[str, Any], path: Path) -> SiteConfig:
    """Validate a parsed TOML document into a SiteConfig."""
    r = _Reader(raw, path)
    known = {"name", "scheduler", "runs_dir", "cache_dir", "account", "gpu_request", "max_array_size",
             "max_fanout", "auto_batch_above", "task_start", "max_submit_jobs", "poll_interval", "time_margin", "preamble", "python", "extra_directives",
             "qos", "partitions", "mpi", "container"}
    r.no_unknown(raw, known, "")
    scheduler = r.choice("scheduler", ("slurm", "local"), "slurm")
    partitions = tuple(_partition(r, key, value) for key, value in r.table("partitions").items())
    if scheduler == "slurm" and not partitions:
        r.fail("partitions", "at least one [partitions.NAME] table")
    defaults = [p for p in partitions if p.default]
    if len(defaults) > 1:
        r.fail("partitions", f"at most one partition with default = true, found {', '.join(p.name for p in defaults)}")
    qos = r.table("qos")
    r.no_unknown(qos, {"preemptible", "normal", "max_preemptions"}, "qos.")
    return SiteConfig(
        name=r.string("name", path.stem),
        path=path,
        scheduler=scheduler,  # type: ignore[arg-type]
        runs_dir=expand_path(r.line("runs_dir", "~/.hpcflow/runs"), "runs_dir", path),
        cache_dir=expand_path(r.line("cache_dir", "~/.hpcflow/cache"), "cache_dir", path),
        partitions=partitions,
        account=r.word("account", ""),
        gpu_request=r.choice("gpu_request", ("gres", "gpus"), "gres"),  # type: ignore[arg-type]
        preemptible_qos=r.word("preemptible", "", qos, "qos."),
        normal_qos=r.word("normal", "", qos, "qos."),
        max_preemptions=r.integer("max_preemptions", 1, qos, "qos.", minimum=0),
        max_array_size=r.integer("max_array_size", 1001, minimum=1),
        max_fanout=r.integer("max_fanout", 10_000, minimum=1),
        auto_batch_above=r.integer("auto_batch_above", 1000, minimum=0),
        task_start_s=r.number("task_start", 1.0, minimum=0.001),
        max_submit_jobs=r.integer("max_submit_jobs", 1, minimum=1) if "max_submit_jobs" in raw else None,
        poll_interval_s=r.number("poll_interval", 5.0, minimum=0.05),
        time_margin_s=r.number("time_margin", 120.0, minimum=0),
        preamble=r.string("preamble", ""),
        python=r.line("python", ""),
        mpi=r.word("mpi", "pmix"),
        extra_directives=tuple(r.directive_list("extra_directives")),
        container=_container(r, raw["container"]) if "container" in raw else None,
    )


def _container(r: "_Reader", raw: Any) -> ContainerConfig:
    """[container]: runtime = a built-in runtime, or exec = a template; python; binds; [container.images]."""
    if not isinstance(raw, dict):
        r.fail("container", "a table")
    r.no_unknown(raw, {"runtime", "exec", "bind", "python", "binds", "images"}, "container.")
    runtime = r.string("runtime", "", raw, "container.")
    if runtime and runtime not in RUNTIMES:
        r.fail("container.runtime", f"one of {', '.join(RUNTIMES)}, got {runtime!r}")
    images = raw.get("images", {})
    if not isinstance(images, dict) or not all(isinstance(v, str) and v for v in images.values()):
        r.fail("container.images", 'a table of image names to local images, such as '
                                   '"ghcr.io/org/app:1.0" = "/shared/images/app.sif"')
    try:
        return container_config(
            runtime=runtime, exec=r.string("exec", "", raw, "container."), bind=r.string("bind", "", raw, "container."),
            python=r.string("python", "python3", raw, "container.") or "python3",
            binds=tuple(str(expand_path(b, "container.binds", r.path)) for b in r.string_list("binds", raw, "container.")),
            images=tuple((name, str(expand_path(image, f"container.images.{name}", r.path))
                          if "$" in image or image.startswith("~") else image) for name, image in images.items()),
            site=str(r.path))
    except ContainerError as exc:
        r.fail("container.exec" if runtime or "exec" in raw else "container", str(exc))
        raise  # unreachable: fail() raises


def _partition(r: "_Reader", name: str, raw: Any) -> Partition:
    key = f"partitions.{name}"
    bad = blank_or_control_char(name) if name else " "
    if bad is not None:  # a partition's name is one word of --partition=
        r.fail(f"partitions.{one_line(name)}", f"a partition name without spaces or control characters, got {name!r} with {describe_char(bad)}")
    if not isinstance(raw, dict):
        r.fail(key, "a table")
    r.no_unknown(raw, {"cpus", "mem", "max_time", "gpus", "gpu_types", "default"}, key + ".")
    mem_text = r.string("mem", None, raw, key + ".")
    try:
        mem = parse_mem(mem_text)
    except HpcflowError:
        r.fail(f"{key}.mem", f'a memory size such as "192Gi" or "16000M", got {mem_text!r}')
    max_time = raw.get("max_time", "INFINITE")
    try:
        max_time_s = parse_slurm_time(str(max_time))
    except ValueError:
        r.fail(f"{key}.max_time", f'a Slurm time such as "2-00:00:00", "48:00:00" or "INFINITE", got {max_time!r}')
    return Partition(
        name=name,
        cpus=r.integer("cpus", None, raw, key + ".", minimum=1),
        mem_bytes=mem or 0,
        max_time_s=max_time_s,
        gpus=r.integer("gpus", 0, raw, key + ".", minimum=0),
        gpu_types=tuple(r.word_list("gpu_types", raw, key + ".")),
        default=r.boolean("default", False, raw, key + "."),
    )


def parse_slurm_time(text: str) -> float | None:
    """Seconds in a Slurm time limit (`D-HH:MM:SS`, `HH:MM:SS`, `MM:SS`, `MM`); None for INFINITE."""
    text = text.strip()
    if text.upper() in ("INFINITE", "UNLIMITED"):
        return None
    days = 0
    if "-" in text:
        d, _, text = text.partition("-")
        days = int(d)
    parts = [int(p) for p in text.split(":")]
    if not 1 <= len(parts) <= 3 or any(p < 0 for p in parts):
        raise ValueError(text)
    if len(parts) == 1:
        h, m, s = 0, parts[0], 0
    elif len(parts) == 2:
        h, m, s = 0, parts[0], parts[1]
    else:
        h, m, s = parts
    return float(days * 86400 + h * 3600 + m * 60 + s)


class _Reader:
    """Typed access to TOML keys that fails with the file, the key and the expectation."""

    def __init__(self, raw: dict[str, Any], path: Path):
        self.raw, self.path = raw, path

    def fail(self, key: str, expected: str) -> None:
        raise SiteConfigError(f"{self.path}: key '{key}': expected {expected}")

    def no_unknown(self, table: dict[str, Any], known: set[str], prefix: str) -> None:
        for key in table:
            if key not in known:
                raise SiteConfigError(f"{self.path}: unknown key '{prefix}{key}'; known keys: {', '.join(sorted(known))}")

    def _get(self, key: str, default: Any, table: dict[str, Any] | None, prefix: str, kind: str) -> Any:
        table = self.raw if table is None else table
        if key not in table:
            if default is None:
                self.fail(prefix + key, f"{kind} (the key is required)")
            return default
        return table[key]

    def string(self, key: str, default: Any, table: dict | None = None, prefix: str = "") -> Any:
        value = self._get(key, default, table, prefix, "a string")
        if not isinstance(value, str):
            self.fail(prefix + key, f"a string, got {value!r}")
        return value

    def integer(self, key: str, default: Any, table: dict | None = None, prefix: str = "", minimum: int = 0) -> int:
        value = self._get(key, default, table, prefix, "a whole number")
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            self.fail(prefix + key, f"a whole number >= {minimum}, got {value!r}")
        return value

    def number(self, key: str, default: Any, table: dict | None = None, prefix: str = "", minimum: float = 0) -> float:
        value = self._get(key, default, table, prefix, "a number")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                or value < minimum:
            self.fail(prefix + key, f"a finite number >= {minimum}, got {value!r}")
        return float(value)

    def word(self, key: str, default: Any, table: dict | None = None, prefix: str = "") -> str:
        """A string Slurm reads as one word (an account, a QoS): no whitespace or control characters."""
        value = self.string(key, default, table, prefix)
        bad = blank_or_control_char(value)
        if bad is not None:
            self.fail(prefix + key, f"one word without spaces or control characters, got {value!r} "
                                    f"with {describe_char(bad)}")
        return value

    def line(self, key: str, default: Any, table: dict | None = None, prefix: str = "") -> str:
        """A string written on one line of a jobscript (a path, a command): no control characters."""
        value = self.string(key, default, table, prefix)
        bad = control_char(value)
        if bad is not None:
            self.fail(prefix + key, f"one line without control characters, got {value!r} with {describe_char(bad)}")
        return value

    def word_list(self, key: str, table: dict | None = None, prefix: str = "") -> list[str]:
        """A list of words (see `word`)."""
        values = self.string_list(key, table, prefix)
        for i, value in enumerate(values):
            self.word(f"{key}[{i}]", None, {f"{key}[{i}]": value}, prefix)
        return values

    def directive_list(self, key: str) -> list[str]:
        """#SBATCH options, one per line: each an option such as --exclusive, on one line."""
        values = self.string_list(key)
        for i, value in enumerate(values):
            bad = control_char(value)
            if bad is not None or not value.strip().startswith("-"):
                what = f"with {describe_char(bad)}" if bad is not None else "which is not an option"
                self.fail(f"{key}[{i}]", f"an sbatch option on one line, such as \"--exclusive\", got {value!r} {what}")
        return values

    def boolean(self, key: str, default: Any, table: dict | None = None, prefix: str = "") -> bool:
        value = self._get(key, default, table, prefix, "true or false")
        if not isinstance(value, bool):
            self.fail(prefix + key, f"true or false, got {value!r}")
        return value

    def choice(self, key: str, options: tuple[str, ...], default: str) -> str:
        value = self.string(key, default)
        if value not in options:
            self.fail(key, f"one of {', '.join(options)}, got {value!r}")
        return value

    def table(self, key: str) -> dict[str, Any]:
        value = self.raw.get(key, {})
        if not isinstance(value, dict):
            self.fail(key, "a table")
        return value

    def string_list(self, key: str, table: dict | None = None, prefix: str = "") -> list[str]:
        value = self._get(key, [], table, prefix, "a list of strings")
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail(prefix + key, f"a list of strings, got {value!r}")
        return value
