// transaxx emulation — the names of the CUDA LUT GEMM kernels (lut_gemm_cuda.hpp), in a header of
// their own so the tensor ops (int_matmul.hpp) can choose one in any build, CUDA or not.
#pragma once

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

}  // namespace axx::emu
