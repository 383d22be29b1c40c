# Compiles a CPython stdlib into one zip of optimized (-OO) .pyc files with no
# sources, reproducibly (sorted entries, fixed times, no timestamps in the
# .pyc headers). Run by `lite rootfs build python` with a Python of the same
# X.Y as the target's. argv: SRC_DIR ZIP LANDMARK_DIR JSON_OPTIONS
#   options: {"drop": [top-level names], "keep_only": [module names] or null}
# Prints one JSON line: {"modules": N, "bytes": size of the zip}.
import importlib._bootstrap_external as ext
import json, os, sys, zipfile

src, out, landmark_dir, options = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
drop = set(options["drop"])
keep_only = set(options["keep_only"]) if options.get("keep_only") is not None else None
# Never useful at run time, whatever the recipe says.
DEAD_DIRS = {"__pycache__", "test", "tests", "idle_test"}


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
    top = rel_root.split("/")[0] if rel_root else None
    dirs[:] = sorted(d for d in dirs if d not in DEAD_DIRS and not (not rel_root and d in drop)
                     and not d.startswith(("lib-dynload", "config-", "site-packages", "dist-packages")))
    for name in sorted(files):
        if not name.endswith(".py"):
            continue
        rel = rel_root + name
        if not rel_root and name[:-3] in drop:
            continue
        mod = module_name(rel)
        if keep_only is not None and mod not in keep_only and mod != "os":
            continue
        entries.append((rel, os.path.join(root, name), mod))

os.makedirs(landmark_dir, exist_ok=True)
count = 0
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
    for rel, path, mod in sorted(entries):
        data = pyc(path, rel)
        if mod == "os":
            # CPython finds its prefix by the landmark lib/pythonX.Y/os.py[c]: the one
            # module kept outside the zip (it is frozen into the interpreter anyway).
            with open(os.path.join(landmark_dir, "os.pyc"), "wb") as f:
                f.write(data)
            continue
        info = zipfile.ZipInfo(rel[:-3] + ".pyc", date_time=(1980, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        z.writestr(info, data)
        count += 1
print(json.dumps({"modules": count, "bytes": os.path.getsize(out)}))
