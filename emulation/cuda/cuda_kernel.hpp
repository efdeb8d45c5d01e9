// transaxx emulation — the names of the CUDA LUT GEMM kernels and the shape of one batched product
// (lut_gemm_cuda.hpp), in a header of their own: no CUDA, so any build (the tensor ops, the tests)
// can name them.
#pragma once

#include <cstdint>

namespace axx::emu {

/// `shared16` the 16-bit table in shared memory, `global32` the int32 table in global memory,
/// `naive` one output per thread (a benchmark baseline); `automatic` shared16 where the table and
/// the device allow it, else global32.
enum class CudaKernel { automatic, shared16, global32, naive };

/// Name of a CUDA kernel ("automatic", "shared16", "global32", "naive").
inline const char* to_string(CudaKernel k) {
  switch (k) {
    case CudaKernel::automatic: return "automatic";
    case CudaKernel::shared16: return "shared16";
    case CudaKernel::global32: return "global32";
    case CudaKernel::naive: return "naive";
  }
  return "?";
}

namespace cuda {

/// One batched product (device memory for the launcher; host memory for lut_gemm_host and the
/// tests' backends): C_i = A_i · B_iᵀ through the table, i < batch. A_i is
/// [M, K] at A + i·stride_a with row pitch lda, B_i is [N, K] (a Linear weight's layout) at
/// B + i·stride_b with pitch ldb, C_i is int32 [M, N] at C + i·stride_c with pitch ldc; pitches
/// and strides in elements. K = 0 writes zeros.
struct GemmArgs {
  int64_t batch = 1, M = 0, N = 0, K = 0;
  const uint8_t* A = nullptr;
  int64_t lda = 0, stride_a = 0;
  const uint8_t* B = nullptr;
  int64_t ldb = 0, stride_b = 0;
  int32_t* C = nullptr;
  int64_t ldc = 0, stride_c = 0;
};

}  // namespace cuda

}  // namespace axx::emu
