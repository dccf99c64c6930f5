"""How this copy of rnnkern was built and installed (`python -m rnnkern info`): the compiler and
its flags, the OpenMP runtime it runs on, and whether it came as a release wheel (the runtime
bundled beside the package by auditwheel, delocate or delvewheel) or was built from source."""
import os
from importlib import metadata

from . import _ext

# where each repair tool puts the libraries it bundles: auditwheel and delvewheel, delocate
BUNDLE_DIRS = ("rnnkern.libs", ".dylibs")


def _wheel_tags(site):
    """The Tag lines of the installed rnnkern's WHEEL file in `site`, or [] without one."""
    for dist in metadata.distributions(name="rnnkern", path=[site]):
        text = dist.read_text("WHEEL") or ""
        return [line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("Tag:")]
    return []


def build_info():
    """{"compiler", "target", "build_type", "flags", "isa_flags", "openmp_flags", "openmp_version",
    "openmp_runtime", "openmp_bundled", "install", "wheel_tags"}: install is "wheel" when the
    OpenMP runtime loaded is the copy bundled with the package, else "source"."""
    from . import _build_config as c

    runtime = _ext.openmp_runtime_path()
    runtime = runtime and os.path.normpath(runtime)  # auditwheel's RPATH gives rnnkern/../rnnkern.libs
    bundled = runtime is not None and os.path.basename(os.path.dirname(runtime)) in BUNDLE_DIRS
    site = os.path.dirname(os.path.dirname(os.path.abspath(_ext.__file__)))
    return {"compiler": c.compiler, "target": c.target, "build_type": c.build_type, "flags": c.flags,
            "isa_flags": dict(c.isa_flags), "openmp_flags": c.openmp_flags,
            "openmp_version": c.openmp_version, "openmp_runtime": runtime or c.openmp_libraries,
            "openmp_bundled": bundled, "install": "wheel" if bundled else "source",
            "wheel_tags": _wheel_tags(site)}
