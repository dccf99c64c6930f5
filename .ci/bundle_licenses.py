"""Puts the license of the OpenMP runtime that a repaired wheel bundles beside it: licenses/libgomp.txt
into rnnkern.libs/ (auditwheel; Linux), licenses/libomp.txt into rnnkern/.dylibs/ (delocate; macOS)
or rnnkern.libs/ (delvewheel; Windows). The last step of every repair-wheel-command (pyproject.toml)
and of .ci/run: python .ci/bundle_licenses.py DIR rewrites each wheel in DIR in place, RECORD included.
Exits 1 if a wheel bundles no OpenMP runtime."""
import base64
import hashlib
import os
import re
import sys
import zipfile

LICENSES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "licenses")
BUNDLE_DIRS = ("rnnkern.libs/", "rnnkern/.dylibs/")
RUNTIMES = ((re.compile(r"(^|/)libgomp[-.]"), "libgomp.txt"), (re.compile(r"(^|/)lib(i?omp|omp5?)[-.]"), "libomp.txt"))


def _record_line(name, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def add_license(path):
    with zipfile.ZipFile(path) as zin:
        names = zin.namelist()
        bundled = [(n, lic) for n in names if n.startswith(BUNDLE_DIRS)
                   for pattern, lic in RUNTIMES if pattern.search(n)]
        if not bundled:
            sys.exit(f"{path}: no bundled OpenMP runtime under {' or '.join(BUNDLE_DIRS)}")
        lib, lic = bundled[0]
        target = lib.rsplit("/", 1)[0] + "/LICENSE-" + lic
        with open(os.path.join(LICENSES, lic), "rb") as f:
            text = f.read()
        record = next(n for n in names if n.endswith(".dist-info/RECORD"))
        tmp = path + ".tmp"
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
            for info in zin.infolist():
                if info.filename in (record, target):
                    continue
                zout.writestr(info, zin.read(info))
            zout.writestr(target, text)
            lines = [ln for ln in zin.read(record).decode().splitlines() if ln and not ln.startswith(target + ",")]
            rec = [ln for ln in lines if not ln.startswith(record + ",")]
            rec += [_record_line(target, text), f"{record},,"]
            zout.writestr(record, "\n".join(rec) + "\n")
    os.replace(tmp, path)
    print(f"{os.path.basename(path)}: {target} beside {lib}")


def main(argv):
    if len(argv) != 1 or not os.path.isdir(argv[0]):
        sys.exit("usage: python .ci/bundle_licenses.py DIR  (every *.whl in DIR)")
    wheels = sorted(os.path.join(argv[0], n) for n in os.listdir(argv[0]) if n.endswith(".whl"))
    if not wheels:
        sys.exit(f"{argv[0]}: no wheel")
    for w in wheels:
        add_license(w)


if __name__ == "__main__":
    main(sys.argv[1:])
