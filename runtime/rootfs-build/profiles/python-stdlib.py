# Compiles a CPython stdlib into one zip of optimized (-OO) .pyc files with no
# sources, reproducibly (sorted entries, fixed times, no timestamps in the
# .pyc headers). Run by `lite rootfs build python` with a Python of the same
# X.Y as the target's, under -X no_debug_ranges: the column tables feed only
# the carets under a traceback's source line, and no stdlib source is carried
# (a quarter of the zip). argv: SRC_DIR ZIP LANDMARK_DIR JSON_OPTIONS
#   options: {"drop": [module names or globs: "ssl", "encodings.cp*"],
#             "keep_only": [module names] or null,
#             "measure": {"label": [module names or globs]}}
# Prints one JSON line: {"modules": N, "bytes": size of the zip,
#   "measured": {"label": bytes in the zip of the modules that label names}}.
import importlib._bootstrap_external as ext
import json, os, sys, zipfile
from fnmatch import fnmatchcase

src, out, landmark_dir, options = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
drop = list(options["drop"])
keep_only = set(options["keep_only"]) if options.get("keep_only") is not None else None
measure = options.get("measure") or {}
# Never useful at run time, whatever the recipe says.
DEAD_DIRS = {"__pycache__", "test", "tests", "idle_test"}


def matches(mod, patterns):
    """Does a pattern name the module or a package that holds it?"""
    parts = mod.split(".")
    names = [".".join(parts[:k]) for k in range(1, len(parts) + 1)]
    return any(fnmatchcase(n, p) for p in patterns for n in names)


def module_name(rel):
    parts = rel[:-3].split("/")
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def pyc(path, rel):
    with open(path, "rb") as f:
        source = f.read()
    code = compile(source, rel, "exec", dont_inherit=True, optimize=2)
    return bytes(ext._code_to_timestamp_pyc(code, 0, 0))


entries = []
for root, dirs, files in os.walk(src):
    rel_root = os.path.relpath(root, src).replace(os.sep, "/")
    rel_root = "" if rel_root == "." else rel_root + "/"
    pkg = rel_root.rstrip("/").replace("/", ".")
    dirs[:] = sorted(d for d in dirs if d not in DEAD_DIRS and not matches(f"{pkg}.{d}" if pkg else d, drop)
                     and not d.startswith(("lib-dynload", "config-", "site-packages", "dist-packages")))
    for name in sorted(files):
        if not name.endswith(".py"):
            continue
        rel = rel_root + name
        mod = module_name(rel)
        if mod != "os" and matches(mod, drop):
            continue
        if keep_only is not None and mod not in keep_only and mod != "os":
            continue
        entries.append((rel, os.path.join(root, name), mod))

os.makedirs(landmark_dir, exist_ok=True)
count = 0
measured = {label: 0 for label in measure}
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
    for rel, path, mod in sorted(entries):
        if mod == "os":
            # CPython finds its prefix by the landmark lib/pythonX.Y/os.py[c], which it
            # only tests for; os itself is frozen into the interpreter, as are the other
            # modules the recipe drops as duplicates. So the landmark is a stub.
            stub = compile("raise ImportError('os is frozen into the interpreter; this file marks the stdlib directory')",
                           "os.py", "exec", dont_inherit=True, optimize=2)
            with open(os.path.join(landmark_dir, "os.pyc"), "wb") as f:
                f.write(bytes(ext._code_to_timestamp_pyc(stub, 0, 0)))
            continue
        info = zipfile.ZipInfo(rel[:-3] + ".pyc", date_time=(1980, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        z.writestr(info, pyc(path, rel))
        count += 1
        for label, patterns in measure.items():
            if matches(mod, patterns):
                # the entry, its local header and its central-directory record
                measured[label] += z.getinfo(info.filename).compress_size + 30 + 46 + 2 * len(info.filename)
print(json.dumps({"modules": count, "bytes": os.path.getsize(out), "measured": measured}))
