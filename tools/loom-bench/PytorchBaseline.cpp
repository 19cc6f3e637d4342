//===- PytorchBaseline.cpp - PyTorch's bf16 matmul at a product's shape ---===//

#include "PytorchBaseline.h"

#include "BenchOptions.h"

#include <cstdio>
#include <sstream>

using namespace loomc::bench;

PytorchRates loomc::bench::pytorchBf16Rates(const std::vector<ProductShape> &shapes,
                                            int threads, int repetitions) {
  PytorchRates result;
  // Debian's PyTorch installs for /usr/bin/python3 alone.
  std::ostringstream command;
  command << "/usr/bin/python3 '" << sourceDir() << "/bench/pytorch_products.py'"
          << " --threads " << threads << " --repetitions " << repetitions;
  for (const ProductShape &shape : shapes)
    command << ' ' << shape.m << ',' << shape.n << ',' << shape.k << ','
            << shape.lhsT << ',' << shape.rhsT;
  command << " 2>&1";
  FILE *pipe = popen(command.str().c_str(), "r");
  if (!pipe) {
    result.why = "cannot start /usr/bin/python3";
    return result;
  }
  std::string output, line;
  char buffer[512];
  while (std::fgets(buffer, sizeof(buffer), pipe)) {
    output += buffer;
    line = buffer;
    if (!line.empty() && line.back() == '\n')
      line.pop_back();
    if (line.rfind("# ", 0) == 0) {
      result.description = line.substr(2);
      continue;
    }
    ProductShape shape;
    int lhsT = 0, rhsT = 0;
    double gflops = 0;
    long long m = 0, n = 0, k = 0;
    if (std::sscanf(line.c_str(), "%lld %lld %lld %d %d %lf", &m, &n, &k, &lhsT,
                    &rhsT, &gflops) == 6) {
      shape.m = m, shape.n = n, shape.k = k;
      shape.lhsT = lhsT, shape.rhsT = rhsT;
      result.gflops[shape] = gflops;
    }
  }
  int status = pclose(pipe);
  if (status != 0 || result.gflops.size() != shapes.size()) {
    // The script's last line says why (an ImportError without PyTorch).
    size_t end = output.find_last_not_of('\n');
    size_t start = output.rfind('\n', end == std::string::npos ? 0 : end);
    result.why = "bench/pytorch_products.py failed: " +
                 (end == std::string::npos
                      ? std::string("no output")
                      : output.substr(start == std::string::npos ? 0 : start + 1,
                                      end - (start == std::string::npos ? 0 : start + 1) + 1));
    result.gflops.clear();
  }
  return result;
}
