//===- loom-opt.cpp - mlir-opt with the loom dialect and passes -----------===//

#include "compiler/codegen/Passes.h"
#include "dialects/loom/IR/LoomDialect.h"
#include "dialects/loom/Transforms/Passes.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::registerAllPasses();
  mlir::loom::registerLoomPasses();
  loomc::registerLoomCodegenPasses();
  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  registry.insert<mlir::loom::LoomDialect>();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "Loom optimizer driver\n", registry));
}
