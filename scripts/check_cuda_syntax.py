#!/usr/bin/env python3
"""Syntax check of the code that only a CUDA LibTorch compiles (under AXX_TORCH_HAS_CUDA).

Debian's LibTorch is CPU-only, so a normal build here never compiles those branches; its headers
still hold c10/cuda/ and ATen/cuda/, so g++ -fsyntax-only with AXX_TORCH_HAS_CUDA=1 and
AXX_HAVE_CUDA_KERNELS=1 checks them. Each file is checked with its own flags from the build's
compile_commands.json (the `test_cuda_syntax` test runs this).

  scripts/check_cuda_syntax.py BUILD_DIR [--cuda-include /usr/local/cuda/include]

Python 3 standard library only.
"""
import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Every file with code under AXX_TORCH_HAS_CUDA (keep in step: `grep -rl AXX_TORCH_HAS_CUDA`).
FILES = [
    "emulation/int_matmul.cpp",
    "emulation/torch_ops.cpp",
    "bench/emulation/bench_gpu.cpp",
    "bench/emulation/bench_lut_gemm.cpp",
    "tests/emulation/test_cuda.cpp",
    "tests/emulation/test_cuda_model.cpp",
]


# A header that PyTorch's build generates and Debian's package leaves out; its content in a CUDA
# build of c10 (shared libraries).
CMAKE_MACROS = "#pragma once\n#define C10_CUDA_BUILD_SHARED_LIBS\n"


def syntax_command(entry, cuda_include, stub_dir):
    args = shlex.split(entry["command"]) if "command" in entry else list(entry["arguments"])
    out = []
    skip = False
    for a in args:
        if skip:
            skip = False
            continue
        if a in ("-o", "-c"):
            skip = True
            continue
        if a.startswith("-O") or a == "-fopenmp":
            continue
        out.append(a)
    if out and out[0].endswith("ccache"):
        out = out[1:]
    return out + ["-fsyntax-only", "-DAXX_TORCH_HAS_CUDA=1", "-DAXX_HAVE_CUDA_KERNELS=1",
                  "-isystem", cuda_include, "-isystem", stub_dir, entry["file"]]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("build_dir")
    p.add_argument("--cuda-include", default="/usr/local/cuda/include")
    o = p.parse_args()
    if not os.path.isfile(os.path.join(o.cuda_include, "cuda_runtime_api.h")):
        print(f"check_cuda_syntax: no CUDA headers at {o.cuda_include}; nothing checked")
        return 0
    db = json.load(open(os.path.join(o.build_dir, "compile_commands.json")))
    by_file = {os.path.relpath(e["file"], ROOT): e for e in db}
    failed = []
    stub = tempfile.TemporaryDirectory(prefix="axx-cuda-syntax-")
    os.makedirs(os.path.join(stub.name, "c10", "cuda", "impl"))
    with open(os.path.join(stub.name, "c10", "cuda", "impl", "cuda_cmake_macros.h"), "w") as h:
        h.write(CMAKE_MACROS)
    for f in FILES:
        e = by_file.get(f)
        if e is None:
            print(f"check_cuda_syntax: {f} is not in {o.build_dir}/compile_commands.json (target not built here); skipped")
            continue
        r = subprocess.run(syntax_command(e, o.cuda_include, stub.name), cwd=e["directory"], capture_output=True, text=True)
        print(f"{'ok' if r.returncode == 0 else 'FAILED'}  {f}")
        if r.returncode != 0:
            failed.append(f)
            print(r.stderr[-6000:])
    if failed:
        print(f"check_cuda_syntax: {len(failed)} file(s) do not compile with AXX_TORCH_HAS_CUDA: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
