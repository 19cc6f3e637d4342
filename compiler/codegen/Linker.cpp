//===- Linker.cpp - Linking a training executable -------------------------===//

#include "compiler/codegen/Linker.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/WithColor.h"

using namespace llvm;

// Set by CMake: the clang of the LLVM that Loom is built against, and the
// directory of its libomp, which the executable finds through its rpath
// (Debian's /lib also holds an older libomp.so.5).
#ifndef LOOM_CLANG_PATH
#define LOOM_CLANG_PATH "/usr/lib/llvm-22/bin/clang"
#endif
#ifndef LOOM_LLVM_LIBRARY_DIR
#define LOOM_LLVM_LIBRARY_DIR "/usr/lib/llvm-22/lib"
#endif
// The libraries the runtime calls besides libc, libm and OpenMP, separated
// by commas: libmpi when the runtime was built with MPI.
#ifndef LOOM_RUNTIME_LINK_LIBRARIES
#define LOOM_RUNTIME_LINK_LIBRARIES ""
#endif

std::string loomc::defaultRuntimeLibrary(const char *argv0, bool sanitized) {
  std::string self = sys::fs::getMainExecutable(
      argv0, reinterpret_cast<void *>(&defaultRuntimeLibrary));
  SmallString<256> path(sys::path::parent_path(sys::path::parent_path(self)));
  sys::path::append(path, "lib",
                    sanitized ? "libloom_runtime_sanitized.a" : "libloom_runtime.a");
  return std::string(path);
}

// Runs LLVM's clang driver with `inputs` and the flags every link needs.
static mlir::LogicalResult runLinker(ArrayRef<StringRef> inputs,
                                     StringRef output) {
  ErrorOr<std::string> clang = sys::findProgramByName(LOOM_CLANG_PATH);
  if (!clang) {
    WithColor::error(errs(), "loomc")
        << "cannot find " << LOOM_CLANG_PATH << " to link with (install clang-22)\n";
    return mlir::failure();
  }
  std::string rpath = std::string("-Wl,-rpath,") + LOOM_LLVM_LIBRARY_DIR;
  SmallVector<StringRef> args = {*clang};
  args.append(inputs.begin(), inputs.end());
  args.append({"-fopenmp", "-lm", rpath, "-o", output});
  std::string message;
  int status = sys::ExecuteAndWait(*clang, args, std::nullopt, {}, 0, 0,
                                   &message);
  if (status != 0) {
    WithColor::error(errs(), "loomc")
        << "linking '" << output << "' failed"
        << (message.empty() ? "" : ": " + message) << "\n";
    return mlir::failure();
  }
  return mlir::success();
}

mlir::LogicalResult loomc::linkExecutable(ArrayRef<std::string> objects,
                                         StringRef runtimeLibrary,
                                         StringRef output, bool sanitized) {
  if (!sys::fs::exists(runtimeLibrary)) {
    WithColor::error(errs(), "loomc")
        << "the runtime library '" << runtimeLibrary << "' does not exist ("
        << (sanitized ? "Loom was built without the sanitizers: install "
                        "libclang-rt-22-dev and build again, or give"
                      : "give")
        << " its path with --runtime=FILE)\n";
    return mlir::failure();
  }
  SmallVector<StringRef> inputs(objects.begin(), objects.end());
  inputs.push_back(runtimeLibrary);
  // The generated code is not instrumented; the runtime's checks need the
  // sanitizers' own libraries.
#ifdef LOOM_RUNTIME_SANITIZED
  sanitized = true; // a build with LOOM_SANITIZE_ALL: no other runtime
#endif
  if (sanitized)
    inputs.push_back("-fsanitize=address,undefined");
  SmallVector<StringRef> libraries;
  StringRef(LOOM_RUNTIME_LINK_LIBRARIES).split(libraries, ',', -1, false);
  inputs.append(libraries.begin(), libraries.end());
  return runLinker(inputs, output);
}

mlir::LogicalResult loomc::linkSharedLibrary(ArrayRef<std::string> objects,
                                            StringRef output) {
  SmallVector<StringRef> inputs = {"-shared"};
  inputs.append(objects.begin(), objects.end());
  return runLinker(inputs, output);
}
